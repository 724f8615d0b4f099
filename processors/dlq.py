"""Dead letters: list them, show one, send them back onto their stage's input topic (once, recorded).

    letters = list_letters(kafka, stage="extract", since=datetime(...))
    letter = get_letter(kafka, "0-17")              # "<partition>-<offset>" in policy.dlq.v1
    report = redrive(kafka, ids=["0-17"])            # a second redrive of 0-17 is refused unless forced

A redrive produces the letter's original bytes (with its original key) to the topic the stage consumed
them from, waits for the acknowledgement, then appends a :class:`~schemas.Redrive` record keyed by the
letter's id to policy.dlq-redrives.v1. A crash between the two sends the message again on the next
redrive: the stages are idempotent, so that costs a repeat, never a loss.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from policywatch.core.errors import PolicywatchError, ServiceUnavailable
from schemas import DLQ_TOPIC, REDRIVE_TOPIC, DeadLetter, Redrive

_ID = re.compile(r"^(\d+)-(\d+)$")
_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True, slots=True)
class Letter:
    """A dead letter and where it sits in the DLQ topic."""

    dlq_id: str
    partition: int
    offset: int
    letter: DeadLetter | None  # None: the record is not a DeadLetter (then `problem` says why)
    problem: str | None = None

    @property
    def stage(self) -> str:
        return self.letter.stage if self.letter else "?"


@dataclass(slots=True)
class RedriveReport:
    sent: list[Redrive] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # dlq_id -> why it was not sent


def parse_id(text: str) -> tuple[int, int]:
    match = _ID.match(text.strip())
    if not match:
        raise PolicywatchError(f"bad dead-letter id {text!r}: expected <partition>-<offset>, e.g. 0-17 "
                               "(see `policywatch dlq list`)")
    return int(match.group(1)), int(match.group(2))


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`2h`, `30m`, `7d`, `1w` (ago) or an ISO date/datetime (UTC when no zone is given)."""
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(text.strip().lower())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PolicywatchError(f"bad --since {text!r}: use e.g. 2h, 30m, 7d or 2026-11-30T08:00") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def describe_original(letter: DeadLetter, limit: int = 4000) -> str:
    """The original bytes as text where possible: pretty JSON, else UTF-8, else a hex preview."""
    data = letter.original
    truncated = letter.original_size is not None and letter.original_size > len(data)
    note = f"\n[first {len(data)} of {letter.original_size} bytes]" if truncated else ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"{len(data)} bytes, not UTF-8: {data[:64].hex(' ')}{' …' if len(data) > 64 else ''}{note}"
    try:
        parsed = json.loads(text)
    except ValueError:
        pass
    else:
        if isinstance(parsed, dict) and "body" in parsed and isinstance(parsed["body"], str):
            parsed = _decoded_body(parsed)
        text = json.dumps(parsed, ensure_ascii=False, indent=2)
    if len(text) > limit:
        text = text[:limit] + f"\n… [{len(text) - limit} more characters]"
    return text + note


def _decoded_body(raw: dict[str, Any]) -> dict[str, Any]:
    """A RawDocument's body is zstd+base64 on the wire: show its length and its start as text instead."""
    from schemas.base import _decompress

    try:
        body = _decompress(raw["body"])
    except Exception:  # not a RawDocument body after all: show it as it is
        return raw
    return {**raw, "body": f"<{len(body)} bytes> " + body[:300].decode("utf-8", "replace")}


# -- reading topics --------------------------------------------------------------------------------
class KafkaAccess(Protocol):
    """How this module reaches Kafka; the composition root builds it (bootstrap.kafka_access)."""

    def consumer(self) -> Any:  # an unsubscribed consumer without auto-commit
        ...

    def producer(self) -> Any:
        ...


def _read(kafka: KafkaAccess, topic: str, *, since_ms: int | None = None,
          only: dict[int, int] | None = None, timeout_s: float = 30.0) -> Iterator[Any]:
    """Every record of ``topic`` from its beginning (or from ``since_ms``, by record timestamp) to the
    end offsets at the time of the call. ``only``: partition -> offset, to read just those records."""
    from kafka.structs import TopicPartition

    consumer = kafka.consumer()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if partitions is None:
            raise PolicywatchError(f"topic {topic} does not exist: run `policywatch init`")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)
               if only is None or p in only]
        if not tps:
            return
        consumer.assign(tps)
        ends = consumer.end_offsets(tps)
        starts = consumer.beginning_offsets(tps)
        if only is not None:
            for tp in tps:
                consumer.seek(tp, max(only[tp.partition], starts[tp]))
                ends[tp] = min(ends[tp], only[tp.partition] + 1)
        elif since_ms is not None:
            found = consumer.offsets_for_times(dict.fromkeys(tps, since_ms))
            for tp in tps:
                consumer.seek(tp, found[tp].offset if found.get(tp) else ends[tp])
        else:
            consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise ServiceUnavailable(f"reading {topic} took longer than {timeout_s:.0f} s")
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
    finally:
        consumer.close()


def _letter(record: Any) -> Letter:
    dlq_id = f"{record.partition}-{record.offset}"
    try:
        return Letter(dlq_id, record.partition, record.offset, DeadLetter.model_validate_json(record.value))
    except Exception as exc:
        return Letter(dlq_id, record.partition, record.offset, None, f"not a dead letter: {exc}"[:300])


def list_letters(kafka: KafkaAccess, *, stages: Iterable[str] = (), since: datetime | None = None,
                 dlq_topic: str = DLQ_TOPIC) -> list[Letter]:
    """Dead letters, oldest first per partition; filtered by stage and by failure time."""
    wanted = set(stages)
    since_ms = int(since.timestamp() * 1000) if since else None
    out = []
    for record in _read(kafka, dlq_topic, since_ms=since_ms):
        letter = _letter(record)
        if wanted and letter.stage not in wanted:
            continue
        if since and letter.letter and letter.letter.failed_at < since:
            continue
        out.append(letter)
    return sorted(out, key=lambda lt: (lt.partition, lt.offset))


def get_letter(kafka: KafkaAccess, dlq_id: str, *, dlq_topic: str = DLQ_TOPIC) -> Letter:
    partition, offset = parse_id(dlq_id)
    for record in _read(kafka, dlq_topic, only={partition: offset}):
        if record.offset == offset:
            return _letter(record)
    raise PolicywatchError(f"no dead letter {dlq_id} in {dlq_topic} (see `policywatch dlq list`)")


def redrives(kafka: KafkaAccess, *, redrive_topic: str = REDRIVE_TOPIC, dlq_topic: str = DLQ_TOPIC
             ) -> dict[str, list[Redrive]]:
    """dlq_id -> the recorded redrives of that letter (oldest first)."""
    out: dict[str, list[Redrive]] = {}
    for record in _read(kafka, redrive_topic):
        try:
            done = Redrive.model_validate_json(record.value)
        except Exception:
            continue  # not ours: a redrive record that cannot be read does not block anything
        if done.dlq_topic == dlq_topic:
            out.setdefault(done.dlq_id, []).append(done)
    return out


# -- redrive ---------------------------------------------------------------------------------------
def redrive(kafka: KafkaAccess, *, ids: Sequence[str] = (), stages: Iterable[str] = (),
            since: datetime | None = None, everything: bool = False, force: bool = False,
            dlq_topic: str = DLQ_TOPIC, redrive_topic: str = REDRIVE_TOPIC,
            producer: Any = None) -> RedriveReport:
    """Send the selected dead letters back onto their input topics, each once (``force``: again).
    ``everything``: every letter in the topic (a selection is required otherwise)."""
    if not ids and not stages and since is None and not everything:
        raise PolicywatchError("say which dead letters to redrive: --ids, --stage or --since (or --all)")
    if ids:
        wanted = {i: get_letter(kafka, i, dlq_topic=dlq_topic) for i in dict.fromkeys(ids)}
        letters = [lt for lt in wanted.values()
                   if (not stages or lt.stage in set(stages))
                   and (since is None or (lt.letter is not None and lt.letter.failed_at >= since))]
    else:
        letters = list_letters(kafka, stages=stages, since=since, dlq_topic=dlq_topic)
    done = redrives(kafka, redrive_topic=redrive_topic, dlq_topic=dlq_topic)
    report = RedriveReport()
    own = producer is None
    if own:
        producer = kafka.producer()
    try:
        for lt in letters:
            why = _refusal(lt, done.get(lt.dlq_id, []), force)
            if why:
                report.refused[lt.dlq_id] = why
                continue
            forced = bool(done.get(lt.dlq_id))
            report.sent.append(_send(producer, lt, dlq_topic, redrive_topic, forced=forced))
    finally:
        if own:
            producer.close(timeout=10)
    return report


def _refusal(lt: Letter, earlier: list[Redrive], force: bool) -> str | None:
    if lt.letter is None:
        return lt.problem or "not a dead letter"
    size = lt.letter.original_size
    if size is not None and size > len(lt.letter.original):
        return f"original truncated ({len(lt.letter.original)} of {size} bytes kept): cannot be sent again"
    if earlier and not force:
        last = earlier[-1]
        return (f"already redriven at {last.redriven_at:%Y-%m-%d %H:%M:%S} UTC to {last.topic} "
                f"{last.partition}-{last.offset} (--force sends it again)")
    return None


def _send(producer: Any, lt: Letter, dlq_topic: str, redrive_topic: str, *, forced: bool) -> Redrive:
    letter = lt.letter
    assert letter is not None
    key = letter.key.encode("utf-8") if letter.key else None
    try:
        meta = producer.send(letter.topic, key=key, value=letter.original).get(timeout=60)
    except Exception as exc:
        raise ServiceUnavailable(f"Kafka did not acknowledge redrive of {lt.dlq_id} to {letter.topic}: "
                                 f"{exc}; nothing recorded, run the redrive again") from exc
    record = Redrive(dlq_id=lt.dlq_id, dlq_topic=dlq_topic, stage=letter.stage, topic=letter.topic,
                     partition=meta.partition, offset=meta.offset, forced=forced)
    try:
        producer.send(redrive_topic, key=lt.dlq_id.encode(), value=record.model_dump_json().encode()).get(
            timeout=60)
    except Exception as exc:
        raise ServiceUnavailable(f"{lt.dlq_id} was sent to {letter.topic} but its redrive record was not "
                                 f"acknowledged ({exc}); a new redrive would send it again") from exc
    return record
