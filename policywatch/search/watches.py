"""Watches: saved searches stored in policy-watches, matched by the alert stage against new documents.

A watch is a query plus the search filters, an optional webhook and an owner. It matches only documents
indexed after it was created (`indexed_at >= created_at`), so adding a watch never floods its owner with
the back catalogue.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from policywatch.core.errors import PolicywatchError
from policywatch.core.netpolicy import NON_PUBLIC, AddressRefused, resolve_checked
from policywatch.core.redact import redact, url_origin
from policywatch.search.channels import describe as describe_channel
from policywatch.search.channels import validate_channel
from policywatch.search.query import (
    F_INDEXED,
    SOURCE_FIELDS,
    Filters,
    build_query,
    highlight_clause,
    make_filters,
    query_terms,
)
from schemas.indices import ALERTS_INDEX, WATCHES_INDEX

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[\w.\-\u4e00-\u9fff]{1,100}$")


def _now() -> datetime:
    return datetime.now(UTC)


class Watch(BaseModel):
    """One saved search. Stored as the document `_id = name` in policy-watches."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    query: str = ""
    zone: str | None = None
    region: str | None = None
    metric: str | None = None
    min_growth: float | None = None
    doc_type: str | None = None
    webhook: str | None = None
    # Signs this watch's webhook bodies instead of POLICYWATCH_WEBHOOK_SECRET; never listed or logged.
    webhook_secret: str | None = Field(default=None, repr=False)
    # apprise URLs (DingTalk, WeCom, Feishu, e-mail, Slack: policywatch.search.channels); they carry tokens.
    notify: list[str] = Field(default_factory=list, repr=False)
    digest: Literal["off", "daily"] = "off"  # daily: one message a day instead of one per alert
    owner: str | None = None
    enabled: bool = True
    created_at: AwareDatetime = Field(default_factory=_now)

    def filters(self) -> Filters:
        return make_filters(zone=self.zone, region=self.region, metric=self.metric,
                            min_growth=self.min_growth, doc_type=self.doc_type)

    def to_doc(self) -> dict[str, Any]:
        """The stored document (secret included)."""
        return self.model_dump(mode="json")

    def public_doc(self) -> dict[str, Any]:
        """What may be shown: the stored document without the secret, only whether there is one."""
        doc = self.model_dump(mode="json", exclude={"webhook_secret"})
        doc["webhook"] = url_origin(self.webhook) if self.webhook else None
        doc["webhook_signed_by_own_secret"] = self.webhook_secret is not None
        doc["notify"] = [describe_channel(u) for u in self.notify]
        return doc

    @property
    def delivers(self) -> bool:
        """Whether alerts of this watch go anywhere (webhook or channels)."""
        return bool(self.webhook or self.notify)

    def describe(self) -> str:
        parts = [f"query={self.query!r}"] if self.query else []
        parts += [f"{k}={v}" for k, v in self.filters().to_dict().items()]
        return " ".join(parts) or "(everything)"


def validate_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise PolicywatchError(
            f"watch name {name!r} is not valid: "
            "use 1-100 letters, digits, Chinese characters, '.', '-' or '_'"
        )
    return name


def validate_webhook(url: str, *, allow_private: bool = False) -> str:
    """An http(s) URL whose host resolves only to public addresses (any address when `allow_private`,
    the deployment's POLICYWATCH_WEBHOOK_ALLOW_PRIVATE, passed by the caller). The alert stage checks again
    when it sends."""
    parts = urlsplit(url)
    shown = redact(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PolicywatchError(f"--webhook {shown!r} is not an http(s) URL (for example https://example.org/hook)")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise PolicywatchError(f"--webhook {shown!r} has an invalid port") from exc
    try:
        resolve_checked(parts.hostname, port, allow=NON_PUBLIC if allow_private else ())
    except AddressRefused as exc:
        if exc.kind == "unresolved":  # not an internal address (yet): the send-time check decides
            logger.warning("webhook host of %s does not resolve now; it is checked again at each send", shown)
            return url
        raise PolicywatchError(
            f"--webhook {shown!r} refused: {exc}; webhooks go to public addresses only "
            "(set POLICYWATCH_WEBHOOK_ALLOW_PRIVATE=true to allow internal receivers)"
        ) from exc
    return url


def new_watch(
    name: str,
    *,
    query: str = "",
    zone: str | None = None,
    region: str | None = None,
    metric: str | None = None,
    min_growth: float | None = None,
    doc_type: str | None = None,
    webhook: str | None = None,
    webhook_secret: str | None = None,
    owner: str | None = None,
    created_at: datetime | None = None,
    allow_private: bool = False,
    notify: list[str] | None = None,
    digest: str = "off",
) -> Watch:
    """A validated Watch from user input; raises PolicywatchError with what to fix."""
    validate_name(name)
    filters = make_filters(zone=zone, region=region, metric=metric, min_growth=min_growth, doc_type=doc_type)
    if not query_terms(query) and not filters.to_dict():
        raise PolicywatchError("a watch needs --query or at least one filter (--zone, --metric, ...)")
    if digest not in ("off", "daily"):
        raise PolicywatchError(f"--digest {digest!r}: use off or daily")
    if digest == "daily" and not (webhook or notify):
        raise PolicywatchError("--digest daily needs --webhook or --notify (where to send the digest)")
    channels = [validate_channel(u, allow_private=allow_private) for u in notify or []]
    if webhook_secret and not webhook:
        raise PolicywatchError("--webhook-secret needs --webhook")
    if min_growth is not None and not filters.metric:
        logger.debug("--min-growth without --metric applies to any indicator")
    return Watch(
        name=name,
        query=query.strip(),
        zone=filters.zone,
        region=filters.region,
        metric=filters.metric,
        min_growth=filters.min_growth,
        doc_type=filters.doc_type,
        webhook=validate_webhook(webhook, allow_private=allow_private) if webhook else None,
        webhook_secret=webhook_secret or None,
        notify=list(dict.fromkeys(channels)),
        digest=digest,  # type: ignore[arg-type]
        owner=owner,
        created_at=created_at or _now(),
    )


def match_body(watch: Watch, doc_ids: list[str], *, highlight: bool = True,
               source: bool = True) -> dict[str, Any]:
    """The `_msearch` body that finds which of `doc_ids` the watch matches.

    Restricted to the batch (`ids`) and to documents indexed at or after the watch's creation.
    """
    query = build_query(watch.query, watch.filters(), inner_hits=False)
    query["bool"].setdefault("filter", []).extend([
        {"ids": {"values": doc_ids}},
        {"range": {F_INDEXED: {"gte": watch.created_at.isoformat()}}},
    ])
    body: dict[str, Any] = {
        "size": len(doc_ids),
        "query": query,
        # Filtering _source still parses the whole stored document (text, text_seg: ~100 KB for a
        # long report); the alert stage holds the batch's documents already and asks for ids only.
        "_source": SOURCE_FIELDS if source else False,
        "track_total_hits": False,
    }
    if highlight:
        hl = highlight_clause(watch.query)
        if hl:
            hl["fields"] = {k: v for k, v in hl["fields"].items() if k == "text"}
            hl["fields"]["text"] = {**hl["fields"]["text"], "number_of_fragments": 2}
            body["highlight"] = hl
    return body


def watch_clause(watch: Watch) -> dict[str, Any]:
    """The watch as one named clause (its query, restricted to documents indexed since its creation), for
    grouping many watches into one search: each hit's `matched_queries` names the watches it matched."""
    query = build_query(watch.query, watch.filters(), inner_hits=False)
    query["bool"].setdefault("filter", []).append(
        {"range": {F_INDEXED: {"gte": watch.created_at.isoformat()}}})
    query["bool"]["_name"] = watch.name
    return query


def group_match_body(watches: list[Watch], doc_ids: list[str]) -> dict[str, Any]:
    """One search that tells, for each of `doc_ids`, which of `watches` match it (unscored)."""
    return {
        "size": len(doc_ids),
        "query": {"constant_score": {"filter": {"bool": {
            "filter": [{"ids": {"values": doc_ids}}],
            "should": [watch_clause(w) for w in watches],
            "minimum_should_match": 1,
        }}}},
        "_source": False,
        "track_total_hits": False,
    }


_FAILED = ("delivery", "channels", "digest")  # policy-alerts fields that say "failed"


def delivery_failures(es: Any, alerts_index: str = ALERTS_INDEX) -> dict[str, dict[str, Any]]:
    """Per watch: how many of its alerts failed a delivery (webhook, channel or digest), and the
    newest failure's error and time. Read from policy-alerts; an absent index means none."""
    from elasticsearch import NotFoundError

    try:
        resp = es.search(index=alerts_index, size=0, query={"bool": {
            "should": [{"term": {f: "failed"}} for f in _FAILED], "minimum_should_match": 1}},
            aggs={"by_watch": {"terms": {"field": "watch", "size": 10_000}, "aggs": {"last": {"top_hits": {
                "size": 1, "sort": [{"matched_at": "desc"}],
                "_source": ["delivery_error", "channel_error", "digest_error", "matched_at"]}}}}})
    except NotFoundError:
        return {}
    body = resp.body if hasattr(resp, "body") else resp
    out: dict[str, dict[str, Any]] = {}
    for bucket in body["aggregations"]["by_watch"]["buckets"]:
        src = bucket["last"]["hits"]["hits"][0]["_source"]
        error = src.get("delivery_error") or src.get("channel_error") or src.get("digest_error")
        out[bucket["key"]] = {"failed": bucket["doc_count"], "last_error": error,
                              "last_at": src.get("matched_at")}
    return out


class WatchStore:
    """policy-watches through an Elasticsearch client."""

    def __init__(self, es: Any, index: str = WATCHES_INDEX) -> None:
        self.es = es
        self.index = index

    def add(self, watch: Watch) -> None:
        from elasticsearch import ConflictError

        try:
            self.es.index(index=self.index, id=watch.name, document=watch.to_doc(), op_type="create",
                          refresh="wait_for")
        except ConflictError as exc:
            raise PolicywatchError(
                f"a watch named {watch.name!r} exists: "
                f"remove it first with `policywatch watch rm {watch.name}`"
            ) from exc

    def remove(self, name: str) -> None:
        from elasticsearch import NotFoundError

        try:
            self.es.delete(index=self.index, id=name, refresh="wait_for")
        except NotFoundError as exc:
            raise PolicywatchError(f"no watch named {name!r} (see `policywatch watch list`)") from exc

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Pause (False) or resume a watch; a paused watch stays listed and fires nothing."""
        from elasticsearch import NotFoundError

        try:
            self.es.update(index=self.index, id=name, doc={"enabled": enabled}, refresh="wait_for")
        except NotFoundError as exc:
            raise PolicywatchError(f"no watch named {name!r} (see `policywatch watch list`)") from exc

    def get(self, name: str) -> Watch | None:
        from elasticsearch import NotFoundError

        try:
            return Watch.model_validate(self.es.get(index=self.index, id=name)["_source"])
        except NotFoundError:
            return None

    def iter_all(self, *, enabled_only: bool = False, page: int = 1000) -> Iterator[Watch]:
        """Every watch, sorted by name, paged with search_after (no 10,000 limit)."""
        from elasticsearch import NotFoundError

        query: dict[str, Any] = {"term": {"enabled": True}} if enabled_only else {"match_all": {}}
        after: list[Any] | None = None
        while True:
            kwargs: dict[str, Any] = {"index": self.index, "query": query, "size": page,
                                      "sort": [{"name": "asc"}]}
            if after is not None:
                kwargs["search_after"] = after
            try:
                hits = self.es.search(**kwargs)["hits"]["hits"]
            except NotFoundError:
                return
            for h in hits:
                yield Watch.model_validate(h["_source"])
            if len(hits) < page:
                return
            after = hits[-1]["sort"]

    def list(self, *, enabled_only: bool = False) -> list[Watch]:
        return list(self.iter_all(enabled_only=enabled_only))
