"""Fixtures shared by every tier. The tiers are folders, each with its own conftest.py:

- tests/unit/: pure functions and fakes, no services (its conftest refuses the `stack` fixture);
- tests/integration/: the real local Kafka and Elasticsearch (its conftest marks every test `integration`);
- tests/golden/: the gold extraction set, the CMS-family mirror sites and the relevance judgments.

Integration and golden tests that need services get a real Kafka and Elasticsearch:

- `stack` (session): makes sure both answer on the configured addresses. If they already do (a developer's
  `policywatch stack up`, or POLICYWATCH_KAFKA_BOOTSTRAP/POLICYWATCH_ES_URL pointing at a cluster) they are
  used as they are; otherwise the local stack is started and, at the end of the session, stopped again.
- `settings`, `kafka_settings` (the Settings to build clients from), `es` (a client), `kafka_admin`,
  `unique_name` (a factory for per-test topic/index names: tests never share data).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from policywatch.core.settings import Settings, get_settings


def _services_answer(settings: Settings) -> bool:
    import httpx

    from policywatch.core.kafka import make_admin

    try:
        r = httpx.get(f"{settings.elasticsearch_url.split(',')[0]}/_cluster/health", timeout=3)
        if r.json().get("status") not in ("yellow", "green"):
            return False
    except Exception:
        return False
    try:
        admin = make_admin(settings, request_timeout_ms=5000)
        admin.list_topics()
        admin.close()
    except Exception:
        return False
    return True


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The five real reports in seeds/ (provenance in seeds/manifest.yaml)."""
    return REPO / "seeds"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


def _leases(settings: Settings):
    return settings.state_dir / "test-leases"


def _take_lease(settings: Settings) -> Path:
    d = _leases(settings)
    d.mkdir(parents=True, exist_ok=True)
    lease = d / str(os.getpid())
    lease.touch()
    return lease


def _other_live_leases(settings: Settings, mine: Path) -> list[Path]:
    from policywatch.stack.procs import pid_alive

    live = []
    for lease in _leases(settings).glob("*"):
        if lease == mine or not lease.name.isdigit():
            continue
        if pid_alive(int(lease.name)):
            live.append(lease)
        else:
            lease.unlink(missing_ok=True)
    return live


@pytest.fixture(scope="session")
def stack(settings: Settings):
    """A running Kafka + Elasticsearch for the session.

    Uses services that already answer; otherwise starts the local stack. A stack started by a test session
    is stopped by the last test session of the same home that uses it (sessions hold lease files), so
    parallel sessions never pull the stack from under each other; a developer's own stack is never stopped.
    """
    from policywatch import stack as local_stack

    lease = _take_lease(settings) if settings.uses_local_stack else None
    started_marker = settings.state_dir / "started-by-tests"
    try:
        if not _services_answer(settings):
            if not settings.uses_local_stack:
                pytest.fail(
                    f"Kafka ({settings.kafka_servers}) or Elasticsearch ({settings.elasticsearch_url}) "
                    "configured by POLICYWATCH_* do not answer"
                )
            local_stack.up(settings, timeout=240)
            started_marker.touch()
        yield settings
    finally:
        if lease is not None:
            others = _other_live_leases(settings, lease)
            lease.unlink(missing_ok=True)
            if not others and started_marker.exists():
                local_stack.down(settings)
                started_marker.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def kafka_settings(stack: Settings) -> Settings:
    return stack


@pytest.fixture(scope="session")
def es(stack: Settings):
    from policywatch.core.elasticsearch import make_es

    client = make_es(stack)
    yield client
    client.close()


@pytest.fixture(scope="session")
def kafka_admin(stack: Settings):
    from policywatch.core.kafka import make_admin

    admin = make_admin(stack)
    yield admin
    admin.close()


@pytest.fixture
def unique_name():
    """unique_name("orders") -> "pwtest-orders-3f2a9c1b": lower-case, valid as a topic and an index name."""

    def make(prefix: str = "t") -> str:
        return f"pwtest-{prefix}-{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture
def allow_private_webhooks(monkeypatch: pytest.MonkeyPatch):
    """POLICYWATCH_WEBHOOK_ALLOW_PRIVATE=true (tests' loopback receivers) and a deployment webhook secret,
    `stack-test-secret`, for one test; settings are re-read before and after."""
    monkeypatch.setenv("POLICYWATCH_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("POLICYWATCH_WEBHOOK_SECRET", "stack-test-secret")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
