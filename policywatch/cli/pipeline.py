"""`policywatch replay`, `process` and `status`: feed local files in, run the stages, see where things are."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from policywatch.cli import app
from policywatch.core.settings import get_settings


@app.command("replay")
def replay_cmd(
    paths: list[Path] = typer.Argument(  # noqa: B008
        None, help="Files (txt, html, pdf, docx, doc) or folders (recursive)."),
    with_seeds: bool = typer.Option(False, "--seeds", help="Also the seed reports (package data)."),
    source_id: str = typer.Option("replay", "--source-id", help="source_id of the RawDocuments."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Publish local files to policy.raw.v1 as RawDocuments (doc_id = sha256 of the file's bytes)."""
    from policywatch.bootstrap import replay
    from policywatch.cli.preflight import require
    from policywatch.core.errors import PolicywatchError
    from processors.replay import iter_replay_files

    paths = list(paths or [])
    if with_seeds:
        import seeds

        paths.append(seeds.directory())
    if not paths:
        raise PolicywatchError("nothing to replay: name files or folders, or pass --seeds")
    total = len(iter_replay_files(paths))
    require(get_settings(), "kafka")
    with Progress(TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  disable=as_json, transient=False) as bar:
        task = bar.add_task("replay", total=total)
        report = replay(paths, get_settings(), source_id=source_id,
                        progress=lambda done, _total: bar.update(task, completed=done))
    if as_json:
        typer.echo(json.dumps({"files": report.files, "sent": report.sent, "bytes": report.bytes,
                               "skipped": report.skipped, "doc_ids": report.doc_ids}, ensure_ascii=False))
        return
    skipped = f"; skipped {len(report.skipped)}: {report.skipped[:3]}" if report.skipped else ""
    Console().print(f"sent {report.sent} of {report.files} files ({report.bytes / 1e6:.1f} MB) "
                    f"to policy.raw.v1{skipped}")


@app.command("process")
def process_cmd(
    stage: str = typer.Argument(..., help="clean, extract, index, alert, or all (all four)."),
    until_idle: bool = typer.Option(False, "--until-idle", help="Stop once the input topic is drained."),
    batch_size: int = typer.Option(100, "--batch-size", min=1, help="Messages per batch."),
    group: str = typer.Option(None, "--group", help="Consumer group (default policywatch-<stage>)."),
    metrics_port: int = typer.Option(None, "--metrics-port", help="Serve Prometheus metrics on this port."),
    verbose: int = typer.Option(0, "-v", count=True, help="More logging (-v: info, -vv: debug)."),
) -> None:
    """Run a pipeline stage as a Kafka consumer group member (SIGTERM/SIGINT: finish the batch and exit).

    `all` runs clean, extract, index and alert (--until-idle: in turn here; else a process each)."""
    import logging

    from policywatch.bootstrap import process
    from policywatch.cli.preflight import require
    from processors.observability import configure_logging
    from processors.runner import RunnerConfig

    require(get_settings(), "kafka", *(["es"] if stage != "extract" else []))
    configure_logging(logging.DEBUG if verbose > 1 else logging.INFO if verbose or not until_idle
                      else logging.WARNING)
    config = RunnerConfig(group_id=group, batch_size=batch_size)
    stats = process(stage, get_settings(), until_idle=until_idle, config=config,
                    metrics_port=metrics_port)
    if until_idle:
        for name, s in stats.items():
            typer.echo(f"{name}: processed {s.processed}, dead-lettered {s.dead_lettered}, "
                       f"skipped {s.skipped}")


@app.command("status")
def status_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Per stage: processed, lag and dead letters; per index: document count."""
    from policywatch.cli.preflight import require
    from policywatch.status import status

    require(get_settings(), "kafka", "es")  # seconds, not kafka-python's 30 s bootstrap timeout
    report = status(get_settings())
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    table = Table(title="pipeline")
    for col in ("stage", "input topic", "processed", "lag", "dead-lettered"):
        table.add_column(col)
    for name, row in report["stages"].items():
        table.add_row(name, row["topic"], str(row["processed"]), str(row["lag"]), str(row["dead_lettered"]))
    indices = Table(title="indices")
    indices.add_column("index")
    indices.add_column("documents")
    for name, count in report["indices"].items():
        indices.add_row(name, str(count))
    console = Console()
    console.print(table)
    console.print(indices)
