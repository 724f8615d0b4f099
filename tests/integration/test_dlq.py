"""`policywatch dlq list|show|redrive` on the real stack: letters written by the real runner, redriven once
onto the stage's input topic, a second redrive refused unless forced, and the redriven message processed
again by the stage (and dead-lettered again, as a new letter, when it is still bad)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

from policywatch.bootstrap import kafka_access, run_stage
from policywatch.cli import _register, app
from processors.extract.stage import ExtractStage
from processors.runner import RunnerConfig

pytestmark = pytest.mark.integration

BAD = b'{"not": "a cleaned document", "title": "\xe5\xbc\x80\xe5\x8f\x91\xe5\x8c\xba"}'


@dataclass
class Topics:
    cleaned: str
    extracted: str
    dlq: str
    redrives: str

    def all(self) -> list[str]:
        return [self.cleaned, self.extracted, self.dlq, self.redrives]


@pytest.fixture
def topics(stack, kafka_admin, unique_name) -> Iterator[Topics]:
    from kafka.admin import NewTopic

    name = unique_name("dlq")
    t = Topics(f"{name}.cleaned", f"{name}.extracted", f"{name}.dlq", f"{name}.redrives")
    kafka_admin.create_topics([NewTopic(n, 2, 1) for n in t.all()])
    yield t
    kafka_admin.delete_topics(t.all())


def _produce(settings, topic: str, key: bytes, value: bytes) -> None:
    from policywatch.core.kafka import make_producer

    producer = make_producer(settings)
    try:
        producer.send(topic, key=key, value=value).get(timeout=30)
    finally:
        producer.close(timeout=10)


def _run_extract(settings, t: Topics, group: str):
    stage = ExtractStage(input_topic=t.cleaned, output_topic=t.extracted)
    config = RunnerConfig(group_id=group, until_idle=True, idle_s=1.0, dlq_topic=t.dlq)
    return run_stage(stage, settings, config=config, install_signals=False)


def _cli(*args: str, catch: bool = False):
    _register()
    return CliRunner().invoke(app, list(args), catch_exceptions=catch)


def _dlq_args(t: Topics) -> list[str]:
    return ["--dlq-topic", t.dlq, "--redrive-topic", t.redrives]


def _records(settings, topic: str) -> list[tuple[bytes | None, bytes]]:
    from processors.dlq import _read

    return [(r.key, r.value) for r in _read(kafka_access(settings), topic)]


def test_list_show_redrive_once_and_the_stage_sees_it_again(stack, topics, unique_name):
    group = unique_name("g")
    _produce(stack, topics.cleaned, b"doc-1", BAD)
    stats = _run_extract(stack, topics, group)
    assert stats.dead_lettered == 1

    listed = _cli("dlq", "list", "--json", "--stage", "extract", *_dlq_args(topics))
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert row["stage"] == "extract" and row["topic"] == topics.cleaned and row["key"] == "doc-1"
    assert row["error"].startswith("ValidationError") and row["attempts"] == 1 and row["redriven"] == 0
    assert _cli("dlq", "list", "--json", "--stage", "clean", *_dlq_args(topics)).output == ""
    assert _cli("dlq", "list", "--json", "--since", "2099-01-01", *_dlq_args(topics)).output == ""
    assert len(_cli("dlq", "list", "--json", "--since", "1h", *_dlq_args(topics)).output.splitlines()) == 1

    shown = _cli("dlq", "show", row["id"], "--json", *_dlq_args(topics))
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.output)
    assert detail["original_size"] == len(BAD) and "开发区" in detail["original"]  # decoded, not base64
    assert detail["redrives"] == []
    human = _cli("dlq", "show", row["id"], *_dlq_args(topics))
    assert "ValidationError" in human.output and "开发区" in human.output

    before = len(_records(stack, topics.cleaned))
    sent = _cli("dlq", "redrive", "--ids", row["id"], "--json", *_dlq_args(topics))
    assert sent.exit_code == 0, sent.output
    report = json.loads(sent.output)
    assert [r["dlq_id"] for r in report["sent"]] == [row["id"]] and report["refused"] == {}
    after = _records(stack, topics.cleaned)
    assert len(after) == before + 1 and after.count((b"doc-1", BAD)) == 2  # the same key and bytes again

    again = _cli("dlq", "redrive", "--ids", row["id"], *_dlq_args(topics))
    assert again.exit_code == 4 and "already redriven" in again.output
    assert len(_records(stack, topics.cleaned)) == before + 1  # refused: nothing sent
    shown = json.loads(_cli("dlq", "show", row["id"], "--json", *_dlq_args(topics)).output)
    assert len(shown["redrives"]) == 1 and shown["redrives"][0]["topic"] == topics.cleaned

    forced = _cli("dlq", "redrive", "--ids", row["id"], "--force", "--json", *_dlq_args(topics))
    assert forced.exit_code == 0 and json.loads(forced.output)["sent"][0]["forced"] is True
    assert len(_records(stack, topics.cleaned)) == before + 2

    # The stage consumes the redriven copies (same group: only the new messages) and, as they are still
    # bad, dead-letters each again as a new letter with a new id.
    stats = _run_extract(stack, topics, group)
    assert stats.processed == 2 and stats.dead_lettered == 2
    lines = _cli("dlq", "list", "--json", *_dlq_args(topics)).output.splitlines()
    letters = [json.loads(line) for line in lines]
    assert len({x["id"] for x in letters}) == len(letters) == 3
    assert sum(x["redriven"] for x in letters) == 2  # the first letter, twice; the new ones not yet


def test_redrive_needs_a_selection_and_a_bad_id_is_one_line(stack, topics):
    from policywatch.core.errors import PolicywatchError

    r = _cli("dlq", "redrive", *_dlq_args(topics), catch=True)
    assert isinstance(r.exception, PolicywatchError) and "say which dead letters" in str(r.exception)
    from processors.dlq import get_letter, parse_id, redrive

    with pytest.raises(PolicywatchError, match="say which dead letters"):
        redrive(kafka_access(stack), dlq_topic=topics.dlq, redrive_topic=topics.redrives)
    with pytest.raises(PolicywatchError, match="expected <partition>-<offset>"):
        parse_id("seventeen")
    with pytest.raises(PolicywatchError, match="no dead letter 1-99"):
        get_letter(kafka_access(stack), "1-99", dlq_topic=topics.dlq)
