"""Integration tier: tests against the real local Kafka and Elasticsearch (`policywatch stack`), each with
its own topics and indices (`unique_name`). Every test in this folder carries the `integration` marker."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.integration)
