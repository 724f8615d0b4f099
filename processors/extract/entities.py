"""Entities with offsets: companies and projects, industries, places, zones.

Companies and projects come from two rules read through jieba's segmentation: the items of an
enumeration that ends in 等…项目/企业 (广日电梯、津达线缆、正泰集团…等重点在谈项目), and names ending in
a company or project suffix (…有限公司, …集团, …产业园, …项目). jieba (with the domain dictionary) finds
where a name starts: leading verbs, prepositions and adverbs are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policywatch.core.textseg import pos_cut as cut
from processors.extract.vocab import FUNCTION_TAGS, industry_pattern

_DROP = FUNCTION_TAGS | {"f", "a"}  # also localisers and adjectives
_WINDOW_STOP = re.compile(r".*(?:[了以将对在把向从与和及的是]|并入|旗下|开始|建设|利用|发挥|审批)")
_FUNCTION_CHARS = set("如与和及将对在把向以为从由等并")
_ENUM_END = re.compile(
    r"等(?:\d+|[一二三四五六七八九十]+)?(?:个|家|多个|多家)?(?:重点|优质|重大|骨干|龙头|意向)?(?:在谈|在建|新建|续建|签约)?"
    r"(?P<what>项目|企业|公司|化工类项目|化工项目|意向化工项目)"
)
_LIST_ITEM = re.compile(r"[\u4e00-\u9fffA-Za-zX*()（）]{2,24}")
_COMPANY_SUFFIX = re.compile(
    r"(?:有限责任公司|股份有限公司|有限公司|集团公司|集团|股份|药业|制药|科技|电梯|线缆|新材料|新能源|环保|电力|"
    r"铝业|化工|电子|生物|机械|汽车|电器|工贸|实业|能源|医疗|酒业|电源|轴承|制动)(?![\u4e00-\u9fff]{0,1}(?:产业|项目|园))"
)
_PROJECT_SUFFIX = re.compile(r"(?:产业园|产业谷|产业基地|孵化园|项目)")
_ITEM_STRIP = re.compile(
    r"^(?:如|包括|其中|以及|及|和|与|推进|加快|推动|保障|引进|新增|培育|签约|成功签约|先后与|联合)+"
)
_BAD_ITEM = re.compile(r"\d|[，,。；;:：]|^(?:重点|主要|其他|相关|各类|一批)")


@dataclass(frozen=True)
class Found:
    kind: str
    name: str
    start: int
    end: int


def _trim_left(text: str, start: int, end: int) -> tuple[int, str]:
    """Drop leading non-name words (verbs, prepositions...) from text[start:end]."""
    chunk = text[start:end]
    m = _ITEM_STRIP.match(chunk)
    if m:
        start += m.end()
        chunk = chunk[m.end() :]
    words = cut(chunk)
    i = 0
    while i < len(words) - 1:
        word, tag = words[i]
        # a one-character word is usually part of an unknown name (广日电梯 -> 广/日/电梯), unless it is a
        # function word
        if (tag in _DROP and len(word) >= 2) or word in _FUNCTION_CHARS:
            start += len(word)
            i += 1
        else:
            break
    return start, text[start:end]


def enumerations(text: str) -> list[Found]:
    out: list[Found] = []
    for m in _ENUM_END.finditer(text):
        what = m.group("what")
        kind = "project" if "项目" in what else "company"
        # walk back over the 、-separated list that ends at 等
        end = m.start()
        seg_start = max(text.rfind(ch, 0, end) for ch in "，,。；;:：\n(（")
        seg_start = max(seg_start + 1, end - 200)
        items = text[seg_start:end].split("、")
        if len(items) < 2 and kind == "company":
            continue
        pos = seg_start
        for idx, item in enumerate(items):
            i_start, i_end = pos, pos + len(item)
            pos = i_end + 1
            if idx == 0:
                i_start, item = _trim_left(text, i_start, i_end)
            item = item.strip()
            if not (2 <= len(item) <= 20) or _BAD_ITEM.search(item):
                continue
            k = "project" if _PROJECT_SUFFIX.search(item) else ("company" if kind == "company" else "project")
            if kind == "project" and _COMPANY_SUFFIX.search(item) and not _PROJECT_SUFFIX.search(item):
                k = "project"  # a company named as the project it runs (红日药业 in 红日药业…等项目)
            out.append(Found(k, item, i_start, i_start + len(item)))
    return out


def suffixed(text: str) -> list[Found]:
    out: list[Found] = []
    for rx, kind in (
        (re.compile(r"有限责任公司|股份有限公司|有限公司|集团公司|集团(?!化)"), "company"),
        (re.compile(r"产业园(?!区)|产业谷|产业基地|孵化园"), "project"),
    ):
        for m in rx.finditer(text):
            left = max(0, m.start() - 14)
            stop = max(text.rfind(ch, left, m.start()) for ch in '，,。；;:：、\n()（）“”"')
            if stop >= left:
                left = stop + 1
            cut_at = _WINDOW_STOP.match(text, left, m.start())
            if cut_at:
                left = cut_at.end()
            start, name = _trim_left(text, left, m.end())
            if len(name) - (m.end() - m.start()) < 2 or re.search(r"\d", name):
                continue
            out.append(Found(kind, name, start, m.end()))
    return out


def industries(text: str) -> list[Found]:
    return [Found("industry", m.group(), m.start(), m.end()) for m in industry_pattern().finditer(text)]


def find_entities(text: str) -> list[Found]:
    found = enumerations(text) + suffixed(text) + industries(text)
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    out: list[Found] = []
    last_end = -1
    for f in found:
        if f.start < last_end and f.kind != "industry":
            continue
        if out and f.start < last_end and f.kind == "industry" and out[-1].kind == "industry":
            continue
        out.append(f)
        last_end = max(last_end, f.end)
    return out
