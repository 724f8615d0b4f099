"""Daily digests: a watch with `digest: daily` gets one message per run (the `alert_digest` DAG runs it
daily; `policywatch watch digest` runs it by hand) listing its alerts not yet sent, instead of one
message per alert.

Per watch: its alerts with `digest: pending` (oldest first, up to `limit`) -> one signed JSON POST to the
webhook (`{"watch", "digest": "daily", "count", "alerts": [...]}`) and one text message to each apprise
channel -> each alert is marked `digest: sent` or `failed` with `digest_error` and `digest_sent_at`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from policywatch.core.netpolicy import NON_PUBLIC
from policywatch.core.settings import Settings
from policywatch.search.watches import Watch, WatchStore
from processors.alert.delivery import digest_message, send_channel
from processors.alert.guarded import checked_transport
from processors.alert.webhook import post_with_retries
from schemas import Alert, sha256_hex

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class DigestReport:
    watch: str
    alerts: int = 0
    sent: bool = False
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"watch": self.watch, "alerts": self.alerts, "sent": self.sent, "errors": self.errors}


def _body(resp: Any) -> Any:
    return resp.body if hasattr(resp, "body") else resp


def pending_alerts(es: Any, alerts_index: str, watch: str, limit: int = 500) -> list[dict[str, Any]]:
    """The watch's alerts waiting for a digest, oldest first (`_id` kept as `alert_id`)."""
    from elasticsearch import NotFoundError

    try:
        resp = _body(es.search(index=alerts_index, size=limit, sort=[{"matched_at": "asc"}], query={"bool": {
            "filter": [{"term": {"watch": watch}}, {"term": {"digest": "pending"}}]}}))
    except NotFoundError:
        return []
    return [h["_source"] for h in resp["hits"]["hits"]]


def digest_payload(watch: Watch, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"watch": watch.name, "digest": "daily", "count": len(alerts),
            "alerts": [{k: v for k, v in a.items() if k in Alert.model_fields} for a in alerts]}


def send_digest(es: Any, watch: Watch, *, alerts_index: str, client: httpx.Client, allow_private: bool,
                secret: str | None, limit: int = 500) -> DigestReport:
    report = DigestReport(watch.name)
    alerts = pending_alerts(es, alerts_index, watch.name, limit)
    report.alerts = len(alerts)
    if not alerts:
        return report
    if watch.webhook:
        digest_id = "digest-" + sha256_hex(watch.name + "".join(a["alert_id"] for a in alerts))[:32]
        result = post_with_retries(client, watch.webhook, digest_payload(watch, alerts), alert_id=digest_id,
                                   secret=watch.webhook_secret or secret)
        if not result.delivered:
            report.errors.append(f"webhook: {result.error}")
    title, text = digest_message(watch.name, alerts)
    for url in watch.notify:
        res = send_channel(url, title, text, allow_private=allow_private)
        if not res.ok:
            report.errors.append(f"{res.channel}: {res.error}")
    report.sent = not report.errors
    now = datetime.now(UTC).isoformat()
    doc = {"digest": "sent" if report.sent else "failed",
           "digest_error": "; ".join(report.errors) or None, "digest_sent_at": now}
    ops: list[dict[str, Any]] = []
    for a in alerts:
        ops += [{"update": {"_index": alerts_index, "_id": a["alert_id"]}}, {"doc": doc}]
    es.bulk(operations=ops, refresh="wait_for")
    return report


def send_digests(es: Any, *, watches_index: str, alerts_index: str, names: list[str] | None = None,
                 settings: Settings) -> list[DigestReport]:
    """Send the digest of every enabled daily-digest watch (or of `names`); one report per watch."""
    allow_private = settings.webhook_allow_private
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    watches = [w for w in WatchStore(es, watches_index).list(enabled_only=True)
               if w.digest == "daily" and (not names or w.name in names)]
    reports = []
    with httpx.Client(timeout=10.0, follow_redirects=False,
                      transport=checked_transport(NON_PUBLIC if allow_private else ())) as client:
        for watch in watches:
            report = send_digest(es, watch, alerts_index=alerts_index, client=client,
                                 allow_private=allow_private, secret=secret)
            if report.errors:
                logger.warning("digest of %s failed: %s", watch.name, "; ".join(report.errors))
            reports.append(report)
    return reports
