"""Deliveries through apprise (DingTalk, WeCom, Feishu, e-mail, Slack) beside the signed JSON webhook.

A watch lists channel URLs (`Watch.notify`, validated by `policywatch.search.channels`). Each new alert is
rendered once as a short text and sent to every channel from a background pool; the outcome of each
channel is written to the alert in policy-alerts (`channels` = delivered/failed, `channel_error`,
`channel_deliveries`), which is what `policywatch watch list` and the web UI show. A watch with
`digest: daily` sends nothing per alert: `policywatch watch digest` (processors/alert/digest.py) sends
one message per watch with the day's alerts.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from policywatch.core.netpolicy import AddressRefused
from policywatch.core.redact import redact
from policywatch.search.channels import check_smtp, describe, plugin_for, scheme_of
from processors.alert.webhook import InFlight

logger = logging.getLogger(__name__)

_TAGS = re.compile(r"</?em>")


@dataclass(frozen=True, slots=True)
class ChannelResult:
    channel: str  # the scheme: dingtalk, wecombot, feishu, slack, mailto(s)
    target: str  # shown form, no secrets
    ok: bool
    error: str | None
    at: str

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)


def alert_message(alert: dict[str, Any]) -> tuple[str, str]:
    """Title and text of one alert for a chat or e-mail channel."""
    title = f"policywatch · {alert.get('watch')}: {alert.get('title') or alert.get('doc_id')}"
    lines = [alert.get("title") or "(untitled)"]
    where = " · ".join(str(v) for v in (alert.get("zone"), alert.get("year")) if v)
    if where:
        lines.append(where)
    lines += [f"…{_TAGS.sub('', h)}…" for h in alert.get("highlights") or []]
    lines.append(alert.get("url") or "")
    return title, "\n".join(line for line in lines if line)


def digest_message(watch: str, alerts: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """Title and text of one watch's digest: one line per alert, newest first."""
    title = f"policywatch · {watch}: {len(alerts)} new document{'s' if len(alerts) != 1 else ''}"
    lines = []
    for a in alerts:
        where = " · ".join(str(v) for v in (a.get("zone"), a.get("year")) if v)
        name = a.get("title") or a.get("doc_id")
        lines.append(f"- {name}{f' ({where})' if where else ''}\n  {a.get('url')}")
    return title, "\n".join(lines)


class _LastError(logging.Handler):
    """Keeps the last warning apprise logged in each thread: the reason a notify() returned False."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.by_thread: dict[int, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.by_thread[threading.get_ident()] = redact(record.getMessage())

    def take(self) -> str | None:
        return self.by_thread.pop(threading.get_ident(), None)


_last_error = _LastError()
logging.getLogger("apprise").addHandler(_last_error)


def send_channel(url: str, title: str, body: str, *, allow_private: bool) -> ChannelResult:
    """Send one message to one channel; never raises (the result says what happened)."""
    at = datetime.now(UTC).isoformat()
    channel, target = scheme_of(url), describe(url)
    plugin = plugin_for(url)
    if plugin is None:
        return ChannelResult(channel, target, False, "not a valid apprise URL", at)
    try:
        check_smtp(plugin, allow_private=allow_private)
    except AddressRefused as exc:
        return ChannelResult(channel, target, False, f"refused: {exc}", at)
    _last_error.take()
    try:
        ok = bool(plugin.notify(body=body, title=title))
    except Exception as exc:  # a plugin bug must not kill the worker
        return ChannelResult(channel, target, False, redact(f"{type(exc).__name__}: {exc}"), at)
    error = None if ok else (_last_error.take() or "the service refused the message")
    return ChannelResult(channel, target, ok, error, at)


ChannelRecorder = Callable[[str, list[ChannelResult]], None]


def outcome_fields(results: Sequence[ChannelResult]) -> dict[str, Any]:
    """What is written to the alert in policy-alerts for its channel deliveries."""
    failed = [r for r in results if not r.ok]
    return {
        "channels": "failed" if failed else "delivered",
        "channel_error": f"{failed[0].channel}: {failed[0].error}" if failed else None,
        "channel_deliveries": [r.to_doc() for r in results],
    }


def pending_fields(watch: Any) -> dict[str, Any]:
    """Fields of a new alert in policy-alerts saying which deliveries are still to come."""
    if watch.digest == "daily":
        return {"digest": "pending"} if watch.delivers else {}
    return {"channels": "pending"} if watch.notify else {}


class ChannelDeliverer:
    """Sends alerts to their watches' channels in the background; `submit` never blocks."""

    def __init__(self, record: ChannelRecorder, *, workers: int = 2,
                 allow_private: bool = False) -> None:
        self._record = record
        self._allow_private = allow_private
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="channels")
        self._inflight = InFlight()

    def submit(self, alert_id: str, urls: Sequence[str],
               alert: dict[str, Any]) -> Future[list[ChannelResult]]:
        self._inflight.take()
        return self._pool.submit(self._deliver, alert_id, list(urls), alert)

    def _deliver(self, alert_id: str, urls: list[str], alert: dict[str, Any]) -> list[ChannelResult]:
        try:
            title, body = alert_message(alert)
            results = [send_channel(u, title, body, allow_private=self._allow_private) for u in urls]
            for r in results:
                if not r.ok:
                    logger.warning("alert %s: %s delivery failed: %s", alert_id, r.target, r.error)
            try:
                self._record(alert_id, results)
            except Exception:
                logger.exception("could not record the channel deliveries of alert %s", alert_id)
            return results
        finally:
            self._inflight.done()

    def drain(self, timeout_s: float = 30.0) -> bool:
        return self._inflight.drain(timeout_s)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
