"""Publication date with its provenance: page metadata, then a visible date, then the URL.

Times without a zone are China Standard Time (UTC+8), which is what these sites mean.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from lxml import html as lxml_html

CST = timezone(timedelta(hours=8), "CST")

# <meta> names used by Chinese government CMSs (TRS, 开普云, 大汉) and the usual standards.
_META_NAMES = (
    "pubdate", "publishdate", "firstpublishedtime", "dc.date", "dc.date.issued", "dcterms.issued",
    "article:published_time", "og:published_time", "og:release_date", "publish_time", "pubtime",
    "releasedate", "datepublished", "date", "other:pubdate", "lastmodifiedtime",
)
_DATE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:年|[-/.])\s*(?P<m>\d{1,2})\s*(?:月|[-/.])\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})[:：时](?P<M>\d{2})(?:[:：分](?P<S>\d{2}))?)?"
)
_VISIBLE_LABEL = re.compile(r"(?:发布(?:时间|日期)|公开日期|发表时间|时间|日期|更新时间)\s*[:：]?\s*")
# Labels that name the publication date itself (成文日期 is the date of writing: written_at).
_PUBLISH_LABEL = re.compile(r"(?:发布(?:时间|日期|于)|发表(?:时间|日期|于)|发稿时间)\s*[:：]?\s*")
# Labels of a date that is usually, not always, the day of publication: a 信息公开 catalogue's 公开日期
# can be a hand-typed 生成日期 (the day a law takes effect), so the CMS's own record may overrule it.
_WEAK_PUBLISH_LABEL = re.compile(r"(?:公开日期|信息时间|上线时间|发文时间)\s*[:：]?\s*")
# <meta> names that mean "published" (not "modified"), in order of trust.
_PUBLISH_META = (
    "pubdate", "publishdate", "article:published_time", "og:published_time", "datepublished",
    "dc.date.issued", "dcterms.issued", "firstpublishedtime", "publish_time", "pubtime", "releasedate",
    "og:release_date", "other:pubdate", "dc.date", "date", "publication_date", "sailthru.date",
)
# A bare 日期/时间 label that starts the info line under a headline ("日期：2025-02-26 11:54 来源：…");
# 成文日期, 会议时间 and the like do not match (the label must start the line or follow a space).
_BARE_DATE_LABEL = re.compile(r"(?:^|\s)(?:日期|时间)\s*[:：]\s*")
_NEAR_LABEL = re.compile(r"(?:时间|日期|来源|发布|更新|[|｜])")
_URL_DATE = (
    re.compile(r"/t(?P<y>20\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)_"),  # /202401/t20240105_123.html
    re.compile(r"/(?P<y>20\d{2})[-_/](?P<m>[01]?\d)[-_/](?P<d>[0-3]?\d)/"),
    re.compile(r"/(?P<y>20\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)/"),
    re.compile(r"/art/(?P<y>20\d{2})/(?P<m>\d{1,2})/(?P<d>\d{1,2})/"),
)


def _build(y: str, m: str, d: str | None, hh: str | None = None, mm: str | None = None,
           ss: str | None = None) -> datetime | None:
    try:
        value = datetime(int(y), int(m), int(d or 1), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=CST)
    except ValueError:
        return None
    # Nothing is published before the web or in the future (a day of clock skew allowed).
    if value.year < 1995 or value > datetime.now(UTC) + timedelta(days=1):
        return None
    return value


def _from_match(match: re.Match[str]) -> datetime | None:
    return _build(match["y"], match["m"], match["d"], match["H"], match["M"], match["S"])


# 9/17/2004 5:54:13 AM: the US form some older CMSs (ASP sites) print.
_US_DATE = re.compile(
    r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)\d{2})"
    r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AP]M)?)?",
    re.IGNORECASE,
)


def _from_us(match: re.Match[str]) -> datetime | None:
    hour = match["H"]
    if hour and match["ampm"]:
        hour = str(int(hour) % 12 + (12 if match["ampm"].upper() == "PM" else 0))
    return _build(match["y"], match["m"], match["d"], hour, match["M"], match["S"])


def parse_date(text: str) -> datetime | None:
    """The first plausible date in ``text`` (ISO 8601 with a zone is kept exactly)."""
    text = text.strip()
    try:
        iso = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if iso.tzinfo is None:
            iso = iso.replace(tzinfo=CST)
        return iso if iso.year >= 1995 and iso <= datetime.now(UTC) + timedelta(days=1) else None
    except ValueError:
        pass
    match = _DATE.search(text)
    if match:
        return _from_match(match)
    us = _US_DATE.search(text)
    return _from_us(us) if us else None


def date_from_meta(tree: lxml_html.HtmlElement) -> datetime | None:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        name = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").strip().lower()
        content = meta.get("content")
        if name in _META_NAMES and content and name not in found:
            found[name] = content
    for name in _META_NAMES:
        if name in found and (value := parse_date(found[name])):
            return value
    for node in tree.iter("time"):
        if (value := parse_date(node.get("datetime") or "")):
            return value
    return None


def date_from_visible(text: str) -> datetime | None:
    """A labelled date (发布时间：2024-01-05) anywhere, else a date alone on a short line near the top."""
    for label in _VISIBLE_LABEL.finditer(text):
        match = _DATE.match(text, label.end())
        if match and (value := _from_match(match)):
            return value
    for line in text.split("\n")[:15]:
        line = line.strip()
        match = _DATE.fullmatch(line)
        if match and (value := _from_match(match)):
            return value
    return None


def date_from_url(url: str) -> datetime | None:
    for pattern in _URL_DATE:
        match = pattern.search(url)
        if match:
            groups = match.groupdict()
            value = _build(groups["y"], groups["m"], groups.get("d"))
            if value:
                return value
    return None


def date_from_publish_meta(tree: lxml_html.HtmlElement) -> datetime | None:
    """A CMS's publish meta (PubDate, publishdate, article:published_time, datePublished, ...)."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        name = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").strip().lower()
        content = meta.get("content")
        if name in _PUBLISH_META and content and name not in found:
            found[name] = content
    for name in _PUBLISH_META:
        if name in found and (value := parse_date(found[name])):
            return value
    return None


def date_labelled(text: str, *, weak: bool = False) -> datetime | None:
    """A date printed after 发布日期 / 发布时间 / 发表时间 (never 成文日期); with ``weak``, after
    公开日期 / 信息时间 / 上线时间 / 发文时间 instead."""
    for label in (_WEAK_PUBLISH_LABEL if weak else _PUBLISH_LABEL).finditer(text):
        match = _DATE.match(text, label.end())
        if match and (value := _from_match(match)):
            return value
    return None


def date_near_title(visible: str, title: str | None, *, after: int = 10, before: int = 3) -> datetime | None:
    """The first date on the lines right after the headline (or just before it), as news pages print it."""
    if not title:
        return None
    key = re.sub(r"\s+", "", title)[:12]
    lines = visible.split("\n")
    for i, line in enumerate(lines):
        if key and key in re.sub(r"\s+", "", line):
            window = lines[i + 1 : i + 1 + after] + lines[max(0, i - before) : i]
            rest = line.replace(title, "")
            for candidate in [rest, *window]:
                if len(candidate) > 120 and not _NEAR_LABEL.search(candidate[:40]):
                    continue  # a body sentence that mentions a date
                match = _DATE.search(candidate)
                if match and (value := _from_match(match)):
                    return value
    return None


def date_labelled_under_title(visible: str, title: str | None, *, after: int = 3) -> datetime | None:
    """A date after a bare 日期/时间 label on the lines right under the headline.

    That is the date the reader is shown as the article's; a CMS's PubDate meta can be the time the page
    was last regenerated (a 甘肃省 page's meta names it 页面生成时间), so this is read before the meta.
    """
    if not title:
        return None
    whole = re.sub(r"\s+", "", title)
    key = whole[:12]
    lines = visible.split("\n")
    for i, line in enumerate(lines):
        squeezed = re.sub(r"\s+", "", line)
        # the headline's line, or its first part when a <br> splits it
        if key and (key in squeezed or (len(squeezed) >= 4 and whole.startswith(squeezed))):
            for candidate in lines[i + 1 : i + 1 + after]:
                for label in _BARE_DATE_LABEL.finditer(candidate.strip()):
                    match = _DATE.match(candidate.strip(), label.end())
                    if match and (value := _from_match(match)):
                        return value
    return None


def date_from_htmldate(tree: lxml_html.HtmlElement) -> datetime | None:
    """htmldate's original-date finder on the markup (it knows many CMS and schema.org conventions).

    Without the URL (the next step reads it, and says so) and without its free-text search, which
    guesses years from copyright lines and body figures.
    """
    import htmldate

    try:
        found = htmldate.find_date(tree, original_date=True, extensive_search=False)
    except (ValueError, TypeError):
        return None
    return _build(*found[:10].split("-")) if found else None


def publication_date(tree: lxml_html.HtmlElement, visible: str, *, title: str | None,
                     table: dict[str, str], url: str | None) -> tuple[datetime | None, str]:
    """Publication date and its source, in the order a reader trusts them.

    发布日期/发布时间 (the 信息公开 table or a labelled line); then 公开日期 and its like, unless the CMS's
    publish meta and the URL agree on another day; then a date after a bare 日期/时间 label under the
    headline; then the publish meta; then a date printed next to the headline; then htmldate; then the
    URL. ``(None, "none")`` when nothing is found.
    """
    if table.get("发布日期") and (value := parse_date(table["发布日期"])):
        return value, "visible"
    if value := date_labelled(visible):
        return value, "visible"
    meta = date_from_publish_meta(tree)
    weak = parse_date(table["公开日期"]) if table.get("公开日期") else None
    weak = weak or date_labelled(visible, weak=True)
    if weak:
        # The CMS's publish record, confirmed by the date its URL was made with (t20180314_…), outweighs
        # a catalogue date that disagrees with both.
        in_url = date_from_url(url) if url else None
        if meta and in_url and meta.date() == in_url.date() != weak.date():
            return meta, "meta"
        return weak, "visible"
    if value := date_labelled_under_title(visible, title):
        return value, "visible"
    if meta:
        return meta, "meta"
    if value := date_near_title(visible, title):
        return value, "visible"
    if value := date_from_htmldate(tree):
        return value, "htmldate"
    if url and (value := date_from_url(url)):
        return value, "url"
    return None, "none"
