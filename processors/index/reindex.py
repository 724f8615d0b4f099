"""Rebuild an aliased index (policy-docs) from its Kafka topic, then switch the alias.

Kafka is the source of truth, so a mapping change or a damaged index is repaired by replaying the
topic from offset 0 into a new versioned index, with no outage:

1. `plan`: pick the target index (`<alias>-v<n>`), create it with the index template's settings and
   mappings, and note the topic's end offsets.
2. `build`: replay the topic up to those offsets into the target (same `_id` and external version as
   the live indexer, so the newest version of each document wins), catch up with what arrived
   meanwhile, and check that the target holds exactly one document per distinct id replayed and no
   fewer than the index the alias points at. A mismatch raises `ReindexMismatch`; the alias is untouched.
3. `swap`: point the alias (and its write index) at the target in one atomic `update_aliases` call.
4. `catch_up`: replay what the live indexer wrote to the old index between the check and the swap.

The old index is kept (delete it once satisfied). Only core Elasticsearch APIs are used: the local
distribution has no `_reindex`.

Target naming: for an alias with a template file (policywatch/provision/templates), the template's
`index_version`, which must be newer than the index behind the alias: bump it to rebuild, so that
the new index is built with the template's mapping and `policywatch init` (which attaches
`<alias>-v<index_version>` to a missing alias and warns when the alias lags the template) agrees with
what the alias points at. Other aliases get the current version + 1.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from policywatch.core.errors import PolicywatchError
from schemas.indices import DOCS_INDEX

logger = logging.getLogger(__name__)

DOCS_ALIAS = DOCS_INDEX
_VERSION_RE = re.compile(r"^(?P<alias>.+)-v(?P<n>\d+)$")

# value bytes -> a bulk action ({"_id", "_source", optional "version"/"version_type"}), or None to skip
Converter = Callable[[bytes], dict[str, Any] | None]


class ReindexError(PolicywatchError):
    """The reindex cannot start or finish; the alias was not switched."""


class ReindexMismatch(ReindexError):
    """The rebuilt index does not hold what the topic says it should; the alias was not switched."""


@dataclass
class ReindexPlan:
    alias: str
    topic: str
    target: str
    previous: list[str]  # indices the alias pointed at when the plan was made
    end_offsets: dict[str, int]  # partition (as a string: JSON/XCom friendly) -> end offset
    planned_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReindexPlan:
        return cls(**data)


@dataclass
class BuildResult:
    target: str
    messages: int  # read from the topic
    documents: int  # distinct ids written (or already newer) in the target
    skipped: int  # messages the converter dropped or could not convert
    target_count: int
    previous_count: int
    positions: dict[str, int]  # partition -> next offset, for catch_up

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- naming and creation ---------------------------------------------------------------------------


def _version(index: str, alias: str) -> int | None:
    m = _VERSION_RE.match(index)
    return int(m["n"]) if m and m["alias"] == alias else None


def alias_indices(es: Any, alias: str) -> tuple[list[str], str | None]:
    """The indices behind `alias` and its write index (None when the alias does not exist)."""
    if not es.indices.exists_alias(name=alias):
        return [], None
    holders = es.indices.get_alias(name=alias)
    write = None
    for index, meta in holders.items():
        if meta["aliases"][alias].get("is_write_index") or len(holders) == 1:
            write = index
    return sorted(holders), write


def choose_target(alias: str, current: list[str], existing: list[str], template_version: int | None) -> str:
    """`<alias>-v<template_version>` when it is newer than every index behind the alias; else a newer
    index left outside the alias by an earlier attempt (reused when empty, refused by `plan` when
    not); else the highest version + 1."""
    newest_current = max((v for v in (_version(i, alias) for i in current) if v is not None), default=0)
    if template_version is not None and template_version > newest_current:
        return f"{alias}-v{template_version}"
    leftovers = [
        v for v in (_version(i, alias) for i in existing if i not in current) if v and v > newest_current
    ]
    if leftovers:
        return f"{alias}-v{max(leftovers)}"
    return f"{alias}-v{newest_current + 1}"


def _index_body(es: Any, alias: str, previous: list[str], settings: Any) -> dict[str, Any] | None:
    try:
        from policywatch.provision.elasticsearch import ALIASES, index_body

        if alias in ALIASES:
            return index_body(alias, settings)
    except ImportError:  # pragma: no cover - provisioning is part of the package
        pass
    if previous:  # an alias with no template file: copy the mapping of what it points at now
        mapping = es.indices.get_mapping(index=previous[-1])[previous[-1]]["mappings"]
        return {"mappings": mapping}
    return None


def _template_version(alias: str) -> int | None:
    try:
        from policywatch.provision.elasticsearch import ALIASES, spec

        return int(spec(alias)["index_version"]) if alias in ALIASES else None
    except ImportError:  # pragma: no cover
        return None


# --- Kafka ---------------------------------------------------------------------------------------


def _partitions(consumer: Any, topic: str) -> list[Any]:
    from kafka import TopicPartition

    parts = consumer.partitions_for_topic(topic) if topic in consumer.topics() else None
    if not parts:
        raise ReindexError(
            f"topic {topic} does not exist; run `policywatch init` and replay or crawl first"
        )
    return [TopicPartition(topic, p) for p in sorted(parts)]


def end_offsets(consumer: Any, topic: str) -> dict[str, int]:
    tps = _partitions(consumer, topic)
    return {str(tp.partition): int(off) for tp, off in consumer.end_offsets(tps).items()}


def read_range(
    consumer: Any,
    topic: str,
    start: dict[str, int] | None,
    end: dict[str, int],
    *,
    poll_ms: int = 500,
    stall_s: float = 120.0,
) -> Iterator[Any]:
    """Every record of `topic` from `start` (default: the beginning) up to, not including, `end`."""
    from kafka import TopicPartition

    tps = {p: TopicPartition(topic, int(p)) for p, off in end.items() if off > (start or {}).get(p, 0)}
    if not tps:
        return
    consumer.assign(list(tps.values()))
    for p, tp in tps.items():
        consumer.seek(tp, (start or {}).get(p, 0))
    remaining = set(tps)
    last_progress = time.monotonic()
    while remaining:
        if time.monotonic() - last_progress > stall_s:
            raise ReindexError(
                f"{topic}: no progress for {stall_s:.0f}s towards offsets {end}; is Kafka up?"
            )
        batch = consumer.poll(timeout_ms=poll_ms)
        if batch:
            last_progress = time.monotonic()
        for tp, records in batch.items():
            p = str(tp.partition)
            for record in records:
                if record.offset < end[p]:
                    yield record
            if p in remaining and consumer.position(tp) >= end[p]:
                remaining.discard(p)
        for p in list(remaining):  # partitions with nothing left to fetch (compacted or empty tail)
            if consumer.position(tps[p]) >= end[p]:
                remaining.discard(p)


# --- the steps -----------------------------------------------------------------------------------


def plan(es: Any, consumer: Any, *, alias: str, topic: str, settings: Any = None) -> ReindexPlan:
    """Create the target index and note where the topic ends now."""
    current, _ = alias_indices(es, alias)
    existing = sorted(es.indices.get(index=f"{alias}-v*", allow_no_indices=True, expand_wildcards="all"))
    template_version = _template_version(alias)
    target = choose_target(alias, current, existing, template_version)
    if template_version is not None and _version(target, alias) != template_version:
        raise ReindexError(
            f"{alias} already uses index_version {template_version} of its template, and the new index is "
            f"named and mapped after that version: bump index_version "
            f"in policywatch/provision/templates/{alias}.json, then reindex"
        )
    if target in existing and target not in current and es.count(index=target)["count"]:
        raise ReindexError(
            f"{target} already exists and holds documents but is not behind {alias}: a reindex was left "
            f"half done. Delete it (DELETE /{target}) and run the reindex again."
        )
    offsets = end_offsets(consumer, topic)
    if target not in existing:
        body = _index_body(es, alias, current, settings) or {}
        es.indices.create(index=target, **body)
    logger.info("reindex %s: %s -> %s, %s up to %s", alias, current or "(none)", target, topic, offsets)
    return ReindexPlan(alias=alias, topic=topic, target=target, previous=current, end_offsets=offsets)


class _Writer:
    """Bulk-writes converted messages into one index and keeps the set of ids it holds."""

    def __init__(self, es: Any, index: str, converter: Converter, chunk: int = 500) -> None:
        self.es, self.index, self.converter, self.chunk = es, index, converter, chunk
        self.ok_ids: set[str] = set()
        self.failed: dict[str, str] = {}
        self.messages = 0
        self.skipped = 0
        self._pending: list[dict[str, Any]] = []

    def add(self, value: bytes) -> None:
        self.messages += 1
        try:
            action = self.converter(value)
        except Exception as exc:  # a bad message: the live indexer dead-lettered it too
            logger.warning("reindex: message not converted (%s: %s)", type(exc).__name__, exc)
            action = None
        if action is None:
            self.skipped += 1
            return
        self._pending.append({**action, "_index": self.index})
        if len(self._pending) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        from elasticsearch import helpers

        pending, self._pending = self._pending, []
        for ok, item in helpers.streaming_bulk(
            self.es,
            pending,
            raise_on_error=False,
            raise_on_exception=True,
            max_retries=3,
            chunk_size=self.chunk,
        ):
            info = next(iter(item.values()))
            doc_id = str(info.get("_id"))
            if ok or info.get("status") == 409:  # 409: a newer version of the document is already there
                self.ok_ids.add(doc_id)
                self.failed.pop(doc_id, None)
            elif doc_id not in self.ok_ids:
                self.failed[doc_id] = str(info.get("error"))


def _count(es: Any, indices: list[str]) -> int:
    if not indices:
        return 0
    es.indices.refresh(index=",".join(indices))
    return int(es.count(index=",".join(indices))["count"])


def build(
    es: Any,
    consumer: Any,
    the_plan: ReindexPlan,
    converter: Converter,
    *,
    catch_up_rounds: int = 3,
    allow_shrink: bool = False,
) -> BuildResult:
    """Fill the target from the topic and check the counts; raise ReindexMismatch when they differ."""
    writer = _Writer(es, the_plan.target, converter)
    positions = dict(the_plan.end_offsets)
    for record in read_range(consumer, the_plan.topic, None, the_plan.end_offsets):
        writer.add(record.value)
    writer.flush()
    for _ in range(catch_up_rounds):  # what the producers added while we replayed
        now = end_offsets(consumer, the_plan.topic)
        if now == positions:
            break
        for record in read_range(consumer, the_plan.topic, positions, now):
            writer.add(record.value)
        writer.flush()
        positions = now
    previous = [i for i in the_plan.previous if i != the_plan.target]
    result = BuildResult(
        target=the_plan.target,
        messages=writer.messages,
        documents=len(writer.ok_ids),
        skipped=writer.skipped,
        target_count=_count(es, [the_plan.target]),
        previous_count=_count(es, previous),
        positions=positions,
    )
    problems = []
    if writer.failed:
        first = next(iter(writer.failed.items()))
        problems.append(
            f"{len(writer.failed)} documents rejected by {the_plan.target} (first: {first[0]}: {first[1]})"
        )
    if result.target_count != result.documents:
        problems.append(
            f"{the_plan.target} holds {result.target_count} documents, "
            f"the topic has {result.documents} distinct ids"
        )
    if result.target_count < result.previous_count and not allow_shrink:
        problems.append(
            f"{the_plan.target} holds {result.target_count} documents, "
            f"fewer than the {result.previous_count} in {', '.join(previous)} "
            f"(were messages deleted from {the_plan.topic}?)"
        )
    if problems:
        raise ReindexMismatch(f"reindex of {the_plan.alias} not switched: " + "; ".join(problems))
    logger.info("reindex %s: %s", the_plan.alias, result)
    return result


def swap(es: Any, the_plan: ReindexPlan) -> list[str]:
    """Point the alias at the target only, atomically; return the indices it left."""
    current, _ = alias_indices(es, the_plan.alias)
    left = [i for i in current if i != the_plan.target]
    actions: list[dict[str, Any]] = [{"remove": {"index": i, "alias": the_plan.alias}} for i in left]
    actions.append({"add": {"index": the_plan.target, "alias": the_plan.alias, "is_write_index": True}})
    es.indices.update_aliases(actions=actions)
    logger.info("alias %s -> %s (was %s)", the_plan.alias, the_plan.target, left or "nothing")
    return left


def catch_up(
    es: Any, consumer: Any, the_plan: ReindexPlan, converter: Converter, positions: dict[str, int]
) -> int:
    """Replay what arrived between the build's last read and now into the target; return messages read."""
    now = end_offsets(consumer, the_plan.topic)
    writer = _Writer(es, the_plan.target, converter)
    for record in read_range(consumer, the_plan.topic, positions, now):
        writer.add(record.value)
    writer.flush()
    if writer.failed:
        logger.error("reindex catch-up: %d documents rejected by %s", len(writer.failed), the_plan.target)
    return writer.messages


# --- wiring (CLI and Airflow) --------------------------------------------------------------------


def docs_action(value: bytes) -> dict[str, Any]:
    """A policy.extracted.v1 message -> its policy-docs action, built by the live index stage's code."""
    from processors.index import docs_source, version_of
    from schemas import ExtractedDocument

    doc = ExtractedDocument.model_validate_json(value)
    return {
        "_id": doc.doc_id,
        "_source": docs_source(doc),
        "version": version_of(doc),
        "version_type": "external",
    }


def default_converter() -> Converter:
    """The converter for policy-docs: the same document the index stage writes."""
    return docs_action
