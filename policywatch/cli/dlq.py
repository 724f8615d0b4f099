"""`policywatch dlq list|show|redrive`: look at dead letters and send them back to their stage, once."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from policywatch.bootstrap import kafka_access
from policywatch.cli import app
from policywatch.cli.preflight import require
from policywatch.core.settings import get_settings
from schemas import DLQ_TOPIC, REDRIVE_TOPIC

console = Console(highlight=False, soft_wrap=True)
dlq_app = typer.Typer(help="Dead letters (policy.dlq.v1): list, show, redrive.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")

H_STAGE = "Only letters of this stage (clean, extract, index, alert); repeatable."
H_SINCE = "Only letters that failed since then: 2h, 30m, 7d, or an ISO date/time (UTC)."
H_DLQ_TOPIC = "The dead-letter topic."


def _since(text: str | None):
    from processors.dlq import parse_since

    return parse_since(text) if text else None


@dlq_app.command("list")
def list_cmd(
    stage: list[str] = typer.Option([], "--stage", help=H_STAGE),  # noqa: B008
    since: str | None = typer.Option(None, "--since", help=H_SINCE),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
    dlq_topic: str = typer.Option(DLQ_TOPIC, "--dlq-topic", help=H_DLQ_TOPIC),
    redrive_topic: str = typer.Option(REDRIVE_TOPIC, "--redrive-topic", help="Where redrives are recorded."),
) -> None:
    """Dead letters with their id, stage, failure time, attempts and error; redriven ones say so."""
    from processors.dlq import list_letters, redrives

    settings = get_settings()
    require(settings, "kafka")
    letters = list_letters(kafka_access(settings), stages=stage, since=_since(since), dlq_topic=dlq_topic)
    kafka = kafka_access(settings)
    done = redrives(kafka, redrive_topic=redrive_topic, dlq_topic=dlq_topic) if letters else {}
    if as_json:
        for lt in letters:
            d = lt.letter
            typer.echo(json.dumps({
                "id": lt.dlq_id, "stage": lt.stage, "failed_at": d.failed_at.isoformat() if d else None,
                "attempts": d.attempts if d else None, "error": d.error if d else lt.problem,
                "topic": d.topic if d else None, "key": d.key if d else None,
                "redriven": len(done.get(lt.dlq_id, [])),
            }, ensure_ascii=False))
        return
    if not letters:
        console.print(f"no dead letters in {dlq_topic}" + (" matching the filters" if stage or since else ""))
        return
    table = Table(title=f"{dlq_topic}: {len(letters)} dead letters")
    for col in ("id", "stage", "failed at (UTC)", "attempts", "redriven", "error"):
        table.add_column(col, overflow="fold")
    for lt in letters:
        d = lt.letter
        table.add_row(lt.dlq_id, lt.stage, f"{d.failed_at:%Y-%m-%d %H:%M:%S}" if d else "?",
                      str(d.attempts) if d else "?", str(len(done.get(lt.dlq_id, []))) or "0",
                      escape((d.error if d else lt.problem or "")[:160]))
    console.print(table)


@dlq_app.command("show")
def show_cmd(
    dlq_id: str = typer.Argument(..., metavar="ID", help="<partition>-<offset>, as `dlq list` prints it."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the original as text where possible)."),
    dlq_topic: str = typer.Option(DLQ_TOPIC, "--dlq-topic", help=H_DLQ_TOPIC),
    redrive_topic: str = typer.Option(REDRIVE_TOPIC, "--redrive-topic", help="Where redrives are recorded."),
) -> None:
    """One dead letter: stage, error, attempts, where it came from, and the original bytes decoded."""
    from processors.dlq import describe_original, get_letter, redrives

    settings = get_settings()
    require(settings, "kafka")
    lt = get_letter(kafka_access(settings), dlq_id, dlq_topic=dlq_topic)
    done = redrives(kafka_access(settings), redrive_topic=redrive_topic,
                    dlq_topic=dlq_topic).get(lt.dlq_id, [])
    d = lt.letter
    if d is None:
        from policywatch.core.errors import PolicywatchError

        raise PolicywatchError(f"{lt.dlq_id} in {dlq_topic} is {lt.problem}")
    if as_json:
        typer.echo(json.dumps({
            "id": lt.dlq_id, "stage": d.stage, "error": d.error, "attempts": d.attempts, "topic": d.topic,
            "partition": d.partition, "offset": d.offset, "key": d.key, "failed_at": d.failed_at.isoformat(),
            "original_size": d.original_size, "original": describe_original(d, limit=100_000),
            "redrives": [r.model_dump(mode="json") for r in done],
        }, ensure_ascii=False))
        return
    rows = [("id", lt.dlq_id), ("stage", d.stage), ("error", d.error), ("attempts", str(d.attempts)),
            ("from", f"{d.topic} partition {d.partition} offset {d.offset}"), ("key", d.key or "-"),
            ("failed at", f"{d.failed_at:%Y-%m-%d %H:%M:%S} UTC"),
            ("original", f"{d.original_size if d.original_size is not None else len(d.original)} bytes")]
    rows += [("redriven", f"{r.redriven_at:%Y-%m-%d %H:%M:%S} UTC to {r.topic} {r.partition}-{r.offset}"
              + (" (forced)" if r.forced else "")) for r in done]
    for name, value in rows:
        console.print(f"[bold]{name:>10}[/]  {escape(value)}")
    console.print()
    console.print(escape(describe_original(d)))


@dlq_app.command("redrive")
def redrive_cmd(
    ids: list[str] = typer.Option([], "--ids", help="Letter ids (repeatable, or comma-separated)."),  # noqa: B008
    stage: list[str] = typer.Option([], "--stage", help=H_STAGE),  # noqa: B008
    since: str | None = typer.Option(None, "--since", help=H_SINCE),
    everything: bool = typer.Option(False, "--all", help="Every letter in the topic."),
    force: bool = typer.Option(False, "--force", help="Send letters again that were already redriven."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
    dlq_topic: str = typer.Option(DLQ_TOPIC, "--dlq-topic", help=H_DLQ_TOPIC),
    redrive_topic: str = typer.Option(REDRIVE_TOPIC, "--redrive-topic", help="Where redrives are recorded."),
) -> None:
    """Send dead letters back onto their stage's input topic, each once; every redrive is recorded.

    Exit 0 when every selected letter was sent, 4 when some were refused (already redriven, truncated)."""
    from processors.dlq import redrive

    require(get_settings(), "kafka")
    split = [part for item in ids for part in item.split(",") if part.strip()]
    report = redrive(kafka_access(get_settings()), ids=split, stages=stage, since=_since(since),
                     everything=everything, force=force, dlq_topic=dlq_topic, redrive_topic=redrive_topic)
    if as_json:
        typer.echo(json.dumps({"sent": [r.model_dump(mode="json") for r in report.sent],
                               "refused": report.refused}, ensure_ascii=False))
    else:
        for r in report.sent:
            console.print(f"[green]sent[/] {r.dlq_id} ({r.stage}) to {r.topic} {r.partition}-{r.offset}"
                          + (" [yellow](forced)[/]" if r.forced else ""))
        for dlq_id, why in report.refused.items():
            console.print(f"[yellow]refused[/] {dlq_id}: {escape(why)}")
        if not report.sent and not report.refused:
            console.print("no dead letters matched")
    if report.refused:
        raise typer.Exit(4)
