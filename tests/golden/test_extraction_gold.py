"""The extractor against the hand-written seed gold (gold/seeds.yaml): the scores it must reach."""

from pathlib import Path

import pytest

from processors.extract import extract_text
from processors.extract.scoring import FIELDS, load_gold, score

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report():
    gold = load_gold(ROOT / "tests" / "golden" / "gold" / "seeds.yaml", ROOT / "seeds")
    results = {d.file: extract_text((ROOT / "seeds" / d.file).read_text(encoding="utf-8")) for d in gold}
    return score(gold, results)


def test_gold_covers_the_brief(report):
    gold = load_gold(ROOT / "tests" / "golden" / "gold" / "seeds.yaml", ROOT / "seeds")
    assert {d.file[:3] for d in gold} == {"000", "001", "002", "003", "004"}
    assert {d.file[:3] for d in gold if d.complete} == {"000", "003"}
    assert report["indicators"]["gold"] >= 100


def test_indicator_precision_and_recall(report):
    ind = report["indicators"]
    assert ind["precision"] >= 0.95, report["extras"]
    assert ind["recall"] >= 0.90, report["misses"]


@pytest.mark.parametrize("field", FIELDS)
def test_field_scores(report, field):
    f = report["fields"][field]
    assert f["precision"] >= 0.93, report["field_errors"]
    assert f["recall"] >= 0.90, report["field_errors"]


def test_document_facts(report):
    facts = report["facts"]
    assert facts["zone"] == 1.0
    assert facts["doc_type"] == 1.0
    assert facts["year"] == 1.0
    assert facts["region"] >= 0.8
    assert facts["period"] >= 0.8
