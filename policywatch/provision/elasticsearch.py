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
import re
from functools import cache
from importlib import resources
from typing import Any

from policywatch.core.elasticsearch import unreachable_message
from policywatch.core.errors import ServiceUnavailable
from policywatch.core.settings import Settings
from policywatch.provision import Report
from schemas.indices import (
    ALERTS_INDEX,
    ALL_INDICES,
    CRAWL_STATUS_INDEX,
    DOCS_INDEX,
    FINGERPRINTS_INDEX,
    INDICATORS_INDEX,
    SOURCE_HEALTH_INDEX,
    WATCHES_INDEX,
)

DOCS = DOCS_INDEX
INDICATORS = INDICATORS_INDEX
WATCHES = WATCHES_INDEX
ALERTS = ALERTS_INDEX
CRAWL_STATUS = CRAWL_STATUS_INDEX
SOURCE_HEALTH = SOURCE_HEALTH_INDEX
FINGERPRINTS = FINGERPRINTS_INDEX
ALIASES = ALL_INDICES
_VERSION_RE = re.compile(r"^(?P<alias>.+)-v(?P<n>\d+)$")


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
    from elasticsearch import ApiError
    from elasticsearch import ConnectionError as ESConnectionError

    try:
        es.cluster.health()  # not es.info(): GET / is absent from the core-only distribution
    except (ESConnectionError, ApiError) as exc:
        raise ServiceUnavailable(unreachable_message(settings, exc)) from exc
    for alias in aliases:
        changed = ensure_template(es, alias, settings, report)
        ensure_alias(es, alias, settings, report, template_changed=changed)


def ensure_template(es: Any, alias: str, settings: Settings, report: Report | None = None) -> bool:
    """Install or update the composable template of `alias`; True when an older one was replaced."""
    from elasticsearch import NotFoundError

    report = report if report is not None else Report()
    body = template_body(alias, settings)
    try:
        current = es.indices.get_index_template(name=alias)["index_templates"][0]["index_template"]
        installed = (current.get("_meta") or {}).get("checksum")
    except NotFoundError:
        installed = None
    if installed == body["_meta"]["checksum"]:
        report.add("template", alias, "unchanged")
        return False
    es.indices.put_index_template(name=alias, **body)
    report.add("template", alias, "created" if installed is None else "updated",
               f"patterns {body['index_patterns']}")
    return installed is not None


def ensure_index(es: Any, alias: str, name: str | None, settings: Settings) -> str:
    """For a stage that writes a logical index on first use (the clean stage's policy-fingerprints):
    `name` None or the alias: what `init` does for it (template, `<alias>-v<n>`, the alias), returning
    the index written to; another name (a test's private index): that index, created with the template's
    settings and mappings unless it exists. The mapping lives in one place, templates/<alias>.json."""
    s = settings
    if name is None or name == alias:
        # A changed template (new fields) is added to the live index's mapping, as `init` does.
        changed = ensure_template(es, alias, s)
        return ensure_alias(es, alias, s, template_changed=changed)
    if not es.indices.exists(index=name):
        es.options(ignore_status=400).indices.create(index=name, **index_body(alias, s))  # 400: a race
    return name


def _extend_mapping(es: Any, alias: str, index: str, settings: Settings, report: Report) -> None:
    """After a template change, add its new fields to the live index (Elasticsearch accepts additions to
    a mapping, not changes); a change that is not an addition needs a new index_version and a reindex."""
    from elasticsearch import BadRequestError

    try:
        es.indices.put_mapping(index=index, **index_body(alias, settings)["mappings"])
    except BadRequestError as exc:
        report.add("index", index, "warning",
                   f"template changed and the existing index cannot take the new mapping ({exc.message}): "
                   "bump index_version, then reindex")
        return
    report.add("index", index, "updated", "template changed: new fields added to the mapping")


def _version_of(index: str, alias: str) -> int | None:
    m = _VERSION_RE.match(index)
    return int(m["n"]) if m and m["alias"] == alias else None


def ensure_alias(es: Any, alias: str, settings: Settings, report: Report | None = None, *,
                 template_changed: bool = False, version: int | None = None) -> str:
    """Make sure `alias` exists; return the index it writes to.

    - The alias exists and points at indices of its family (`<alias>-v<n>`, whatever n: the template's
      version, or a newer one a reindex switched it to): left alone. A reindex is never undone, and an
      alias behind the template's `index_version` is reported (run `policywatch reindex`), not switched
      to an empty index.
    - The alias does not exist: `<alias>-v<index_version>` is created from the template (or, when it
      exists already, attached) and becomes the alias's write index.
    - A concrete index named like the alias (created before the alias existed): left alone.

    `version` defaults to the template file's `index_version` (tests pass it for private aliases).
    """
    report = report if report is not None else Report()
    version = int(_load(alias)["index_version"]) if version is None else version
    want = f"{alias}-v{version}"
    if es.indices.exists_alias(name=alias):
        holders = es.indices.get_alias(name=alias, ignore_unavailable=True)
        writes = [i for i, meta in holders.items() if meta["aliases"][alias].get("is_write_index")]
        write = writes[0] if writes else (next(iter(holders)) if len(holders) == 1 else None)
        foreign = sorted(i for i in holders if _version_of(i, alias) is None)
        if foreign:
            report.add("alias", alias, "warning",
                       f"points at {', '.join(sorted(holders))}, not only {alias}-v<n> indices: left alone")
        elif write is None:
            report.add("alias", alias, "warning",
                       f"points at {', '.join(sorted(holders))} with no write index: left alone "
                       "(set is_write_index on one of them)")
        else:
            n = _version_of(write, alias) or 0
            report.add("alias", alias, "unchanged", f"-> {write}")
            if n < version:
                report.add("alias", alias, "warning",
                           f"-> {write}, but the template's index_version is {version}: run "
                           f"`policywatch reindex --alias {alias}` to rebuild it as {want}")
            elif n == version and template_changed:
                _extend_mapping(es, alias, write, settings, report)
        return write or want
    if es.indices.exists(index=alias):
        # A concrete index (e.g. policy-fingerprints as the clean stage created it before init managed
        # it, with the same mapping): it works as it is, so it is left alone.
        report.add("index", alias, "unchanged", f"a concrete index, not an alias (no {want})")
        return alias
    if es.indices.exists(index=want):
        es.indices.update_aliases(actions=[{"add": {"index": want, "alias": alias, "is_write_index": True}}])
        report.add("index", want, "unchanged")
        report.add("alias", alias, "created", f"-> {want}")
        return want
    from elasticsearch import BadRequestError

    try:
        es.indices.create(index=want, aliases={alias: {"is_write_index": True}})
    except BadRequestError as exc:  # another process created it meanwhile
        if "resource_already_exists_exception" not in str(exc):
            raise
        return ensure_alias(es, alias, settings, report, template_changed=template_changed, version=version)
    report.add("index", want, "created", f"alias {alias}")
    return want
