"""Document facts: zone names, document type, report year and period."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from policywatch.core.textseg import pos_cut as cut
from processors.extract.vocab import FUNCTION_TAGS, zone_suffixes

_PREFIX_STOP = re.compile(
    r".*(?:[在的和与及将对向把以为是等到由了从于至]|依托|推进|打造|建设|加快|成为|获批|获评|全市|全省|全国|全县|"
    r"国家级|省级|市级|县级|各类|入驻|落户|园中园|我们|签约|引进|启动|承接|设立|作为|其中|包括|推动|支持|"
    r"以下简称|简称|尽快|配齐|赋予|考入|跟踪|研判|助力|落地|规划|利用|通过|对标|举办|有关|\d{4}年(?:度)?|今年|现将)"
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
    ("新闻", re.compile(r"记者|新华社|日电|本报讯|通讯员")),
)
_YEAR = re.compile(r"(?<![\d\-—~至])((?:19|20)\d{2})(?:年|全年)")
REPORTING_TYPES = {"工作总结", "情况汇报", "计划执行情况", "新闻"}


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
        out.append(ZoneMention(prefix + suffix, suffix, kinds[suffix], not prefix, start, m.end()))
    return out


def main_zone(text: str, mentions: list[ZoneMention], head: str) -> tuple[str | None, list[str]]:
    named = Counter(z.name for z in mentions if not z.generic)
    zone_named = {z.name for z in mentions if not z.generic and z.kind == "zone"}
    counts = {name: text.count(name) for name in named}
    best = None
    candidates = [n for n in zone_named if n in head or counts[n] >= 2]
    if candidates:
        best = max(candidates, key=lambda n: (n in head, counts[n], len(n)))
    else:
        generic = Counter(z.suffix for z in mentions if z.generic and z.kind == "zone")
        if generic:
            best = max(generic, key=lambda s: (text.count(s), len(s)))
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


def report_year(title: str | None, head: str, headings: list[str]) -> int | None:
    for source in (title or "", head):
        m = _YEAR.search(source)
        if m:
            return int(m.group(1))
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
