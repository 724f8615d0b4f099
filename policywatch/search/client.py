"""The Elasticsearch client for search, watches and alerts (the foundation's es_client)."""

from __future__ import annotations

from typing import Any


def es_client() -> Any:
    from policywatch.core.elasticsearch import make_es

    return make_es()
