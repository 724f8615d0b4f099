"""Writes kibana/policywatch.ndjson: the Kibana saved objects of policywatch in the export format.

Run `python kibana/build.py` after changing this file; tests/unit/test_kibana.py checks the ndjson is
current and that every field it names exists in the index templates.

Objects: data views for policy-docs, policy-indicators, policy-alerts and policy-source-health; saved
searches (latest publications, latest alerts, GDP indicators, source health); Lens charts (new
publications over time, indicators by zone and year); a dashboard; and an Elasticsearch-query rule on
policy-alerts (imported disabled, as Kibana does with every imported rule; `policywatch init` enables it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.indices import ALERTS_INDEX, DOCS_INDEX, INDICATORS_INDEX, SOURCE_HEALTH_INDEX

OUT = Path(__file__).with_name("policywatch.ndjson")
CORE = "8.8.0"

DV_DOCS = "policywatch-docs"
DV_INDICATORS = "policywatch-indicators"
DV_ALERTS = "policywatch-alerts"
DV_SOURCE_HEALTH = "policywatch-source-health"
RULE_ID = "policywatch-new-alerts"


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


def _terms(field: str, label: str, size: int, order_by: str) -> dict[str, Any]:
    return {"label": label, "dataType": "string" if field != "doc_year" else "number",
            "operationType": "terms", "sourceField": field, "isBucketed": True, "scale": "ordinal",
            "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by},
                       "orderDirection": "desc", "otherBucket": False, "missingBucket": False}}


def objects() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        data_view(DV_DOCS, DOCS_INDEX, "policywatch: publications", "published_at"),
        data_view(DV_INDICATORS, INDICATORS_INDEX, "policywatch: indicators", "indexed_at"),
        data_view(DV_ALERTS, ALERTS_INDEX, "policywatch: alerts", "matched_at"),
        # policywatch/source_health.py SourceHealth.document(): one document per source (_id = source_id)
        data_view(DV_SOURCE_HEALTH, SOURCE_HEALTH_INDEX, "policywatch: source health", "checked_at"),
        saved_search("policywatch-latest-publications", "policywatch: latest publications", DV_DOCS,
                     ["title", "zone", "region.province", "doc_type", "year", "period", "url"],
                     [["published_at", "desc"]]),
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
             {"c_date": {"label": "published", "dataType": "date", "operationType": "date_histogram",
                         "sourceField": "published_at", "isBucketed": True, "scale": "interval",
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
            "notifyWhen": "onActiveAlert",
            "muteAll": False,
            "mutedInstanceIds": [],
            "actions": [],
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
        "references": [],
    })
    return out


def render() -> str:
    return "".join(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in objects())


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT} ({len(objects())} objects)")
