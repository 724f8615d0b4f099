"""Integration tier: tests against the real local Kafka and Elasticsearch (`policywatch stack`), each with
its own topics and indices (`unique_name`). Every test in this folder carries the `integration` marker.

Fixtures of the web and search tests: `corpus_docs` and `web_indices` (tests/integration/web_corpus.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.web_corpus import create_indices, extracted_corpus, index_docs

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.integration)


WEB_INDEX_KEYS = ("docs", "indicators", "alerts", "watches", "health")


@pytest.fixture(scope="module")
def corpus_docs(tmp_path_factory) -> dict[str, Any]:
    return extracted_corpus(tmp_path_factory.mktemp("web-corpus"))


@pytest.fixture(scope="module")
def web_indices(es, stack, corpus_docs) -> Iterator[dict[str, str]]:
    """Private policy-docs/-indicators/-alerts/-watches/-source-health indices holding the web corpus."""
    tag = uuid.uuid4().hex[:8]
    names = {k: f"pwtest-web{k}-{tag}" for k in WEB_INDEX_KEYS}
    create_indices(es, stack, names)
    index_docs(es, names, list(corpus_docs.values()))
    yield names
    es.indices.delete(index=list(names.values()), ignore_unavailable=True)
