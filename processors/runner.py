"""The processor runner: one Kafka consumer group per stage, at-least-once with idempotent effects.

Per batch: poll -> decode each message into the stage's ``input_model`` (a message that does not parse
or validate is a dead letter at once) -> ``stage.handle(items)`` -> produce every output keyed by doc_id
and every dead letter -> flush and check each send was acknowledged -> commit the batch's offsets. Nothing is
committed before its outputs are acked, so a crash repeats (part of) a batch and never loses one.

- A :class:`~policywatch.core.errors.ServiceUnavailable` (or a Kafka/Elasticsearch connection error)
  from ``handle`` or from producing is transient: the same batch is retried with exponential backoff,
  for as long as it takes.
- A per-message exception is a bad message: retried up to ``max_attempts`` times (once for input that
  cannot parse or validate), then written to policy.dlq.v1 with stage, error, attempts and the
  original bytes; the stage moves on. :class:`~policywatch.core.errors.SkipMessage` drops a message.
- SIGTERM/SIGINT: finish the batch, commit, close, return.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from pydantic import BaseModel, ValidationError

from policywatch.core.errors import ProcessingError, ServiceUnavailable, SkipMessage, is_transient
from processors import observability as obs
from schemas import DLQ_TOPIC, DeadLetter

log = structlog.get_logger(__name__)

MAX_DLQ_ORIGINAL = 8 * 1024 * 1024  # a dead letter keeps at most this much of the original value


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int = 0


@dataclass(frozen=True, slots=True)
class Output:
    topic: str
    key: str
    value: bytes


Result = list[Output] | BaseException  # per input message: its outputs (maybe none) or why it failed


def output(topic: str, doc: BaseModel, key: str | None = None) -> Output:
    """A contract as a Kafka output, keyed by its doc_id unless `key` is given."""
    return Output(topic, key if key is not None else doc.doc_id, doc.model_dump_json().encode("utf-8"))


class Stage(Protocol):
    """A runner stage. With ``input_model`` set (a contract class) the runner decodes and validates every
    message and ``handle`` receives the models; with ``input_model = None`` it receives the Messages.
    A stage may have ``open()`` (side effects before the first poll: create an index, sweep) and
    ``close()``; the runner calls them."""

    name: str
    input_topic: str
    input_model: type[BaseModel] | None

    def handle(self, items: Sequence[Any]) -> list[Result]:
        """One result per item, in order. Raise ServiceUnavailable to retry the whole batch."""
        ...


@dataclass(slots=True)
class RunnerConfig:
    group_id: str | None = None  # default: policywatch-<stage>
    batch_size: int = 100
    poll_timeout_s: float = 0.5
    max_attempts: int = 3
    retry_backoff_s: float = 0.2  # between attempts at a bad message
    transient_backoff_s: float = 0.5  # first wait after a service error, doubled up to the max
    transient_backoff_max_s: float = 30.0
    until_idle: bool = False
    idle_s: float = 3.0  # --until-idle: stop after this long with nothing to read and no lag
    unassigned_idle_s: float = 90.0  # --until-idle with no partitions assigned: give up after this long
    max_messages: int | None = None  # stop after this many (tests and benchmarks)
    dlq_topic: str = DLQ_TOPIC
    ack_timeout_s: float = 60.0


@dataclass(slots=True)
class RunStats:
    processed: int = 0
    dead_lettered: int = 0
    skipped: int = 0
    batches: int = 0
    transient_retries: int = 0
    outputs: int = 0


def _is_unparseable(exc: BaseException) -> bool:
    """Failures that another attempt cannot change: dead-letter at once."""
    return isinstance(exc, ValidationError | json.JSONDecodeError | UnicodeDecodeError | ProcessingError)


def describe_error(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, ValidationError):
        text = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:5])
    return f"{type(exc).__name__}: {text}"[:2000]


def dead_letter(stage: str, message: Message, exc: BaseException, attempts: int,
                topic: str = DLQ_TOPIC) -> Output:
    original = message.value
    error = describe_error(exc)
    if len(original) > MAX_DLQ_ORIGINAL:
        error += f" [original truncated from {len(original)} bytes]"
        original = original[:MAX_DLQ_ORIGINAL]
    letter = DeadLetter(
        stage=stage, error=error, attempts=attempts, topic=message.topic, partition=message.partition,
        offset=message.offset, key=message.key.decode("utf-8", "replace") if message.key else None,
        original=original, original_size=len(message.value),
    )
    key = letter.key or f"{message.topic}:{message.partition}:{message.offset}"
    return Output(topic, key, letter.model_dump_json().encode("utf-8"))


class Runner:
    """Runs one stage. ``consumer`` and ``producer`` are kafka-python clients (or fakes with the same
    methods: poll/commit/close and send/flush)."""

    def __init__(self, stage: Stage, consumer: Any, producer: Any, config: RunnerConfig | None = None,
                 *, sleep: Callable[[float], None] = time.sleep,
                 heartbeat: Callable[..., None] | None = None) -> None:
        self.stage = stage
        self.consumer = consumer
        self.producer = producer
        self.config = config or RunnerConfig()
        self.stats = RunStats()
        self._stop = threading.Event()
        self._sleep = sleep
        self._heartbeat = heartbeat  # called on every loop pass and retry wait (processors/heartbeat.py)
        self.log = log.bind(stage=stage.name)

    # -- lifecycle -------------------------------------------------------------------------------
    def stop(self, *_: object) -> None:
        """Finish the current batch, commit and return from :meth:`run` (also the signal handler)."""
        if not self._stop.is_set():
            self.log.info("stopping", reason="signal or stop()")
        self._stop.set()

    def install_signal_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)

    def run(self) -> RunStats:
        cfg = self.config
        opened = getattr(self.stage, "open", None)
        if opened is not None and self._with_transient_retry(opened, "open") is None:
            self._close()
            return self.stats
        idle_since = time.monotonic()
        self.log.info("started", topic=self.stage.input_topic, batch_size=cfg.batch_size)
        try:
            while not self._stop.is_set():
                self._beat("polling")
                messages = self._poll()
                if not messages:
                    idle = time.monotonic() - idle_since
                    # Unassigned (joining, or waiting for a dead member's session to expire): wait longer.
                    done = self._caught_up() or idle >= cfg.unassigned_idle_s
                    if cfg.until_idle and idle >= cfg.idle_s and done:
                        self.log.info("idle", processed=self.stats.processed)
                        break
                    continue
                idle_since = time.monotonic()
                self._beat("processing", messages=len(messages))
                self._process_batch(messages)
                if cfg.max_messages is not None and self.stats.processed >= cfg.max_messages:
                    break
        finally:
            self._close()
        self.log.info("stopped", **{k: getattr(self.stats, k) for k in RunStats.__slots__})
        return self.stats

    def _beat(self, state: str, **info: Any) -> None:
        if self._heartbeat is not None:
            try:
                self._heartbeat(state, processed=self.stats.processed, **info)
            except OSError as exc:  # a full or read-only disk must not stop the stage
                self.log.warning("heartbeat not written", error=describe_error(exc))

    def _close(self) -> None:
        try:
            self.consumer.close()
        except Exception as exc:  # closing must not mask the real outcome
            self.log.warning("consumer close failed", error=describe_error(exc))
        close = getattr(self.stage, "close", None)
        if close is not None:
            try:
                close()
            except Exception as exc:
                self.log.warning("stage close failed", error=describe_error(exc))

    # -- one batch -------------------------------------------------------------------------------
    def _poll(self) -> list[Message]:
        records = self.consumer.poll(timeout_ms=int(self.config.poll_timeout_s * 1000),
                                     max_records=self.config.batch_size)
        out: list[Message] = []
        for tp, batch in records.items():
            for r in batch:
                out.append(Message(tp.topic, tp.partition, r.offset, r.key, r.value or b"", r.timestamp or 0))
        self._update_lag()
        return out

    def _process_batch(self, messages: list[Message]) -> None:
        started = time.monotonic()
        outputs: list[Output] = []
        pending = list(messages)
        attempts: dict[int, int] = {}
        while pending:
            results = self._with_transient_retry(lambda p=pending: self._handle(p), "handle")
            if results is None:  # stopped during an outage: leave the batch uncommitted
                return
            retry: list[Message] = []
            for message, result in zip(pending, results, strict=True):
                if not isinstance(result, BaseException):
                    outputs.extend(result)
                    continue
                if isinstance(result, SkipMessage):
                    self.stats.skipped += 1
                    obs.SKIPPED.labels(self.stage.name).inc()
                    continue
                n = attempts[id(message)] = attempts.get(id(message), 0) + 1
                obs.FAILED.labels(self.stage.name).inc()
                if _is_unparseable(result) or n >= self.config.max_attempts:
                    self.log.warning("dead-lettered", topic=message.topic, partition=message.partition,
                                     offset=message.offset, attempts=n, error=describe_error(result))
                    outputs.append(dead_letter(self.stage.name, message, result, n, self.config.dlq_topic))
                    self.stats.dead_lettered += 1
                    obs.DEAD_LETTERED.labels(self.stage.name).inc()
                else:
                    self.log.info("retrying message", offset=message.offset, attempt=n,
                                  error=describe_error(result))
                    retry.append(message)
            if retry:
                self._sleep(self.config.retry_backoff_s * 2 ** (min(attempts[id(m)] for m in retry) - 1))
            pending = retry
        if self._with_transient_retry(lambda: self._produce(outputs), "produce") is None:
            return
        if not self._commit(messages):
            return
        now_ms = time.time() * 1000
        for message in messages:
            if message.timestamp_ms:
                obs.LATENCY.labels(self.stage.name).observe(max(now_ms - message.timestamp_ms, 0) / 1000)
        self.stats.processed += len(messages)
        self.stats.outputs += len(outputs)
        self.stats.batches += 1
        obs.PROCESSED.labels(self.stage.name).inc(len(messages))
        obs.BATCH_SECONDS.labels(self.stage.name).observe(time.monotonic() - started)

    def _handle(self, messages: list[Message]) -> list[Result]:
        """Decode the messages into the stage's input model (the one parse-or-dead-letter path), then
        ``stage.handle`` the ones that parsed."""
        model = getattr(self.stage, "input_model", None)
        if model is None:
            return self._handle_items(list(messages))
        results: list[Result | None] = [None] * len(messages)
        items: list[Any] = []
        where: list[int] = []
        # A contract with its own wire form (RawDocument's binary frame) says how to read it.
        decode = getattr(model, "from_kafka", None) or model.model_validate_json
        for i, message in enumerate(messages):
            try:
                items.append(decode(message.value))
                where.append(i)
            except Exception as exc:  # not the stage's contract: the runner dead-letters it
                results[i] = exc
        if items:
            for i, result in zip(where, self._handle_items(items), strict=True):
                results[i] = result
        return results  # type: ignore[return-value]

    def _handle_items(self, items: list[Any]) -> list[Result]:
        """``stage.handle``; a batch that raises is split so one bad message cannot sink the others."""
        try:
            results = self.stage.handle(items)
        except Exception as exc:
            if is_transient(exc):
                raise
            if len(items) == 1:
                return [exc]
            self.log.warning("batch failed; handling its messages one by one", error=describe_error(exc))
            results = [r for item in items for r in self._handle_items([item])]
        if len(results) != len(items):
            raise RuntimeError(f"stage {self.stage.name} returned {len(results)} results for {len(items)}")
        for result in results:
            if isinstance(result, Exception) and is_transient(result):
                raise result
        return results

    def _with_transient_retry(self, fn: Callable[[], Any], what: str) -> Any:
        delay = self.config.transient_backoff_s
        while True:
            try:
                result = fn()
                return True if result is None else result
            except Exception as exc:
                if not is_transient(exc):
                    raise
                self.stats.transient_retries += 1
                obs.TRANSIENT.labels(self.stage.name).inc()
                self._beat("retrying", step=what)
                self.log.warning("service unavailable, retrying batch", step=what, wait_s=delay,
                                 error=describe_error(exc))
                if self._stop.wait(delay):
                    self.log.warning("stopped during outage; batch left uncommitted for the next run")
                    return None
                delay = min(delay * 2, self.config.transient_backoff_max_s)

    def _produce(self, outputs: list[Output]) -> None:
        if not outputs:
            return
        futures = [self.producer.send(o.topic, key=o.key.encode("utf-8"), value=o.value) for o in outputs]
        self.producer.flush(timeout=self.config.ack_timeout_s)
        for future in futures:
            try:
                future.get(timeout=self.config.ack_timeout_s)
            except Exception as exc:
                raise ServiceUnavailable(f"produce not acknowledged: {describe_error(exc)}") from exc

    def _commit(self, messages: list[Message]) -> bool:
        from kafka.structs import OffsetAndMetadata, TopicPartition

        last: dict[tuple[str, int], int] = {}
        for m in messages:
            last[(m.topic, m.partition)] = max(last.get((m.topic, m.partition), -1), m.offset)
        offsets = {TopicPartition(t, p): OffsetAndMetadata(o + 1, "", -1) for (t, p), o in last.items()}
        try:
            self.consumer.commit(offsets=offsets)
            return True
        except Exception as exc:
            # A rebalance took the partitions away: the new owner repeats the batch (idempotent effects).
            self.log.warning("commit failed; the batch will be processed again", error=describe_error(exc))
            return False

    # -- lag ---------------------------------------------------------------------------------------
    def _lags(self) -> dict[int, int]:
        lags: dict[int, int] = {}
        try:
            assignment = self.consumer.assignment()
            for tp in assignment:
                high = self.consumer.highwater(tp)
                if high is None:
                    ends = self.consumer.end_offsets([tp])
                    high = ends.get(tp)
                position = self.consumer.position(tp)
                if high is not None and position is not None:
                    lags[tp.partition] = max(high - position, 0)
        except Exception as exc:
            self.log.debug("lag unknown", error=describe_error(exc))
        return lags

    def _update_lag(self) -> None:
        for partition, lag in self._lags().items():
            obs.LAG.labels(self.stage.name, str(partition)).set(lag)

    def _caught_up(self) -> bool:
        if not self.consumer.assignment():
            return False  # not in the group yet (a join takes seconds): nothing says we are done
        return all(lag == 0 for lag in self._lags().values())
