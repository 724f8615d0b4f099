"""The composition root: the only place that builds clients, stores, stages, sinks and the crawl runtime.

Every entry point (the CLI's `main`, each Airflow task function, the crawl subprocess) reads `Settings`
once and passes it here; nothing below this layer reads the environment or builds its own clients.

    stage = build_stage("clean", settings)       # a runner stage (STAGES maps each name to its builder)
    run_stage(stage, settings)                   # its consumer + producer, until stopped or idle
    process("all", settings, until_idle=True)    # clean, extract, index, alert in turn
    runtime = build_crawl_runtime(settings, sink="kafka", status="es")
    es = build_search_client(settings)

Builders have no side effects beyond connecting: creating an index or sweeping pending webhooks happens
in a stage's `open()`, which the runner calls before the first poll.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from policywatch.core.elasticsearch import make_es
from policywatch.core.errors import PolicywatchError, ServiceUnavailable, is_transient
from policywatch.core.kafka import make_producer, unreachable_message
from policywatch.core.settings import Settings
from policywatch.provision import Report as ProvisionReport
from processors import observability as obs
from processors.alert.engine import AlertStage, StageConfig
from processors.alert.stage import AlertRunnerStage, KafkaAlertPublisher
from processors.clean.dedup import FINGERPRINT_INDEX, EsFingerprintStore
from processors.clean.stage import CleanStage
from processors.extract.stage import ExtractStage
from processors.index import reindex
from processors.index.sink import IndexSink
from processors.replay import ReplayReport
from processors.replay import replay as replay_files
from processors.runner import Runner, RunnerConfig, RunStats, Stage
from schemas import ALERTS_TOPIC, CLEANED_TOPIC, EXTRACTED_TOPIC, INDEXED_TOPIC, RAW_TOPIC
from schemas.indices import DOCS_INDEX

# raw / cleaned / extracted / indexed -> topic name (tests and benchmarks use their own). Renamed topics
# without "indexed": the index stage publishes no indexed events (and the alert stage cannot be built).
Topics = dict[str, str]


def _topics(topics: Topics | None) -> dict[str, str | None]:
    return {"raw": RAW_TOPIC, "cleaned": CLEANED_TOPIC, "extracted": EXTRACTED_TOPIC,
            "indexed": INDEXED_TOPIC if topics is None else None, **(topics or {})}


# -- stages ----------------------------------------------------------------------------------------
def build_clean(settings: Settings, *, es: Any = None, topics: Topics | None = None,
                fingerprint_index: str | None = None, **_: Any) -> CleanStage:
    t = _topics(topics)
    store = EsFingerprintStore(es if es is not None else make_es(settings),
                               index=fingerprint_index or FINGERPRINT_INDEX, settings=settings)
    return CleanStage(store, input_topic=t["raw"], output_topic=t["cleaned"])


def build_extract(settings: Settings, *, topics: Topics | None = None, **_: Any) -> ExtractStage:
    t = _topics(topics)
    return ExtractStage(input_topic=t["cleaned"], output_topic=t["extracted"])


def build_index(settings: Settings, *, es: Any = None, topics: Topics | None = None,
                docs_index: str | None = None, indicators_index: str | None = None, **_: Any) -> IndexSink:
    kwargs = {k: v for k, v in (("docs_index", docs_index), ("indicators_index", indicators_index)) if v}
    t = _topics(topics)
    return IndexSink(es if es is not None else make_es(settings), input_topic=t["extracted"],
                     output_topic=t["indexed"], **kwargs)


def alert_config(settings: Settings, **fields: Any) -> StageConfig:
    """The alert stage's configuration with the deployment's webhook policy and secret (`fields` win)."""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    return StageConfig(**{"webhook_allow_private": settings.webhook_allow_private, "webhook_secret": secret,
                          **fields})


def build_alert(settings: Settings, *, es: Any = None, producer: Any = None, topics: Topics | None = None,
                config: StageConfig | None = None, alerts_topic: str = ALERTS_TOPIC,
                **_: Any) -> AlertRunnerStage:
    """Watches over policy.indexed.v1 (its own consumer group), alerts to Kafka and policy-alerts."""
    indexed = _topics(topics)["indexed"]
    if not indexed:
        raise PolicywatchError("the alert stage reads the index stage's indexed topic: name it in topics")
    es = es if es is not None else make_es(settings)
    producer = producer if producer is not None else make_producer(settings)
    engine = AlertStage(es, KafkaAlertPublisher(producer, alerts_topic), config or alert_config(settings))
    return AlertRunnerStage(engine, input_topic=indexed)


# `process all` runs them in this order; alert last (it reads what index published once Elasticsearch had
# acknowledged it).
STAGES: dict[str, Callable[..., Stage]] = {
    "clean": build_clean, "extract": build_extract, "index": build_index, "alert": build_alert,
}
STAGE_TOPICS = {"clean": CleanStage.input_topic, "extract": ExtractStage.input_topic,
                "index": IndexSink.input_topic, "alert": AlertRunnerStage.input_topic}


def build_stage(name: str, settings: Settings, **options: Any) -> Stage:
    """The stage object for ``name``, wired to Elasticsearch/Kafka when it needs them. ``options``: es,
    producer, topics (raw/cleaned/extracted renamed), docs_index, indicators_index, fingerprint_index."""
    builder = STAGES.get(name)
    if builder is None:
        raise PolicywatchError(f"unknown stage {name!r}: choose one of {', '.join(STAGES)} or all")
    return builder(settings, **options)


def run_stage(stage: Stage, settings: Settings, *, config: RunnerConfig | None = None,
              metrics_port: int | None = None, install_signals: bool = True) -> RunStats:
    """Connect to Kafka and run ``stage`` until stopped (or idle)."""
    from policywatch.core.kafka import make_consumer

    config = config or RunnerConfig()
    obs.serve_metrics(metrics_port)
    group = config.group_id or f"policywatch-{stage.name}"
    try:
        consumer = make_consumer(settings, group, [stage.input_topic], max_poll_records=config.batch_size)
        producer = make_producer(settings)
    except Exception as exc:
        if is_transient(exc):
            raise ServiceUnavailable(unreachable_message(settings, exc)) from exc
        raise
    from processors.heartbeat import Heartbeat

    runner = Runner(stage, consumer, producer, config, heartbeat=Heartbeat.for_stage(settings, stage.name))
    if install_signals:
        runner.install_signal_handlers()
    try:
        return runner.run()
    finally:
        producer.close(timeout=10)


def process(stage: str, settings: Settings, *, until_idle: bool = False, config: RunnerConfig | None = None,
            metrics_port: int | None = None, **stage_options: Any) -> dict[str, RunStats]:
    """Run one stage (or ``all``) as a consumer group member.

    ``until_idle``: return once the input is drained (for ``all``: clean, then extract, then index, then
    alert, in this process). Without it a stage runs until SIGTERM/SIGINT; ``all`` then starts one child
    process per stage (``policywatch process <stage>``) and forwards signals to them.
    """
    base = config or RunnerConfig()
    if stage == "all" and not until_idle:
        return _process_all_children(metrics_port)
    names = list(STAGES) if stage == "all" else [stage]
    out: dict[str, RunStats] = {}
    for i, name in enumerate(names):
        cfg = RunnerConfig(**{**asdict(base), "until_idle": until_idle})
        built = build_stage(name, settings, **stage_options)
        port = metrics_port + i if metrics_port else None
        out[name] = run_stage(built, settings, config=cfg, metrics_port=port)
    return out


def _process_all_children(metrics_port: int | None) -> dict[str, RunStats]:
    children = []
    for i, name in enumerate(STAGES):
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
        raise PolicywatchError(f"stage processes exited with {dict(zip(STAGES, codes, strict=True))}")
    return {}


# -- replay ----------------------------------------------------------------------------------------
def replay(paths: Sequence[str | Path], settings: Settings, *, topic: str = RAW_TOPIC,
           source_id: str = "replay", progress: Callable[[int, int], None] | None = None) -> ReplayReport:
    """``processors.replay.replay`` with a producer of its own (closed at the end)."""
    try:
        producer = make_producer(settings)
    except Exception as exc:
        raise ServiceUnavailable(unreachable_message(settings, exc)) from exc
    try:
        return replay_files(paths, producer=producer, topic=topic, source_id=source_id, progress=progress,
                            page_limit=settings.raw_max_message_bytes,
                            message_limit=settings.kafka_message_max_bytes)
    finally:
        producer.close(timeout=10)


# -- crawl -----------------------------------------------------------------------------------------
def build_crawl_runtime(settings: Settings, *, sink: str = "kafka", status: str = "es"):
    """The sink and the status store every spider of one crawl shares.

    sink: `kafka` (policy.raw.v1), `kafka:TOPIC`, `jsonl:PATH` or `memory`;
    status: `es` (the policy-crawl-status index), `es:INDEX`, `file:PATH` or `memory`."""
    from crawlers.run import Runtime

    return Runtime(sink=_crawl_sink(sink, settings), status_store=_crawl_status_store(status, settings),
                   metrics_port=settings.crawl_metrics_port)


def _crawl_sink(spec: str, settings: Settings):
    from crawlers.sinks import JsonlSink, KafkaSink, MemorySink

    kind, _, arg = spec.partition(":")
    if kind == "kafka":
        from kafka.errors import KafkaError

        try:
            # No Kafka compression: page bodies are already zstd-compressed in the message, and gzip on
            # top cost half the crawl's throughput in bench/crawl.py for a few percent of bytes.
            producer = make_producer(settings, linger_ms=50, batch_size=512 * 1024, compression_type=None)
        except KafkaError as exc:
            raise ServiceUnavailable(unreachable_message(settings, exc)) from exc
        return KafkaSink(producer, **({"topic": arg} if arg else {}))
    if kind == "jsonl" and arg:
        return JsonlSink(Path(arg))
    if kind == "memory":
        return MemorySink()
    raise PolicywatchError(f"unknown sink {spec!r}: use kafka, kafka:TOPIC, jsonl:PATH or memory")


def _crawl_status_store(spec: str, settings: Settings):
    from crawlers.status import EsStatusStore, FileStatusStore, MemoryStatusStore
    from policywatch.core import elasticsearch

    kind, _, arg = spec.partition(":")
    if kind == "es":
        es = make_es(settings)
        try:
            es.cluster.health(timeout="5s")  # not es.info(): GET / is absent from core-only builds
        except Exception as exc:  # the client raises several connection error types
            raise ServiceUnavailable(elasticsearch.unreachable_message(settings, exc)) from exc
        return EsStatusStore(es, settings=settings, **({"index": arg} if arg else {}))
    if kind == "file" and arg:
        return FileStatusStore(Path(arg))
    if kind == "memory":
        return MemoryStatusStore()
    raise PolicywatchError(f"unknown status store {spec!r}: use es, es:INDEX, file:PATH or memory")


# -- reindex ---------------------------------------------------------------------------------------
@contextmanager
def _reindex_clients(settings: Settings, *, consumer: bool = True) -> Iterator[tuple[Any, Any]]:
    """Elasticsearch and (optionally) an unsubscribed consumer for one reindex step, closed after."""
    from policywatch.core.kafka import make_consumer

    es = make_es(settings)
    kafka = make_consumer(settings, group_id=None) if consumer else None
    try:
        yield es, kafka
    finally:
        if kafka is not None:
            kafka.close()
        es.close()


def reindex_plan(settings: Settings, *, alias: str = DOCS_INDEX,
                 topic: str | None = None) -> reindex.ReindexPlan:
    with _reindex_clients(settings) as (es, consumer):
        return reindex.plan(es, consumer, alias=alias, topic=topic or EXTRACTED_TOPIC, settings=settings)


def reindex_build(settings: Settings, the_plan: reindex.ReindexPlan,
                  converter: reindex.Converter | None = None, **kw: Any) -> reindex.BuildResult:
    with _reindex_clients(settings) as (es, consumer):
        return reindex.build(es, consumer, the_plan, converter or reindex.default_converter(), **kw)


def reindex_swap(settings: Settings, the_plan: reindex.ReindexPlan) -> list[str]:
    with _reindex_clients(settings, consumer=False) as (es, _):
        return reindex.swap(es, the_plan)


def reindex_catch_up(settings: Settings, the_plan: reindex.ReindexPlan, positions: dict[str, int],
                     converter: reindex.Converter | None = None) -> int:
    with _reindex_clients(settings) as (es, consumer):
        return reindex.catch_up(es, consumer, the_plan, converter or reindex.default_converter(), positions)


def rebuild(settings: Settings, *, alias: str = DOCS_INDEX, topic: str | None = None,
            converter: reindex.Converter | None = None, allow_shrink: bool = False) -> dict[str, Any]:
    """All four steps (what `policywatch reindex` runs); the Airflow DAG runs them as separate tasks."""
    converter = converter or reindex.default_converter()
    the_plan = reindex_plan(settings, alias=alias, topic=topic)
    result = reindex_build(settings, the_plan, converter, allow_shrink=allow_shrink)
    left = reindex_swap(settings, the_plan)
    late = reindex_catch_up(settings, the_plan, result.positions, converter)
    return {"plan": the_plan.as_dict(), "build": result.as_dict(), "left": left, "caught_up": late}


# -- search ----------------------------------------------------------------------------------------
def build_search_client(settings: Settings) -> Any:
    """The Elasticsearch client for search, watches and alerts."""
    return make_es(settings)


def provision(settings: Settings, kafka: bool = True, elasticsearch: bool = True) -> ProvisionReport:
    """`policywatch init`: topics, then templates/indices/aliases, then Kibana's objects when configured."""
    from policywatch.core.kafka import make_admin
    from policywatch.provision.elasticsearch import ensure_indices
    from policywatch.provision.topics import ensure_topics

    report = ProvisionReport()
    if kafka:
        try:
            admin = make_admin(settings)
        except Exception as exc:
            raise ServiceUnavailable(unreachable_message(settings, exc)) from exc
        try:
            ensure_topics(admin, settings, report)
        finally:
            admin.close()
    if elasticsearch:
        es = make_es(settings)
        try:
            ensure_indices(es, settings, report)
        finally:
            es.close()
    if elasticsearch and settings.kibana_url:
        from policywatch.provision.kibana import install_kibana

        install_kibana(settings, report)  # saved objects, the rule enabled
    return report


class _KafkaAccess:
    """processors.dlq's way to Kafka: clients built from one Settings, when it asks for them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def consumer(self) -> Any:
        from policywatch.core.kafka import check_reachable, make_consumer

        check_reachable(self.settings)
        return make_consumer(self.settings, None, (), enable_auto_commit=False)

    def producer(self) -> Any:
        return make_producer(self.settings)


def kafka_access(settings: Settings) -> _KafkaAccess:
    """What `policywatch dlq` hands to processors.dlq (list, show, redrive)."""
    return _KafkaAccess(settings)
