"""`policywatch crawl`: crawl sources from sources.yaml into policy.raw.v1 and report per-source counts."""

from __future__ import annotations

import functools
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from policywatch.cli import app

COLUMNS = ("listed", "new", "changed", "unchanged", "failed", "blocked")


def _table(rows: dict[str, tuple[str, dict[str, int], str]]) -> Table:
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("source")
    table.add_column("status")
    for name in COLUMNS:
        table.add_column(name, justify="right")
    for source_id, (status, counts, _note) in rows.items():
        style = {"ok": "green", "degraded": "yellow", "blocked": "yellow", "failed": "red"}.get(status, "")
        table.add_row(
            source_id, f"[{style}]{status}[/]" if style else status, *(str(counts.get(n, 0)) for n in COLUMNS)
        )
    return table


@app.command("crawl")
def crawl_cmd(
    source_ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="[SOURCE]...", help="Source ids (default: every enabled source)."),
    ] = None,
    sources: Annotated[
        Path | None, typer.Option("--sources", help="Sources file (default: crawlers/sources.yaml).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the per-source report as one JSON object.")
    ] = False,
    sink: Annotated[str, typer.Option("--sink", help="kafka | kafka:TOPIC | jsonl:PATH | memory.")] = "kafka",
    status: Annotated[
        str, typer.Option("--status", help="Crawl status: es | es:INDEX | file:PATH | memory.")
    ] = "es",
    no_polite: Annotated[
        bool, typer.Option("--no-polite", help="No delays or AutoThrottle (local mirrors only).")
    ] = False,
    verbose: Annotated[
        int, typer.Option("-v", count=True, help="Scrapy logging (-v: info, -vv: debug).")
    ] = 0,
) -> None:
    """Crawl government, zone and news sites; emit new or changed publications to policy.raw.v1.

    Shows progress per source, then counts: listed, new, changed, unchanged, failed, blocked. The counts
    also go to the policy-crawl-status index. Exit code 3 when a source was degraded, blocked or failed.
    """
    from crawlers.report import SourceRun
    from crawlers.run import report_json
    from crawlers.sources import load_sources
    from policywatch.core.settings import get_settings
    from policywatch.crawl import crawl

    selected = load_sources(sources).select(source_ids or None)  # validate before starting anything
    live_rows: dict[str, tuple[str, dict[str, int], str]] = {s.id: ("running", {}, "") for s in selected}
    lock = threading.Lock()
    console = Console(stderr=True)
    last = [0.0]

    def progress(run: SourceRun) -> None:
        with lock:
            live_rows[run.source.id] = ("running", dict(run.counts), "")

    level = ["ERROR", "INFO", "DEBUG"][min(verbose, 2)]
    run_crawl = functools.partial(
        crawl,
        get_settings(),
        source_ids or None,
        sources_path=sources,
        sink=sink,
        status=status,
        polite=not no_polite,
        log_level=level,
    )
    if as_json:
        report = run_crawl()
        typer.echo(report_json(report))
    else:
        with Live(_table(live_rows), console=console, refresh_per_second=4, transient=True) as live:
            stop = threading.Event()

            def refresh() -> None:
                while not stop.wait(0.25):
                    with lock:
                        if time.monotonic() - last[0] > 0.2:
                            live.update(_table(live_rows))
                            last[0] = time.monotonic()

            ticker = threading.Thread(target=refresh, daemon=True)
            ticker.start()
            try:
                report = run_crawl(on_progress=progress)
            finally:
                stop.set()
        final = {sid: (r.status, r.counts.model_dump(), r.message or "") for sid, r in report.sources.items()}
        out = Console()
        out.print(_table(final))
        for sid, r in report.sources.items():
            if r.message:
                out.print(f"[bold]{sid}[/]: {r.message}", highlight=False)
        totals = report.totals()
        out.print(
            f"{len(report.sources)} sources: {totals.new} new, {totals.changed} changed, "
            f"{totals.unchanged} unchanged, {totals.failed} failed, {totals.blocked} blocked"
        )
    if any(r.status != "ok" for r in report.sources.values()):
        raise SystemExit(3)  # a source was blocked or failed (main() turns SystemExit into the exit code)
