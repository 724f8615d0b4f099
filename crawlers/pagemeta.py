"""What the crawler reads from an article page: metadata hints and attachment links.

Hints are passed on to the clean stage as strings; clean decides what to trust. Dates follow the
order of trust meta PubDate > visible date > URL date > list date, and record which one was used.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, unquote_to_bytes, urljoin, urlsplit

from parsel import Selector

from schemas.raw import AttachmentKind

ATTACHMENT_EXTS = ("pdf", "doc", "docx", "wps", "xls", "xlsx", "et", "zip", "rar", "ofd")
_EXT_ALT = "|".join(ATTACHMENT_EXTS)
_FILE_URL_RE = re.compile(rf"\.({_EXT_ALT})(?:$|[?#])", re.IGNORECASE)
_JS_FILE_RE = re.compile(rf"""['"(=]\s*([^'"()\s<>]+?\.(?:{_EXT_ALT}))\s*['")]""", re.IGNORECASE)

BODY_SELECTORS = (
    "div.TRS_Editor",
    "div.TRS_UEDITOR",
    "#zoom",
    "#UCAP-CONTENT",
    ".article-content",
    ".wip_art_con",
    ".bt_content",
    ".article .content",
    ".view",
)
BREADCRUMB_SELECTORS = (".position", ".breadcrumb", ".crumb", ".location", ".dqwz", ".bread")

_DATE_RE = r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
_VISIBLE_DATE_RE = re.compile(r"(?:发布时间|发布日期|发文日期|公开日期|日期|时间)\s*[:：]\s*" + _DATE_RE)
_ANY_DATE_RE = re.compile(_DATE_RE)
_URL_DATE_RES = (
    re.compile(r"/t(\d{4})(\d{2})(\d{2})_\d+"),  # TRS t20231228_1000001
    re.compile(r"/art/(\d{4})/(\d{1,2})/(\d{1,2})/"),  # Hanweb /art/2024/1/5/
    re.compile(r"/(\d{4})[-/]?(\d{2})[-/]?(\d{2})/"),  # /2024/0108/ or /20240108/
)
_FIELD_PATTERNS = {
    "index_no": r"索\s*引\s*号",
    "topic_class": r"主题分类|信息分类",
    "issuer": r"发文机关|发布机构|发文单位|发布单位",
    "written_date_raw": r"成文日期|生成日期",
    "doc_no": r"发文字号|文\s*号",
    "published_table_raw": r"发布日期|公开日期",
    "validity": r"有\s*效\s*性",
    "content_source": r"来\s*源",
    "editor": r"责任编辑",
}
_FULLWIDTH = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)})
_BRACKETS = str.maketrans(
    {
        "[": "〔",
        "]": "〕",
        "(": "〔",
        ")": "〕",
        "【": "〔",
        "】": "〕",
        "（": "〔",
        "）": "〕",
        "［": "〔",
        "］": "〕",
        "﹝": "〔",
        "﹞": "〕",
    }
)


@dataclass(frozen=True)
class AttachmentLink:
    url: str
    name: str | None
    found_via: str  # href | oldsrc | js | iframe | list


def attachment_kind(name_or_url: str | None) -> AttachmentKind:
    if not name_or_url:
        return "other"
    path = urlsplit(name_or_url).path if "://" in name_or_url else name_or_url
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if ext in ("pdf", "docx", "doc", "xls", "xlsx", "wps"):
        return ext  # type: ignore[return-value]
    if ext == "et":
        return "xls"
    return "other"


def file_url_ext(url: str) -> str | None:
    """The attachment extension of a URL, looking into download scripts' filename= parameters too."""
    parts = urlsplit(url)
    match = _FILE_URL_RE.search(parts.path)
    if match:
        return match.group(1).lower()
    for values in parse_qs(parts.query).values():
        for value in values:
            match = _FILE_URL_RE.search(value)
            if match:
                return match.group(1).lower()
    return None


def normalize_doc_no(raw: str) -> str:
    """Full-width digits to ASCII, any bracket pair to 〔〕, whitespace removed."""
    text = unicodedata.normalize("NFKC", raw) if any("\uff10" <= c <= "\uff19" for c in raw) else raw
    text = text.translate(_FULLWIDTH).translate(_BRACKETS)
    return re.sub(r"\s+", "", text)


def _iso(match: re.Match[str] | tuple[str, ...]) -> str | None:
    groups = match.groups() if isinstance(match, re.Match) else match
    year, month, day = (int(g) for g in groups[:3])
    if not (1990 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    out = f"{year:04d}-{month:02d}-{day:02d}"
    if len(groups) > 3 and groups[3]:
        out += f"T{int(groups[3]):02d}:{int(groups[4]):02d}:{int(groups[5] or 0):02d}+08:00"
    return out


def parse_date(text: str | None) -> str | None:
    """ISO date (or datetime, China time) from a visible date string, else None."""
    if not text:
        return None
    match = _ANY_DATE_RE.search(text)
    return _iso(match) if match else None


def url_date(url: str) -> str | None:
    for pattern in _URL_DATE_RES:
        match = pattern.search(urlsplit(url).path)
        if match:
            iso = _iso(match)
            if iso:
                return iso
    return None


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _metas(sel: Selector) -> dict[str, str]:
    """<meta name=... content=...> by ASCII-lowercased name, the first one with content (one pass
    instead of one XPath per name)."""
    found: dict[str, str] = {}
    root = sel.root
    if not hasattr(root, "iter"):
        return found
    for el in root.iter("meta"):
        name, content = el.get("name"), el.get("content")
        if name is not None and content is not None:
            found.setdefault(name.translate(_ASCII_LOWER), content)
    return found


def _meta(metas: dict[str, str], name: str) -> str | None:
    value = metas.get(name.translate(_ASCII_LOWER))
    value = value.strip() if value else None
    return value or None


def _page_text(sel: Selector) -> str:
    # lxml directly: strings, not one parsel Selector per text node
    parts = sel.root.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]",
                           smart_strings=False)
    return re.sub(r"[ \t\r\f\v\u3000\xa0]+", " ", " ".join(p.strip() for p in parts if p.strip()))


def _field(text: str, label: str) -> str | None:
    match = re.search(rf"(?:{label})\s*[:：]\s*(.+?)(?=\s+\S{{2,6}}\s*[:：]|\s{{2,}}|\n|$)", text)
    if not match:
        return None
    value = match.group(1).strip()
    if re.match(r"\S{2,6}\s*[:：]", value):  # an empty field: the next label follows (文号： 发布日期：…)
        return None
    return value or None


def extract_hints(sel: Selector, url: str, *, list_date: str | None = None) -> dict[str, str]:
    """Metadata hints from an article page (all values are strings)."""
    hints: dict[str, str] = {}
    text = _page_text(sel)
    metas = _metas(sel)

    for meta_name, key in (
        ("SiteName", "site_name"),
        ("ColumnName", "column_name"),
        ("ArticleTitle", "title"),
        ("ContentSource", "content_source"),
        ("Keywords", "keywords"),
        ("i_columnid", "column_id"),
    ):
        value = _meta(metas, meta_name)
        if value:
            hints[key] = value
    if "title" not in hints:
        title = sel.css("h1::text, .title::text, .article-title::text").get()
        if title and title.strip():
            hints["title"] = title.strip()
    page_title = sel.xpath("//title/text()").get()
    if page_title and page_title.strip():
        hints["page_title"] = page_title.strip()

    for key, label in _FIELD_PATTERNS.items():
        if key in hints:
            continue
        value = _field(text, label)
        if value:
            if key == "doc_no":
                doc_match = re.match(r"(.+?号)", value)
                value = doc_match.group(1) if doc_match else value
            elif key == "index_no":
                value = value.split()[0]
            hints[key] = value
    if "doc_no" in hints:
        hints["doc_no_normalized"] = normalize_doc_no(hints["doc_no"])
    if "index_no" in hints:
        hints["index_no_normalized"] = normalize_doc_no(hints["index_no"])
    if "written_date_raw" in hints:
        written = parse_date(hints["written_date_raw"])
        if written:
            hints["written_date"] = written
    if hints.get("content_source") == "本网" and "site_name" in hints:
        hints["content_source"] = hints["site_name"]

    meta_date = _meta(metas, "PubDate")
    visible = _VISIBLE_DATE_RE.search(text)
    candidates = (
        ("meta", meta_date, parse_date(meta_date)),
        ("visible", visible.group(0) if visible else None, _iso(visible) if visible else None),
        ("url", url, url_date(url)),
        ("list", list_date, parse_date(list_date)),
    )
    for source, raw, iso in candidates:
        if iso:
            hints["published_at"] = iso
            hints["published_at_source"] = source
            hints["published_at_raw"] = raw or ""
            break
    if visible:
        hints["visible_date_raw"] = visible.group(0)

    for css in BODY_SELECTORS:
        node = sel.css(css)
        if node:
            hints["body_selector"] = css
            parts = node[0].root.xpath(".//text()[not(ancestor::style)]", smart_strings=False)
            body_text = re.sub(r"\s+", "", "".join(parts))
            if len(body_text) < 80 and "附件" in body_text:
                hints["body_is_stub"] = "true"
            break
    for css in BREADCRUMB_SELECTORS:
        crumb = sel.css(css)
        if crumb:
            parts = crumb[0].root.xpath(".//text()", smart_strings=False)
            hints["breadcrumb"] = re.sub(r"\s+", " ", " ".join(parts)).strip()
            hints["breadcrumb_selector"] = css
            break
    return hints


def _clean_name(name: str | None) -> str | None:
    if not name:
        return None
    name = re.sub(r"\s+", " ", name).strip()
    return name or None


def find_attachments(sel: Selector, base_url: str, raw_text: str) -> list[AttachmentLink]:
    """Attachment links in href, oldsrc, iframe/embed src, onclick and JavaScript strings."""
    found: dict[str, AttachmentLink] = {}

    def add(href: str | None, name: str | None, via: str) -> None:
        if not href:
            return
        href = href.strip()
        if href.startswith(("javascript:", "mailto:", "#")):
            return
        if "viewer" in href and "file=" in href:
            inner = parse_qs(urlsplit(href).query).get("file")
            if inner:
                href = inner[0]
        absolute = urljoin(base_url, href)
        if not file_url_ext(absolute):
            return
        if absolute not in found:
            found[absolute] = AttachmentLink(absolute, _clean_name(name), via)

    for anchor in sel.xpath("//a"):
        name = " ".join(anchor.xpath(".//text()").getall()) or anchor.attrib.get("title")
        add(anchor.attrib.get("href"), name, "href")
        if anchor.attrib.get("oldsrc"):
            # oldsrc is the CMS's original path; the href beside it is the published copy.
            href = anchor.attrib.get("href")
            if not (href and file_url_ext(urljoin(base_url, href))):
                add(anchor.attrib["oldsrc"], name, "oldsrc")
        onclick = anchor.attrib.get("onclick") or ""
        for match in _JS_FILE_RE.finditer(onclick):
            add(match.group(1), name, "js")
    for node in sel.xpath("//iframe[@src] | //embed[@src] | //object[@data]"):
        add(node.attrib.get("src") or node.attrib.get("data"), None, "iframe")
    for script in sel.xpath("//script[not(@src)]/text()").getall():
        for chunk in re.findall(r"<a[^>]+href=\\?[\"']([^\"'\\]+)\\?[\"'][^>]*>(.*?)</a>", script, re.S):
            add(chunk[0], re.sub(r"<[^>]+>", "", chunk[1]), "js")
        for match in _JS_FILE_RE.finditer(script):
            add(match.group(1), None, "js")
    return list(found.values())


def filename_from_disposition(value: bytes | str | None) -> str | None:
    """File name from Content-Disposition: RFC 5987 filename*, else filename as UTF-8 or GBK bytes."""
    if not value:
        return None
    raw = value if isinstance(value, bytes) else value.encode("latin-1", "replace")
    star = re.search(rb"filename\*\s*=\s*([A-Za-z0-9_\-]+)'[^']*'([^;]+)", raw)
    if star:
        charset = star.group(1).decode("ascii").lower()
        data = unquote_to_bytes(star.group(2).strip().strip(b'"').decode("latin-1"))
        for name in (charset, "utf-8", "gb18030"):
            try:
                return data.decode("gb18030" if name in ("gbk", "gb2312") else name)
            except (UnicodeDecodeError, LookupError):
                continue
    plain = re.search(rb'filename\s*=\s*"([^"]+)"|filename\s*=\s*([^;]+)', raw)
    if not plain:
        return None
    data = (plain.group(1) or plain.group(2)).strip()
    if b"%" in data:
        data = unquote_to_bytes(data.decode("latin-1"))
    for name in ("utf-8", "gb18030"):
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def filename_from_url(url: str) -> str | None:
    parts = urlsplit(url)
    for key in ("filename", "fileName", "file"):
        values = parse_qs(parts.query).get(key)
        if values:
            return unquote(values[0]).rsplit("/", 1)[-1]
    tail = unquote(parts.path.rsplit("/", 1)[-1])
    return tail or None
