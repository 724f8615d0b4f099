"""Numbers and units: arabic and Chinese numerals (cn2an), masks, units and normalised values."""

import pytest

from processors.extract.numbers import parse_number, quantity


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("27934", 27934.0),
        ("62.5", 62.5),
        ("12,345", 12345.0),
        ("一万", 10000.0),
        ("两", 2.0),
        ("三千", 3000.0),
    ],
)
def test_parse_number(written, value):
    assert parse_number(written) == value


@pytest.mark.parametrize("mask", ["***", "*", "XX", "xxx"])
def test_masks_have_no_number(mask):
    assert parse_number(mask) is None


@pytest.mark.parametrize(
    ("number", "unit", "normalized", "currency", "kind"),
    [
        ("27934", "万元", 279_340_000, "CNY", "money"),
        ("62.5", "亿元", 6_250_000_000, "CNY", "money"),
        ("1.2", "万亿元", 1_200_000_000_000, "CNY", "money"),
        ("4596.6", "万美元", 45_966_000, "USD", "money"),
        ("0.23", "亿美元", 23_000_000, "USD", "money"),
        ("61", "家", 61, None, "count"),
        ("1.5", "万家", 15_000, None, "count"),
        ("53", "个", 53, None, "count"),
    ],
)
def test_quantity_normalisation(number, unit, normalized, currency, kind):
    q = quantity(number, unit)
    assert q.value_normalized == pytest.approx(normalized)
    assert q.currency == currency
    assert q.kind == kind
    assert not q.redacted


def test_masked_quantity_is_redacted_without_a_guess():
    q = quantity("***", "亿元")
    assert q.redacted and q.value is None and q.value_normalized is None
