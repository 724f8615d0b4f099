"""Indicators: every economic quantity stated with a value, a growth rate or a completion rate.

The rules read the normalised working text sentence by sentence. A sentence is cut into segments at
commas, semicolons, enumeration commas and colons (outside brackets); in a segment the label is the
noun phrase before the number, stripped of time, subject and verb words. A segment with only a growth
rate or a completion rate (同比增长5.7%, 完成全年任务的150%) qualifies the indicator before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache, partial

from policywatch.core.textseg import pos_cut as cut
from processors.extract import patterns as P
from processors.extract.numbers import Quantity, parse_number, quantity
from processors.extract.vocab import (
    classify_metric,
    count_noun_pattern,
    econ_pattern,
    veto_pattern,
    zone_suffixes,
)
from schemas.extracted import Indicator

_OPEN = "(《“‘[〔【（"
_CLOSE = ")》”’]〕】）"
_SEG_DELIMS = set(",;、:，；：")
_SUB_PASSAGE = re.compile(r"[(（]其中[^()（）]*$")
_THOUSANDS = re.compile(r",\d{3}(?!\d)")

_LEAD_JUNK = re.compile(
    r"^(?:[\s\"'“”‘’]|其中|包括|另外|此外|同时|"
    r"(?:19|20)\d{2}(?:年(?:度)?)?|\d{1,2}\s*(?:-|至|~|—|–|到)\s*\d{1,2}\s*月份?|截[至止](?:目前|\d{1,2}月(?:底|末))|"
    r"[,;、(]+|[(]?其中|按(?:可比|不变)价(?:格)?计算|(?:按)?可比价|今年以来|年初以来|今年|目前|当前|上半年|下半年|前三季度|"
    r"第?[一二三四]季度|首季度?|全年|全区|全县|全市|全镇|本区|我区|该区|园区|"
    r"开发区|经开区|高新区|起步区|(?:\(直管区\))|区内|区域内|辖区内|预计|力争|确保|计划|争取|预期|将|要|年内|当年|"
    r"累计|共计|合计|总计|共有|共|"
    r"完成|实现|达到|达(?!成)|推动|推进|加快|促进|的)+"
)
_TRAIL_JUNK = re.compile(
    r"(?:较|比)(?:上年|去年|\d{4}年)(?:同期)?$|(?:\d+|\*+|[Xx]+)[笔个项件次]$"
    r"|(?:为|是|共|各|将|要|可|达到|达|完成|实现|累计|合计|总计|全年|同比|力争|预计|预期|可望|有望)+$"
)
_VERB_SPLIT = re.compile(r"完成|实现|达到|累计|共计|合计|总计|获得|(?<!营)为|达(?!成)")
_ACQ = re.compile(
    r"^(?:新增|净增|新培育|培育|引进|新引进|新签约|签约|新开工|开工|投产|入驻|落户|现有|拥有|共有|有|新建|储备|"
    r"谋划储备|在谈|在建|注册|累计注册|新注册|集聚|聚集|招引|新招引)$"
)
_BARE_MEASURE = re.compile(r"增加值|总产值|产值|营业收入|税收|利润")
_SUBJECT = re.compile(r"第[一二三]产业|[\u4e00-\u9fff]{2,6}业")
_RATIO = re.compile(r"率|占比|比重|比例")
_ADVERBIAL = {"投资", "投入", "资金", "出资"}
_STATE = re.compile(r"在谈|在建|现有|已有|已投产|存量")
_TOPIC_WORDS = re.compile(r"[\s\d年月份日至\-—–~到截止底末上下半前一二三四五六七八九十第首季度全今以来]*")
_PAREN = re.compile(r"\([^()]*\)|（[^（）]*）|〔[^〔〕]*〕|\[[^\[\]]*\]")
_POST_NOUN = re.compile(r"^([^\d,;、:。()]{0,16}?(?:企业|项目|公司|工厂|主体))([^\d,;、:。]{0,20})")
_VERBISH = {"v", "d", "ad", "vd", "p"}
# the verbs that make a count of firms or projects an indicator (签约, 引进, 开工…)
_COUNT_SIGNAL = re.compile(r"签约|签订|引进|招引|新开工|开工|竣工|投产|在谈|在建|入驻|落户|新增|新设|注册")
_THRESHOLD_AFTER = re.compile(
    r"^(?:以上|及以上|级)?(?:的)?[^\d,;、:。]{0,6}?(?:项目|企业|公司)"
    r"|^、(?:约|近)?[\d.]+(?:万亿|亿|万)?(?:元|美元)(?:以上|及以上)?[^\d,;、:。]{0,6}?(?:项目|企业)"
)


@dataclass
class _Draft:
    kind: str  # money | count | growth | ratio | completion
    label: str
    start: int  # working-text offset where the label starts
    end: int
    sentence: int
    segment: int
    value: float | None = None
    unit: str | None = None
    value_normalized: float | None = None
    currency: str | None = None
    growth_pct: float | None = None
    growth_basis: str | None = None
    completion_pct: float | None = None
    approx: bool = False
    redacted: bool = False
    has_growth: bool = False
    scope: str = "actual"
    period: str | None = None
    year: int | None = None
    extra: dict = field(default_factory=dict)


def _growth_draft(label: str, start: int, *, end: int, sentence: int, segment: int,
                  growth: tuple[float | None, str, bool], approx: bool) -> _Draft:
    """A draft that states only a growth (增长12.5%) of the measure named by ``label``."""
    pct, basis, redacted = growth
    return _Draft(kind="growth", label=label, start=start, end=end, sentence=sentence, segment=segment,
                  growth_pct=pct, growth_basis=basis, redacted=redacted, approx=approx, has_growth=True)


@dataclass
class Context:
    """Document-level facts the indicator rules use."""

    doc_year: int | None = None
    subjects: tuple[str, ...] = ()  # zone names to strip from the start of labels
    sections: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, title) level-1
    head_frame: tuple[str | None, int | None] = (None, None)  # period and year stated by the title


# the only characters the two scans below act on: jumping from one to the next skips the rest of the text
_SEG_CHARS = re.compile("[" + re.escape(_OPEN + _CLOSE + "".join(sorted(_SEG_DELIMS))) + "]")
_PAREN_CHARS = re.compile(r"[(（〔\[)）〕\]]")


def _segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    segs = []
    depth = 0
    seg_start = start
    for m in _SEG_CHARS.finditer(text, start, end):
        ch = m.group()
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            i = m.start()
            if ch == "," and i > 0 and text[i - 1].isdigit() and _THOUSANDS.match(text, i):
                continue  # 5,335.64亿元: a thousands separator, not a comma
            segs.append((seg_start, i))
            seg_start = i + 1
    segs.append((seg_start, end))
    return segs


def _paren_mask(text: str, start: int, end: int) -> list[bool]:
    """mask[i - start]: is text[i] inside brackets (the brackets included)."""
    mask = [False] * (end - start)
    depth = 0
    open_at = 0
    for m in _PAREN_CHARS.finditer(text, start, end):
        i = m.start() - start
        if m.group() in "(（〔[":
            if depth == 0:
                open_at = i
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                mask[open_at : i + 1] = [True] * (i + 1 - open_at)
    if depth > 0:
        mask[open_at:] = [True] * (len(mask) - open_at)
    return mask


@lru_cache(maxsize=16384)
def _clean_label(raw: str, subjects: tuple[str, ...]) -> tuple[str, int]:
    """Return (label, offset of the label inside raw)."""
    s = _PAREN.sub(lambda m: "\0" * len(m.group()), raw)
    offset = 0
    while True:
        before = offset
        m = _LEAD_JUNK.match(s, offset)
        if m and m.end() > offset:
            offset = m.end()
        while offset < len(s) and s[offset] == "\0":
            offset += 1
        for subj in subjects:
            if subj and s.startswith(subj, offset):
                offset += len(subj)
        if offset == before:
            break
    body = s[offset:]
    # keep what follows the last verb ("累计完成固定资产投资" -> "固定资产投资")
    last = None
    for m in _VERB_SPLIT.finditer(body):
        if m.end() < len(body):
            last = m
    if last is not None:
        subject = body[: last.start()]
        offset += last.end()
        body = body[last.end() :]
        if _BARE_MEASURE.fullmatch(body) and _SUBJECT.fullmatch(subject):
            offset -= len(subject) + (last.end() - last.start())
            body = subject + body  # the measure of a named sector (第一产业增加值)
        m2 = _LEAD_JUNK.match(body)
        if m2 and m2.end() < len(body):
            offset += m2.end()
            body = body[m2.end() :]
    body = _TRAIL_JUNK.sub("", body)
    body = _TRAIL_JUNK.sub("", body)
    label = re.sub("[\"'“”‘’]", "", body.replace("\0", "")).strip()
    if len(label) == 1:
        # a sub-item named only by its verb (其中…已完成**项): keep the words as written
        label = re.sub("[\"'“”‘’\0]", "", raw).strip()
        label = re.sub(r"^(?:其中|包括)", "", label)
        return label, len(raw) - len(raw.lstrip()) if label else 0
    return label, offset


_SHARE = re.compile(
    r"^占|[\u4e00-\u9fff]占[^,;:。]{1,14}$|(?:比重|占比|比例)(?:依次|分别)?(?:为|达到|达|是)?$"
)
_RATE_WORDS = re.compile(r"(?:产销|开工|投产|入园|到位|竣工|转化|贡献|占有|出租|完成)率|集聚度|集中度")


def _is_ratio(label: str, local: list) -> bool:
    """占全市的34.3%, 比重为53.6%, 产销率97.51%: a share or rate of an economic quantity. A share that names
    no quantity (占全国) is the share of the indicator just before it."""
    if veto_pattern().search(label) or re.search(r"增速|增幅|增长|百分点", label):
        return False
    if _RATE_WORDS.search(label):
        return True
    if _SHARE.search(label) or _RATIO.search(label):
        return _is_economic(label) or bool(local)
    return False


# a named industry: its growth is an indicator (医药制造业同比增长20.9%, 电力供应业同比增长6.5%)
_INDUSTRY = re.compile(
    r"(?!.*(?:行业|专业|企业|就业|物业))[\u4e00-\u9fff、]{1,16}(?:制造业|制品业|供应业|加工业|服务业|"
    r"[^行专企就物]业)"
)


@lru_cache(maxsize=8192)
def _is_place(label: str) -> bool:
    from processors.extract.gazetteer import find_places

    places = find_places(label)
    return bool(places) and places[0][0] == 0 and places[0][1] == len(label)


def _is_economic(label: str) -> bool:
    return bool(econ_pattern().search(label)) and not veto_pattern().search(label)


def _approx(m: re.Match[str]) -> bool:
    g = m.groupdict()
    pre = g.get("pre") or ""
    return bool(
        pre in ("约", "近", "超过", "超", "突破", "逾", "多达")
        or g.get("yu1")
        or g.get("yu2")
        or (g.get("post") in ("以上", "左右", "多"))
    )


def _growth_of(m: re.Match[str]) -> tuple[float | None, str, bool]:
    num = parse_number(m.group("num"))
    unit = m.group("gu")
    verb = m.group("verb")
    basis = m.group("basis") or ""
    if num is not None:
        if unit == "倍":
            num = num * 100
        elif unit == "成":  # 9成半 = 95%, 7成3 = 73%
            tenth = m.group("cheng")
            num = num * 10 + (5 if tenth == "半" else int(tenth) if tenth else 0)
        if verb in ("下降", "减少", "降低", "回落", "衰退", "下滑", "降幅", "年减"):
            num = -num
        if m.group("sign"):
            num = -num
        num = round(num, 4)
    if unit == "个百分点":
        b = "percentage_points"
    elif basis == "两年平均":
        b = "two_year_average"
    elif basis in ("年均", "年平均"):
        b = "annual_average"
    else:
        b = "yoy"
    return num, b, num is None


class _Mention:
    __slots__ = ("kind", "m", "start", "end", "negated")

    def __init__(self, kind: str, m: re.Match[str]):
        self.negated = False  # a list member written -3.7%
        self.kind = kind
        self.m = m
        self.start = m.start()
        self.end = m.end()


_HAS_DIGIT = re.compile(r"\d")
_RANK = re.compile(r"第\d+[位名]|\d+个百分点")
_LABEL_ACRONYM = re.compile(r"(?:GDP|gdp|R&D)$")
_HAS_NUMBER = re.compile(r"[\d*×Xx]|[零〇一二两三四五六七八九十百千]余?[万亿千]")
_RXS = (
    ("growth", P.GROWTH),
    ("completion", P.COMPLETION),
    ("completion_rate", P.COMPLETION_RATE),
    ("value", P.VALUE),
    ("percent", P.PERCENT),
)


# a literal each pattern needs: a sentence without it is not scanned with that pattern (the patterns open
# with optional groups, so the regex engine cannot skip ahead on its own)
_NEEDS = {
    "growth": ("%", "倍", "成", "百分点", "增长"),
    "completion": ("完成", "占"),
    "completion_rate": ("完成率",),
    "percent": ("%",),
}


_PCT_VERBS = {"增长", "下降", "增幅", "增速", "比增", "降幅"}


def _mentions(text: str, a: int, b: int) -> list[_Mention]:
    found: list[_Mention] = []
    span = text[a:b]
    for kind, rx in _RXS:
        needs = _NEEDS.get(kind)
        if needs and not any(w in span for w in needs):
            continue
        for m in rx.finditer(text, a, b):
            found.append(_Mention(kind, m))
    found.sort(key=lambda x: (x.start, -(x.end - x.start)))
    out: list[_Mention] = []
    taken_end = -1
    for mention in found:
        if mention.start < taken_end:
            continue
        s = mention.m.start("num")
        in_code = s > 0 and text[s - 1].isascii() and (text[s - 1].isalnum() or text[s - 1] == ".")
        if in_code and not _LABEL_ACRONYM.search(text, max(0, s - 8), s):
            continue  # part of a code such as 2V95 or 220KV (but GDP762亿元 is a label and a value)
        if mention.kind == "value" and mention.m.group("num")[0] in "Xx×*" and s > 0 and text[s - 1] in "第":
            continue
        lost_pct = mention.kind == "growth" and not mention.m.group("gu")
        if lost_pct and mention.m.group("verb") not in _PCT_VERBS:
            continue  # a bare number is a growth whose % sign was lost only after 增长/下降/增幅
        out.append(mention)
        taken_end = mention.end
    return out


def _post_noun_label(text: str, end: int, seg_end: int) -> tuple[str, str] | None:
    m = _POST_NOUN.match(text[end:seg_end])
    if not m:
        return None
    return m.group(1), m.group(2)


_PARAGRAPH = re.compile(r"[^\n]+")
_HEAD_REACH = 400  # a topic period in the first paragraphs frames the whole text
_SENTENCE = re.compile(r"[^。!?！？\n]+")


def extract_indicators(text: str, ctx: Context) -> list[_Draft]:
    drafts: list[_Draft] = []
    subjects = tuple(sorted({s for s in ctx.subjects if s}, key=len, reverse=True))
    sent_id = 0
    doc_frame: tuple[str | None, int | None] = ctx.head_frame
    preamble_frame: tuple[str | None, int | None] = (None, None)
    for para in _PARAGRAPH.finditer(text):
        # without sections the text is one passage: a period set at its head frames what follows; with
        # sections, only a period set in topic position before the first heading does
        preamble = ctx.sections and para.start() < ctx.sections[0][0]
        frame = doc_frame if not ctx.sections else (preamble_frame if not preamble else (None, None))
        for sent in _SENTENCE.finditer(text, para.start(), para.end()):
            s0, s1 = sent.span()
            _sentence(text, s0, s1, frame, sent_id, subjects, ctx, drafts)
            frame = _next_frame(text, s0, s1, frame, ctx.doc_year)
            sent_id += 1
        if not ctx.sections and frame != doc_frame and para.start() < _HEAD_REACH:
            doc_frame = frame
        if preamble and frame != (None, None):
            preamble_frame = frame
    return _dedupe(drafts)


# what a clause says about its measure before the growth follows (出现负增长, 一举扭转…, 继续保持…)
_COMMENT = re.compile(r"出现|一举|继续|保持|呈现|扭转|实现了|持续|稳步|大幅|快速")


def _lead_measure(text: str, a: int, b: int, subjects: tuple[str, ...]) -> tuple[str, int] | None:
    """The measure a clause opens with when the rest of it only comments on it: (label, start)."""
    m = _COMMENT.search(text, a, b)
    if m is None or m.start() == a:
        return None
    label, off = _clean_label(text[a : m.start()], subjects)
    if not label or len(label) > 20 or not _is_economic(label) or _HAS_DIGIT.search(label):
        return None
    return label, a + off


def _sentence(text, s0, s1, frame, sent_id, subjects, ctx, drafts) -> None:
    if not _HAS_NUMBER.search(text, s0, s1):
        return
    all_mentions = _mentions(text, s0, s1)
    if not all_mentions:
        return
    segs = _segments(text, s0, s1)
    mask = _paren_mask(text, s0, s1)
    local: list[_Draft] = []
    in_sub = False  # after 其中: sub-items of the indicator before
    # 入库147家。其中工业4家、建筑业56家…: a sentence opened by 其中 breaks down the count before it
    carried = (
        drafts[-1]
        if drafts and drafts[-1].sentence == sent_id - 1 and drafts[-1].kind == "count"
        and text[s0:s1].lstrip().startswith("其中")
        else None
    )
    k = 0
    for seg_idx, (a, b) in enumerate(segs):
        if text.startswith("其中", a) or text[a:b].lstrip().startswith("其中"):
            in_sub = True
        mentions = []
        while k < len(all_mentions) and all_mentions[k].start < b:
            if all_mentions[k].end <= b:
                mentions.append(all_mentions[k])
            k += 1
        cursor = a
        for mention in mentions:
            if mask[mention.start - s0] and not _SUB_PASSAGE.search(text, s0, mention.start):
                continue  # an aside in brackets; a bracketed 其中… passage states indicators of its own
            raw = text[cursor : mention.start]
            label, off = _clean_label(raw, subjects)
            label_start = cursor + off
            sub_zone = None
            main = ctx.subjects[:1]
            bare = _clean_label(raw, ())[0] if label != raw else label
            zone_name, rest = _zone_prefix(bare, main)
            if not zone_name and bare and bare not in main and _area().fullmatch(bare):
                zone_name, rest = bare, ""  # 南区完成251.18亿元, 高新区完成266.36亿元: one area's figure
            area = None if zone_name or label else _area().match(raw.strip())
            if area and area.group() not in main and not _clean_label(raw.strip()[area.end() :], ())[0]:
                zone_name, rest = area.group(), ""  # 高新区完成266.36亿元: the type word alone is the area
            if zone_name:
                base = rest or _base_label(local, drafts, sent_id)
                if base:
                    label, sub_zone = base, zone_name  # 其中:东川工业园区增长15.43%: a sub-zone's figure
            n_before = len(local)
            prev = local[-1] if local else None
            adjacent = prev is not None and (
                prev.segment >= seg_idx - 1
                or (
                    mention.kind == "growth"
                    and mention.start - prev.end < 40
                    and not re.search(r"\d", _RANK.sub("", text[prev.end : mention.start]))
                )
            )
            m = mention.m
            if mention.kind == "growth":
                g, basis, red = _growth_of(m)
                approx = bool(m.group("pre") or m.group("post"))
                grown = partial(_growth_draft, end=mention.end, sentence=sent_id, segment=seg_idx,
                                growth=(g, basis, red), approx=approx)
                if not label or label in ("均", "同比", "分别"):
                    targets: list[_Draft] = []
                    if label == "均" or raw.strip().startswith("均"):
                        targets = [d for d in local if not d.has_growth]
                    elif prev is not None and not prev.has_growth and adjacent and prev.kind != "growth":
                        targets = [prev]
                    elif (
                        prev is not None
                        and prev.has_growth
                        and adjacent
                        and basis in ("two_year_average", "annual_average")
                        and prev.growth_basis != basis
                    ):
                        # 比上年增长6.2%,两年平均增长4.4%: a second growth on another basis
                        local.append(grown(prev.label, mention.start, approx=False))
                    if not targets and prev is None and seg_idx > 0 and not local:
                        # 固定资产投资一举扭转连续三年下降趋势,增长1.4%: the clause before names the measure
                        lead = _lead_measure(text, *segs[seg_idx - 1], subjects)
                        if lead is not None:
                            local.append(grown(lead[0], lead[1]))
                    for d in targets:
                        d.growth_pct, d.growth_basis, d.has_growth = g, basis, True
                        d.redacted = d.redacted or red
                        d.approx = d.approx or (approx and d.value is None)
                        d.end = max(d.end, mention.end)
                        d.segment = seg_idx
                elif (
                    not _is_economic(label)
                    and _is_place(label)
                    and (base := _base_label(local, drafts, sent_id))
                ):
                    label = base  # 其中郑州市增长74.0%: a place's figure of the measure before it
                    local.append(grown(label, label_start))
                elif (
                    not _is_economic(label)
                    and not veto_pattern().search(label)
                    and prev is not None
                    and adjacent
                    and not prev.has_growth
                    and prev.kind in ("money", "count")
                    and not _INDUSTRY.fullmatch(label)
                ):
                    # 出口达1兆3,672亿元,较102年成长2.04%: the words between are no label of their own
                    prev.growth_pct, prev.growth_basis, prev.has_growth = g, basis, True
                    prev.end = max(prev.end, mention.end)
                    prev.segment = seg_idx
                elif _is_economic(label) or (
                    _INDUSTRY.fullmatch(label)
                    and not veto_pattern().search(label)
                    and basis != "percentage_points"
                ):
                    local.append(grown(label, label_start))
            elif mention.kind == "completion":
                c = parse_number(m.group("num"))
                if prev is not None and adjacent and prev.completion_pct is None:
                    prev.completion_pct = c
                    prev.redacted = prev.redacted or c is None
                    prev.end = max(prev.end, mention.end)
                    prev.segment = seg_idx
            elif mention.kind == "completion_rate":
                c = parse_number(m.group("num"))
                lab = re.sub(r"^\d+个", "", label)
                lab_full = (lab + "完成率") if lab else "完成率"
                if not lab or _is_economic(lab_full):
                    d = _Draft(
                        kind="completion",
                        label=lab_full,
                        start=label_start,
                        end=mention.end,
                        sentence=sent_id,
                        segment=seg_idx,
                        value=c,
                        unit="%",
                        completion_pct=c,
                        redacted=c is None,
                        scope="completion_rate",
                    )
                    local.append(d)
            elif mention.kind == "value":
                consumed = _value(
                    text,
                    m,
                    mention,
                    label,
                    label_start,
                    raw,
                    prev,
                    adjacent,
                    seg_idx,
                    b,
                    sent_id,
                    s0,
                    in_sub,
                    local,
                    carried,
                )
                if not consumed:
                    continue  # a size class (超10亿元项目) stays part of the next label
            elif mention.kind == "percent" and label and _is_ratio(label, local):
                v = parse_number(m.group("num"))
                local.append(
                    _Draft(
                        kind="ratio",
                        label=label,
                        start=label_start,
                        end=mention.end,
                        sentence=sent_id,
                        segment=seg_idx,
                        value=v,
                        unit="%",
                        redacted=v is None,
                        approx=_approx(m),
                    )
                )
            cursor = mention.end
            if sub_zone and len(local) > n_before:
                local[-1].extra["zone"] = sub_zone
    _lists(text, s0, all_mentions, mask, local, sent_id)
    _pair_growth_runs(text, all_mentions, local)
    _regrow(local)
    for d in local:
        _resolve_context(text, d, s0, frame, ctx)
    if text[s0:s1].lstrip().startswith("其中") and drafts and drafts[-1].sentence == sent_id - 1:
        # 其中,第一产业增加值…: the parts of a total take the total's period
        total = drafts[-1]
        for d in local:
            if d.period is None and total.period:
                d.period, d.year = total.period, total.year
    drafts.extend(local)


_CHANGE = re.compile(r"^(?:较|比)?(?:上年|去年)?(?:同期)?(?:增收|减收|增加|净增|多收)")


_DOWN_VERBS = {"下降", "减少", "降低", "回落", "衰退", "下滑", "降幅", "年减"}
_GROWTH_SEP = re.compile(r"[\s,，、和及与]*")


def _pair_growth_runs(text: str, mentions: list[_Mention], local: list[_Draft]) -> None:
    """东部…608.3亿美元,中部…100.7亿美元,西部…43.13亿美元,同比分别增长16.02%,29.14%,和43.48%; 内资15.5亿元、
    外资4101万美元,同比增长18%、17.17%: a run of growths after as many values pairs with them in order."""
    runs: list[list[_Mention]] = []
    for m in mentions:
        # a run opens with a growth; the members after it are growths or bare percentages (…增长16.02%,29.14%)
        joins = runs and runs[-1] is not None and _GROWTH_SEP.fullmatch(text, runs[-1][-1].end, m.start)
        if m.kind == "growth" and not joins:
            runs.append([m])
        elif m.kind in ("growth", "percent") and joins:
            runs[-1].append(m)
        else:
            runs.append(None)  # type: ignore[arg-type]  # anything else ends the run
    for run in filter(None, runs):
        k, start = len(run), run[0].start
        if k < 2 or any(d.kind == "growth" and d.start >= start for d in local):
            continue
        before = [d for d in local if d.start < start]
        cand = before[-k:]
        if len(cand) < k or any(d.kind not in ("money", "count") or d.has_growth for d in cand[:-1]):
            continue
        first = _growth_of(run[0].m)
        if cand[-1].has_growth and cand[-1].growth_pct != first[0]:
            continue
        negative = run[0].m.group("verb") in _DOWN_VERBS
        for d, mention in zip(cand, run, strict=True):
            if mention.kind == "growth":
                g, basis, red = _growth_of(mention.m)
            else:
                g, basis, red = parse_number(mention.m.group("num")), first[1], False
                if g is None:
                    red = True
                elif negative != (text[mention.m.start("num") - 1] in "-−"):
                    g = -g
            d.growth_pct, d.growth_basis, d.has_growth = g, basis, True
            d.redacted = d.redacted or red


def _regrow(local: list[_Draft]) -> None:
    """税收51.4亿元,较上年同期增收16.09亿元,增长45.57%; GDP337.43亿元,占全市19.4%,增长7.6%: a growth
    rate written after an absolute change or a share belongs to the value before them."""
    for i in range(1, len(local)):
        d, prev = local[i], local[i - 1]
        if not (d.has_growth and d.growth_pct is not None) or d.kind not in ("money", "count", "ratio"):
            continue
        if not (d.kind == "ratio" or _CHANGE.match(d.label)):
            continue
        if prev.has_growth or prev.kind not in ("money", "count") or _CHANGE.match(prev.label):
            continue
        prev.growth_pct, prev.growth_basis, prev.has_growth = d.growth_pct, d.growth_basis, True
        d.growth_pct, d.growth_basis, d.has_growth = None, None, False


_YEAR_RANGE = re.compile(r"((?:19|20)\d{2})\s*(?:年)?\s*[—\-–~至到]+\s*((?:19|20)\d{2})年")
_LIST_MEASURE = re.compile(r"(?:贡献率|比重|占比|增速|增幅)$")
_LIST_SEP = re.compile(r"[\s、和及与]*")
_LIST_CUE = re.compile(
    r"(?:分别|依次)(?P<share>占[^,;:。\d]{1,10}?)?(?:的)?"  # 分别占全市比重的72.5%、82%和92%
    r"(?:为|是|达到|达|比上年同期|比上年|比去年同期|较上年同期|同比|增长|下降|完成)*$"
)
_NAME_SPLIT = re.compile(r"、|和|及|与")
_NAME_JUNK = re.compile(
    r"^(?:其中|对|我国对|全区|全市|分别|同比|共|上半年|今年|“[^”]{1,8}”即)+"
    r"|(?:[一二三四五六七八九十\d]+项)?(?:主要|各项)?(?:经济)?指标|(?:同比|分别)+$"
)
_TAIL = re.compile(r"(进出口|出口|进口|营业收入|营收|产值|增加值|投资|税收)$")


def _list_class(mention: _Mention) -> str | None:
    if mention.kind == "value":
        return "value"
    if mention.kind in ("growth", "percent"):
        return "pct"
    return None


def _runs(text: str, mentions: list[_Mention], mask, s0: int) -> list[list[_Mention]]:
    """Numbers listed one after another (3.38万亿元、3.23万亿元和2.82万亿元): runs of two or more."""
    runs: list[list[_Mention]] = []
    cur: list[_Mention] = []
    for m in mentions:
        if mask[m.start - s0] or _list_class(m) is None:
            if len(cur) > 1:
                runs.append(cur)
            cur = []
            continue
        if cur and _list_class(cur[-1]) == _list_class(m):
            gap = text[
                cur[-1].end : m.start
                if m.kind != "percent"
                else m.m.start("num") - (len(m.m.group("pre") or ""))
            ]
            gap = re.sub(r"^[为达到]+|[为达到]+$", "", gap)
            minus = gap.endswith(("-", "−")) and m.kind == "percent"  # 9.7%、-3.7%、5.2%: a negative member
            gap = gap[:-1] if minus else gap
            if _LIST_SEP.fullmatch(gap) and (m.kind != "growth" or not m.m.group("verb")):
                m.negated = minus
                cur.append(m)
                continue
        if len(cur) > 1:
            runs.append(cur)
        cur = [m]
    if len(cur) > 1:
        runs.append(cur)
    return runs


def _member_value(m: _Mention, negative: bool) -> float | None:
    if m.kind == "growth":
        return _growth_of(m.m)[0]
    v = parse_number(m.m.group("num"))
    return -v if (v is not None and negative != m.negated) else v


def _names_before(text: str, s0: int, cue_start: int, k: int = 0) -> tuple[list[str], int]:
    """The items a list enumerates before its cue (医药制造业、烟草制品业同比分别增长…); given the
    list's length k, a 和 inside a name (计算机通信和其他电子设备制造业) is kept if splitting overshoots."""
    stop = max(text.rfind(ch, s0, cue_start) for ch in ",;:，；：。") + 1
    start = max(stop, s0)
    body = _NAME_JUNK.sub("", text[start:cue_start].strip())
    names = [n.strip() for n in _NAME_SPLIT.split(body) if n.strip()]
    if k and len(names) > k and "、" in body:
        parts = [n.strip() for n in body.split("、") if n.strip()]
        last = _NAME_SPLIT.split(parts[-1])
        if len(parts) < k and len(last) == 2:
            parts = [*parts[:-1], last[0].strip(), last[1].strip()]
        if len(parts) == k:
            names = parts
    return names, start


def _lists(text: str, s0: int, mentions: list[_Mention], mask, local: list[_Draft], sent_id: int) -> None:
    """分别/依次 lists: pair each listed number with its own label, or each growth with its indicator."""
    last_periods: list[str | None] = []  # the periods a list before in the sentence enumerated
    last_label = ""
    for run in _runs(text, mentions, mask, s0):
        first = run[0]
        before = text[s0 : first.start]
        if first.kind == "growth":
            before = text[s0 : first.start] + text[first.start : first.m.start("verb")]
        cue = _LIST_CUE.search(before)
        inner = first.kind == "growth" and re.search(r"分别|依次", first.m.group())
        if not cue and not inner and first.kind != "value":
            continue
        k = len(run)
        made = {d.end for d in local}
        if _list_class(first) == "pct":
            is_growth = first.kind == "growth" or bool(re.search(r"增速|增幅|增长|增", before[-12:]))
            negative = first.kind == "growth" and (_growth_of(first.m)[0] or 0) < 0
            values = [_member_value(m, negative) for m in run]
            if is_growth:
                # undo a first growth attached to the indicator right before the cue
                for d in local:
                    if d.end == first.end and d.kind != "growth" and d.start < first.start:
                        d.growth_pct, d.has_growth, d.growth_basis = None, False, None
                targets = [
                    d for d in local if d.start < first.start and not d.has_growth and d.kind != "ratio"
                ]
                if len(targets) >= k:
                    for d, g in zip(targets[-k:], values, strict=True):
                        d.growth_pct, d.growth_basis, d.has_growth = g, "yoy", True
                    continue
            names, nstart = _names_before(text, s0, s0 + (cue.start() if cue else len(before)), k)
            tail = ""
            periods = [_period_of(n, 0, len(n)) for n in names]
            if len(names) == k and names:
                t = _TAIL.search(names[-1]) or re.search(r"(GDP增速|增速|比重|GDP)$", names[-1])
                tail = t.group(1) if t else ""
            years = _YEAR_RANGE.search(before)
            if len(names) != k and years and int(years.group(2)) - int(years.group(1)) + 1 == k and is_growth:
                # 2010—2014年…实际利用外资金额增速分别为17.4%、9.7%…: one growth a year
                measure = re.sub(
                    r"^[^\u4e00-\u9fff]*", "", before[years.end() : cue.start() if cue else None]
                )
                measure = re.sub(r"^(?:我国|全国|全区|全市)", "", measure)
                if not _is_economic(measure):
                    continue
                local[:] = [d for d in local if not any(d.end == m.end for m in run)]
                for i, (m, v) in enumerate(zip(run, values, strict=True)):
                    d = _Draft(
                        kind="growth",
                        label=measure,
                        start=m.start,
                        end=m.end,
                        sentence=sent_id,
                        segment=-1,
                        growth_pct=v,
                        growth_basis="yoy",
                        has_growth=True,
                    )
                    d.extra["period"], d.extra["year"] = "全年", int(years.group(1)) + i
                    local.append(d)
                continue
            if len(names) == k and all(periods):
                last_periods = periods
            if not names and first.kind == "growth" and cue is None:
                # ,两年平均增速分别为4.7%、…: the measure is written inside the first member
                names = [re.split(r"分别|依次", first.m.group())[0]]
            measure_only = len(names) == 1 and k > 1 and (
                len(last_periods) == k or _LIST_MEASURE.search(names[0])
            )
            if len(names) != k and not measure_only:
                continue
            label_period = None
            for i, (m, v) in enumerate(zip(run, values, strict=True)):
                first_made = m.end in made and i == 0 and not is_growth
                if first_made and not (cue is not None and cue.group("share") and len(names) == k):
                    continue
                if measure_only:
                    # …GDP增速分别为18.8%、9.6%…,两年平均增速分别为4.7%、5.0%…: the same items again;
                    # 对GDP的贡献率分别为36.9%、36.8%和26.3%: one measure of the items named before
                    same = len(last_periods) == k
                    label = last_label if same and not _LIST_MEASURE.search(names[0]) else names[0]
                    label_period = last_periods[i] if same else None
                elif all(periods) and tail:
                    label, label_period = tail, periods[i]
                else:
                    name = names[i]
                    label = name if (not tail or name.endswith(tail)) else name + tail
                    if cue is not None and cue.group("share") and not is_growth:
                        label += cue.group("share").removesuffix("的")  # …进出口总额占全市比重
                if veto_pattern().search(label) or not (
                    _is_economic(label)
                    or label.endswith("业")
                    or (measure_only and _LIST_MEASURE.search(label))
                ):
                    continue
                if first_made:
                    # the first member was read before the list was seen: it takes its own name
                    for d in local:
                        if d.end == m.end and d.kind == "ratio":
                            d.label = label
                    continue
                # a new draft per member (drop one the first member may have produced under the last name)
                local[:] = [d for d in local if not (d.end == m.end and d.start >= nstart)]
                d = _Draft(
                    kind="growth" if is_growth else "ratio",
                    label=label,
                    start=m.start,
                    end=m.end,
                    sentence=sent_id,
                    segment=-1,
                    growth_pct=v if is_growth else None,
                    growth_basis="yoy" if is_growth else None,
                    value=None if is_growth else v,
                    unit=None if is_growth else "%",
                    has_growth=is_growth,
                )
                if label_period:
                    d.extra["period"] = label_period
                if measure_only and first.kind == "growth" and "两年" in (first.m.group("basis") or ""):
                    d.growth_basis = "two_year_average"
                if len(names) == k and label_period:
                    last_label = label
                local.append(d)
            continue
        # a run of values
        base = next((d for d in local if d.end == first.end and d.kind in ("money", "count")), None)
        names, nstart = _names_before(text, s0, s0 + (cue.start() if cue else len(before)))
        tail_m = _TAIL.search(names[-1]) if names and cue else None
        for i, m in enumerate(run):
            if m.end in made and not (tail_m and len(names) == k):
                continue
            mult = m.m.group("mult") or ""
            q = quantity(m.m.group("num"), mult + m.m.group("base"))
            if q.kind == "other":
                continue
            if tail_m and len(names) == k:
                name = names[i]
                label = name if name.endswith(tail_m.group(1)) else name + tail_m.group(1)
                local[:] = [d for d in local if d.end != m.end]
            elif base is not None:
                label = base.label
            else:
                continue
            unit_out = re.sub(r"^[\d.,\s]+|^[*Xx×]+", "", text[m.m.start("num") : m.end]).replace("余", "")
            local.append(
                _Draft(
                    kind=q.kind,
                    label=label,
                    start=m.start,
                    end=m.end,
                    sentence=sent_id,
                    segment=-1,
                    value=q.value,
                    unit=re.sub(r"(以上|左右|多)$", "", unit_out),
                    value_normalized=q.value_normalized,
                    currency=base.currency if base else q.currency,
                    redacted=q.redacted,
                    approx=_approx(m.m),
                )
            )
        local.sort(key=lambda d: d.start)


_AREA_FORMS = r"[东西南北中][区园]|[\u4e00-\u9fff]{0,4}(?:高新区|经开区|开发区|保税区|新区|园区)"


@lru_cache(maxsize=1)
def _area() -> re.Pattern[str]:
    """A label that is only an area's name: 南区, 高新区, or a zone written by its abbreviation (中科园区, and
    中科 without its 园区)."""
    named = [s for s, kind in zone_suffixes() if kind == "named"]
    short = [s[:-2] for s in named if s.endswith("园区")]
    return re.compile("|".join([_AREA_FORMS, *map(re.escape, named + short)]))


@lru_cache(maxsize=8192)
def _zone_prefix(label: str, subjects: tuple[str, ...]) -> tuple[str | None, str]:
    """(sub-zone, rest of the label) when the label opens with a zone other than the text's own."""
    if not label:
        return None, ""
    from processors.extract.facts import find_zones

    for z in find_zones(label):
        if z.start == 0 and z.name not in subjects and not z.generic and len(z.name) >= 4:
            return z.name, label[z.end :]
    return None, ""


def _base_label(local: list[_Draft], drafts: list[_Draft], sent_id: int) -> str | None:
    """The measure a bare sub-zone figure shares with the indicator before it (this or the last sentence)."""
    for d in [*reversed(local), *reversed([d for d in drafts if d.sentence >= sent_id - 1])]:
        if d.kind in ("money", "count", "growth"):
            return d.label
    return None


_UNIT_NUM = re.compile(r"^[\d.,]+|^[*Xx×]+|^[零〇一二两三四五六七八九十百千]+")
_UNIT_YU = re.compile(r"^(余|多)")
_UNIT_POST = re.compile(r"(以上|左右|多)$")
_BARE_LEAD = re.compile(r"^(?:其中|如|另有|包括)")
_TOTAL_WORD = re.compile(r"累计|总数|总计|合计")
_NEXT_FIGURE = re.compile(r"(?:实现|完成)[^\d,;:。]{1,10}\d")
_COUNT_TAIL = re.compile(r"^(?:以上|左右|多|余)")


def _value(
    text, m, mention, label, label_start, raw, prev, adjacent, seg_idx, seg_end, sent_id, s0, in_sub, local,
    carried=None,
) -> bool:
    mult = m.group("mult") or ""
    base = m.group("base")
    unit_written = text[m.start("num") : m.end()]
    unit = mult + base
    if m.group("twd") or m.group("twd2"):
        unit = mult + "元" if base == "元" else unit
    q = quantity(m.group("num"), unit)
    if m.group("zhao") and q.value is not None and mult == "亿":
        # 2兆3,248亿元 = 23248亿元 (Taiwanese amounts: 兆 = 10000 亿)
        v = int(m.group("zhao")) * 10000 + q.value
        q = Quantity(v, q.unit, round(v * 1e8, 4), "TWD", q.kind, q.redacted)
    currency = "TWD" if (m.group("twd") or m.group("twd2") or base == "新台币") else q.currency
    kind = q.kind
    if kind == "other":
        return True
    after = text[m.end() : m.end() + 40]
    if kind == "money" and _THRESHOLD_AFTER.match(after):
        return False  # a size class such as 超10亿元项目, 过亿元企业
    if after.startswith("大关"):
        return True  # 跨越30亿美元大关: a threshold, the value follows
    if kind == "money" and label in _ADVERBIAL and len(text[m.end() : seg_end].strip()) > 2:
        return True  # 投资50万元高标准建设…: the amount spent on one thing, said in passing
    approx = _approx(m)
    # units as written: keep the written unit (yu/multiplier included), minus 余/多
    unit_out = _UNIT_NUM.sub("", unit_written).lstrip()
    unit_out = _UNIT_YU.sub("", unit_out)
    unit_out = _UNIT_POST.sub("", unit_out).replace("余", "").replace("多", "")
    u_start = m.start("mult") if m.group("mult") else m.start("base")
    u_end = m.end("twd2") if m.group("twd2") else m.end("base")
    unit_span = (
        (u_start, u_end) if text[u_start:u_end].replace("余", "").replace("多", "") == unit_out else None
    )
    if kind == "count":
        post = _post_noun_label(text, m.end(), seg_end)
        bare = _BARE_LEAD.sub("", raw.strip(" \"'“”"))
        # 共计12个签约项目, 引进37家新创企业, 共有98个项目集中开工: the noun after the count names it when the
        # words before name no counted thing of their own
        noun_after = post and not count_noun_pattern().search(label) and not veto_pattern().search(raw)
        named_before = not bare or _ACQ.match(label) or bare.endswith("等")
        if post and (named_before or noun_after):
            noun, predicate = post
            predicate = _PAREN.sub("", predicate).strip()  # 竣工投产(试生产): the aside is not the verb
            if not _predicate_ok(predicate):
                if not _ABOVE_SCALE_NOUN.fullmatch(noun):
                    return True
                predicate = ""  # 202家规模以上工业企业实现总产值…: the count is an indicator of its own
            verb = label if label and _ACQ.match(label) else ""
            if not verb and not predicate:
                chain = max(text.rfind(ch, s0, m.start()) for ch in ",;:") + 1
                sig = re.search(
                    r"(签约|签订|引进|招引|新开工|开工建设|开工|竣工投产|投产|在谈|在建)",
                    text[max(s0, chain) : m.start()],
                )
                if sig and sig.group(1) not in noun:
                    verb = sig.group(1)
            lab = verb + noun + predicate
            if not named_before and not _COUNT_SIGNAL.search(lab):
                return True  # 为90余家企业出具…: a count of firms served, not of firms gained
            if _is_economic(lab):
                local.append(
                    _Draft(
                        kind="count",
                        label=lab,
                        start=m.start("num") if not verb else label_start,
                        end=m.end() + len(noun) + len(predicate),
                        sentence=sent_id,
                        segment=seg_idx,
                        value=q.value,
                        unit=unit_out,
                        value_normalized=q.value_normalized,
                        redacted=q.redacted,
                        approx=approx,
                        extra={"unit_span": unit_span},
                    )
                )
            return True
        if not label or (_TOTAL_WORD.search(raw) and not count_noun_pattern().search(label)):
            cumulative = _cumulative_label(raw, prev, adjacent, "count")
            if cumulative is None:
                return True
            label, label_start = cumulative, mention.start
        tail = _COUNT_TAIL.sub("", _PAREN.sub("", text[m.end() : seg_end])).strip()
        # 30个有效工作日: the count is of something else; 纺织鞋服13户实现产值…: a part's count
        if tail and not (in_sub and _NEXT_FIGURE.match(tail)):
            return True
        if "等" in label:
            # 磷酸铁锂储能电芯、…、盖帽等项目**个: the items are named, the count is of the 项目
            if veto_pattern().search(label):
                return True
            label_start += label.rfind("等") + 1
            label = label[label.rfind("等") + 1 :]
            chain = max(text.rfind(ch, s0, m.start()) for ch in ",;:") + 1
            sig = re.search(
                r"(签约|引进|招引|新开工|开工|投产|在谈|在建|谋划|储备)", text[max(s0, chain) : m.start()]
            )
            if sig and sig.group(1) not in label:
                label = sig.group(1) + label
        has_noun = bool(count_noun_pattern().search(label))
        parent = next((d for d in reversed(local) if d.kind == "count"), carried)
        if not has_noun and _ACQ.match(label) and prev is not None and adjacent and prev.kind == "count":
            # 签约项目20个、开工12个: a verb alone borrows the noun of the count before it
            noun = count_noun_pattern().search(prev.label)
            if noun:
                label, has_noun = label + noun.group(), True
        if not has_noun and not (in_sub and parent is not None):
            return True
        if has_noun and not _is_economic(label):
            return True
        if veto_pattern().search(label):
            return True
    else:
        if not label:
            if (
                prev is not None
                and adjacent
                and prev.kind == "money"
                and prev.approx
                and prev.value is not None
            ):
                # 超过100亿元,达到113.2亿元: the exact value replaces the threshold
                prev.value, prev.unit, prev.value_normalized = q.value, unit_out, q.value_normalized
                prev.extra["unit_span"] = unit_span
                prev.approx = approx
                prev.end = mention.end
                prev.segment = seg_idx
            return True
        if not _is_economic(label):
            return True
    local.append(
        _Draft(
            kind=kind,
            label=label,
            start=label_start,
            end=mention.end,
            sentence=sent_id,
            segment=seg_idx,
            value=q.value,
            unit=unit_out,
            value_normalized=q.value_normalized,
            currency=currency,
            redacted=q.redacted,
            approx=approx,
            extra={"unit_span": unit_span, "value_end": m.end()},
        )
    )
    return True


def _cumulative_label(raw: str, prev, adjacent: bool, kind: str) -> str | None:
    """新增上市企业8家,累计达63家: a bare cumulative figure right after an indicator is its running total."""
    if prev is None or not adjacent or prev.kind != kind or not re.search(r"累计|总数|总计|合计|共计", raw):
        return None
    base = re.sub(r"^(?:新增|净增|新引进|引进|新培育|培育|新签约|新)", "", prev.label)
    return "累计" + base if base else None


def _predicate_ok(predicate: str) -> bool:
    """What follows 'N个项目' must be a short verb phrase (顺利投产, 开工建设), not nouns (施工许可证)."""
    if not predicate:
        return True
    if len(predicate) > 8 or econ_pattern().search(predicate):
        return False  # 7个省重点项目投资完成率…: the number counts the subject of another measure
    if _COUNT_SIGNAL.match(predicate):
        return True  # 91个总部项目落户, 落户园区: a gaining verb, whatever the tagger calls it
    words = cut(predicate)
    first, last = words[0][1], words[-1][1]
    if first in ("d", "ad", "vd", "p"):
        return True
    if last.startswith("n"):
        return False
    # 实质性开工建设: a verb phrase after an adverbial noun
    return any(tag == "v" for _, tag in words)


_CN_MONTH = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NAMED_PERIOD = {
    "第一季度": "一季度",
    "首季度": "一季度",
    "首季": "一季度",
    "第二季度": "二季度",
    "第三季度": "三季度",
    "第四季度": "四季度",
    "首3季": "前三季度",
    "首3季度": "前三季度",
    "首三季": "前三季度",
    "首三季度": "前三季度",
    "前3季度": "前三季度",
}


def _month_no(tok: str) -> int:
    if tok.isdigit():
        return int(tok)
    if tok.startswith("十"):
        return 10 + _CN_MONTH.get(tok[1:], 0) if len(tok) > 1 else 10
    return _CN_MONTH[tok]


def _period_of(text: str, start: int, end: int) -> str | None:
    found = None
    for m in P.PERIOD.finditer(text, start, end):
        if m.group("range"):
            a, b = _month_no(m.group("a")), _month_no(m.group("b"))
            found = f"{a}-{b}月" if a < b else found
        elif m.group("upto"):
            found = f"1-{int(m.group('m'))}月"
        elif m.group("first"):
            found = f"1-{_month_no(m.group('fm'))}月"
        elif m.group("uptoq"):
            q = m.group("q")
            q = int(q) if q.isdigit() else _CN_MONTH[q]
            found = "上半年" if q == 2 else ("前三季度" if q == 3 else ("一季度" if q == 1 else "全年"))
        elif m.group("named"):
            found = _NAMED_PERIOD.get(m.group("named"), m.group("named"))
        elif m.group("one"):
            found = f"{int(m.group('one'))}月"
        elif m.group("yearonly"):
            found = "全年"
    return found


# 2021年全区实现生产总值…, 2008年福田区…完成税收…: a year that opens the sentence's subject is its full year
_BARE_YEAR_HEAD = re.compile(
    r"(?:^|[,，:：])\s*(?:初步(?:统计|核算),?)?(?:19|20)\d{2}\s?年(?!\d{1,2}月)(?:度)?"
    r"(?:全区|全市|全县|全州|全省|全盟|全年|该区|园区|开发区|高新区|经开区|[\u4e00-\u9fff]{2,10}区|"
    r"我国|全国|我[省市区县盟州]|本[省市区县]|该[省市县])"
)
# 力争/目标/预期/确保 at the head of a sentence cover it; 计划 covers its own clause;
# 超计划 and 完成…计划 are no cue
_SENTENCE_TARGET = re.compile(r"力争|目标|预期目标|预期|确保|力求|争取(?:到|实现|达到)")
_NOT_TARGET_CUE = re.compile(
    r"超(?:计划|时序|序时)(?:目标|任务|进度)?|完成(?:了)?(?:全年|年度)?(?:目标|计划|任务)|年初确定的目标"
    r"|围绕[^,;:。]{0,12}目标|计划总投资|计划投资总额"
)
# a cue written after the label (经济总量力争突破700亿元, 地区生产总值预期增长5%, 年度计划投资463.4亿元)
_LABEL_TARGET = re.compile(r"力争|预期|目标|年度(?:投资)?计划|计划(?:完成|开工|新开工|实现)?(?:投资)?$|^计划")
_TARGET_AFTER = re.compile(r"\s*(?:的)?(?:目标|任务)(?![\u4e00-\u9fff]{0,2}的)")
_SIGNED = re.compile(r"签约|签订|签署")
# a year (or a ROC year 100-119) in the indicator's own clause, not a comparison, a start or an end point
_CLAUSE_YEAR = re.compile(
    r"(?<![\d\-—~至到较比于是从自起])((?:19|20)\d{2}|1[01]\d)\s?年(?:度)?(?![\d底末前后初以起来代中上下间])"
)
_CUMULATIVE = re.compile(r"累计|截至|截止|以来|至今|目前|现有")
_THIS_YEAR = re.compile(r"今年|本年|全年|年度")
_LAST_YEAR = re.compile(r"(?<![比较与同])去年(?!同期|同月|底|末|年底|\d)")
_BRACKET_PERIOD = re.compile(r"\s*[(（]([^()（）]{2,10}月[^()（）]{0,3})[)）]")
_COMPARISON_YEAR = re.compile(r"(?:是|较|比|相比|同比|高于|低于|超过)(?:19|20)\d{2}年[^,;:。]*")
# 较1-9月回落1.6个百分点, 比一季度提高0.9个百分点, 比6月份前进1位: the compared period is not the figure's
_COMPARISON_PERIOD = re.compile(
    r"(?:较|比|相比|高于|低于|快于|慢于)(?:今年|上年|去年)?"
    r"(?:\d{1,2}\s*[-—–~至到]+\s*\d{1,2}|\d{1,2}|[一二三四五六七八九十]{1,2}[-—–~至到][一二三四五六七八九十]{1,2}|"
    r"前[\d一二三四五六七八九十]{1,2}个?|第?[一二三四]|上|下|前三)(?:月份?|季度|半年)"
)
# 一季度全市新批…, 1-10月园区实现…: a period written right before the subject frames the paragraph as
# one in topic position does
_PERIOD_HEAD = re.compile(
    r"\s*(?:今年|本年|(?:19|20)\d{2}\s?年)?"
    r"(?P<p>(?:\d{1,2}|[一二三四五六七八九十]{1,2})\s*月?(?:份)?\s*[-—–~至到]+\s*(?:\d{1,2}|[一二三四五六七八九十]{1,2})\s*月份?|"
    r"前[\d一二三四五六七八九十]{1,2}个?月|截[至止]\d{1,2}月(?:底|末)|上半年|前三季度|第?一季度|首季度?)"
    r"(?=全区|全市|全县|全州|全省|全盟|该区|园区|开发区|高新区|经开区|我区|我市|我县|全国|[\u4e00-\u9fff]{2,8}(?:区|园)(?:共|累计|实现|完成|新|规|工业))"
)


def _year_of(text: str, start: int, end: int) -> int | None:
    found = None
    text = (
        _COMPARISON_YEAR.sub(lambda m: " " * len(m.group()), text[:end]) if "年" in text[start:end] else text
    )
    for m in P.YEAR.finditer(text, start, end):
        found = int(m.group(1))
    return found


_HEADLINE_CHARS = 60


def head_frame(title: str | None, first_line: str) -> tuple[str | None, int | None]:
    """The period and year a title (or the first line) states for the whole text: 1-9月园区工业经济运行情况,
    扬州市广陵区2008年国民经济和社会发展统计公报 (a bare year: the full year)."""
    for src in (title, first_line):
        if not src or (src is first_line and len(src.strip()) > _HEADLINE_CHARS):
            continue  # a long first line is a paragraph, not a headline: its years are its own
        src = _COMPARISON_YEAR.sub(lambda m: " " * len(m.group()), src)
        src = _blank(src, P.EVENT)  # 市举行2022年第四季度项目集中开工活动: the date of an event
        first = P.PERIOD.search(src)
        p = _period_of(src, 0, first.end()) if first else None
        y = _year_of(src, 0, len(src))
        if p and P.PERIOD.search(src) and re.fullmatch(r"\d{1,2}月", p):
            p = None  # 中科9月出口额: one month named in a headline does not frame the text
        if p or y:
            return p or "全年", y
    return None, None


def _section_period(ctx: Context, pos: int) -> str | None:
    """一、全区第一季度经济运行的基本特点: the period a level-1 heading names frames its section."""
    for a, b, title in ctx.sections:
        if a <= pos < b:
            p = _period_of(title, 0, len(title))
            return p if p and not re.fullmatch(r"\d{1,2}月", p) else None
    return None


def _section_title(ctx: Context, pos: int) -> tuple[str | None, int | None]:
    for a, b, title in ctx.sections:
        if a <= pos < b:
            return title, _year_of(title, 0, len(title))
    return None, None


def _blank(text: str, rx: re.Pattern[str]) -> str:
    return rx.sub(lambda m: " " * len(m.group()), text)


_FRAME_CUE = re.compile(r"[\d年月季]")
_UPTO_YEAR = re.compile(r"\s*(?:截至|截止|到)\s*(?:19|20)\d{2}\s?年(?:底|末)?\s*$")
_LAST_YEAR_TOPIC = re.compile(r"\s*(?:据[^,，]{0,12},)?\s*(去年|上年)\s*[,，]")


def _next_frame(
    text: str, s0: int, s1: int, frame: tuple[str | None, int | None], doc_year: int | None = None
) -> tuple[str | None, int | None]:
    """The period and year that frame the rest of the paragraph after sentence [s0, s1): changed when
    the sentence opens with them in topic position (「1-10月份，」「截至10月底，」「2023年，」)."""
    if not _FRAME_CUE.search(text, s0, min(s1, s0 + 40)):
        return frame  # every rule below needs a digit or 年/月/季 in the sentence's first 40 characters
    comma = P.TOPIC_END.search(text, s0, min(s1, s0 + 16))
    topic = text[s0 : comma.start()] if comma else ""
    if not comma or not _TOPIC_WORDS.fullmatch(topic):
        # 2021年全区实现生产总值…: a year heading the subject frames the paragraph as an annual review
        head = _BARE_YEAR_HEAD.search(text, s0, min(s1, s0 + 40))
        if head and not P.PERIOD.search(text, s0, head.end()):
            return "全年", _year_of(head.group(), 0, len(head.group()))
        ph = _PERIOD_HEAD.match(text, s0, min(s1, s0 + 40))
        if ph:
            p = _period_of(ph.group("p"), 0, len(ph.group("p")))
            if p:
                return p, _year_of(ph.group(), 0, len(ph.group())) or frame[1]
        last = _LAST_YEAR_TOPIC.match(text, s0, s1)
        if last:
            return "全年", doc_year - 1 if doc_year else None  # 据统计,去年,全市重点开发园区…
        return frame
    p = _period_of(topic, 0, len(topic))
    y = _year_of(topic, 0, len(topic))
    if not (p or y):
        return frame
    if p == "全年" and _UPTO_YEAR.match(topic):
        return None, y  # 截至2004年,…累计: a running total up to a year has no period
    period, year = frame
    if p is None and y is not None:
        p = "全年" if P.PERIOD.search(topic + ",") else None
    return p or period, y or year


_PLAN_OF_YEAR = re.compile(r"全年(?=目标|任务|计划)")
_UPTO_YEAR_ANY = re.compile(r"(?:截至|截止)\s*(?:19|20)\d{2}\s?年(?:底|末)?")
_YTD = re.compile(r"1-(\d{1,2})月")
_THIS_MONTH = re.compile(r"当月|单月")


_RUNNING = re.compile(r"当月|单月|累计")


def _running_period(text: str, s0: int, monthly: bool) -> str | None:
    """前11个月…完成产值…,其中11月份当月…。新能源产业当月完成产值…;累计完成产值…: with no period of its own,
    a month's figure (当月) or a running total (累计) has the running period the paragraph stated before."""
    para = text.rfind("\n", 0, s0) + 1
    for m in reversed(list(P.PERIOD.finditer(text, para, s0))):
        p = _period_of(text, m.start(), m.end())
        if p and (ytd := _YTD.fullmatch(p)):
            return f"{ytd.group(1)}月" if monthly else p
    return None


def _resolve_context(
    text: str, d: _Draft, s0: int, frame: tuple[str | None, int | None], ctx: Context
) -> None:
    head = _blank(_blank(_blank(text[s0 : d.start], P.COMPLETION), P.COMPLETION_RATE), _COMPARISON_PERIOD)
    # 截至2004年,…累计利用外资: a running total has no period; 全年计划的56.92%: the plan's year is none
    head_p = _blank(_blank(head, _UPTO_YEAR_ANY), _PLAN_OF_YEAR)
    frame_period, frame_year = frame
    after = _BRACKET_PERIOD.match(text, d.extra.get("value_end", d.end)) or _BRACKET_PERIOD.match(text, d.end)
    d.period = d.extra.get("period") or (
        (_period_of(after.group(1), 0, len(after.group(1))) if after else None)
        or _period_of(head_p + d.label, 0, len(head_p) + len(d.label))
        or ("全年" if _BARE_YEAR_HEAD.search(head) and not P.PERIOD.search(text, s0, d.end) else None)
        or frame_period
        or _section_period(ctx, d.start)
    )
    if d.period and (ytd := _YTD.fullmatch(d.period)) and _THIS_MONTH.search(head[-12:] + d.label):
        d.period = f"{ytd.group(1)}月"  # 11月…当月完成产值: the last month of the running period
    cue = _RUNNING.search(head[-12:] + d.label) if d.period is None else None
    # 累计 alone is often since a project began (累计完成投资18.5亿元); beside a 当月 figure it is the year's
    if cue and (cue.group() != "累计" or _THIS_MONTH.search(text, s0, d.start)):
        d.period = _running_period(text, s0, monthly=cue.group() != "累计")
    clause_year = None
    if d.period is None and not d.extra.get("period"):
        cut = max(head.rfind(ch) for ch in ",;:，；：") + 1
        cy = _CLAUSE_YEAR.search(head + d.label, cut)
        if cy and not _CUMULATIVE.search(head, cut):
            # 2013年我国外商直接投资流入量达到…, 规模上,2024年进出口值达…, 101年新登记工厂达…: a year that
            # names the subject's report year gives it the full year
            d.period = "全年"
            clause_year = int(cy.group(1)) if len(cy.group(1)) == 4 else int(cy.group(1)) + 1911
    if d.period is None and (_LAST_YEAR.search(head) or _LAST_YEAR.search(d.label)):
        # 香港去年吸引…, 去年,全市重点开发园区…, 大陆去年的直接外来投资额 (the label keeps the word)
        d.period = "全年"
        clause_year = clause_year or (ctx.doc_year - 1 if ctx.doc_year else None)
    # 2010—2014年…增速分别为17.4%、9.7%…: a list over years gives each member its year
    d.year = d.extra.get("year") or clause_year or _year_of(head, 0, len(head)) or frame_year
    title, title_year = _section_title(ctx, d.start)
    if d.year is None:
        d.year = title_year or ctx.doc_year
    inside = text[d.start : d.end]
    d.extra["before"] = text[max(s0, d.start - 24) : d.start]
    d.extra["signed"] = bool(_SIGNED.search(text, s0, d.end))
    cue_head = _blank(head + d.label, _NOT_TARGET_CUE)[: len(head)]  # 计划|总投资 across the label start
    clause = cue_head[max(cue_head.rfind(ch) for ch in ",;:") + 1 :]
    if d.scope != "completion_rate":
        if P.FORECAST.search(inside):
            d.scope = "forecast"  # 实际利用外资预计同比增长352%, 年预计投资25.88亿元
        elif (
            _SENTENCE_TARGET.search(cue_head)
            or P.TARGET.search(clause)
            or _TARGET_AFTER.match(text, d.end)
            or (_LABEL_TARGET.search(d.label) and not _NOT_TARGET_CUE.search(d.label))
            or _LABEL_TARGET.search(_blank(text[d.start : d.extra.get("value_end", d.end)], _NOT_TARGET_CUE))
        ):
            d.scope = "target"
        elif P.FORECAST.search(head):
            d.scope = "forecast"
        elif (
            title
            and P.TARGET_SECTION.search(title)
            and not P.NOT_TARGET_SECTION.search(title)
            and not _STATE.search(d.label)
        ):
            # a plan section states targets, but a count of what exists now (在谈, 在建) is a fact
            d.scope = "target"
    if d.scope == "actual" and d.period is None and ctx.doc_year and d.year and d.year > ctx.doc_year:
        d.scope = "target"
    if d.period is None and (
        d.scope == "target"
        or (d.scope == "forecast" and (_year_of(head, 0, len(head)) or _THIS_YEAR.search(head)))
    ):
        # a target (or a forecast for a named year) without a period of its own is for the full year
        d.period = "全年"


def _dedupe(drafts: list[_Draft]) -> list[_Draft]:
    seen: set[tuple] = set()
    out = []
    for d in drafts:
        key = (d.label, d.value, d.unit, d.growth_pct, d.period, d.year, d.scope, d.redacted)
        if d.value is None and not d.redacted:
            key = (d.label, None, None, d.growth_pct, d.growth_basis, d.period, d.year, d.scope)
        if key in seen:
            continue
        seen.add(key)
        out.append(d)
    return out


_ABOVE_SCALE_NOUN = re.compile(r"(?:规模以上|规上)(?:工业)?企业")
_TOTAL_INVESTMENT = re.compile(r"(?:计划)?总投资(?:额)?|投资总(?:金)?额")
_ABOVE_SCALE_SUBJECT = re.compile(
    r"(?:规上|规模以上)(?:工业)?企业(?:\d+户|\d+家)?(?:[^,;。]{0,4}|,[^,;。]{0,4})$"
)


def _context_metric(metric: str, d: _Draft) -> str:
    """What the words around a bare label say: 签约…总投资 is agreed investment; 规上企业…工业总产值 is
    above-scale output; the 增加值 of industrial firms is industrial value added."""
    before = d.extra.get("before", "")
    if metric == "other" and d.extra.get("signed") and _TOTAL_INVESTMENT.fullmatch(d.label):
        return "contract_investment"
    bare_output = re.fullmatch(r"(?:工业)?总产值|产值", d.label)
    if metric in ("industrial_output", "other") and bare_output and _ABOVE_SCALE_SUBJECT.search(before):
        return "above_scale_industrial_output"
    if metric == "other" and d.label == "增加值" and re.search(r"工业|规上|规模以上", before):
        return "industrial_added_value"
    return metric


def to_indicators(drafts: list[_Draft], span_of) -> list[Indicator]:
    out = []
    for d in drafts:
        kind = "growth" if d.kind == "growth" else ("count" if d.kind == "count" else "money")
        if d.kind in ("ratio", "completion"):
            kind = "ratio"
        metric = _context_metric(classify_metric(d.label, kind), d)
        out.append(
            Indicator(
                metric=metric,
                label=d.label,
                value=d.value,
                unit=d.unit,
                value_normalized=d.value_normalized,
                currency=d.currency,
                growth_pct=d.growth_pct,
                growth_basis=d.growth_basis,
                period=d.period,
                year=d.year,
                scope=d.scope,
                completion_pct=d.completion_pct,
                approx=d.approx,
                redacted=d.redacted,
                zone=d.extra.get("zone"),
                span=span_of(d.start, d.end),
            )
        )
    return out
