"""The runner's guarantees with in-memory fakes: commit after ack, bounded retries, DLQ, transient retry."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence

from kafka.structs import TopicPartition

from policywatch.core.errors import ServiceUnavailable
from processors.runner import Message, Output, Result, Runner, RunnerConfig
from schemas import DeadLetter

Record = namedtuple("Record", "offset key value timestamp")


class FakeConsumer:
    def __init__(self, values: list[bytes], log: list) -> None:
        self.batches = [{TopicPartition("in", 0): [Record(i, b"k", v, 0) for i, v in enumerate(values)]}]
        self.log = log

    def poll(self, timeout_ms: int, max_records: int):
        return self.batches.pop(0) if self.batches else {}

    def commit(self, offsets):
        self.log.append(("commit", {tp.partition: om.offset for tp, om in offsets.items()}))

    def assignment(self):
        return set()

    def close(self):
        self.log.append(("close",))


class FakeFuture:
    def get(self, timeout=None):
        return None


class FakeProducer:
    def __init__(self, log: list) -> None:
        self.log = log
        self.sent: list[tuple[str, bytes]] = []

    def send(self, topic, key, value):
        self.sent.append((topic, value))
        return FakeFuture()

    def flush(self, timeout=None):
        self.log.append(("flush", len(self.sent)))


class Upper:
    name = "upper"
    input_topic = "in"

    def __init__(self, outages: int = 0) -> None:
        self.calls = 0
        self.outages = outages

    def handle(self, messages: Sequence[Message]) -> list[Result]:
        self.calls += 1
        if self.outages:
            self.outages -= 1
            raise ServiceUnavailable("es down")
        return [ValueError("bad") if m.value == b"bad" else [Output("out", "k", m.value.upper())]
                for m in messages]


def run(stage, values):
    log: list = []
    producer = FakeProducer(log)
    runner = Runner(stage, FakeConsumer(values, log), producer,
                    RunnerConfig(max_messages=len(values), max_attempts=3), sleep=lambda s: None)
    runner.config.transient_backoff_s = 0.001
    stats = runner.run()
    return stats, producer, log


def test_outputs_are_flushed_before_the_commit():
    stats, producer, log = run(Upper(), [b"a", b"b"])
    assert [v for _, v in producer.sent] == [b"A", b"B"]
    assert log.index(("flush", 2)) < log.index(("commit", {0: 2}))
    assert stats.processed == 2


def test_bad_message_is_retried_then_dead_lettered_and_the_rest_goes_on():
    stage = Upper()
    stats, producer, log = run(stage, [b"a", b"bad", b"c"])
    assert stage.calls == 3  # the batch, then the bad message twice more
    outs = [v for t, v in producer.sent if t == "out"]
    assert outs == [b"A", b"C"]
    (dlq,) = [DeadLetter.model_validate_json(v) for t, v in producer.sent if t == "policy.dlq.v1"]
    assert (dlq.stage, dlq.attempts, dlq.offset, dlq.original) == ("upper", 3, 1, b"bad")
    assert "ValueError: bad" in dlq.error
    assert ("commit", {0: 3}) in log and stats.dead_lettered == 1


def test_transient_failure_retries_the_same_batch_without_losing_it():
    stats, producer, _ = run(Upper(outages=2), [b"a", b"b"])
    assert stats.transient_retries == 2
    assert [v for _, v in producer.sent] == [b"A", b"B"]
