"""Fields government pages print in their 信息公开 header (issuer, 文号, 索引号); titles of plain text."""

from __future__ import annotations

import re

_INDEX_NO = re.compile(r"索\s*引\s*号\s*[:：]?\s*([A-Za-z0-9][A-Za-z0-9\-/_．.]{4,60})")
_DOC_NO_LABEL = re.compile(r"(?:发文字号|文\s*号)\s*[:：]\s*([^\s:：]{2,40}?号)")
_DOC_NO = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*\d{1,5}\s*号")
_ISSUER = re.compile(r"(?:发布机构|发文机关|发布单位|发文单位|成文单位)\s*[:：]\s*([^\s:：|｜]{2,40})")
_SOURCE = re.compile(r"(?:^|\s)(?:信息)?来源\s*[:：]\s*([^\s:：|｜]{2,40})", re.MULTILINE)
_BREADCRUMB = re.compile(r"(?:>|＞|»|首页|当前位置|正文$)")
_DOC_WORDS = re.compile(r"(?:总结|计划|汇报|报告|方案|通知|意见|办法|规划|细则|决定|公告|情况)")
_TAIL_START = re.compile(
    r"^(?:来源|信息来源|责任编辑|编辑|相关(?:文章|阅读|链接|新闻)|上一篇|下一篇|【打印】|打印本页)"
)
_MARKER = re.compile(r"^#{2}\w{2,20}#{2}$")  # CMS markers left in copies, e.g. ##paidend##
_HAS_DATE = re.compile(r"(?:19|20)\d{2}[-/.年]\d{1,2}")


def index_number(text: str) -> str | None:
    match = _INDEX_NO.search(text)
    return match.group(1) if match else None


def doc_number(text: str) -> str | None:
    match = _DOC_NO_LABEL.search(text)
    if match:
        return match.group(1)
    match = _DOC_NO.search(text[:3000])
    return re.sub(r"\s+", "", match.group(0)) if match else None


def issuer(text: str) -> str | None:
    match = _ISSUER.search(text) or _SOURCE.search(text)
    return match.group(1) if match else None


def title_from_text(text: str) -> str | None:
    """A title for a plain-text document: a short line near the top, one naming a document kind first."""
    candidates: list[str] = []
    for line in text.split("\n")[:8]:
        line = line.strip()
        if not 4 <= len(line) <= 60 or _BREADCRUMB.search(line) or line[-1] in "。；，,;":
            continue
        candidates.append(line)
    for line in candidates:
        if _DOC_WORDS.search(line):
            return line
    if candidates:
        return candidates[0]
    first = text.strip().split("\n", 1)[0]
    return first[:40] or None


def trim_tail(text: str) -> str:
    """Cut a trailing block of related links (来源: ... then dated titles) that text copies of pages keep."""
    lines = [line for line in text.split("\n") if not _MARKER.match(line)]
    cutoff = int(len(lines) * 0.6)
    for i in range(len(lines) - 1, cutoff - 1, -1):
        if _TAIL_START.match(lines[i].strip()):
            rest = [line for line in lines[i + 1 :] if line.strip()]
            short = all(len(line) <= 80 for line in rest)
            dated = sum(1 for line in rest if _HAS_DATE.search(line))
            if short and (not rest or dated >= 0.5 * len(rest)):
                return "\n".join(lines[:i]).rstrip()
    return "\n".join(lines)
