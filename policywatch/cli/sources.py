"""`policywatch sources list` and `policywatch sources check ID`: see the configured sites and try one.

`check` is a dry run: it crawls the source's first list pages in this process with an in-memory sink
and status (nothing goes to Kafka or Elasticsearch) and prints what each step found: the pages
fetched, every listed item with its title, date and URL and what the filter decided, the next list
pages, the articles read with their attachments, challenges, failures, and the outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from policywatch.cli import app

sources_app = typer.Typer(
    help="List the configured sites, or try one without writing anything.", no_args_is_help=True
)
app.add_typer(sources_app, name="sources")

SourcesOpt = Annotated[
    Path | None, typer.Option("--sources", help="Sources file (default: crawlers/sources.yaml).")
]


def _last_runs(source_ids: list[str], status: str) -> tuple[dict[str, tuple[str, str]], str | None]:
    """{source_id: (started_at, status)} of each source's latest run, and a note when unknown."""
    kind, _, arg = status.partition(":")
    if kind == "file":
        from crawlers.status import FileStatusStore

        runs = FileStatusStore(Path(arg)).runs
        latest: dict[str, tuple[str, str]] = {}
        for run in runs:
            sid, started = run.get("source_id"), run.get("started_at") or ""
            if sid in source_ids and started >= latest.get(sid, ("", ""))[0]:
                latest[sid] = (started, run.get("status") or "?")
        return latest, None
    if kind == "es":
        from policywatch.core.elasticsearch import make_es
        from policywatch.core.settings import get_settings
        from policywatch.source_health import load_runs

        settings = get_settings()
        es = make_es(settings)
        try:
            runs = load_runs(es, source_ids, per_source=1, **({"index": arg} if arg else {}))
        except Exception as exc:  # the client raises several connection error types
            return {}, (
                f"last runs unknown: cannot reach Elasticsearch at {settings.es_url} "
                f"({exc.__class__.__name__}); run `policywatch stack up` or pass --status file:PATH"
            )
        finally:
            es.close()
        return {sid: (r[0].started_at.isoformat(timespec="minutes"), r[0].status) for sid, r in runs.items()
                if r}, None
    return {}, None


@sources_app.command("list")
def list_cmd(
    sources: SourcesOpt = None,
    status: Annotated[
        str, typer.Option("--status", help="Where last runs are read: es | es:INDEX | file:PATH | none.")
    ] = "es",
) -> None:
    """Every source: id, name, listing kind, schedule, last run and its state."""
    from crawlers.sources import load_sources

    file = load_sources(sources)
    ids = [s.id for s in file.sources]
    last, note = _last_runs(ids, status) if status != "none" else ({}, None)
    table = Table(show_edge=False, pad_edge=False)
    for column in ("id", "name", "kind", "schedule", "last run", "state"):
        table.add_column(column)
    for source in file.sources:
        started, state = last.get(source.id, ("", ""))
        if not source.enabled:
            state = "disabled"
        elif not started and not note:
            state = "never run"
        kind = source.listing.kind
        table.add_row(source.id, source.name, kind, source.schedule, started[:16], state or "?")
    out = Console()
    out.print(table)
    if note:
        out.print(note, highlight=False)


def _print_events(out: Console, events: list[dict]) -> None:
    for e in events:
        kind = e["event"]
        if kind == "fetched":
            out.print(f"[dim]GET {e['status']} {escape(e['url'])} ({e['kind']})[/]", highlight=False)
        elif kind == "item":
            verdict = e["verdict"]
            style = "green" if verdict.startswith("fetch") else "yellow"
            out.print(
                f"  item  {escape(e['date'] or '(no date)'):>12}  {escape(e['title'] or '(no title)')}\n"
                f"        {escape(e['url'])}  [{style}]{escape(verdict)}[/]",
                highlight=False,
            )
        elif kind == "next":
            pages = e["pages"]
            out.print(f"  next list pages: {', '.join(pages) if pages else 'none'}", highlight=False)
        elif kind == "stop":
            out.print(f"  paging stops: {e['reason']}", highlight=False)
        elif kind == "article":
            out.print(f"  article {escape(e['url'])}: {escape(e['title'] or '')} "
                      f"(published {e['published'] or '?'})", highlight=False)
            for attachment in e["attachments"]:
                out.print(f"    attachment {escape(attachment)}", highlight=False)
        elif kind == "blocked":
            out.print(f"  [red]blocked ({e['block_type']}, HTTP {e['status']})[/]: {escape(e['url'])}",
                      highlight=False)
        elif kind == "failed":
            line = f"  [red]failed {e['kind']}[/] {escape(e['url'])}: {escape(e['reason'])}"
            out.print(line, highlight=False)


@sources_app.command("check")
def check_cmd(
    source_id: Annotated[str, typer.Argument(help="The source id in sources.yaml.")],
    pages: Annotated[int, typer.Option("--pages", min=1, help="List pages to read.")] = 2,
    articles: Annotated[int, typer.Option("--articles", min=0, help="Articles to fetch (attachments).")] = 3,
    sources: SourcesOpt = None,
    polite: Annotated[bool, typer.Option("--polite/--no-polite", help="Keep the source's delays.")] = True,
) -> None:
    """Dry run: fetch the start page and the next list pages and print what each step finds.

    Writes nothing (no Kafka, no crawl status). Exit code 3 when the source is not `ok`.
    """
    from crawlers.run import Runtime, run_crawl
    from crawlers.sinks import MemorySink
    from crawlers.sources import load_sources
    from crawlers.status import MemoryStatusStore

    file = load_sources(sources)
    source = file.get(source_id)
    listing = source.listing.model_copy(update={"max_pages": pages, "stop_when_known": False})
    source = source.model_copy(update={"listing": listing})
    events: list[dict] = []

    def prepare(run) -> None:
        run.events = events
        run.article_budget = articles

    runtime = Runtime(sink=MemorySink(), status_store=MemoryStatusStore())
    report = run_crawl(
        [source], runtime=runtime, allow_loopback=file.allow_loopback, polite=polite, prepare=prepare
    ).sources[source.id]
    out = Console()
    out.print(f"[bold]{source.id}[/] {escape(source.name)} · kind {source.listing.kind} · "
              f"{', '.join(source.start_urls)}", highlight=False)
    _print_events(out, events)
    counts = report.counts
    out.print(
        f"[bold]{report.status}[/]: {counts.listed} listed, {counts.filtered} filtered, "
        f"{counts.refused} refused, "
        f"{counts.new} would be emitted, {counts.attachments} attachments, {counts.failed} failed, "
        f"{counts.blocked} blocked" + (f" — {escape(report.message)}" if report.message else ""),
        highlight=False,
    )
    if report.status != "ok":
        raise SystemExit(3)
