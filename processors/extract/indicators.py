"""Indicators: every economic quantity stated with a value, a growth rate or a completion rate.

The rules read the normalised working text sentence by sentence. A sentence is cut into segments at
commas, semicolons, enumeration commas and colons (outside brackets); in a segment the label is the
noun phrase before the number, stripped of time, subject and verb words. A segment with only a growth
rate or a completion rate (同比增长5.7%, 完成全年任务的150%) qualifies the indicator before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from policywatch.core.textseg import pos_cut as cut
from processors.extract import patterns as P
from processors.extract.numbers import parse_number, quantity
from processors.extract.vocab import classify_metric, count_noun_pattern, econ_pattern, veto_pattern
from schemas.extracted import Indicator

_OPEN = "(《“‘[〔【（"
_CLOSE = ")》”’]〕】）"
_SEG_DELIMS = set(",;、:，；：")

_LEAD_JUNK = re.compile(
    r"^(?:[\s\"'“”‘’]|其中|包括|另外|此外|同时|"
    r"(?:19|20)\d{2}(?:年(?:度)?)?|\d{1,2}\s*(?:-|至|~)\s*\d{1,2}\s*月份?|截[至止](?:目前|\d{1,2}月(?:底|末))|"
    r"今年以来|年初以来|今年|目前|当前|上半年|下半年|前三季度|全年|全区|全县|全市|全镇|本区|我区|该区|园区|"
    r"开发区|经开区|高新区|起步区|(?:\(直管区\))|区内|区域内|辖区内|预计|力争|确保|计划|争取|预期|将|要|年内|当年|"
    r"累计|共计|合计|总计|共有|共|"
    r"完成|实现|达到|达(?!成)|推动|推进|加快|促进|的)+"
)
_TRAIL_JUNK = re.compile(
    r"(?:较|比)(?:上年|去年|\d{4}年)(?:同期)?$|(?:\d+|\*+|[Xx]+)[笔个项件次]$"
    r"|(?:为|是|共|各|将|要|可|达到|达|完成|实现|累计|合计|总计|全年|同比)+$"
)
_VERB_SPLIT = re.compile(r"完成|实现|达到|累计|共计|合计|总计|获得|(?<!营)为|达(?!成)")
_ACQ = re.compile(
    r"^(?:新增|净增|新培育|培育|引进|新引进|新签约|签约|新开工|开工|投产|入驻|落户|现有|拥有|共有|有|新建|储备|"
    r"谋划储备|在谈|在建|注册|累计注册|新注册|集聚|聚集|招引|新招引)$"
)
_RATIO = re.compile(r"率|占比|比重|比例")
_ADVERBIAL = {"投资", "投入", "资金", "出资"}
_STATE = re.compile(r"在谈|在建|现有|已有|已投产|存量")
_TOPIC_WORDS = re.compile(r"[\s\d年月份至\-截止底末上下半前三季度全今以来]*")
_PAREN = re.compile(r"\([^()]*\)|（[^（）]*）|〔[^〔〕]*〕|\[[^\[\]]*\]")
_POST_NOUN = re.compile(r"^([^\d,;、:。()]{0,16}?(?:企业|项目|公司|工厂|主体))([^\d,;、:。]{0,20})")
_VERBISH = {"v", "d", "ad", "vd", "p"}
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


@dataclass
class Context:
    """Document-level facts the indicator rules use."""

    doc_year: int | None = None
    subjects: tuple[str, ...] = ()  # zone names to strip from the start of labels
    sections: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, title) level-1


def _segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    segs = []
    depth = 0
    seg_start = start
    for i in range(start, end):
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0 and ch in _SEG_DELIMS:
            segs.append((seg_start, i))
            seg_start = i + 1
    segs.append((seg_start, end))
    return segs


def _paren_mask(text: str, start: int, end: int) -> list[bool]:
    depth = 0
    mask = []
    for i in range(start, end):
        ch = text[i]
        if ch in "(（〔[":
            depth += 1
        mask.append(depth > 0)
        if ch in ")）〕]":
            depth = max(0, depth - 1)
    return mask


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
        offset += last.end()
        body = body[last.end() :]
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
        if verb in ("下降", "减少", "降低", "回落", "衰退", "下滑", "降幅"):
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
    __slots__ = ("kind", "m", "start", "end")

    def __init__(self, kind: str, m: re.Match[str]):
        self.kind = kind
        self.m = m
        self.start = m.start()
        self.end = m.end()


_HAS_NUMBER = re.compile(r"[\d*×Xx]|[零〇一二两三四五六七八九十百千]余?[万亿千]")
_RXS = (
    ("growth", P.GROWTH),
    ("completion", P.COMPLETION),
    ("completion_rate", P.COMPLETION_RATE),
    ("value", P.VALUE),
    ("percent", P.PERCENT),
)


def _mentions(text: str, a: int, b: int) -> list[_Mention]:
    found: list[_Mention] = []
    for kind, rx in _RXS:
        for m in rx.finditer(text, a, b):
            found.append(_Mention(kind, m))
    found.sort(key=lambda x: (x.start, -(x.end - x.start)))
    out: list[_Mention] = []
    taken_end = -1
    for mention in found:
        if mention.start < taken_end:
            continue
        s = mention.m.start("num")
        if s > 0 and (text[s - 1].isascii() and (text[s - 1].isalnum() or text[s - 1] == ".")):
            continue  # part of a code such as 2V95 or 220KV
        if mention.kind == "value" and mention.m.group("num")[0] in "Xx×*" and s > 0 and text[s - 1] in "第":
            continue
        out.append(mention)
        taken_end = mention.end
    return out


def _post_noun_label(text: str, end: int, seg_end: int) -> tuple[str, str] | None:
    m = _POST_NOUN.match(text[end:seg_end])
    if not m:
        return None
    return m.group(1), m.group(2)


_PARAGRAPH = re.compile(r"[^\n]+")
_SENTENCE = re.compile(r"[^。!?！？\n]+")


def extract_indicators(text: str, ctx: Context) -> list[_Draft]:
    drafts: list[_Draft] = []
    subjects = tuple(sorted({s for s in ctx.subjects if s}, key=len, reverse=True))
    sent_id = 0
    for para in _PARAGRAPH.finditer(text):
        frame: tuple[str | None, int | None] = (None, None)
        for sent in _SENTENCE.finditer(text, para.start(), para.end()):
            s0, s1 = sent.span()
            _sentence(text, s0, s1, frame, sent_id, subjects, ctx, drafts)
            frame = _next_frame(text, s0, s1, frame)
            sent_id += 1
    return _dedupe(drafts)


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
            if mask[mention.start - s0]:
                continue
            raw = text[cursor : mention.start]
            label, off = _clean_label(raw, subjects)
            label_start = cursor + off
            prev = local[-1] if local else None
            adjacent = prev is not None and prev.segment >= seg_idx - 1
            m = mention.m
            if mention.kind == "growth":
                g, basis, red = _growth_of(m)
                approx = bool(m.group("pre") or m.group("post"))
                if not label or label in ("均", "同比", "分别"):
                    targets: list[_Draft] = []
                    if label == "均" or raw.strip().startswith("均"):
                        targets = [d for d in local if not d.has_growth]
                    elif prev is not None and not prev.has_growth and adjacent and prev.kind != "growth":
                        targets = [prev]
                    for d in targets:
                        d.growth_pct, d.growth_basis, d.has_growth = g, basis, True
                        d.redacted = d.redacted or red
                        d.approx = d.approx or (approx and d.value is None)
                        d.end = max(d.end, mention.end)
                        d.segment = seg_idx
                elif _is_economic(label):
                    d = _Draft(
                        kind="growth",
                        label=label,
                        start=label_start,
                        end=mention.end,
                        sentence=sent_id,
                        segment=seg_idx,
                        growth_pct=g,
                        growth_basis=basis,
                        redacted=red,
                        approx=approx,
                        has_growth=True,
                    )
                    local.append(d)
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
                )
                if not consumed:
                    continue  # a size class (超10亿元项目) stays part of the next label
            elif mention.kind == "percent" and label and _RATIO.search(label) and _is_economic(label):
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
    for d in local:
        _resolve_context(text, d, s0, frame, ctx)
    drafts.extend(local)


def _value(
    text, m, mention, label, label_start, raw, prev, adjacent, seg_idx, seg_end, sent_id, s0, in_sub, local
) -> bool:
    mult = m.group("mult") or ""
    base = m.group("base")
    unit_written = text[m.start("num") : m.end()]
    unit = mult + base
    if m.group("twd") or m.group("twd2"):
        unit = mult + "元" if base == "元" else unit
    q = quantity(m.group("num"), unit)
    currency = "TWD" if (m.group("twd") or m.group("twd2") or base == "新台币") else q.currency
    kind = q.kind
    if kind == "other":
        return True
    after = text[m.end() : m.end() + 40]
    if kind == "money" and _THRESHOLD_AFTER.match(after):
        return False  # a size class such as 超10亿元项目, 过亿元企业
    if kind == "money" and label in _ADVERBIAL and len(text[m.end() : seg_end].strip()) > 2:
        return True  # 投资50万元高标准建设…: the amount spent on one thing, said in passing
    approx = _approx(m)
    # units as written: keep the written unit (yu/multiplier included), minus 余/多
    unit_out = re.sub(r"^[\d.,]+|^[*Xx×]+|^[零〇一二两三四五六七八九十百千]+", "", unit_written)
    unit_out = re.sub(r"^(余|多)", "", unit_out)
    unit_out = re.sub(r"(以上|左右|多)$", "", unit_out).replace("余", "").replace("多", "")
    u_start = m.start("mult") if m.group("mult") else m.start("base")
    u_end = m.end("twd2") if m.group("twd2") else m.end("base")
    unit_span = (
        (u_start, u_end) if text[u_start:u_end].replace("余", "").replace("多", "") == unit_out else None
    )
    if kind == "count":
        post = _post_noun_label(text, m.end(), seg_end)
        bare = re.sub(r"^(?:其中|如|另有|包括)", "", raw.strip(" \"'“”"))
        if post and (not bare or _ACQ.match(label) or bare.endswith("等")):
            noun, predicate = post
            predicate = predicate.strip()
            if not _predicate_ok(predicate):
                return True
            verb = label if label and _ACQ.match(label) else ""
            if not verb and not predicate:
                chain = max(text.rfind(ch, s0, m.start()) for ch in ",;:") + 1
                sig = re.search(
                    r"(签约|引进|招引|新开工|开工建设|开工|竣工投产|投产|在谈|在建)",
                    text[max(s0, chain) : m.start()],
                )
                if sig and sig.group(1) not in noun:
                    verb = sig.group(1)
            lab = verb + noun + predicate
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
        if not label:
            cumulative = _cumulative_label(raw, prev, adjacent, "count")
            if cumulative is None:
                return True
            label, label_start = cumulative, mention.start
        if re.sub(r"^(?:以上|左右|多|余)", "", _PAREN.sub("", text[m.end() : seg_end])).strip():
            return True  # 30个有效工作日: the count is of something else
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
        parent = next((d for d in reversed(local) if d.kind == "count"), None)
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
            extra={"unit_span": unit_span},
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
    words = cut(predicate)
    first, last = words[0][1], words[-1][1]
    if first in ("d", "ad", "vd", "p"):
        return True
    if last.startswith("n"):
        return False
    return first == "v" or last == "v"


def _period_of(text: str, start: int, end: int) -> str | None:
    found = None
    for m in P.PERIOD.finditer(text, start, end):
        if m.group("range"):
            found = f"{int(m.group('a'))}-{int(m.group('b'))}月"
        elif m.group("upto"):
            found = f"1-{int(m.group('m'))}月"
        elif m.group("named"):
            found = m.group("named").replace("第一季度", "一季度").replace("第二季度", "二季度")
            found = found.replace("第三季度", "三季度").replace("第四季度", "四季度")
        elif m.group("yearonly"):
            found = "全年"
    return found


_COMPARISON_YEAR = re.compile(r"(?:是|较|比|相比|同比|高于|低于|超过)(?:19|20)\d{2}年[^,;:。]*")


def _year_of(text: str, start: int, end: int) -> int | None:
    found = None
    text = (
        _COMPARISON_YEAR.sub(lambda m: " " * len(m.group()), text[:end]) if "年" in text[start:end] else text
    )
    for m in P.YEAR.finditer(text, start, end):
        found = int(m.group(1))
    return found


def _section_title(ctx: Context, pos: int) -> tuple[str | None, int | None]:
    for a, b, title in ctx.sections:
        if a <= pos < b:
            return title, _year_of(title, 0, len(title))
    return None, None


def _blank(text: str, rx: re.Pattern[str]) -> str:
    return rx.sub(lambda m: " " * len(m.group()), text)


def _next_frame(
    text: str, s0: int, s1: int, frame: tuple[str | None, int | None]
) -> tuple[str | None, int | None]:
    """The period and year that frame the rest of the paragraph after sentence [s0, s1): changed when
    the sentence opens with them in topic position (「1-10月份，」「截至10月底，」「2023年，」)."""
    comma = P.TOPIC_END.search(text, s0, min(s1, s0 + 16))
    if not comma:
        return frame
    topic = text[s0 : comma.start()]
    if not _TOPIC_WORDS.fullmatch(topic):
        return frame
    p = _period_of(topic, 0, len(topic))
    y = _year_of(topic, 0, len(topic))
    if not (p or y):
        return frame
    period, year = frame
    if p is None and y is not None:
        p = "全年" if P.PERIOD.search(topic + ",") else None
    return p or period, y or year


def _resolve_context(
    text: str, d: _Draft, s0: int, frame: tuple[str | None, int | None], ctx: Context
) -> None:
    head = _blank(_blank(text[s0 : d.start], P.COMPLETION), P.COMPLETION_RATE)
    frame_period, frame_year = frame
    d.period = _period_of(head, 0, len(head)) or frame_period
    d.year = _year_of(head, 0, len(head)) or frame_year
    title, title_year = _section_title(ctx, d.start)
    if d.year is None:
        d.year = title_year or ctx.doc_year
    if d.scope != "completion_rate":
        if P.TARGET.search(head):
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


def to_indicators(drafts: list[_Draft], span_of) -> list[Indicator]:
    out = []
    for d in drafts:
        kind = "growth" if d.kind == "growth" else ("count" if d.kind == "count" else "money")
        if d.kind in ("ratio", "completion"):
            kind = "ratio"
        metric = classify_metric(d.label, kind)
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
                span=span_of(d.start, d.end),
            )
        )
    return out
