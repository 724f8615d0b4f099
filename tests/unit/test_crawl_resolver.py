"""The crawler resolves, checks and only then connects (crawlers/resolver.py).

Unit tests drive the resolver with a scripted original resolver; the end-to-end test crawls a host *name*
of this machine (its hostname, which /etc/hosts maps to a loopback or private address) served by a
receiver listening on every interface: refused before any request without `allow_private`, fetched with
it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from twisted.internet.address import IPv4Address

from crawlers import resolver as resolver_mod
from crawlers.resolver import AddressPolicy, CheckingResolver
from crawlers.sources import parse_sources
from crawlers.urlpolicy import decide_url
from policywatch.core.netpolicy import NON_PUBLIC, classify_address

ROOT = Path(__file__).resolve().parents[1]


class _Receiver:
    def __init__(self) -> None:
        self.began = 0
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution) -> None:  # noqa: N802
        self.began += 1

    def addressResolved(self, address) -> None:  # noqa: N802
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.complete = True


class _Original:
    """Stands in for the reactor's resolver: answers from a table, counts lookups."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    def resolveHostName(self, receiver, host, port=0, types=None, semantics="TCP"):  # noqa: N802
        self.lookups.append(host)
        receiver.resolutionBegan(object())
        for address in self.table.get(host, []):
            receiver.addressResolved(IPv4Address("TCP", address, port))
        receiver.resolutionComplete()
        return receiver


class _Reactor:
    def __init__(self, original: _Original) -> None:
        self.nameResolver = original  # noqa: N815


def _resolve(policy: AddressPolicy, table: dict[str, list[str]], host: str) -> tuple[_Receiver, _Original]:
    original = _Original(table)
    receiver = _Receiver()
    CheckingResolver(_Reactor(original), policy).resolveHostName(receiver, host, 80)
    return receiver, original


def test_a_name_resolving_to_a_private_address_gets_no_address_to_connect_to() -> None:
    receiver, original = _resolve(AddressPolicy(), {"zone.example.cn": ["93.184.216.34", "10.0.0.7"]},
                                  "zone.example.cn")
    assert receiver.began == 1 and receiver.complete and receiver.addresses == []
    assert original.lookups == ["zone.example.cn"]  # resolved once: what is connected to was checked
    assert resolver_mod._refused["zone.example.cn"] == "private"


def test_public_answers_pass_unchanged_and_clear_an_earlier_refusal() -> None:
    resolver_mod._refused["www.example.cn"] = "loopback"
    receiver, _ = _resolve(AddressPolicy(), {"www.example.cn": ["93.184.216.34"]}, "www.example.cn")
    assert receiver.addresses == ["93.184.216.34"] and "www.example.cn" not in resolver_mod._refused


def test_policy_from_sources_allows_private_only_for_the_sources_that_say_so() -> None:
    sources = parse_sources({"sources": [
        {"id": "intranet", "name": "i", "province": "山东省", "start_urls": ["http://oa.zone.local:8080/"],
         "allowed_domains": ["oa.zone.local:8080"], "allow_private": True},
        {"id": "public", "name": "p", "province": "山东省", "start_urls": ["http://www.xx.gov.cn/"],
         "allowed_domains": ["xx.gov.cn"]},
    ]}).sources
    policy = AddressPolicy.from_setting(AddressPolicy.for_sources(sources).to_setting())
    assert policy.allowed("oa.zone.local") == NON_PUBLIC
    assert policy.refusal("oa.zone.local", ["10.1.1.1", "169.254.1.1"]) is None
    assert policy.refusal("www.xx.gov.cn", ["127.0.0.1"]) == "loopback"
    assert policy.refusal("www.xx.gov.cn", ["::ffff:192.168.1.1"]) == "private"
    loopback_only = AddressPolicy.for_sources(sources, allow_loopback=True)
    assert loopback_only.refusal("www.xx.gov.cn", ["127.0.0.1"]) is None
    assert loopback_only.refusal("www.xx.gov.cn", ["10.0.0.1"]) == "private"


def test_decide_url_lets_private_literals_through_only_for_allow_private() -> None:
    assert decide_url("http://10.0.0.1:8000/a", ["10.0.0.1:8000"]).reason == "private"
    assert decide_url("http://10.0.0.1:8000/a", ["10.0.0.1:8000"], allow_private=True).allowed
    assert decide_url("http://[fd00::1]/a", ["[fd00::1]"]).reason == "private"


# --- end to end: a real crawl in a fresh process ---------------------------------------------------------


class _Site:
    """Answers every GET with a small list page; listens on all interfaces so that any address the
    machine's hostname resolves to would reach it if the crawler connected."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                site.paths.append(self.path)
                body = "<html><body><ul><li><a href='/a.html'>开发区工作总结</a></li></ul></body></html>"
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[_Site]:
    s = _Site()
    yield s
    s.close()


def _crawl(tmp_path: Path, host: str, port: int, *, allow_private: bool) -> dict:
    sources = tmp_path / f"sources-{allow_private}.yaml"
    sources.write_text(json.dumps({"version": 1, "sources": [{
        "id": "named_host", "name": "n", "province": "山东省", "delay_s": 0, "obey_robots": False,
        "start_urls": [f"http://{host}:{port}/list.html"], "allowed_domains": [f"{host}:{port}"],
        "allow_private": allow_private,
    }]}), encoding="utf-8")
    cmd = [sys.executable, "-m", "policywatch.crawl", "--json", "--no-polite", "--sources", str(sources),
           "--sink", f"jsonl:{tmp_path / f'out-{allow_private}.jsonl'}", "--status", "memory"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"crawl failed ({proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(lines[-1])["named_host"]


def test_a_host_name_resolving_to_this_machine_is_refused_before_connecting(tmp_path, site) -> None:
    host = socket.gethostname().lower()
    kinds = {classify_address(info[4][0]) for info in socket.getaddrinfo(host, site.port)}
    assert kinds and None not in kinds, f"{host} should resolve to this machine only: {kinds}"
    assert decide_url(f"http://{host}:{site.port}/", [f"{host}:{site.port}"]).allowed  # not caught pre-DNS

    refused = _crawl(tmp_path, host, site.port, allow_private=False)
    assert site.paths == []  # no connection reached the receiver
    [(url, reason)] = refused["refusals"].items()
    assert url.endswith("/list.html") and reason in {f"resolved_{k}" for k in kinds}
    assert refused["counts"]["failed"] == 0  # a refusal, not a network failure (and not retried)

    allowed = _crawl(tmp_path, host, site.port, allow_private=True)
    assert "/list.html" in site.paths and not allowed["refusals"]
