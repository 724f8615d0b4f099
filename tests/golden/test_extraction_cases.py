"""Short documents of our own (tests/golden/gold/cases.yaml): traditional script, full-width forms, negative
growth, 倍, forecasts, targets, masks, completion rates, hard wraps, and texts that give no indicator."""

from pathlib import Path

import pytest
import yaml

from processors.extract import extract_text

CASES = yaml.safe_load((Path(__file__).parent / "gold" / "cases.yaml").read_text(encoding="utf-8"))


def _matching(result, text, anchor):
    start = text.index(anchor)
    end = start + len(anchor)
    hits = [i for i in result.indicators if i.span[0] < end and start < i.span[1]]
    assert hits, f"no indicator covers {anchor!r}"
    return hits[-1] if len(hits) > 1 and anchor.endswith("%") else hits[0]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case):
    text = case["text"]
    result = extract_text(text, title=case.get("title"))
    if "count" in case:
        got = [(i.label, i.value, i.unit) for i in result.indicators]
        assert len(result.indicators) == case["count"], got
    for exp in case.get("expect") or []:
        ind = _matching(result, text, exp["anchor"])
        for key, want in exp.items():
            if key == "anchor":
                continue
            got = getattr(ind, key)
            if isinstance(want, float | int) and not isinstance(want, bool) and got is not None:
                assert got == pytest.approx(want), (exp["anchor"], key, got)
            else:
                assert got == want, (exp["anchor"], key, got)
    facts = case.get("facts") or {}
    if "zone" in facts:
        assert result.zone == facts["zone"]
    if "region" in facts:
        r = result.region
        assert [r.province, r.city, r.county] == facts["region"]
    if "doc_type" in facts:
        assert result.doc_type == facts["doc_type"]
    if "year" in facts:
        assert result.year == facts["year"]


def test_spans_index_the_text_passed_in():
    for case in CASES:
        text = case["text"]
        result = extract_text(text, title=case.get("title"))
        for ind in result.indicators:
            a, b = ind.span
            assert 0 <= a < b <= len(text)
            if ind.unit:
                # the unit as written (traditional, wrapped or not) lies inside the span
                written = "".join(text[a:b].split()).replace("余", "").replace("餘", "").replace("多", "")
                assert ind.unit in written, (ind.unit, text[a:b])
