"""Entry points the CLI and the Airflow DAGs call: replay files, run stages, report status.

    replay(["seeds/"])                       # local files -> policy.raw.v1
    process("all", until_idle=True)          # clean, extract, index, alert until nothing is left
    status()                                 # per stage: lag, processed, dead-lettered; per index: count
"""

from __future__ import annotations

import json
import mimetypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from policywatch.core.errors import PolicywatchError, ServiceUnavailable
from processors.runner import RunnerConfig, RunStats, Stage, run_stage
from processors.stages import STAGES, CleanStage, ExtractStage, IndexStage
from schemas import CLEANED_TOPIC, DLQ_TOPIC, EXTRACTED_TOPIC, RAW_TOPIC, RawDocument, trace_step

log = structlog.get_logger(__name__)

REPLAY_SUFFIXES = {".txt", ".text", ".html", ".htm", ".shtml", ".pdf", ".docx", ".doc"}
STAGE_TOPICS = {"clean": RAW_TOPIC, "extract": CLEANED_TOPIC, "index": EXTRACTED_TOPIC,
                "alert": EXTRACTED_TOPIC}
# `process all`: every stage; alert last (it matches documents once index has made them searchable).
ALL_STAGES = (*STAGES, "alert")
_TYPES = {".txt": "text/plain", ".text": "text/plain", ".shtml": "text/html", ".doc": "application/msword"}


def _settings(settings: Any) -> Any:
    if settings is not None:
        return settings
    from policywatch.core.settings import get_settings

    return get_settings()


# -- replay ----------------------------------------------------------------------------------------
@dataclass(slots=True)
class ReplayReport:
    files: int = 0
    sent: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)


def iter_replay_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files to replay: each path itself, or every txt/html/pdf/docx/doc below a folder (sorted)."""
    out: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in REPLAY_SUFFIXES)
            out.extend(sorted(found))
        elif path.is_file():
            out.append(path)
        else:
            raise PolicywatchError(f"{path}: no such file or folder")
    return out


def raw_document_for_file(path: Path, *, source_id: str = "replay",
                          fetched_at: datetime | None = None) -> RawDocument:
    """A RawDocument for a local file; its doc_id is the sha256 of the file's bytes."""
    data = path.read_bytes()
    url = path.resolve().as_uri()
    suffix = path.suffix.lower()
    content_type = _TYPES.get(suffix) or mimetypes.guess_type(path.name)[0]
    return RawDocument(
        doc_id=RawDocument.id_for_bytes(data), url=url, canonical_url=url, source_id=source_id,
        source_kind="replay", fetched_at=fetched_at or datetime.now(UTC), content_type=content_type,
        body=data, trace=[trace_step("replay")],
    )


def replay(paths: Sequence[str | os.PathLike[str]], *, settings: Any = None, topic: str = RAW_TOPIC,
           source_id: str = "replay", producer: Any = None,
           progress: Callable[[int, int], None] | None = None) -> ReplayReport:
    """Publish local files (txt, html, pdf, docx, doc; folders recursively) to ``topic`` as RawDocuments,
    keyed by doc_id, and wait until every send is acknowledged. ``progress(done, total)`` is called after
    each file."""
    files = iter_replay_files(paths)
    report = ReplayReport(files=len(files))
    own = producer is None
    if own:
        from policywatch.core.kafka import make_producer

        try:
            producer = make_producer(_settings(settings))
        except Exception as exc:
            raise ServiceUnavailable(
                f"cannot reach Kafka ({type(exc).__name__}: {exc}): run `policywatch stack up` "
                "or set POLICYWATCH_KAFKA_BOOTSTRAP") from exc
    futures = []
    try:
        for n, path in enumerate(files, 1):
            try:
                raw = raw_document_for_file(path, source_id=source_id)
            except OSError as exc:
                report.skipped.append(f"{path}: {exc}")
                continue
            value = raw.model_dump_json().encode("utf-8")
            futures.append(producer.send(topic, key=raw.doc_id.encode(), value=value))
            report.bytes += len(value)
            report.doc_ids.append(raw.doc_id)
            if progress:
                progress(n, len(files))
        producer.flush(timeout=120)
        for future in futures:
            try:
                future.get(timeout=120)
            except Exception as exc:
                raise ServiceUnavailable(f"Kafka did not acknowledge a replayed file: {exc}") from exc
            report.sent += 1
    finally:
        if own:
            producer.close(timeout=10)
    return report


# -- process ---------------------------------------------------------------------------------------
def build_stage(name: str, *, settings: Any = None, es: Any = None, docs_index: str | None = None,
                indicators_index: str | None = None, fingerprint_index: str | None = None,
                topics: dict[str, str] | None = None) -> Stage:
    """The stage object for ``name`` (clean, extract, index), wired to Elasticsearch when it needs it.
    ``topics`` may rename raw/cleaned/extracted (tests and benchmarks use their own)."""
    t = {"raw": RAW_TOPIC, "cleaned": CLEANED_TOPIC, "extracted": EXTRACTED_TOPIC, **(topics or {})}
    if name == "extract":
        return ExtractStage(input_topic=t["cleaned"], output_topic=t["extracted"])
    if name == "alert":  # watches over policy.extracted.v1 (processors/alert), its own consumer group
        from processors.alert.stage import build_alert_stage

        return build_alert_stage(settings=_settings(settings), es=es, input_topic=t["extracted"])
    if name not in ("clean", "index"):
        raise PolicywatchError(f"unknown stage {name!r}: choose one of {', '.join(ALL_STAGES)} or all")
    if es is None:
        from policywatch.core.elasticsearch import make_es

        es = make_es(_settings(settings))
    if name == "clean":
        from processors.clean.dedup import FINGERPRINT_INDEX, EsFingerprintStore

        store = EsFingerprintStore(es, index=fingerprint_index or FINGERPRINT_INDEX)
        return CleanStage(store, input_topic=t["raw"], output_topic=t["cleaned"])
    kwargs = {k: v for k, v in (("docs_index", docs_index), ("indicators_index", indicators_index)) if v}
    return IndexStage(es, input_topic=t["extracted"], **kwargs)


def process(stage: str, *, until_idle: bool = False, settings: Any = None, config: RunnerConfig | None = None,
            metrics_port: int | None = None, **stage_options: Any) -> dict[str, RunStats]:
    """Run one stage (or ``all``) as a consumer group member.

    ``until_idle``: return once the input is drained (for ``all``: clean, then extract, then index, then
    alert, in this process). Without it a stage runs until SIGTERM/SIGINT; ``all`` then starts one child
    process per stage and forwards signals to them.
    """
    base = config or RunnerConfig()
    if stage == "all" and not until_idle:
        return _process_all_children(metrics_port)
    names = list(ALL_STAGES) if stage == "all" else [stage]
    out: dict[str, RunStats] = {}
    for i, name in enumerate(names):
        cfg = RunnerConfig(**{**asdict(base), "until_idle": until_idle})
        built = build_stage(name, settings=settings, **stage_options)
        port = metrics_port + i if metrics_port else None
        out[name] = run_stage(built, settings=_settings(settings), config=cfg, metrics_port=port)
    return out


def _process_all_children(metrics_port: int | None) -> dict[str, RunStats]:
    children = []
    for i, name in enumerate(ALL_STAGES):
        cmd = [sys.executable, "-m", "policywatch", "process", name]
        if metrics_port:
            cmd += ["--metrics-port", str(metrics_port + i)]
        children.append(subprocess.Popen(cmd))

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [child.wait() for child in children]
    if any(codes):
        raise PolicywatchError(f"stage processes exited with {dict(zip(ALL_STAGES, codes, strict=True))}")
    return {}


# -- status ----------------------------------------------------------------------------------------
def _dlq_counts(settings: Any, timeout_s: float = 20.0) -> dict[str, int]:
    from kafka.structs import TopicPartition

    from policywatch.core.kafka import make_consumer

    consumer = make_consumer(settings, None, (), enable_auto_commit=False, consumer_timeout_ms=2000)
    counts: dict[str, int] = {}
    try:
        partitions = consumer.partitions_for_topic(DLQ_TOPIC) or set()
        tps = [TopicPartition(DLQ_TOPIC, p) for p in partitions]
        if not tps:
            return counts
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    try:
                        stage = json.loads(record.value).get("stage", "?")
                    except ValueError:
                        stage = "?"
                    counts[stage] = counts.get(stage, 0) + 1
    finally:
        consumer.close()
    return counts


def status(settings: Any = None, *, groups: dict[str, str] | None = None,
           indices: Sequence[str] = ("policy-docs", "policy-indicators", "policy-fingerprints")) -> dict:
    """Per stage: committed (messages processed by the group), lag and dead letters; per index: count."""
    from kafka.structs import TopicPartition

    from policywatch.core.elasticsearch import make_es
    from policywatch.core.kafka import make_admin, make_consumer

    s = _settings(settings)
    groups = groups or {name: f"policywatch-{name}" for name in ALL_STAGES}
    result: dict[str, Any] = {"stages": {}, "indices": {}}
    try:
        admin = make_admin(s)
        consumer = make_consumer(s, None, ())
    except Exception as exc:
        raise ServiceUnavailable(f"cannot reach Kafka ({exc}): run `policywatch stack up`") from exc
    try:
        dlq = _dlq_counts(s)
        for name, group in groups.items():
            topic = STAGE_TOPICS[name]
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in partitions]
            ends = consumer.end_offsets(tps) if tps else {}
            committed = admin.list_group_offsets({group: None}).get(group, {})
            at = {tp: max(committed[tp].offset, 0) if tp in committed else 0 for tp in tps}
            done = sum(at.values())
            lag = sum(ends[tp] - at[tp] for tp in tps)
            result["stages"][name] = {"group": group, "topic": topic, "processed": done, "lag": lag,
                                      "topic_messages": sum(ends.values()), "dead_lettered": dlq.get(name, 0)}
    finally:
        consumer.close()
        admin.close()
    es = make_es(s)
    try:
        for index in indices:
            try:
                result["indices"][index] = int(es.count(index=index)["count"])
            except Exception as exc:
                result["indices"][index] = f"unavailable ({type(exc).__name__})"
    finally:
        es.close()
    return result
