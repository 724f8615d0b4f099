"""Numbers and units: values as written (arabic or Chinese numerals), masks, units and normalisation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

CN_DIGITS = "零〇一二两三四五六七八九十百千"
# a number as written: arabic (with thousands separators) or Chinese numerals
ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
CHINESE = rf"[{CN_DIGITS}]+(?:点[{CN_DIGITS}]+)?"
MASK = r"(?:\*+|[Xx×]{1,6})"

MONEY_UNITS: dict[str, tuple[float, str]] = {
    # unit as written (simplified) -> (multiplier to base, currency)
    "兆元": (1e12, "TWD"),
    "万亿元": (1e12, "CNY"),
    "亿元": (1e8, "CNY"),
    "万元": (1e4, "CNY"),
    "千元": (1e3, "CNY"),
    "元": (1.0, "CNY"),
    "亿美元": (1e8, "USD"),
    "万美元": (1e4, "USD"),
    "美元": (1.0, "USD"),
    "亿新台币": (1e8, "TWD"),
    "万新台币": (1e4, "TWD"),
    "新台币": (1.0, "TWD"),
    "兆新台币": (1e12, "TWD"),
    "亿": (1e8, "CNY"),
    "兆": (1e12, "TWD"),
    "亿元新台币": (1e8, "TWD"),
    "万元新台币": (1e4, "TWD"),
}
COUNT_UNITS = ("家", "个", "项", "户", "间", "宗")
MULTIPLIERS = {"万亿": 1e12, "兆": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3}


@dataclass(frozen=True)
class Quantity:
    value: float | None  # the number as written; None when masked
    unit: str  # unit as written in the working text (e.g. 亿元, 家)
    value_normalized: float | None
    currency: str | None
    kind: str  # money | count
    redacted: bool


_MASK_RX = re.compile(MASK)
_ARABIC_RX = re.compile(ARABIC)


def parse_number(s: str) -> float | None:
    """'27,934' -> 27934.0; '一万' -> 10000.0; '两' -> 2.0; a mask -> None."""
    s = s.strip()
    if not s or _MASK_RX.fullmatch(s):
        return None
    if _ARABIC_RX.fullmatch(s):
        return float(s.replace(",", ""))
    return _cn2an(s)


@lru_cache(maxsize=4096)
def _cn2an(s: str) -> float | None:
    import cn2an  # lazy: cn2an imports its config on first use

    if s[0] in "十百千":
        s = "一" + s  # 千亿元 = 一千亿元
    try:
        v = cn2an.cn2an(s, "smart")
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    return float(v)


def split_unit(unit: str) -> tuple[float, str | None, str]:
    """Unit as written -> (multiplier to yuan / dollars / one, currency, kind of quantity)."""
    if unit in MONEY_UNITS:
        mult, cur = MONEY_UNITS[unit]
        return mult, cur, "money"
    for prefix, mult in MULTIPLIERS.items():
        if unit.startswith(prefix) and unit[len(prefix) :] in COUNT_UNITS:
            return mult, None, "count"
    if unit in COUNT_UNITS:
        return 1.0, None, "count"
    return 1.0, None, "other"


def quantity(number: str, unit: str) -> Quantity:
    value = parse_number(number)
    mult, cur, kind = split_unit(unit)
    redacted = value is None
    norm = None if value is None else round(value * mult, 4)
    return Quantity(value=value, unit=unit, value_normalized=norm, currency=cur, kind=kind, redacted=redacted)
