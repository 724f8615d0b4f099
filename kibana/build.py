"""Writes policywatch/provision/kibana.ndjson: the Kibana saved objects of policywatch in the export format
(package data: `policywatch init` installs them from the installed package).

Run `python kibana/build.py` after changing this file; tests/unit/test_kibana.py checks the ndjson is
current and that every field it names exists in the index templates.

Objects: data views for policy-docs, policy-indicators, policy-alerts and policy-source-health (the
docs and indicators on ``@timestamp``: the publication date, else the first-seen time, so undated
publications are inside the time filter too); saved searches (latest publications, latest alerts, GDP
indicators, source health); Lens charts (new publications over time, indicators by zone and year); a
dashboard; two connectors (an index connector writing into policy-alerts, a webhook connector whose URL
`policywatch init` sets from POLICYWATCH_KIBANA_WEBHOOK_URL); and an Elasticsearch-query rule on
policy-alerts with both as its actions (imported disabled, as Kibana does with every imported rule;
`policywatch init` enables it, which needs xpack.encryptedSavedObjects.encryptionKey in Kibana).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.indices import ALERTS_INDEX, DOCS_INDEX, INDICATORS_INDEX, SOURCE_HEALTH_INDEX

OUT = Path(__file__).resolve().parents[1] / "policywatch" / "provision" / "kibana.ndjson"
CORE = "8.8.0"

DV_DOCS = "policywatch-docs"
DV_INDICATORS = "policywatch-indicators"
DV_ALERTS = "policywatch-alerts"
DV_SOURCE_HEALTH = "policywatch-source-health"
RULE_ID = "policywatch-new-alerts"
INDEX_CONNECTOR = "policywatch-alerts-index"
WEBHOOK_CONNECTOR = "policywatch-alerts-webhook"
PLACEHOLDER_WEBHOOK = "http://localhost:9/policywatch-alerts"  # init replaces it with the configured URL


def data_view(id_: str, title: str, name: str, time_field: str) -> dict[str, Any]:
    return {
        "id": id_, "type": "index-pattern", "coreMigrationVersion": CORE, "typeMigrationVersion": "8.0.0",
        "attributes": {"title": title, "name": name, "timeFieldName": time_field, "fields": "[]",
                       "fieldFormatMap": "{}", "runtimeFieldMap": "{}", "sourceFilters": "[]"},
        "references": [],
    }


def saved_search(id_: str, title: str, dv: str, columns: list[str], sort: list[list[str]],
                 query: str = "") -> dict[str, Any]:
    source = {"query": {"query": query, "language": "kuery"}, "filter": [],
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return {
        "id": id_, "type": "search", "coreMigrationVersion": CORE, "typeMigrationVersion": "8.0.0",
        "attributes": {"title": title, "description": "", "columns": columns, "sort": sort,
                       "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source, ensure_ascii=False)}},
        "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern",
                        "id": dv}],
    }


def lens(id_: str, title: str, dv: str, vis_type: str, columns: dict[str, dict[str, Any]],
         visualization: dict[str, Any]) -> dict[str, Any]:
    state = {
        "datasourceStates": {"formBased": {"layers": {"layer1": {
            "columns": columns, "columnOrder": list(columns), "incompleteColumns": {}}}}},
        "visualization": visualization,
        "query": {"query": "", "language": "kuery"},
        "filters": [],
    }
    return {
        "id": id_, "type": "lens", "coreMigrationVersion": CORE, "typeMigrationVersion": "8.9.0",
        "attributes": {"title": title, "description": "", "visualizationType": vis_type, "state": state},
        "references": [{"type": "index-pattern", "id": dv, "name": "indexpattern-datasource-layer-layer1"}],
    }


def connector(id_: str, name: str, action_type: str, config: dict[str, Any]) -> dict[str, Any]:
    """A connector as Kibana exports it (no secrets: neither connector has any)."""
    return {
        "id": id_, "type": "action", "coreMigrationVersion": CORE, "typeMigrationVersion": "8.3.0",
        "attributes": {"actionTypeId": action_type, "name": name, "isMissingSecrets": False,
                       "config": config, "secrets": {}},
        "references": [],
    }


def rule_action(ref: str, action_type: str, params: dict[str, Any], uuid: str) -> dict[str, Any]:
    return {"group": "query matched", "actionRef": ref, "actionTypeId": action_type, "params": params,
            "uuid": uuid,
            "frequency": {"summary": False, "notifyWhen": "onActiveAlert", "throttle": None}}


def _terms(field: str, label: str, size: int, order_by: str) -> dict[str, Any]:
    return {"label": label, "dataType": "string" if field != "doc_year" else "number",
            "operationType": "terms", "sourceField": field, "isBucketed": True, "scale": "ordinal",
            "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by},
                       "orderDirection": "desc", "otherBucket": False, "missingBucket": False}}


def objects() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        data_view(DV_DOCS, DOCS_INDEX, "policywatch: publications", "@timestamp"),
        data_view(DV_INDICATORS, INDICATORS_INDEX, "policywatch: indicators", "@timestamp"),
        data_view(DV_ALERTS, ALERTS_INDEX, "policywatch: alerts", "matched_at"),
        # policywatch/source_health.py SourceHealth.document(): one document per source (_id = source_id)
        data_view(DV_SOURCE_HEALTH, SOURCE_HEALTH_INDEX, "policywatch: source health", "checked_at"),
        saved_search("policywatch-latest-publications", "policywatch: latest publications", DV_DOCS,
                     ["title", "zone", "region.province", "doc_type", "year", "period", "timestamp_source",
                      "url"],
                     [["@timestamp", "desc"]]),
        saved_search("policywatch-latest-alerts", "policywatch: latest alerts", DV_ALERTS,
                     ["watch", "title", "zone", "year", "delivery", "url"], [["matched_at", "desc"]]),
        saved_search("policywatch-gdp-indicators", "policywatch: GDP indicators", DV_INDICATORS,
                     ["zone", "doc_year", "period", "label", "value", "unit", "growth_pct", "scope", "url"],
                     [["indexed_at", "desc"]], query="metric : gdp"),
        saved_search("policywatch-source-health-list", "policywatch: source health", DV_SOURCE_HEALTH,
                     ["source_id", "name", "state", "consecutive_failures", "last_run_at", "last_new_at",
                      "message"],
                     [["consecutive_failures", "desc"], ["checked_at", "desc"]]),
        lens("policywatch-publications-over-time", "policywatch: new publications over time", DV_DOCS,
             "lnsXY",
             {"c_date": {"label": "published (else first seen)", "dataType": "date",
                         "operationType": "date_histogram", "sourceField": "@timestamp", "isBucketed": True,
                         "scale": "interval",
                         "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False}},
              "c_type": _terms("doc_type", "document type", 8, "c_count"),
              "c_count": {"label": "publications", "dataType": "number", "operationType": "count",
                          "sourceField": "___records___", "isBucketed": False, "scale": "ratio",
                          "params": {"emptyAsNull": True}}},
             {"legend": {"isVisible": True, "position": "right"}, "preferredSeriesType": "bar_stacked",
              "valueLabels": "hide", "layers": [{
                  "layerId": "layer1", "layerType": "data", "seriesType": "bar_stacked",
                  "xAccessor": "c_date", "splitAccessor": "c_type", "accessors": ["c_count"]}]}),
        lens("policywatch-indicators-by-zone-year", "policywatch: indicators by zone and year", DV_INDICATORS,
             "lnsDatatable",
             {"c_zone": _terms("zone", "zone", 20, "c_count"),
              "c_year": _terms("doc_year", "year", 10, "c_count"),
              "c_metric": _terms("metric", "metric", 25, "c_count"),
              "c_count": {"label": "indicators", "dataType": "number", "operationType": "count",
                          "sourceField": "___records___", "isBucketed": False, "scale": "ratio",
                          "params": {"emptyAsNull": True}},
              "c_growth": {"label": "median growth %", "dataType": "number", "operationType": "median",
                           "sourceField": "growth_pct", "isBucketed": False, "scale": "ratio",
                           "params": {"emptyAsNull": True}},
              "c_value": {"label": "max value (yuan / USD / count)", "dataType": "number",
                          "operationType": "max", "sourceField": "value_normalized", "isBucketed": False,
                          "scale": "ratio", "params": {"emptyAsNull": True}}},
             {"layerId": "layer1", "layerType": "data",
              "columns": [{"columnId": c} for c in
                          ("c_zone", "c_year", "c_metric", "c_count", "c_growth", "c_value")]}),
    ]
    panels = [
        ("p1", "lens", "policywatch-publications-over-time", {"x": 0, "y": 0, "w": 24, "h": 14}),
        ("p2", "lens", "policywatch-indicators-by-zone-year", {"x": 24, "y": 0, "w": 24, "h": 14}),
        ("p3", "search", "policywatch-latest-alerts", {"x": 0, "y": 14, "w": 48, "h": 14}),
        ("p4", "search", "policywatch-latest-publications", {"x": 0, "y": 28, "w": 48, "h": 16}),
        ("p5", "search", "policywatch-source-health-list", {"x": 0, "y": 44, "w": 48, "h": 12}),
    ]
    out.append({
        "id": "policywatch-overview", "type": "dashboard", "coreMigrationVersion": CORE,
        "typeMigrationVersion": "8.7.0",
        "attributes": {
            "title": "policywatch: overview",
            "description": "New publications, indicators by zone and year, latest alerts, source health.",
            "panelsJSON": json.dumps([
                {"type": t, "gridData": {**grid, "i": p}, "panelIndex": p,
                 "embeddableConfig": {"enhancements": {}}, "panelRefName": f"panel_{p}"}
                for p, t, _id, grid in panels]),
            "optionsJSON": json.dumps({"useMargins": True, "syncColors": False, "syncCursor": True,
                                       "syncTooltips": False, "hidePanelTitles": False}),
            "timeRestore": True, "timeFrom": "now-1y", "timeTo": "now", "refreshInterval":
                {"pause": False, "value": 60000},
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
                {"query": {"query": "", "language": "kuery"}, "filter": []})},
        },
        "references": [{"name": f"{p}:panel_{p}", "type": t, "id": _id} for p, t, _id, _g in panels],
    })
    out.append(connector(INDEX_CONNECTOR, "policywatch: alerts index", ".index",
                         {"index": ALERTS_INDEX, "refresh": False, "executionTimeField": "matched_at"}))
    out.append(connector(WEBHOOK_CONNECTOR, "policywatch: alerts webhook", ".webhook",
                         {"url": PLACEHOLDER_WEBHOOK, "method": "post", "hasAuth": False, "authType": None,
                          "headers": {"Content-Type": "application/json"}}))
    out.append({
        "id": RULE_ID, "type": "alert", "coreMigrationVersion": CORE, "typeMigrationVersion": "8.0.0",
        "attributes": {
            "name": "policywatch: watches fired",
            "tags": ["policywatch"],
            "alertTypeId": ".es-query",
            "consumer": "stackAlerts",
            "schedule": {"interval": "1m"},
            "enabled": False,
            "throttle": None,
            "notifyWhen": None,  # per action (frequency): Kibana refuses both
            "muteAll": False,
            "mutedInstanceIds": [],
            "actions": [
                # No `watch` field: the rule's own query (exists watch) never matches what it writes.
                rule_action("action_0", ".index", {"documents": [{
                    "kibana_rule": "{{rule.name}}", "kibana_message": "{{context.message}}",
                    "kibana_hits": "{{context.value}}"}]}, "8d0c5d6e-4f0b-4a59-9d55-0c1f7d1d0a01"),
                rule_action("action_1", ".webhook", {"body": json.dumps({
                    "rule": "{{rule.name}}", "hits": "{{context.value}}", "message": "{{context.message}}",
                    "kibana_url": "{{context.link}}"})}, "8d0c5d6e-4f0b-4a59-9d55-0c1f7d1d0a02"),
            ],
            "params": {
                "searchType": "esQuery",
                "index": [ALERTS_INDEX],
                "timeField": "matched_at",
                "esQuery": json.dumps({"query": {"bool": {"filter": [{"exists": {"field": "watch"}}]}}}),
                "size": 20,
                "threshold": [0],
                "thresholdComparator": ">",
                "timeWindowSize": 5,
                "timeWindowUnit": "m",
                "excludeHitsFromPreviousRun": True,
                "aggType": "count",
                "groupBy": "top",
                "termField": "watch",
                "termSize": 20,
            },
            "apiKey": None,
            "apiKeyOwner": None,
            "createdBy": None,
            "updatedBy": None,
            "createdAt": "2024-01-01T00:00:00.000Z",
            "updatedAt": "2024-01-01T00:00:00.000Z",
            "executionStatus": {"status": "pending", "lastExecutionDate": "2024-01-01T00:00:00.000Z"},
            "legacyId": None,
        },
        "references": [{"name": "action_0", "type": "action", "id": INDEX_CONNECTOR},
                       {"name": "action_1", "type": "action", "id": WEBHOOK_CONNECTOR}],
    })
    return out


def render() -> str:
    return "".join(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in objects())


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT} ({len(objects())} objects)")
