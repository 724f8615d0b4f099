"""The alerts feed: alerts fired (policy-alerts), newest first, with how their delivery went."""

from __future__ import annotations

from typing import Any

from schemas.indices import ALERTS_INDEX


def recent_alerts(es: Any, *, limit: int = 50, watch: str | None = None,
                  index: str = ALERTS_INDEX) -> list[dict[str, Any]]:
    """The latest alerts as stored (delivery, delivery_error, delivery_attempts, and any per-channel
    `deliveries` the alert stage records); [] before the first alert."""
    from elasticsearch import NotFoundError

    query: dict[str, Any] = {"term": {"watch": watch}} if watch else {"match_all": {}}
    try:
        resp = es.search(index=index, size=limit, query=query,
                         sort=[{"matched_at": {"order": "desc", "unmapped_type": "date"}}])
    except NotFoundError:
        return []
    body = resp.body if hasattr(resp, "body") else resp
    return [h["_source"] for h in body["hits"]["hits"]]
