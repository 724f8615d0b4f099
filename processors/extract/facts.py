"""Document facts: zone names, document type, report year and period."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from policywatch.core.textseg import pos_cut as cut
from processors.extract.vocab import FUNCTION_TAGS, zone_suffixes

_PREFIX_STOP = re.compile(
    r".*(?:[在的和与及暨将对向把以为是等到由了从于至]|依托|推进|打造|建设|加快|成为|获批|获评|全市|全省|全国|全县|"
    r"国家级|自治区级|省级|市级|县级|各类|入驻|落户|园中园|我们|签约|引进|启动|承接|设立|作为|其中|包括|推动|支持|"
    r"以下简称|简称|尽快|配齐|赋予|考入|跟踪|研判|助力|落地|规划|利用|通过|对标|举办|有关|\d{4}年(?:度)?|今年|现将|"
    r"负责|管理|批准|所属|争创|创建|申报|重点|全部|各|本省|本市|县域内|区内|统计|\d+个|两个|三个|五类|"
    r"全盟|全州|全区|我国|乡镇|主管|清理|整顿|掌握|[省州市县]内|[\u4e00-\u9fff]{1,6}省)"
)
_DROP = FUNCTION_TAGS
_DOC_TYPES = (
    ("计划执行情况", re.compile(r"计划执行情况|计划的执行情况")),
    ("情况汇报", re.compile(r"情况汇报|汇报如下|工作汇报|情况报告")),
    ("工作总结", re.compile(r"工作总结|年(?:主要)?工作情况|工作回顾|年主要工作")),
    ("实施方案", re.compile(r"实施方案|行动方案|工作方案|实施意见")),
    ("工作计划", re.compile(r"工作计划|工作要点|工作安排|工作思路")),
    (
        "政策文件",
        re.compile(r"〔\d{4}〕\d+号|\[\d{4}\]\d+号|管理办法|若干政策|若干措施|的通知|暂行办法|实施细则"),
    ),
    (
        "新闻",
        re.compile(
            r"记者|新华社|日电|本报讯|通讯员|报道|报导|中新网|中新社|中央社|获悉|网讯|[报网]\d{1,2}月\d{1,2}日|"
            r"责任编辑|【[^】]{0,12}讯】|讯\s|\d{1,2}月\d{1,2}日(?:上午|下午)?,|日前,|近日,"
        ),
    ),
)
_YEAR = re.compile(r"(?<![\d\-—~至])((?:19|20)\d{2})(?:年|全年)")
REPORTING_TYPES = {"工作总结", "情况汇报", "计划执行情况", "新闻", "other"}


@dataclass(frozen=True)
class ZoneMention:
    name: str  # as normalised (working text)
    suffix: str
    kind: str  # zone | park
    generic: bool  # no proper name before the suffix (开发区, 经济开发区)
    start: int
    end: int


@lru_cache(maxsize=1)
def _suffix_regex() -> re.Pattern[str]:
    alts = "|".join(re.escape(s) for s, _ in zone_suffixes())
    return re.compile(rf"(?P<suffix>{alts})")


_NAME_RUN = re.compile(r"[\u4e00-\u9fffXx*]{1,14}$")


@lru_cache(maxsize=1)
def _suffix_kind() -> dict[str, str]:
    return dict(zone_suffixes())


@lru_cache(maxsize=4096)
def _trim_prefix(prefix: str) -> str:
    """Drop the words before the zone's own name: 依托商河化工 -> 商河化工, 2023年 -> ''."""
    m = _PREFIX_STOP.match(prefix)
    if m:
        prefix = prefix[m.end() :]
    if not prefix:
        return ""
    if re.fullmatch(r"[Xx*]+", prefix):
        return prefix
    words = cut(prefix)
    i = 0
    while i < len(words) and words[i][1] in _DROP:
        i += 1
    prefix = "".join(w for w, _ in words[i:])
    return "" if len(prefix) == 1 else prefix


def find_zones(text: str) -> list[ZoneMention]:
    kinds = _suffix_kind()
    out = []
    last_end = 0
    for m in _suffix_regex().finditer(text):
        run = _NAME_RUN.search(text, max(last_end, m.start() - 14), m.start())
        last_end = m.end()
        raw = run.group() if run else ""
        # the longest suffix wins: 经济开发区 before 开发区 (a run ending in 经济 belongs to the suffix)
        prefix = _trim_prefix(raw)
        suffix = m.group("suffix")
        start = m.start("suffix") - len(prefix)
        prev = out[-1] if out else None
        if suffix == "片区" and prev is not None and not prev.generic and 2 <= m.start() - prev.end <= 6:
            prefix, start = text[prev.end : m.start()], prev.end  # 开封片区: the area's name is a place name
        if suffix == "片区" and prefix and prev is not None and prev.end == start and not prev.generic:
            # 河南自贸试验区开封片区: the area of a free-trade zone is one name with it
            out[-1] = ZoneMention(prev.name + prefix + suffix, suffix, "zone", False, prev.start, m.end())
            continue
        kind = kinds[suffix]
        if kind == "named":  # 中科园区: an abbreviation that is a whole zone name
            out.append(ZoneMention(prefix + suffix, suffix, "zone", False, start, m.end()))
            continue
        out.append(ZoneMention(prefix + suffix, suffix, kind, not prefix, start, m.end()))
    return out


# a list separator, then maybe the start of the next name that the prefix rules trimmed (、河南中原建设)
_LIST_GAP = re.compile(r"[、和及与][\u4e00-\u9fff]{0,8}")


_LOCATION_CUE = re.compile(r"位于$")
_COLLECTIVE = re.compile(r"全[市县区州盟省]$")


def listed_zones(text: str, mentions: list[ZoneMention]) -> set[str]:
    """Named zones that are members of an enumeration (苏州工业园区、广州经开区、天津经开区…; A、B和C3个
    国家级经开区; …产业园等151个项目): a list names zones in passing, not the one the text is about."""
    in_list = [False] * len(mentions)
    for i in range(len(mentions) - 1):
        if _LIST_GAP.fullmatch(text[mentions[i].end : mentions[i + 1].start]):
            in_list[i] = in_list[i + 1] = True
    for i, z in enumerate(mentions):
        if text.startswith("等", z.end):
            in_list[i] = True
        # where a company or plant is (位于准格尔经济开发区大路产业园的…公司): a place named in passing
        if _LOCATION_CUE.search(text, max(0, z.start - 3), z.start) or (
            i and in_list[i - 1] and mentions[i - 1].end == z.start
        ):
            in_list[i] = True
    # a zone also named outside a list (在四川天府新区组织… / 四川天府新区和…) is not named only in passing
    free = {z.name for z, listed in zip(mentions, in_list, strict=True) if not listed}
    return {z.name for z, listed in zip(mentions, in_list, strict=True) if listed and not z.generic} - free


def main_zone(text: str, mentions: list[ZoneMention], head: str) -> tuple[str | None, list[str]]:
    named = Counter(z.name for z in mentions if not z.generic)
    # a listed zone still counts when a headline (the title, or a first line without a comma) names it
    headline = "\n".join(line for line in head.split("\n") if not re.search(r"[,，。]", line))
    listed = {n for n in listed_zones(text, mentions) if n not in headline}
    # ordered by first mention, so that a tie goes to the zone named first (not to set order, which
    # changes with the hash seed)
    zone_named = dict.fromkeys(
        z.name for z in mentions if not z.generic and z.kind == "zone" and z.name not in listed
    )
    counts = {name: text.count(name) for name in named}
    park_named = dict.fromkeys(
        z.name for z in mentions if not z.generic and z.kind == "park" and z.name not in listed
    )
    best = None
    for pool in (zone_named, park_named):
        # a zone the head names, or named more than once, is what the text reports on
        candidates = [n for n in pool if n in head or counts[n] >= 2]
        if candidates:
            best = max(candidates, key=lambda n: (n in head, counts[n], len(n)))
            break
    collective = Counter(
        z.suffix for z in mentions if z.generic and _COLLECTIVE.search(text, max(0, z.start - 2), z.start)
    )
    if best is None and collective and max(collective.values()) >= 2:
        # 全市工业园区实现…, 全市工业园区招商…: the report is on all the region's zones of one type
        best = max(collective, key=lambda s: (collective[s], len(s)))
    generic_zone = Counter(z.suffix for z in mentions if z.generic and z.kind == "zone")
    if best is None and generic_zone and max(generic_zone.values()) >= 2:
        best = max(generic_zone, key=lambda s: (text.count(s), len(s)))  # 开发区 … 开发区: the report's own
    if best is None:
        # else the first zone (then park) the text names: an excerpt names its subject once
        for kind in ("zone", "park"):
            first = next(
                (z for z in mentions if not z.generic and z.kind == kind and z.name not in listed), None
            )
            if first is not None:
                best = first.name
                break
    if best is None:
        for kind in ("zone", "park"):
            generic = Counter(
                z.suffix for z in mentions if z.generic and z.kind == kind and z.suffix != "园区"
            )
            if generic:
                best = max(generic, key=lambda s: (text.count(s), len(s)))
                break
    from processors.extract.gazetteer import find_places

    def credible(name: str) -> bool:
        # a secondary zone counts when it is named after a place, masked, or named more than once
        if counts[name] >= 2 or re.match(r"[Xx*]{2,}", name):
            return True
        places = find_places(name)
        return bool(places) and places[0][0] == 0

    zones = sorted((n for n in named if credible(n)), key=lambda n: (-counts[n], n))
    if best and best in zones:
        zones.remove(best)
    return best, ([best] if best else []) + zones


def doc_type(title: str | None, head: str, headings: list[str]) -> str:
    for source in (title or "", head, "\n".join(headings)):
        if not source:
            continue
        for name, rx in _DOC_TYPES:
            if rx.search(source):
                return name
    return "other"


_STATED_YEAR = re.compile(
    # a year after 从/自 is a starting point (从2013年的190多条,缩减到2018年的45条), not the report's
    r"(?<![\d\-—~至从自])(?<!超过)(?<!较)(?<!比)(?<!于)((?:19|20)\d{2})\s?(?:年(?!\d{1,2}月\d{1,2}日)|全年)"
)
_ROC_YEAR = re.compile(r"(?<![\d.])((?:8|9)\d|1[01]\d)年(?:度)?(?!\d)")
_DATE_LINE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})(?:[-/.]\d{1,2}(?:[-/.]\d{1,2})?(?!\d)|年\d{1,2}月\d{1,2}日)"
    r"|(?<!\d)\d{1,2}\.\d{1,2}\.((?:19|20)\d{2})(?!\d)"
)
_THIS_YEAR = re.compile(r"今年|本年")
_TAIWAN = re.compile(r"臺|台湾|台灣|新台币|國科會|国科会|中央社|竹科|中科|南科|加工出口区")


def report_year(title: str | None, head: str, headings: list[str]) -> int | None:
    """The year the report is about: stated in the title or head (a Taiwanese 103年 = 2014), else the
    year of a date line (发布时间 2015-08-06, 2015年08月06日, 26.10.2017)."""
    dated = next((m for m in (_DATE_LINE.search(src) for src in (title or "", head)) if m), None)
    for source in (title or "", head):
        m = _STATED_YEAR.search(source)
        if m:
            if dated and _THIS_YEAR.search(source, 0, m.start()):
                # 2025-10-31 … 今年前三季度 … 2024年进出口值: the text speaks of this year before naming any
                # other, so the date line gives the report year
                return int(dated.group(1) or dated.group(2))
            return int(m.group(1))
        if _TAIWAN.search(source) and (roc := _ROC_YEAR.search(source)):
            return int(roc.group(1)) + 1911
    for source in (title or "", head):
        m = _DATE_LINE.search(source)
        if m:
            return int(m.group(1) or m.group(2))
    years = Counter(int(m.group(1)) for h in headings for m in _YEAR.finditer(h))
    if years:
        return years.most_common(1)[0][0]
    return None


def report_period(dtype: str, periods: list[str | None]) -> str | None:
    if dtype not in REPORTING_TYPES:
        return None
    counts = Counter(p for p in periods if p)
    if not counts:
        return None
    top = max(counts.values())
    return next(p for p in periods if p and counts[p] == top)
