"""The development corpus (tests/golden/extraction): its shape, the scorer's rules, and the scores the
extractor must keep on the tuning part. The blind part is only checked for its shape here, never
extracted (bench/extraction.py --split blind scores it once, when the work is done)."""

from pathlib import Path
from typing import get_args

import pytest

from processors.extract import extract_text
from processors.extract.corpus import (
    canonical_period,
    load_corpus,
    match_doc,
    number_match,
    score,
    unit_key,
    zone_ok,
)
from schemas.extracted import Currency, DocType, GrowthBasis, Indicator, Metric, Scope

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "golden" / "extraction"


def _ind(**kw) -> Indicator:
    return Indicator(**{"metric": "other", "label": "x", "span": (0, 1), **kw})


def test_canonical_periods_are_equal_across_the_ways_of_writing_them():
    nine = {
        canonical_period(p, 2023) for p in ("截至9月底", "1-9月", "1至9月", "前9个月", "前三季度", "1—9月份")
    }
    assert nine == {(2023, 1, 9)}
    assert canonical_period("2023年", None) == canonical_period("全年", 2023) == (2023, 1, 12)
    assert canonical_period("1-12月", 2023) == (2023, 1, 12)
    assert canonical_period("上半年", 2021) == canonical_period("1-6月", 2021)
    assert canonical_period("一至七月", 2016) == (2016, 1, 7)
    assert canonical_period("1-9月", 2022) != canonical_period("1-9月", 2023)
    assert canonical_period(None, 2023) is None


def test_units_compare_without_yuan_script_or_currency_words():
    assert unit_key("億元") == unit_key("亿元") == unit_key("亿") == "亿"
    assert unit_key("亿美元") != unit_key("亿元")
    assert unit_key("万元人民币") == "万"


def test_a_match_is_on_value_and_unit_or_on_growth_alone():
    gold = {"value": 18.2, "unit": "亿元", "growth_pct": 37.4}
    assert number_match(_ind(value=18.2, unit="億元"), gold)
    assert not number_match(_ind(value=18.2, unit="亿美元"), gold)
    assert not number_match(_ind(value=18.3, unit="亿元"), gold)
    growth_only = {"value": None, "unit": None, "growth_pct": 9.6}
    assert number_match(_ind(growth_pct=9.6), growth_only)
    assert not number_match(_ind(value=9.6, unit="亿元", growth_pct=9.6), growth_only)
    masked = {"value": None, "unit": "亿元", "growth_pct": None, "redacted": True}
    assert number_match(_ind(unit="亿元", redacted=True), masked)


def test_matching_is_one_to_one_and_prefers_the_candidate_agreeing_on_more_fields():
    gold = [{"value": 5.0, "unit": "亿元", "metric": "tax_revenue", "period": "1-10月", "scope": "actual"}]
    preds = [
        _ind(value=5.0, unit="亿元", metric="other", period="全年"),
        _ind(value=5.0, unit="亿元", metric="tax_revenue", period="1-10月"),
    ]
    assert match_doc(gold, preds, 2023, 2023) == [(0, 1)]


def test_zone_names_match_when_one_ends_the_other():
    assert zone_ok("河南自贸试验区开封片区", "开封片区")
    assert zone_ok("高新區", "高新区")
    assert not zone_ok("经开区", "高新区")
    assert zone_ok(None, None) and not zone_ok("开发区", None)


def test_the_tuning_part_has_its_size_and_vocabulary():
    # the first blind part (every third excerpt, 52) was scored twice and then merged into tune: all 157
    # first-collection excerpts are x-ids; the new blind part (y-ids) is not read here
    tune = load_corpus(CORPUS, "tune")
    assert len(tune) >= 157 and all(d.id.startswith("x") for d in tune)
    assert sum(1 for d in tune if int(d.id[1:]) % 3 == 0) >= 52
    metrics = set(get_args(Metric))
    for d in tune:
        assert d.url.startswith("http") and d.text.strip()
        for ind in d.expected["indicators"]:
            assert ind["metric"] in metrics, (d.id, ind)
            assert ind["value"] is not None or ind["growth_pct"] is not None or ind.get("redacted"), (
                d.id,
                ind,
            )
    negatives = [d for d in tune if not d.expected["indicators"]]
    assert len(negatives) >= 20


INDICATOR_KEYS = {"metric", "label", "value", "unit", "growth_pct", "period", "year", "scope", "redacted"}
OPTIONAL_KEYS = {"completion_pct", "currency", "growth_basis", "zone"}


def test_the_blind_part_has_its_shape_without_being_extracted():
    # blind part 2 (y-ids), collected apart from tune; only loaded and checked here, never extracted
    blind, tune = load_corpus(CORPUS, "blind"), load_corpus(CORPUS, "tune")
    assert len(blind) >= 55 and all(d.id.startswith("y") for d in blind)
    urls = [d.url for d in blind]
    assert len(set(urls)) == len(urls) and not set(urls) & {d.url for d in tune}
    for d in blind:
        assert d.url.startswith("http") and d.text.strip(), d.id
        exp = d.expected
        assert exp["doc_type"] in get_args(DocType) and set(exp["region"]) == {"province", "city", "county"}
        assert exp["zone"] is None or exp["zone"] in exp["zones"], d.id
        for ind in exp["indicators"]:
            assert INDICATOR_KEYS <= set(ind) <= INDICATOR_KEYS | OPTIONAL_KEYS, (d.id, ind)
            assert ind["metric"] in get_args(Metric) and ind["scope"] in get_args(Scope), (d.id, ind)
            assert ind.get("currency") in (None, *get_args(Currency)), (d.id, ind)
            assert ind.get("growth_basis") in (None, *get_args(GrowthBasis)), (d.id, ind)
            assert ind["value"] is not None or ind["growth_pct"] is not None or ind["redacted"], (d.id, ind)
    negatives = [d for d in blind if not d.expected["indicators"]]
    assert 0.12 <= len(negatives) / len(blind) <= 0.25


def test_a_split_without_documents_loads_empty_and_the_bench_says_so(tmp_path):
    from bench.extraction import corpus_part

    assert load_corpus(tmp_path, "blind") == []
    (tmp_path / "blind").mkdir()
    part = corpus_part("blind", 1, root=tmp_path)
    assert part["scores"] is None and part["note"] == "no blind documents yet"


@pytest.fixture(scope="module")
def tune_report():
    docs = load_corpus(CORPUS, "tune")
    return score(docs, {d.id: extract_text(d.text, title=d.title) for d in docs})


def test_tune_indicator_precision_and_recall(tune_report):
    ind = tune_report["indicators"]
    assert ind["precision"] >= 0.98, tune_report["extras"][:20]
    assert ind["recall"] >= 0.87, tune_report["misses"][:20]


def test_tune_strict_f1(tune_report):
    assert tune_report["strict"]["f1"] >= 0.805, tune_report["field_errors"][:20]


def test_tune_document_facts(tune_report):
    facts = tune_report["facts"]
    assert facts["zone"] >= 0.90, [e for e in tune_report["fact_errors"] if " zone " in e]
    assert facts["year"] >= 0.88, [e for e in tune_report["fact_errors"] if " year " in e]
    assert facts["region"] >= 0.81, [e for e in tune_report["fact_errors"] if " region " in e]


def test_tune_negatives_stay_clean(tune_report):
    docs = load_corpus(CORPUS, "tune")
    negatives = {d.id for d in docs if not d.expected["indicators"]}
    extras = [e for e in tune_report["extras"] if e.split(":")[0] in negatives]
    assert len(extras) <= 3, extras
