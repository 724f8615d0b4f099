"""Index templates, versioned indices and aliases, from the JSON files in ./templates.

Each file describes one logical index: its alias (what everybody reads and writes, e.g. `policy-docs`),
the current `index_version` (the concrete index is `<alias>-v<n>`, so a mapping change is a new index
filled by replaying Kafka, then an alias switch) and the composable index template for `<alias>-v*`.
Only core Elasticsearch features are used: built-in `standard` and `whitespace` analyzers, core field types.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

from policywatch.errors import ServiceUnavailable
from policywatch.provision import Report
from policywatch.settings import Settings

DOCS = "policy-docs"
INDICATORS = "policy-indicators"
WATCHES = "policy-watches"
ALERTS = "policy-alerts"
CRAWL_STATUS = "policy-crawl-status"
SOURCE_HEALTH = "policy-source-health"
ALIASES = (DOCS, INDICATORS, WATCHES, ALERTS, CRAWL_STATUS, SOURCE_HEALTH)


@cache
def _load(alias: str) -> dict[str, Any]:
    text = resources.files("policywatch.provision").joinpath("templates", f"{alias}.json").read_text("utf-8")
    return json.loads(text)


def spec(alias: str) -> dict[str, Any]:
    """The parsed template file of a logical index (a copy: safe to modify)."""
    return copy.deepcopy(_load(alias))


def index_name(alias: str) -> str:
    return f"{alias}-v{_load(alias)['index_version']}"


def template_body(alias: str, settings: Settings) -> dict[str, Any]:
    """The composable index template, with shard/replica/refresh settings from Settings and a checksum
    in `_meta` so that `init` can tell an installed template from a changed one."""
    body = spec(alias)["template"]
    idx = body["template"]["settings"]["index"]
    idx["number_of_shards"] = settings.index_shards
    idx["number_of_replicas"] = settings.index_replicas
    idx["refresh_interval"] = settings.index_refresh_interval
    body["_meta"]["checksum"] = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return body


def index_body(alias: str, settings: Settings) -> dict[str, Any]:
    """Settings and mappings of the template, to create an index of any name with them (tests, reindex)."""
    inner = template_body(alias, settings)["template"]
    return {"settings": inner["settings"], "mappings": inner["mappings"]}


def ensure_indices(es: Any, settings: Settings, report: Report, aliases=ALIASES) -> None:
    from elasticsearch import ApiError, NotFoundError
    from elasticsearch import ConnectionError as ESConnectionError

    try:
        es.cluster.health()  # not es.info(): GET / is absent from the core-only distribution
    except (ESConnectionError, ApiError) as exc:
        raise ServiceUnavailable(
            f"cannot reach Elasticsearch at {settings.elasticsearch_url} ({type(exc).__name__}). "
            "Start the local stack with `policywatch stack up`, or set POLICYWATCH_ES_URL (and credentials)."
        ) from exc
    for alias in aliases:
        body = template_body(alias, settings)
        tname = alias
        try:
            current = es.indices.get_index_template(name=tname)["index_templates"][0]["index_template"]
            installed = (current.get("_meta") or {}).get("checksum")
        except NotFoundError:
            installed = None
        if installed != body["_meta"]["checksum"]:
            es.indices.put_index_template(name=tname, **body)
            report.add("template", tname, "created" if installed is None else "updated",
                       f"patterns {body['index_patterns']}")
        else:
            report.add("template", tname, "unchanged")

        index = index_name(alias)
        if not es.indices.exists(index=index):
            es.indices.create(index=index, aliases={alias: {"is_write_index": True}})
            report.add("index", index, "created", f"alias {alias}")
            continue
        report.add("index", index, "unchanged")
        if installed is not None and installed != body["_meta"]["checksum"]:
            report.add("index", index, "warning",
                       "template changed: the existing index keeps its mapping; bump index_version, replay")
        holders = {}
        if es.indices.exists_alias(name=alias):
            holders = es.indices.get_alias(name=alias, ignore_unavailable=True)
        if index in holders and holders[index]["aliases"][alias].get("is_write_index", True):
            report.add("alias", alias, "unchanged", f"-> {index}")
            continue
        actions: list[dict] = [
            {"remove": {"index": other, "alias": alias}} for other in holders if other != index
        ]
        actions.append({"add": {"index": index, "alias": alias, "is_write_index": True}})
        es.indices.update_aliases(actions=actions)
        report.add("alias", alias, "updated", f"-> {index}")
