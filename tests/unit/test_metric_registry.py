"""The metric registry (processors/extract/vocab/metrics.yaml) is the one definition of a metric: the
pydantic type, the extraction rules, the search synonyms, the JSON Schema and the README agree with it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

from policywatch.search.query import METRIC_WORDS
from processors.extract.vocab import metric_query_words, metric_registry, metric_rules
from schemas.extracted import Metric

ROOT = Path(__file__).resolve().parents[2]
IDS = [e.id for e in metric_registry()]


def test_ids_are_unique_and_equal_the_pydantic_type():
    assert len(IDS) == len(set(IDS))
    assert set(get_args(Metric)) == {*IDS, "other"}  # both ways: no id missing on either side


def test_rules_come_from_the_registry_in_its_order():
    assert [r.metric for r in metric_rules()] == IDS
    for entry, rule in zip(metric_registry(), metric_rules(), strict=True):
        assert rule.pattern.pattern == entry.pattern
        assert set(entry.kinds) <= {"money", "count", "growth", "ratio"}
        assert (rule.veto.pattern if rule.veto else None) == entry.veto


def test_search_synonyms_equal_the_registry():
    assert metric_query_words() == METRIC_WORDS
    assert all(w == w.lower() for w in METRIC_WORDS)  # the query side looks words up lower-cased


def test_json_schema_enum_equals_the_registry():
    schema = json.loads((ROOT / "schemas" / "json" / "indicator.json").read_text("utf-8"))
    assert set(schema["properties"]["metric"]["enum"]) == {*IDS, "other"}


def test_readme_indicator_table_names_every_metric():
    row = next(line for line in (ROOT / "README.md").read_text("utf-8").splitlines()
               if line.startswith("| `metric` |"))
    values = row.split("|")[3].split("(then")[0]  # the values, before the note on `label`
    assert set(re.findall(r"`([a-z_]+)`", values)) == {*IDS, "other"}
