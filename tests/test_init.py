"""`policywatch init` against the real stack, and Chinese search through the real templates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from policywatch.provision import elasticsearch as esprov
from policywatch.provision import topics as topicprov

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
pytestmark = pytest.mark.integration


def _segment(text: str) -> str:
    import jieba

    return " ".join(w for w in (w.strip() for w in jieba.cut(text)) if w)


def test_init_twice_changes_nothing(stack, kafka_admin, es):
    first = subprocess.run(
        [sys.executable, "-m", "policywatch", "init", "--json"], capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    second = subprocess.run(
        [sys.executable, "-m", "policywatch", "init", "--json"], capture_output=True, text=True
    )
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["changed"] is False, report
    assert {c["action"] for c in report["changes"]} == {"unchanged"}

    assert set(topicprov.TOPICS) <= set(kafka_admin.list_topics())
    from kafka.admin import ConfigResource, ConfigResourceType

    cfg = kafka_admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topicprov.RAW_TOPIC, ["max.message.bytes"])],
        config_filter="all",
    )["topic"][topicprov.RAW_TOPIC]
    assert int(cfg["max.message.bytes"]["value"]) >= 32 * 1024 * 1024
    for alias in esprov.ALIASES:
        assert list(es.indices.get_alias(name=alias)) == [f"{alias}-v1"]
    mapping = es.indices.get_mapping(index="policy-docs")["policy-docs-v1"]["mappings"]["properties"]
    assert mapping["indicators"]["type"] == "nested"
    assert mapping["text_seg"]["analyzer"] == "whitespace"
    assert mapping["published_at"]["type"] == "date"
    assert mapping["zone"]["type"] == "keyword"


def test_templates_use_core_features_only():
    banned = ("cjk", "smartcn", "icu_", "ik_", "painless", "default_pipeline", "final_pipeline", "percolator")
    for alias in esprov.ALIASES:
        text = json.dumps(esprov.spec(alias))
        assert not [b for b in banned if b in text], alias


@pytest.fixture(scope="module")
def seed_index(es, settings):
    name = f"pwtest-docs-{__import__('uuid').uuid4().hex[:8]}"
    es.indices.create(index=name, **esprov.index_body(esprov.DOCS, settings))
    manifest = {m["file"]: m for m in yaml.safe_load((SEEDS / "manifest.yaml").read_text())}
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text("utf-8")
        meta = manifest[path.name]
        doc = {
            "doc_id": path.stem,
            "title": text.splitlines()[0][:200],
            "text": text,
            "text_seg": _segment(text),
            "zone": meta["zone"],
            "doc_type": meta["doc_type"],
            "year": meta["year"],
            "period": meta.get("period"),
            "indicators": [],
        }
        es.index(index=name, id=path.name[:3], document=doc)
    es.indices.refresh(index=name)
    yield name
    es.indices.delete(index=name)


def _search(es, index: str, q: str) -> list[str]:
    query = {
        "bool": {
            "should": [
                {"match_phrase": {"text": {"query": q, "boost": 2}}},
                {"match": {"text_seg": {"query": _segment(q), "operator": "and"}}},
            ],
            "minimum_should_match": 1,
        }
    }
    res = es.search(index=index, query=query, size=10)
    return [h["_id"] for h in res["hits"]["hits"]]


def test_chinese_search_biomedicine(es, seed_index):
    hits = _search(es, seed_index, "生物医药")
    assert {"000", "001"} <= set(hits)
    assert "004" not in hits


def test_chinese_search_starting_area_ranks_004_first(es, seed_index):
    hits = _search(es, seed_index, "起步区")
    assert hits and hits[0] == "004"


def test_standard_field_is_per_character_and_seg_field_is_words(es, seed_index):
    tokens = es.indices.analyze(index=seed_index, field="text", text="生物医药")["tokens"]
    assert [t["token"] for t in tokens] == ["生", "物", "医", "药"]
    tokens = es.indices.analyze(index=seed_index, field="text_seg", text=_segment("生物医药产业"))["tokens"]
    assert [t["token"] for t in tokens] == ["生物医药", "产业"]
