"""`policywatch reindex` and `policywatch health`: the code the reindex and source_health DAGs run."""

from __future__ import annotations

import json
from datetime import timedelta

import typer
from rich.console import Console
from rich.table import Table

from policywatch.cli import app
from policywatch.core.settings import get_settings
from schemas.indices import DOCS_INDEX

_STATE_STYLE = {"ok": "green", "never_run": "dim", "disabled": "dim"}


@app.command("reindex")
def reindex_cmd(
    alias: str = typer.Option(DOCS_INDEX, "--alias", help="The alias to rebuild."),
    topic: str = typer.Option(None, "--topic", help="Topic to replay (default policy.extracted.v1)."),
    allow_shrink: bool = typer.Option(
        False, "--allow-shrink", help="Switch even if the new index holds fewer documents than the old one."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Rebuild an index from Kafka into `<alias>-v<n+1>`; switch the alias only when the counts match."""
    from policywatch.bootstrap import rebuild

    result = rebuild(get_settings(), alias=alias, topic=topic, allow_shrink=allow_shrink)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    b = result["build"]
    Console().print(
        f"{alias} -> [bold]{b['target']}[/] ({b['target_count']} documents from {b['messages']} messages, "
        f"{b['skipped']} skipped; was {b['previous_count']} in {', '.join(result['left']) or 'nothing'}); "
        f"{result['caught_up']} late messages caught up. The old index is kept: delete it when satisfied."
    )


@app.command("health")
def health_cmd(
    sources: str = typer.Option(None, "--sources", help="sources file (default: crawlers/sources.yaml)."),
    failed_runs: int = typer.Option(3, "--failed-runs", min=1, help="Flag after this many failed runs."),
    cadence_days: float = typer.Option(60, "--cadence-days", help="Quiet threshold with little history."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per source."),
) -> None:
    """Flag sources that failed their last runs or went quiet; write policy-source-health."""
    from crawlers.sources import load_sources
    from policywatch.source_health import check_health

    reports = check_health(
        get_settings(),
        load_sources(sources).sources,
        failed_runs=failed_runs,
        default_cadence=timedelta(days=cadence_days),
    )
    if as_json:
        for r in reports:
            typer.echo(json.dumps(r.document(), ensure_ascii=False))
        return
    table = Table(title="source health (policy-source-health)")
    for col in ("source", "state", "last run", "failures", "last new", "cadence (days)", "message"):
        table.add_column(col)
    for r in reports:
        style = _STATE_STYLE.get(r.state, "red")
        table.add_row(
            r.source_id,
            f"[{style}]{r.state}[/]",
            f"{r.last_run_at:%Y-%m-%d %H:%M}" if r.last_run_at else "—",
            str(r.consecutive_failures),
            f"{r.last_new_at:%Y-%m-%d}" if r.last_new_at else "—",
            f"{r.expected_cadence_days:g}",
            r.message or "",
        )
    Console().print(table)
