"""`sources.yaml`: the sites the crawlers watch, validated so a bad entry is named in the error."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawlers.schedule import AdaptiveSchedule, valid_schedule
from policywatch.core.errors import PolicywatchError

DEFAULT_SOURCES_PATH = Path(__file__).with_name("sources.yaml")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{1,63}$")


class SourcesError(PolicywatchError):
    """sources.yaml cannot be read or an entry is invalid."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeywordFilter(_Model):
    """An item is kept when its title matches every `require` pattern and no `exclude` pattern.

    With `require_zone`, the item must also name a development zone (the extractor's zone vocabulary:
    开发区, 综合保税区, 片区, 产业集聚区, 科技园, 示范区, 合作区 …) in its title, its list context or its
    body (crawlers/relevance.py)."""

    require: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    require_zone: bool = False

    @field_validator("require", "exclude")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
        return patterns

    @cached_property
    def _compiled(self) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
        return [re.compile(p) for p in self.require], [re.compile(p) for p in self.exclude]

    def patterns(self) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
        return self._compiled

    def accepts(self, title: str) -> bool:
        required, excluded = self._compiled
        return all(p.search(title) for p in required) and not any(p.search(title) for p in excluded)


class ListSelectors(_Model):
    """How to read a list page. With no `item`, a generic heuristic finds `li`/`tr` rows with a link."""

    item: str | None = None  # CSS selector of one row
    link: str = "a"  # CSS selector of the link inside a row
    date: str | None = None  # CSS selector of the date inside a row


class HanwebListing(_Model):
    """Hanweb 大汉 JCMS/JPAAS. Three shapes, chosen by `mode`:

    - `dataproxy`: the column page is a shell; records come from a POST to /module/web/jpage/dataproxy.jsp.
    - `embedded`: the column page carries its records (`<datastore>` in a script) and its own paging
      links (`?uid=…&pageNum=N`, `index_N.html`, or the `<nextgroup>` dataproxy link).
    - `jpaas`: the JPAAS publish API /api-gateway/jpaas-publish-server/front/page/build/unit answers
      JSON whose `data.html` holds the list (`paramJson={"pageNo": N, "pageSize": M}`).
    """

    mode: Literal["dataproxy", "embedded", "jpaas"] = "dataproxy"
    columnid: str = ""
    unitid: str = ""
    webid: str = "1"
    path: str = "/"
    webname: str = ""
    permissiontype: str = "0"
    perpage: int = Field(default=15, ge=1, le=200)
    proxy_path: str = "/module/web/jpage/dataproxy.jsp"
    # jpaas only: the identifiers the column page passes to the unit API
    tpl_set_id: str = ""
    page_id: str = ""
    tag_id: str = ""
    unit_path: str = "/api-gateway/jpaas-publish-server/front/page/build/unit"

    @model_validator(mode="after")
    def _mode_needs(self) -> HanwebListing:
        if self.mode == "dataproxy" and not self.columnid:
            raise ValueError("hanweb mode 'dataproxy' needs columnid")
        if self.mode == "jpaas" and not (self.tpl_set_id and self.page_id and self.tag_id):
            raise ValueError("hanweb mode 'jpaas' needs tpl_set_id, page_id and tag_id")
        return self


class GkmlptListing(_Model):
    """Guangdong 集约化 gkmlpt: `GET /gkmlpt/api/all/{column}?page=N&sid={sid}` answers JSON
    `{"articles": [{"title", "url", "date"(epoch s)...}], "total": N}`."""

    sid: str | None = None  # none: read from the gkmlpt index page (window._CONFIG / SID)
    column: str = "0"
    api_path: str = "/gkmlpt/api/all/{column}"
    per_page: int = Field(default=100, ge=1, le=500)  # what the API returns per page (paging stops early)


class SearchListing(_Model):
    """A site search (GET or POST form with a query); result pages are read with `selectors`."""

    url: str
    method: Literal["GET", "POST"] = "GET"
    query_param: str = "q"
    queries: list[str] = Field(min_length=1)
    params: dict[str, str] = Field(default_factory=dict)  # fixed form fields (channel ids, sort order…)
    page_param: str | None = None  # form field of the page number; none: only the first result page
    first_page: int = 1


class Listing(_Model):
    kind: Literal["list", "hanweb", "rss", "sitemap", "gkmlpt", "search"] = "list"
    selectors: ListSelectors = Field(default_factory=ListSelectors)
    hanweb: HanwebListing | None = None
    gkmlpt: GkmlptListing | None = None
    search: SearchListing | None = None
    max_pages: int = Field(default=5, ge=1, le=1000)
    # Incremental crawling: stop paging once a whole list page holds only known items, and do not
    # re-fetch a known article unless its list date changed or `recrawl_days` passed since its last fetch.
    stop_when_known: bool = True
    recrawl_days: float = Field(default=7.0, ge=0)

    @model_validator(mode="after")
    def _kind_needs_params(self) -> Listing:
        for kind in ("hanweb", "gkmlpt", "search"):
            if self.kind == kind and getattr(self, kind) is None:
                raise ValueError(f"listing.kind {kind!r} needs a {kind!r} block")
        return self


class Source(_Model):
    id: str
    name: str
    province: str
    site_kind: Literal["gov", "zone", "news", "investment"] = "gov"
    cms_family: Literal["trs", "hanweb", "gkmlpt", "other"] = "other"
    start_urls: list[str] = Field(min_length=1)
    allowed_domains: list[str] = Field(min_length=1)
    listing: Listing = Field(default_factory=Listing)
    keywords: KeywordFilter | None = None
    schedule: str = "@daily"  # a cron expression / preset, or "adaptive" (crawlers/schedule.py)
    adaptive: AdaptiveSchedule = Field(default_factory=AdaptiveSchedule)  # used by schedule: adaptive
    enabled: bool = True
    verified_live: bool = False
    obey_robots: bool = True
    # Its hosts may be (and resolve to) loopback, private or link-local addresses: an intranet site or
    # a test mirror. Without it such targets are refused before any connection.
    allow_private: bool = False
    concurrency: int = Field(default=2, ge=1, le=32)
    delay_s: float = Field(default=1.0, ge=0, le=120)
    max_page_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_attachment_bytes: int = Field(default=30 * 1024 * 1024, ge=1024)
    fetch_attachments: bool = True
    headers: dict[str, str] = Field(default_factory=dict)
    cookies: dict[str, str] = Field(default_factory=dict)
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError("id must be lower-case letters, digits, '_' or '-' (2-64 characters)")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return valid_schedule(value)

    @field_validator("start_urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"start URL {url!r} is not an absolute http(s) URL")
        return urls

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        for domain in domains:
            if "/" in domain or domain != domain.strip().lower() or not domain:
                raise ValueError(
                    f"allowed domain {domain!r} must be a lower-case host name (optionally :port)"
                )
        return domains

    @model_validator(mode="after")
    def _start_urls_allowed(self) -> Source:
        from crawlers.urlpolicy import host_allowed

        for url in self.start_urls:
            if not host_allowed(url, self.allowed_domains):
                raise ValueError(f"start URL {url!r} is outside allowed_domains {self.allowed_domains}")
        return self


class SourcesFile(_Model):
    version: Literal[1] = 1
    # Tests only: lets sources point at the loopback mirror. Never set for real sites.
    allow_loopback: bool = False
    defaults: dict[str, object] = Field(default_factory=dict)
    sources: list[Source]

    @model_validator(mode="after")
    def _unique_ids(self) -> SourcesFile:
        seen: set[str] = set()
        for source in self.sources:
            if source.id in seen:
                raise ValueError(f"duplicate source id {source.id!r}")
            seen.add(source.id)
        return self

    def get(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources)
        raise SourcesError(f"unknown source {source_id!r}; known sources: {known}")

    def select(self, ids: list[str] | None = None) -> list[Source]:
        if ids:
            return [self.get(i) for i in ids]
        return [s for s in self.sources if s.enabled]


def _describe(errors: list[dict], raw_sources: list) -> list[str]:
    lines = []
    for err in errors:
        loc = list(err["loc"])
        where = ".".join(str(part) for part in loc)
        if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
            index = loc[1]
            entry = raw_sources[index] if index < len(raw_sources) else None
            entry_id = entry.get("id") if isinstance(entry, dict) else None
            label = f"source #{index + 1}" + (f" (id {entry_id!r})" if entry_id else "")
            field = ".".join(str(part) for part in loc[2:]) or "(entry)"
            lines.append(f"{label}: {field}: {err['msg']}")
        else:
            lines.append(f"{where or '(file)'}: {err['msg']}")
    return lines


def parse_sources(data: object, *, origin: str = "sources.yaml") -> SourcesFile:
    """Validate already-loaded YAML data; errors name the bad entry by position and id."""
    if not isinstance(data, dict) or "sources" not in data:
        raise SourcesError(f"{origin}: expected a mapping with a 'sources' list")
    raw_sources = data.get("sources") or []
    defaults = data.get("defaults") or {}
    if isinstance(raw_sources, list) and isinstance(defaults, dict):
        merged = []
        for entry in raw_sources:
            merged.append({**defaults, **entry} if isinstance(entry, dict) else entry)
        data = {**data, "sources": merged}
    try:
        return SourcesFile.model_validate(data)
    except ValidationError as exc:
        lines = _describe(exc.errors(), raw_sources if isinstance(raw_sources, list) else [])
        raise SourcesError(f"{origin} is invalid:\n  " + "\n  ".join(lines)) from exc


def load_sources(path: Path | str | None = None) -> SourcesFile:
    """Read and validate a sources file (the packaged crawlers/sources.yaml by default)."""
    path = Path(path) if path else DEFAULT_SOURCES_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourcesError(f"cannot read sources file {path}: {exc.strerror}; pass --sources PATH") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourcesError(f"{path} is not valid YAML: {exc}") from exc
    return parse_sources(data, origin=str(path))
