"""Kibana saved objects: the ndjson parses, is current, references only fields the index templates
define, its references resolve; and `install_kibana` imports once and then changes nothing."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from policywatch.provision import Report
from policywatch.provision import kibana as kib
from policywatch.provision.elasticsearch import spec
from schemas.indices import ALERTS_INDEX, DOCS_INDEX, INDICATORS_INDEX, SOURCE_HEALTH_INDEX

ROOT = Path(__file__).resolve().parents[2]
NDJSON = ROOT / "policywatch" / "provision" / "kibana.ndjson"


def _objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in NDJSON.read_text("utf-8").splitlines() if line.strip()]


def _fields(props: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, m in props.items():
        path = f"{prefix}{name}"
        out.add(path)
        for sub in (m.get("fields") or {}):
            out.add(f"{path}.{sub}")
        if "properties" in m:
            out |= _fields(m["properties"], f"{path}.")
    return out


def _template_fields(index: str) -> set[str]:
    return _fields(spec(index)["template"]["template"]["mappings"]["properties"])


def _by_id() -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in _objects()}


def _index_of(obj: dict[str, Any]) -> str:
    """The index (template alias) behind a search or lens object, through its data view."""
    objs = _by_id()
    ref = next(r for r in obj["references"] if r["type"] == "index-pattern")
    return objs[ref["id"]]["attributes"]["title"]


def test_ndjson_is_current() -> None:
    spec_ = importlib.util.spec_from_file_location("kibana_build", ROOT / "kibana" / "build.py")
    module = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(module)
    assert NDJSON.read_text("utf-8") == module.render(), "run: python kibana/build.py"


def test_every_line_is_a_saved_object_with_a_unique_id() -> None:
    objs = _objects()
    assert all({"id", "type", "attributes", "references"} <= set(o) for o in objs)
    assert len({(o["type"], o["id"]) for o in objs}) == len(objs)
    kinds = [o["type"] for o in objs]
    assert kinds.count("index-pattern") == 4 and "dashboard" in kinds and "alert" in kinds
    assert kinds.count("search") >= 2


def test_data_views_cover_the_four_indices_with_template_time_fields() -> None:
    views = {o["attributes"]["title"]: o["attributes"] for o in _objects() if o["type"] == "index-pattern"}
    assert set(views) == {DOCS_INDEX, INDICATORS_INDEX, ALERTS_INDEX, SOURCE_HEALTH_INDEX}
    for index, attrs in views.items():
        assert attrs["timeFieldName"] in _template_fields(index), index


def test_saved_searches_name_template_fields() -> None:
    for o in (o for o in _objects() if o["type"] == "search"):
        fields = _template_fields(_index_of(o))
        used = set(o["attributes"]["columns"]) | {s[0] for s in o["attributes"]["sort"]}
        assert used <= fields, (o["id"], used - fields)
        source = json.loads(o["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        kql = source["query"]["query"]
        if kql:
            assert kql.split(":")[0].strip() in fields


def test_source_health_search_shows_what_the_health_check_writes() -> None:
    """The saved search's columns are fields of SourceHealth.document() (policywatch/source_health.py)."""
    from datetime import UTC, datetime

    from policywatch.source_health import SourceHealth

    search = _by_id()["policywatch-source-health-list"]
    assert _index_of(search) == SOURCE_HEALTH_INDEX
    columns = search["attributes"]["columns"]
    assert columns == ["source_id", "name", "state", "consecutive_failures", "last_run_at", "last_new_at",
                       "message"]
    doc = SourceHealth(source_id="s", name="n", checked_at=datetime.now(UTC), state="ok", flags=[],
                       consecutive_failures=0, last_run_at=None, last_run_status=None, last_success_at=None,
                       last_new_at=None, expected_cadence_days=7.0, quiet_days=None, message=None).document()
    assert set(columns) | {"checked_at"} <= set(doc)


def test_lens_columns_name_template_fields() -> None:
    for o in (o for o in _objects() if o["type"] == "lens"):
        fields = _template_fields(_index_of(o))
        layers = o["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
        for layer in layers.values():
            for col in layer["columns"].values():
                if col["sourceField"] != "___records___":
                    assert col["sourceField"] in fields, (o["id"], col["sourceField"])
            assert sorted(layer["columnOrder"]) == sorted(layer["columns"])


def test_dashboard_panels_resolve() -> None:
    objs = {(o["type"], o["id"]) for o in _objects()}
    dash = next(o for o in _objects() if o["type"] == "dashboard")
    panels = json.loads(dash["attributes"]["panelsJSON"])
    refs = {r["name"]: (r["type"], r["id"]) for r in dash["references"]}
    assert len(panels) >= 3
    for p in panels:
        assert refs[f"{p['panelIndex']}:{p['panelRefName']}"] in objs
    for o in _objects():
        for r in o["references"]:
            assert (r["type"], r["id"]) in objs, (o["id"], r)


def _query_fields(node: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("term", "terms", "range", "match", "match_phrase", "wildcard") \
                    and isinstance(value, dict):
                out |= set(value)
            elif key == "exists":
                out.add(value["field"])
            else:
                out |= _query_fields(value)
    elif isinstance(node, list):
        for v in node:
            out |= _query_fields(v)
    return out


def test_rule_queries_template_fields() -> None:
    rule = next(o for o in _objects() if o["type"] == "alert")
    params = rule["attributes"]["params"]
    assert rule["attributes"]["alertTypeId"] == ".es-query"
    for index in params["index"]:
        fields = _template_fields(index)
        assert params["timeField"] in fields
        assert params.get("termField", "watch") in fields
        assert _query_fields(json.loads(params["esQuery"])) <= fields


class _FakeKibana:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], dict] = {}
        self.rule_enabled = False
        self.imports = 0
        self.connector_puts: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["kbn-xsrf"]
        path = request.url.path
        if path == "/api/status":
            return httpx.Response(200, json={"status": {"overall": {"level": "available"}}})
        if path == "/api/saved_objects/_import":
            assert request.url.params["overwrite"] == "true"
            self.imports += 1
            body = request.content.decode("utf-8")
            lines = [json.loads(x) for x in body.splitlines() if x.startswith("{")]
            for o in lines:
                self.objects[(o["type"], o["id"])] = o
            return httpx.Response(200, json={"success": True, "successCount": len(lines)})
        if path.startswith("/api/saved_objects/"):
            _, _, _, kind, oid = path.split("/")
            o = self.objects.get((kind, oid))
            return httpx.Response(200, json=o) if o else httpx.Response(404, json={})
        if path.startswith("/api/actions/connector/"):
            oid = path.rsplit("/", 1)[1]
            o = self.objects.get(("action", oid))
            if o is None:
                return httpx.Response(404, json={})
            if request.method == "PUT":
                body = json.loads(request.content)
                assert set(body) == {"name", "config", "secrets"}  # the update API takes no type
                o["attributes"]["config"] = body["config"]
                self.connector_puts.append(body)
            attrs = o["attributes"]
            return httpx.Response(200, json={"id": oid, "name": attrs["name"], "config": attrs["config"],
                                             "connector_type_id": attrs["actionTypeId"]})
        if path.endswith("/_enable"):
            self.rule_enabled = True
            return httpx.Response(204)
        if path.startswith("/api/alerting/rule/"):
            return httpx.Response(200, json={"enabled": self.rule_enabled})
        return httpx.Response(404)


class _Settings:
    kibana_url = "http://kibana.test:5601"
    kibana_webhook_url = "https://hooks.example.test/policywatch"
    kibana_wait_s = 1.0
    es_username = None
    es_password = None
    es_api_key = None


def test_install_imports_once_then_changes_nothing() -> None:
    fake = _FakeKibana()
    first = Report()
    kib.install_kibana(_Settings(), first, transport=httpx.MockTransport(fake), wait_s=1)
    assert [c.action for c in first.changes] == ["created", "updated", "updated"]
    assert fake.imports == 1 and fake.rule_enabled
    assert len(fake.objects) == len(_objects())
    assert [p["config"]["url"] for p in fake.connector_puts] == [_Settings.kibana_webhook_url]
    assert fake.connector_puts[0]["config"]["method"] == "post"  # the rest of the config is kept
    second = Report()
    kib.install_kibana(_Settings(), second, transport=httpx.MockTransport(fake))  # wait from settings
    assert [c.action for c in second.changes] == ["unchanged", "unchanged", "unchanged"]
    assert fake.imports == 1 and len(fake.connector_puts) == 1


def test_install_reports_a_refused_import() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/status":
            return httpx.Response(200, json={})
        if request.url.path == "/api/saved_objects/_import":
            return httpx.Response(200, json={"success": False, "errors": [{"id": "x", "error": "bad"}]})
        return httpx.Response(404, json={})

    from policywatch.core.errors import PolicywatchError

    with pytest.raises(PolicywatchError, match="refused"):
        kib.install_kibana(_Settings(), Report(), transport=httpx.MockTransport(refuse), wait_s=1)


# --- the file as Kibana 8.19's import reads it ----------------------------------------------------

EXPORT_KEYS = {"id", "type", "attributes", "references", "coreMigrationVersion", "typeMigrationVersion"}
TYPE_MIGRATION = {"index-pattern": "8.0.0", "search": "8.0.0", "lens": "8.9.0", "dashboard": "8.7.0",
                  "action": "8.3.0", "alert": "8.0.0"}


def test_every_object_has_the_8_19_export_shape() -> None:
    for o in _objects():
        assert set(o) >= EXPORT_KEYS, (o["id"], EXPORT_KEYS - set(o))
        assert o["coreMigrationVersion"] == "8.8.0", o["id"]  # what 8.8-8.19 write on export
        assert o["typeMigrationVersion"] == TYPE_MIGRATION[o["type"]], o["id"]
        for ref in o["references"]:
            assert set(ref) == {"name", "type", "id"}, (o["id"], ref)


def test_the_rule_is_wired_to_an_index_and_a_webhook_connector() -> None:
    objs = _by_id()
    rule = objs[kib.RULE_ID]["attributes"]
    refs = {r["name"]: r for r in objs[kib.RULE_ID]["references"]}
    kinds = {}
    for action in rule["actions"]:
        ref = refs[action["actionRef"]]  # every actionRef has its reference, to a connector in the file
        assert ref["type"] == "action"
        connector = objs[ref["id"]]
        assert connector["type"] == "action" and not connector["attributes"]["isMissingSecrets"]
        assert action["actionTypeId"] == connector["attributes"]["actionTypeId"]
        assert action["group"] == "query matched"  # the .es-query rule's only action group
        assert action["frequency"]["notifyWhen"] == "onActiveAlert"
        kinds[action["actionTypeId"]] = (connector, action)
    assert rule["notifyWhen"] is None and rule["throttle"] is None  # frequency lives on the actions
    index_connector, index_action = kinds[".index"]
    config = index_connector["attributes"]["config"]
    assert config["index"] == "policy-alerts"
    fields = _template_fields("policy-alerts")
    assert config["executionTimeField"] in fields
    written = set(index_action["params"]["documents"][0])
    assert written <= fields
    # what the rule writes never matches the rule's own query (no loop)
    assert not written & _query_fields(json.loads(rule["params"]["esQuery"]))
    webhook, webhook_action = kinds[".webhook"]
    assert webhook["id"] == kib.WEBHOOK_CONNECTOR and webhook["attributes"]["config"]["method"] == "post"
    json.loads(webhook_action["params"]["body"])  # a JSON body (the mustache is inside strings)


def test_time_filtered_views_see_every_document() -> None:
    """Docs and indicators are filtered on @timestamp, which the index stage always sets (the
    publication date, else the first-seen time), so an undated publication is not invisible."""
    from datetime import UTC, datetime

    from processors.clean import prepare
    from processors.extract import extract_document
    from processors.index import docs_source, indicator_sources
    from processors.replay import raw_document_for_file

    views = {o["attributes"]["title"]: o["attributes"]["timeFieldName"]
             for o in _objects() if o["type"] == "index-pattern"}
    assert views["policy-docs"] == views["policy-indicators"] == "@timestamp"
    fetched = datetime(2026, 11, 30, 8, tzinfo=UTC)
    seed = sorted((ROOT / "seeds").glob("*.txt"))[0]  # a plain-text seed: no publication date in it
    undated = extract_document(prepare(raw_document_for_file(seed, fetched_at=fetched)))
    assert undated.published_at is None and undated.extraction.indicators
    source = docs_source(undated)
    assert source["@timestamp"] == fetched.isoformat() and source["timestamp_source"] == "first_seen"
    dated = undated.model_copy(update={"published_at": datetime(2024, 3, 1, tzinfo=UTC)})
    assert docs_source(dated)["@timestamp"].startswith("2024-03-01")
    assert docs_source(dated)["timestamp_source"] == "published"
    for row in indicator_sources(dated):
        assert row["@timestamp"].startswith("2024-03-01") and row["timestamp_source"] == "published"
    for index in ("policy-docs", "policy-indicators"):
        assert {"@timestamp", "timestamp_source"} <= _template_fields(index)
