"""Fast preflight for CLI commands: a service that cannot be reached is named within seconds, not after
a client library's 30 s of retries; a wait that is long on purpose shows a spinner on stderr.

    require(settings, "kafka", "es")           # ServiceUnavailable (one line) in <= PREFLIGHT_S each
    with waiting("waiting for Kibana …"):      # spinner on a terminal, nothing otherwise
        ...
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

from policywatch.core.errors import ServiceUnavailable

PREFLIGHT_S = 2.5  # per service; a refused connection fails at once, an unanswered one after this
_console = Console(stderr=True, highlight=False)


def require(settings: Any, *services: str) -> None:
    """Raise ServiceUnavailable naming the first of ``services`` ("kafka", "es") that does not answer."""
    for service in services:
        if service == "kafka":
            _kafka(settings)
        elif service == "es":
            _elasticsearch(settings)
        else:
            raise ValueError(f"unknown service {service!r}")


def _kafka(settings: Any) -> None:
    """A broker that answers an ApiVersions request: an open port alone is not Kafka (a proxy, a firewall
    that accepts everything, another service), and kafka-python would then wait 30 s to bootstrap."""
    from policywatch.core.kafka import _host_port, unreachable_message

    last: BaseException | None = None
    deadline = time.monotonic() + PREFLIGHT_S
    for server in settings.kafka_servers.split(","):
        try:
            host, port = _host_port(server)
            timeout = max(deadline - time.monotonic(), 0.1)
            with socket.create_connection((host, port), timeout=timeout) as sock:
                if "SSL" in settings.kafka_security_protocol:
                    return  # the TLS handshake is the client's; a listening port is all we check
                sock.settimeout(max(deadline - time.monotonic(), 0.1))
                _api_versions(sock)
                return
        except (OSError, ValueError, _NotKafka) as exc:
            last = exc
    raise ServiceUnavailable(unreachable_message(settings, last))


class _NotKafka(Exception):
    def __str__(self) -> str:
        return f"the port answers, but not as a Kafka broker: {self.args[0]}"


def _api_versions(sock: socket.socket) -> None:
    """Send ApiVersions v0 (key 18) and check the reply carries our correlation id."""
    client = b"policywatch-preflight"
    body = struct.pack(">hhih", 18, 0, 0x5057, len(client)) + client
    sock.sendall(struct.pack(">i", len(body)) + body)
    head = b""
    while len(head) < 8:
        chunk = sock.recv(8 - len(head))
        if not chunk:
            raise _NotKafka("connection closed")
        head += chunk
    size, correlation = struct.unpack(">ii", head)
    if correlation != 0x5057 or not 0 < size < 1 << 20:
        raise _NotKafka(f"unexpected reply {head.hex()}")


def _elasticsearch(settings: Any) -> None:
    """A cluster that answers GET _cluster/health as Elasticsearch does (401/403 are the command's)."""
    from policywatch.core.elasticsearch import make_es, unreachable_message

    es = make_es(settings, request_timeout=PREFLIGHT_S, max_retries=0, retry_on_timeout=False)
    try:
        es.cluster.health()
    except Exception as exc:
        status = getattr(getattr(exc, "meta", None), "status", None) or getattr(exc, "status_code", None)
        if status in (401, 403):
            return
        raise ServiceUnavailable(unreachable_message(settings, exc)) from exc
    finally:
        es.close()


@contextmanager
def waiting(text: str) -> Iterator[None]:
    """A spinner with ``text`` while the block runs (rich draws it only on a terminal)."""
    with _console.status(text, spinner="dots"):
        yield
