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
    # Unlabelled, a document's own 文号 starts its line (穗医保规字〔2024〕1号 under the headline); one
    # inside a sentence is another document's, cited: 根据《…意见》（国发〔2015〕52号）.
    head = text[:3000]
    for match in _DOC_NO.finditer(head):
        if not head[head.rfind("\n", 0, match.start()) + 1 : match.start()].strip():
            return re.sub(r"\s+", "", match.group(0))
    return None


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


# --- 信息公开 metadata tables, bylines and page furniture -------------------------------------------

def _spaced(label: str) -> str:
    return r"\s*".join(map(re.escape, label))


# Canonical field -> the labels pages print for it.
TABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "索引号": ("索引号", "索取号"),
    "文号": ("发文字号", "文号", "发文号"),
    "发布机构": ("发布机构", "发文机关", "发文单位", "发布单位", "成文单位"),
    "主题分类": ("主题分类", "信息分类", "组配分类", "分类"),
    "成文日期": ("成文日期", "成文时间", "印发日期"),
    "发布日期": ("发布日期", "发布时间"),
    # The 信息公开 catalogue's own date: usually the day of publication, sometimes a hand-typed one
    # (生成日期, the date a law takes effect); dates.publication_date weighs it below 发布日期.
    "公开日期": ("公开日期",),
    "生效日期": ("生效日期", "实施日期"),
    "有效性": ("有效性", "时效性", "效力状态"),
    "主题词": ("主题词", "关键词"),
    "公开方式": ("公开方式",),
}
# Catalogue cells that only name the record (名称 | 语种 | 信息格式 | 内容概述 ...): read as bare label
# cells only (``<td>名称</td><td>…</td>``), never as ``label：`` in a line, where 名称 is an ordinary word.
CATALOGUE_CELLS: dict[str, tuple[str, ...]] = {
    "名称": ("名称", "信息名称", "文件名称"),
    "语种": ("语种",),
    "信息格式": ("信息格式", "载体类型", "记录形式"),
    "内容概述": ("内容概述", "内容概要", "内容摘要"),
    "相关信息": ("相关信息", "相关文件"),
    "生成日期": ("生成日期",),
    "有效期": ("有效期",),
    "公开范围": ("公开范围",),
    "公开时限": ("公开时限",),
}
_LABEL_TO_FIELD = {label: name for name, labels in TABLE_FIELDS.items() for label in labels}
_CELL_TO_FIELD = {label: name for name, labels in CATALOGUE_CELLS.items() for label in labels}
_TABLE_LABEL = re.compile(
    r"(?P<label>" + "|".join(_spaced(x) for x in sorted(_LABEL_TO_FIELD, key=len, reverse=True)) + r")"
    r"\s*[:：]\s*"
)
# A table cell holding only a label, its value in the next cell (``<td>索引号</td><td>0114…</td>``).
_BARE_LABEL = re.compile(
    r"^(?:" + "|".join(_spaced(x) for x in sorted({**_LABEL_TO_FIELD, **_CELL_TO_FIELD}, key=len,
                                                   reverse=True)) + r")$"
)


def _label_only(line: str) -> str | None:
    line = line.strip(" |｜:：")
    if not _BARE_LABEL.match(line):
        return None
    key = re.sub(r"\s+", "", line)
    return _LABEL_TO_FIELD.get(key) or _CELL_TO_FIELD[key]


def table_fields(visible: str, *, max_lines: int = 400) -> dict[str, str]:
    """Fields of a 信息公开 header (索引号, 文号, 发布机构, 主题分类, 成文日期, 发布日期, 有效性, ...).

    A value is what follows ``label：`` up to the next label on the same line, or the next line when the
    label's cell is empty (``<td>索引号：</td><td>000014349/2017-00110</td>``). The first value wins.
    """
    fields: dict[str, str] = {}
    lines = visible.split("\n")[:max_lines]
    for i, line in enumerate(lines):
        bare = _label_only(line)
        if bare is not None:
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            # (an empty cell's label is followed by the body's first sentence, which is no value)
            sentence = len(nxt) > 40 and nxt[-1] in "。！？；"
            if nxt and bare not in fields and _label_only(nxt) is None and not _TABLE_LABEL.match(nxt) \
                    and len(nxt) <= 120 and not sentence:
                fields[bare] = nxt
            continue
        found = list(_TABLE_LABEL.finditer(line))
        for j, match in enumerate(found):
            if j == 0 and len(line[: match.start()].strip()) > 12:
                continue  # a label in the middle of a sentence (…的发布时间：…) is prose, not a table
            end = found[j + 1].start() if j + 1 < len(found) else len(line)
            value = line[match.end():end].strip(" |｜")
            last = j + 1 == len(found)
            if not value and last and i + 1 < len(lines) and not _TABLE_LABEL.match(lines[i + 1]):
                value = lines[i + 1].strip()
            name = _LABEL_TO_FIELD[re.sub(r"\s+", "", match.group("label"))]
            if value and len(value) <= 120 and name not in fields:
                fields[name] = value
    if not fields.keys() & TABLE_FIELDS.keys():  # 名称 | 语种 alone is some other table, not a header
        return {}
    return fields


_BYLINE_LABELS: dict[str, tuple[str, ...]] = {
    "source": ("信息来源", "文章来源", "稿件来源", "来源"),
    "author": ("作者", "撰稿", "撰文", "文字"),
    "reviewer": ("审核人", "审核", "审稿", "终审"),
    "editor": ("责任编辑", "责编", "编辑"),
}
_BYLINE_TO_FIELD = {label: name for name, labels in _BYLINE_LABELS.items() for label in labels}
_BYLINE = re.compile(
    r"(?:^|[\s(（【\[|｜])(?P<label>"
    + "|".join(sorted(_BYLINE_TO_FIELD, key=len, reverse=True))
    + r")\s*[:：]\s*"
)
_BYLINE_STOP = re.compile(r"\s{2,}|[)）】\]|｜]|(?=\s(?:" + "|".join(_BYLINE_TO_FIELD) + r")\s*[:：])"
                          r"|(?=\s*(?:19|20)\d{2}[-年/.])|(?=\s*(?:发布|时间|日期|点击|浏览|字号))")


def bylines(visible: str) -> dict[str, str]:
    """来源 / 作者 / 审核 / 责任编辑 as source / author / reviewer / editor (the first seen wins)."""
    found: dict[str, str] = {}
    for line in visible.split("\n"):
        if len(line) > 120:
            continue
        for match in _BYLINE.finditer(line):
            rest = line[match.end():]
            value = _BYLINE_STOP.split(rest, maxsplit=1)[0].strip(" ：:")
            name = _BYLINE_TO_FIELD[match.group("label")]
            if value and len(value) <= 40 and name not in found:
                found[name] = value
    return found


BOILERPLATE = re.compile(
    r"网站地图|版权所有(?!者)|主办单位|承办单位|协办单位|ICP备|ICP证|网站标识码|公网安备|联系我们|关于我们|网站声明"
    r"|免责声明|返回顶部|打印本页|关闭窗口|【打印】|【关闭】|上一篇|下一篇|相关新闻|相关阅读|相关链接|相关文章"
    r"|分享到|扫一扫|设为首页|加入收藏|字号[:：]?\s*[【\[]?大|【大\s*中\s*小】|Copyright|©"
)
_BYLINE_LINE = re.compile(
    r"^[\s(（【\[]*(?:信息来源|文章来源|来源|责任编辑|责编|编辑|审核|作者|撰稿|记者|本报记者|素材来源|整合)"
    r"\s*[:：]?[^。！？]{0,60}$"
)


def has_boilerplate(text: str) -> bool:
    return any(BOILERPLATE.search(line) and len(line) <= 100 for line in text.split("\n"))


def _cells(line: str) -> str:
    """A line without the ``| cell | cell |`` frame trafilatura gives table rows."""
    return re.sub(r"\s*\|\s*", " ", line).strip()


# A bar of page buttons and nothing else: "[ 打印 | 关闭 ]", "【收藏】【打印】【关闭】".
_BUTTON_BAR = re.compile(
    r"^[\s\[【(（]*(?:(?:打印|打印本页|下载|关闭|关闭窗口|返回|返回顶部|收藏|分享|推荐|顶部)[\s|｜/、\\\]】)）\[【(（]*)+$"
)
# The second half of the QR-code prompt "扫一扫在手机<br>打开当前页" (the first half holds 扫一扫).
_QR_PROMPT = re.compile(r"^(?:在手机(?:上)?)?打开当前页(?:面)?$")


def is_furniture(line: str) -> bool:
    """Navigation, footer, button bars and bylines: page furniture, never body text or a headline."""
    line = _cells(line)
    if not line or _BUTTON_BAR.match(line) or _QR_PROMPT.match(line):
        return True
    marks = {m.group(0) for m in BOILERPLATE.finditer(line)}
    if marks and (len(line) <= 100 or len(marks) >= 2):
        return True
    if line.count(" - ") >= 4 or re.match(r"^\S{0,12}(?:版权|免责)(?:与免责)?声明", line):
        return True  # a navigation bar, or the legal notice under an article
    return bool(_BYLINE_LINE.match(line))


_RELATED = re.compile(
    r"^[■●◆▲>》\s]*(?:相关(?:链接|新闻|阅读|文章|报道|稿件)|延伸阅读|推荐阅读|更多(?:新闻|阅读)|上一篇|下一篇)"
)


def _cut_related_block(lines: list[str]) -> list[str]:
    """Cut a trailing related-links block: its heading, then only short lines (titles, dates)."""
    cutoff = int(len(lines) * 0.5)
    for i in range(len(lines) - 1, cutoff - 1, -1):
        if _RELATED.match(_cells(lines[i])):
            rest = [_cells(x) for x in lines[i + 1:] if _cells(x)]
            if all(len(x) <= 60 for x in rest):
                return lines[:i]
    return lines


# One entry of a directory of links (· 市委组织部, • 市教育局): a bullet and a short name, no sentence.
_DIRECTORY_ENTRY = re.compile(r"^[·•▪◦]\s*[^\s。，；！？,;]{1,20}$")
_MIN_DIRECTORY = 10


def _cut_link_directory(lines: list[str]) -> list[str]:
    """Cut a trailing directory of links (the site's list of departments under every article).

    Only a run of at least ten bulleted short names at the very end goes (blank lines inside it
    included), so a short bulleted list inside the body is kept.
    """
    end = len(lines)
    while end and not _cells(lines[end - 1]):
        end -= 1
    i, entries = end, 0
    while i and (_DIRECTORY_ENTRY.match(_cells(lines[i - 1])) or not _cells(lines[i - 1])):
        entries += bool(_cells(lines[i - 1]))
        i -= 1
    return lines[:i] if entries >= _MIN_DIRECTORY else lines


_BUTTONS = re.compile(
    r"\s*[\[【](?:上一篇|下一篇|上一页|下一页|打印|打印本页|关闭|关闭窗口|返回|返回顶部|收藏|推荐|我来说两句|"
    r"字体[:：]?\s*大\s*中\s*小|大|中|小)[\]】]\s*"
)


def _clean_line(line: str) -> str:
    """A line without bracketed page buttons and without table cells that are page furniture."""
    line = _BUTTONS.sub(" ", line).strip()
    if line.startswith("|"):
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        kept = [c for c in cells if c and not is_furniture(c)]
        line = " ".join(kept)
    return line


def _table_row(line: str, values: set[str]) -> bool:
    """A ``| label | value | label | value |`` row whose cells are all the header's labels and values."""
    if not line.startswith("|"):
        return False
    cells = [c.strip() for c in line.strip().strip("|").split("|") if c.strip()]
    return bool(cells) and any(_label_only(c) for c in cells) and all(
        _label_only(c) is not None or re.sub(r"\s+", "", c) in values for c in cells)


# The info line and the controls under a headline: "日期：2025-02-26 11:54 来源：", "分享：", "字号：".
_DATELINE = re.compile(
    r"^(?:(?:发布|发表|更新)?(?:日期|时间)\s*[:：]\s*)?(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?(?:\s+(?:信息)?来源\s*[:：]\s*\S{0,40})?$"
)
_HEADER_CONTROL = re.compile(
    r"^(?:分享(?:到)?|字号|字体|浏览(?:次数|量)?|阅读(?:次数|量)?|访问量)\s*[:：]?\s*(?:[-\d]*|(?:[\[【]?[大中小][\]】]?\s*)+)$"
)


def _drop_header_furniture(lines: list[str], title: str | None) -> list[str]:
    """Drop the dateline and share/font controls between a headline and the body it heads.

    Only the lines before the first body line are looked at (the headline, or its pieces when a <br>
    splits it, are kept and passed over), so a date or 时间 line inside the body is kept.
    """
    whole = re.sub(r"\s+", "", title or "")
    if not whole:
        return lines
    out: list[str] = []
    for i, line in enumerate(lines):
        flat = _cells(line)
        squeezed = re.sub(r"\s+", "", flat)
        if not squeezed or (len(squeezed) >= 4 and squeezed in whole):
            out.append(line)  # the headline, or one of its pieces
        elif not (is_furniture(line) or _DATELINE.match(flat) or _HEADER_CONTROL.match(flat)):
            return out + lines[i:]
    return out


def strip_page_furniture(text: str, *, table: dict[str, str], title: str | None = None) -> str:
    """Take the 信息公开 table, share bars, bylines and footer lines out of the main text.

    Only lines at the start and end of the text are trimmed (and table rows anywhere in the first
    lines), so a sentence of the body that happens to mention 版权 or 来源 is kept.
    """
    lines = [line.strip() for line in text.split("\n")]
    values = {re.sub(r"\s+", "", v) for v in table.values()}
    head = min(len(lines), 40)
    kept: list[str] = []
    if table:  # a table row of the header (| 索引号 | 0114… | 文号 | …号 |) goes as a whole
        lines = ["" if i < head and _table_row(line, values) else line for i, line in enumerate(lines)]
    lines = [_clean_line(line) for line in lines]
    for i, line in enumerate(lines):
        if i < head and table:
            squeezed = re.sub(r"\s+", "", line)
            if _TABLE_LABEL.match(line) or _label_only(line) is not None \
                    or (squeezed in values and len(squeezed) < 80):
                continue
        kept.append(line)
    kept = _cut_related_block(_cut_link_directory(kept))
    while kept and is_furniture(kept[-1]):
        kept.pop()
    start = 0
    while start < len(kept) and is_furniture(kept[start]):
        start += 1
    kept = _drop_header_furniture(kept[start:], title)
    return "\n".join(kept).strip()
