"""`policywatch init` against the real stack, and Chinese search through the real templates."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from policywatch.provision import elasticsearch as esprov
from policywatch.provision import topics as topicprov
from schemas.indices import DOCS_INDEX

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


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
        if alias == esprov.FINGERPRINTS and not es.indices.exists_alias(name=alias):
            # a stack where the clean stage created policy-fingerprints before init managed it: left alone
            assert es.indices.exists(index=alias)
            continue
        # v1, or a newer version a reindex switched the alias to (init never switches it back)
        assert [re.sub(r"-v\d+$", "-v", i) for i in es.indices.get_alias(name=alias)] == [f"{alias}-v"]
    mapping = es.indices.get_mapping(index=DOCS_INDEX)[f"{DOCS_INDEX}-v1"]["mappings"]["properties"]
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


# --- init and reindex: init never undoes a reindex ---------------------------------------------------


def _aliases(es, alias: str) -> dict[str, bool]:
    return {i: bool(m["aliases"][alias].get("is_write_index", True))
            for i, m in es.indices.get_alias(name=alias).items()}


@pytest.fixture
def private_alias(es, unique_name):
    alias = unique_name("alias")
    yield alias
    for index in es.indices.get(index=f"{alias}*", expand_wildcards="all", allow_no_indices=True):
        es.options(ignore_status=404).indices.delete(index=index)  # by name: wildcard deletes are refused


def test_ensure_alias_creates_the_versioned_index_when_the_alias_is_missing(es, settings, private_alias):
    from policywatch.provision import Report

    report = Report()
    assert esprov.ensure_alias(es, private_alias, settings, report, version=1) == f"{private_alias}-v1"
    assert _aliases(es, private_alias) == {f"{private_alias}-v1": True}
    assert report.changed
    again = Report()
    esprov.ensure_alias(es, private_alias, settings, again, version=1)
    assert not again.changed and {c.action for c in again.changes} == {"unchanged"}


def test_ensure_alias_leaves_a_reindexed_alias_alone(es, settings, private_alias):
    """After a reindex switched the alias to -v2 (template still says 1, or already 2), init keeps it."""
    from policywatch.provision import Report

    esprov.ensure_alias(es, private_alias, settings, version=1)
    es.indices.create(index=f"{private_alias}-v2")
    es.indices.update_aliases(actions=[
        {"remove": {"index": f"{private_alias}-v1", "alias": private_alias}},
        {"add": {"index": f"{private_alias}-v2", "alias": private_alias, "is_write_index": True}},
    ])
    for version in (1, 2):
        report = Report()
        write = esprov.ensure_alias(es, private_alias, settings, report, version=version)
        assert write == f"{private_alias}-v2"
        assert _aliases(es, private_alias) == {f"{private_alias}-v2": True}
        assert not report.changed and {c.action for c in report.changes} == {"unchanged"}


def test_ensure_alias_behind_the_template_version_is_reported_not_switched(es, settings, private_alias):
    from policywatch.provision import Report

    esprov.ensure_alias(es, private_alias, settings, version=1)
    report = Report()
    assert esprov.ensure_alias(es, private_alias, settings, report, version=2) == f"{private_alias}-v1"
    assert _aliases(es, private_alias) == {f"{private_alias}-v1": True}
    assert not es.indices.exists(index=f"{private_alias}-v2")  # no empty index swapped in
    warnings = [c.detail for c in report.changes if c.action == "warning"]
    assert warnings and "policywatch reindex --alias" in warnings[0]


def test_ensure_alias_attaches_an_existing_versioned_index(es, settings, private_alias):
    from policywatch.provision import Report

    es.indices.create(index=f"{private_alias}-v1")
    report = Report()
    esprov.ensure_alias(es, private_alias, settings, report, version=1)
    assert _aliases(es, private_alias) == {f"{private_alias}-v1": True}
    assert ("alias", "created") in {(c.kind, c.action) for c in report.changes}


def test_ensure_alias_leaves_a_concrete_index_of_that_name_alone(es, settings, private_alias):
    from policywatch.provision import Report

    es.indices.create(index=private_alias)
    report = Report()
    assert esprov.ensure_alias(es, private_alias, settings, report, version=1) == private_alias
    assert not es.indices.exists(index=f"{private_alias}-v1")
    assert not report.changed


# --- policy-fingerprints: one mapping, in templates/ --------------------------------------------------


def test_fingerprint_store_creates_its_index_from_the_template(es, settings, unique_name):
    from processors.clean.dedup import FINGERPRINT_INDEX, EsFingerprintStore

    assert FINGERPRINT_INDEX == esprov.FINGERPRINTS and esprov.FINGERPRINTS in esprov.ALIASES
    name = unique_name("fp-store")
    EsFingerprintStore(es, index=name, settings=settings).ensure_index()
    mapping = es.indices.get_mapping(index=name)[name]["mappings"]
    assert mapping == esprov.spec(esprov.FINGERPRINTS)["template"]["template"]["mappings"]


def test_ensure_index_for_a_private_name_uses_the_template_mapping(es, settings, unique_name):
    name = unique_name("fp")
    try:
        assert esprov.ensure_index(es, esprov.FINGERPRINTS, name, settings) == name
        assert esprov.ensure_index(es, esprov.FINGERPRINTS, name, settings) == name  # idempotent
        mapping = es.indices.get_mapping(index=name)[name]["mappings"]
        assert mapping["dynamic"] == "strict"
        assert mapping["properties"]["first_seen"]["type"] == "date"
        assert mapping["properties"]["bands"]["type"] == "keyword"
    finally:
        es.options(ignore_status=404).indices.delete(index=name)


def test_crawl_status_template_maps_page_and_run_documents():
    """Every field the crawlers write (crawlers/status.py pages, crawlers/pipelines.py run records) is
    mapped by the template, with dates as dates and the run counts as integers."""
    from crawlers.status import COUNT_NAMES, CRAWL_STATUS_MAPPING

    props = esprov.spec(esprov.CRAWL_STATUS)["template"]["template"]["mappings"]["properties"]
    assert set(CRAWL_STATUS_MAPPING["properties"]) <= set(props)
    for name in ("started_at", "finished_at", "last_fetched_at", "first_seen_at", "last_changed_at"):
        assert props[name]["type"] == "date", name
    for name in ("kind", "run_id", "status", "source_id"):
        assert props[name]["type"] == "keyword", name
    assert {n: f["type"] for n, f in props["counts"]["properties"].items()} == dict.fromkeys(
        COUNT_NAMES, "integer")


def test_init_adds_new_template_fields_to_the_live_index(es, settings, private_alias):
    """A template that only adds fields updates the existing index's mapping (no reindex needed)."""
    from policywatch.provision import Report

    body = esprov.index_body(esprov.CRAWL_STATUS, settings)
    old = json.loads(json.dumps(body))
    for name in ("started_at", "finished_at", "counts"):
        del old["mappings"]["properties"][name]
    es.indices.create(index=f"{private_alias}-v1", aliases={private_alias: {"is_write_index": True}}, **old)
    es.index(index=private_alias, id="page", document={"kind": "page", "url": "http://x/"}, refresh=True)
    report = Report()
    esprov._extend_mapping(es, esprov.CRAWL_STATUS, f"{private_alias}-v1", settings, report)
    assert [(c.kind, c.action) for c in report.changes] == [("index", "updated")]
    mapping = es.indices.get_mapping(index=private_alias)[f"{private_alias}-v1"]["mappings"]["properties"]
    assert mapping["started_at"]["type"] == "date"
    assert mapping["counts"]["properties"]["new"]["type"] == "integer"
    es.index(index=private_alias, id="run:s:1", refresh=True, document={
        "kind": "run", "source_id": "s", "run_id": "1", "started_at": "2024-05-01T08:00:00+00:00",
        "finished_at": "2024-05-01T08:03:00+00:00", "status": "ok", "message": None,
        "counts": {"listed": 3, "new": 1}})
    hits = es.search(index=private_alias, query={"range": {"started_at": {"gte": "2024-05-01"}}})["hits"]
    assert [h["_id"] for h in hits["hits"]] == ["run:s:1"]
