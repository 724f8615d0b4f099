"""policy-indicators rows carry a zone: the figure's own sub-zone, else its document's (pure)."""

from __future__ import annotations

from pathlib import Path

from processors.index import indicator_sources
from tests.golden.relevance.corpus import extracted

ROOT = Path(__file__).resolve().parents[2]


def test_an_indicator_without_a_sub_zone_takes_the_documents_zone() -> None:
    doc = extracted(next((ROOT / "seeds").glob("004_*.txt")))
    assert doc.extraction.zone == "济南新旧动能转换起步区"
    first = doc.extraction.indicators[0]
    named = first.model_copy(update={"zone": "数字经济产业园"})
    doc = doc.model_copy(update={"extraction": doc.extraction.model_copy(
        update={"indicators": [named, *doc.extraction.indicators[1:]]})})
    rows = indicator_sources(doc)
    assert rows[0]["zone"] == "数字经济产业园"
    assert {r["zone"] for r in rows[1:] if doc.extraction.indicators[rows.index(r)].zone is None} == {
        "济南新旧动能转换起步区"}
