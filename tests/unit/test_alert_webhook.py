"""Webhook delivery: retries, backoff, timeouts and the background pool (loopback HTTP, no stack)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from processors.alert.guarded import checked_transport
from processors.alert.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from processors.alert.webhook import DeliveryResult, WebhookDeliverer, post_with_retries


class _Hook:
    """A loopback HTTP server whose answers a test scripts: a list of status codes or 'sleep'."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.raw: list[tuple[dict[str, str], bytes]] = []  # headers and exact bytes of each request
        self.script: list[int | str] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                hook.raw.append((dict(self.headers.items()), raw))
                hook.bodies.append(json.loads(raw))
                action = hook.script.pop(0) if hook.script else 200
                if action == "sleep":
                    time.sleep(1.0)
                    action = 200
                self.send_response(int(action))
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[_Hook]:
    h = _Hook()
    yield h
    h.close()


def test_retries_5xx_then_succeeds(hook: _Hook) -> None:
    hook.script = [503, 500]
    sleeps: list[float] = []
    with httpx.Client(timeout=2) as client:
        res = post_with_retries(client, hook.url, {"a": 1}, alert_id="x", attempts=3, backoff_s=0.1,
                                sleep=sleeps.append)
    assert res.delivered and res.attempts == 3 and res.status == 200
    assert sleeps == [0.1, 0.2]  # exponential backoff
    assert hook.bodies == [{"a": 1}] * 3


def test_4xx_is_final(hook: _Hook) -> None:
    hook.script = [404]
    with httpx.Client(timeout=2) as client:
        res = post_with_retries(client, hook.url, {}, alert_id="x", attempts=3, sleep=lambda s: None)
    assert not res.delivered and res.attempts == 1 and res.error == "HTTP 404"


def test_timeout_is_recorded(hook: _Hook) -> None:
    hook.script = ["sleep", "sleep"]
    with httpx.Client(timeout=0.2) as client:
        res = post_with_retries(client, hook.url, {}, alert_id="x", attempts=2, sleep=lambda s: None)
    assert not res.delivered and res.attempts == 2 and res.error.startswith("timeout")


def test_unreachable_is_recorded() -> None:
    with httpx.Client(timeout=0.5) as client:
        res = post_with_retries(client, "http://127.0.0.1:9/none", {}, alert_id="x", attempts=2,
                                sleep=lambda s: None)
    assert not res.delivered and "ConnectError" in (res.error or "")


def test_pool_never_blocks_the_caller(hook: _Hook) -> None:
    hook.script = ["sleep"] * 6
    recorded: list[DeliveryResult] = []
    d = WebhookDeliverer(recorded.append, timeout_s=0.3, attempts=2, backoff_s=0.05, workers=2,
                         allow_private=True)
    futures = [d.submit(hook.url, {"i": i}, f"a{i}") for i in range(3)]
    # submitting returns at once: no delivery can be over yet (each try waits for its 0.3 s timeout)
    assert all(f is not None and not f.done() for f in futures)
    assert d.pending == 3
    assert d.drain(10)
    d.close()
    assert sorted(r.alert_id for r in recorded) == ["a0", "a1", "a2"]
    assert all(not r.delivered and r.error.startswith("timeout") for r in recorded)
    assert d.failed == 3


def test_full_queue_leaves_alerts_pending() -> None:
    gate = threading.Event()
    d = WebhookDeliverer(lambda r: None, workers=1, max_pending=1)
    d._deliver = lambda *a: gate.wait(5)  # type: ignore[method-assign]
    assert d.submit("http://127.0.0.1:9/", {}, "a") is not None
    assert d.submit("http://127.0.0.1:9/", {}, "b") is None and d.dropped == 1
    gate.set()
    d.close()


def test_deliverer_refuses_a_loopback_receiver_without_allow_private(hook: _Hook) -> None:
    recorded: list[DeliveryResult] = []
    d = WebhookDeliverer(recorded.append, attempts=3, backoff_s=0.01, allow_private=False)
    d.submit(hook.url, {"a": 1}, "a1")
    assert d.drain(10)
    d.close()
    [result] = recorded
    assert not result.delivered and result.attempts == 1  # final, not retried
    assert result.error == "refused: 127.0.0.1 is a loopback address"
    assert hook.raw == []  # nothing reached the receiver


def test_a_name_resolving_to_loopback_is_refused_before_any_byte_is_sent(hook: _Hook) -> None:
    port = hook.server.server_address[1]
    transport = checked_transport(resolve=lambda host, p: ["127.0.0.1"])
    with httpx.Client(transport=transport, timeout=2) as client:
        res = post_with_retries(client, f"http://rebind.test:{port}/hook", {}, alert_id="x", attempts=2,
                                sleep=lambda s: None)
    assert not res.delivered and res.error == "refused: rebind.test (127.0.0.1) is a loopback address"
    assert hook.raw == []


def test_the_connection_goes_to_the_address_that_was_checked(hook: _Hook) -> None:
    """The host name is resolved once, by the check; the socket is opened to that address (the system
    resolver does not know `checked.test`), and the Host header still names the host."""
    port = hook.server.server_address[1]
    calls: list[str] = []

    def resolve(host: str, p: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    transport = checked_transport({"loopback"}, resolve=resolve)
    with httpx.Client(transport=transport, timeout=2) as client:
        res = post_with_retries(client, f"http://checked.test:{port}/hook", {"a": 1}, alert_id="x")
    assert res.delivered and calls == ["checked.test"]
    assert hook.raw[0][0]["Host"] == f"checked.test:{port}"


def test_bodies_are_signed_with_the_deployment_or_the_watch_secret(hook: _Hook) -> None:
    d = WebhookDeliverer(lambda r: None, attempts=1, allow_private=True, secret="stack-test-secret")
    d.submit(hook.url, {"watch": "生物医药"}, "a1")
    d.submit(hook.url, {"watch": "own"}, "a2", secret="watch-secret")
    assert d.drain(10)
    d.close()
    by_watch = {json.loads(raw)["watch"]: (headers, raw) for headers, raw in hook.raw}
    headers, raw = by_watch["生物医药"]
    assert raw == '{"watch":"生物医药"}'.encode()  # the exact bytes that were signed
    assert headers[SIGNATURE_HEADER].startswith("sha256=") and headers[TIMESTAMP_HEADER].isdigit()
    assert verify("stack-test-secret", headers, raw) and not verify("watch-secret", headers, raw)
    headers, raw = by_watch["own"]
    assert verify("watch-secret", headers, raw) and not verify("stack-test-secret", headers, raw)
