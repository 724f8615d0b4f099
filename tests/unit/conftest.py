"""Unit tier: pure functions and in-memory fakes. A unit test that asks for a running service (the `stack`
fixture or its clients) belongs in tests/integration/; collection fails here so it gets moved."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SERVICE_FIXTURES = {"stack", "es", "kafka_admin", "kafka_settings"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.fspath).resolve().parents:
            wanted = SERVICE_FIXTURES & set(getattr(item, "fixturenames", ()))
            if wanted:
                raise pytest.UsageError(f"{item.nodeid} uses {sorted(wanted)}: move it to tests/integration/")
