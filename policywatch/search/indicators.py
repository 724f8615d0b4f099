"""Indicator series from policy-indicators: one metric for chosen zones, by year and period."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.indices import INDICATORS_INDEX

ROW_FIELDS = ["zone", "year", "period", "doc_year", "metric", "label", "value", "unit", "value_normalized",
              "currency", "growth_pct", "scope", "doc_id", "title", "published_at", "redacted"]
MAX_ROWS = 2000
YI = 1e8  # 亿: the unit amounts are charted in


@dataclass(slots=True)
class Series:
    metric: str
    zones: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def periods(self) -> list[tuple[int, str]]:
        """(year, period) pairs in time order, for the table's rows and the chart's x axis."""
        return sorted({(r["year"], r.get("period") or "全年") for r in self.rows if r.get("year")})

    def chart(self) -> dict[str, Any]:
        """uPlot data: x = period index, one series per zone (value in 亿 for money, else as written);
        actual figures only (targets and forecasts would mix into the line)."""
        periods = self.periods()
        index = {p: i for i, p in enumerate(periods)}
        by_zone: dict[str, list[float | None]] = {z: [None] * len(periods) for z in self.zones}
        for r in self.rows:
            if r.get("scope", "actual") != "actual" or not r.get("year") or r.get("zone") not in by_zone:
                continue
            v = chart_value(r)
            if v is not None:
                by_zone[r["zone"]][index[(r["year"], r.get("period") or "全年")]] = v
        return {"labels": [f"{y} {p}" for y, p in periods], "series": by_zone}


def chart_value(row: dict[str, Any]) -> float | None:
    if row.get("currency") and row.get("value_normalized") is not None:
        return round(row["value_normalized"] / YI, 4)
    return row.get("value")


def _body(resp: Any) -> Any:
    return resp.body if hasattr(resp, "body") else resp


def metric_zones(es: Any, metric: str, *, index: str = INDICATORS_INDEX,
                 size: int = 50) -> list[tuple[str, int]]:
    """Zones that report `metric`, with how many figures each has."""
    from elasticsearch import NotFoundError

    try:
        resp = _body(es.search(index=index, size=0, query={"term": {"metric": metric}},
                               aggs={"zones": {"terms": {"field": "zone", "size": size}}}))
    except NotFoundError:
        return []
    return [(b["key"], b["doc_count"]) for b in resp["aggregations"]["zones"]["buckets"]]


def series(es: Any, metric: str, zones: list[str], *, index: str = INDICATORS_INDEX) -> Series:
    """Every figure of `metric` for `zones`, oldest first."""
    from elasticsearch import NotFoundError

    out = Series(metric=metric, zones=zones)
    if not zones:
        return out
    try:
        resp = _body(es.search(index=index, size=MAX_ROWS, source=ROW_FIELDS,
                               query={"bool": {"filter": [{"term": {"metric": metric}},
                                                          {"terms": {"zone": zones}}]}},
                               sort=[{"year": {"order": "asc", "missing": "_last"}}, {"period": "asc"}]))
    except NotFoundError:
        return out
    out.rows = [h["_source"] for h in resp["hits"]["hits"]]
    return out
