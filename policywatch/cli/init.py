"""`policywatch init`: create the Kafka topics and the Elasticsearch templates, indices and aliases."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from policywatch.cli import app
from policywatch.core.redact import redact
from policywatch.core.settings import get_settings

_STYLE = {"created": "green", "updated": "yellow", "unchanged": "dim", "warning": "red"}


@app.command("init")
def init_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
    skip_kafka: bool = typer.Option(False, "--skip-kafka", help="Leave Kafka topics alone."),
    skip_es: bool = typer.Option(False, "--skip-es", help="Leave Elasticsearch alone."),
) -> None:
    """Create topics, index templates, versioned indices and aliases. Safe to run again: changes nothing."""
    from policywatch.bootstrap import provision
    from policywatch.cli.preflight import require, waiting

    settings = get_settings()
    require(settings, *(["kafka"] if not skip_kafka else []), *(["es"] if not skip_es else []))
    text = "initialising"
    if settings.kibana_url and not skip_es:
        text += f" (waiting up to {settings.kibana_wait_s:.0f} s for Kibana at {settings.kibana_url})"
    with waiting(text):
        report = provision(settings, kafka=not skip_kafka, elasticsearch=not skip_es)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    where = redact(f"Kafka {settings.kafka_servers}, ES {settings.elasticsearch_url}")
    table = Table(title=f"policywatch init — {where}")
    for col in ("kind", "name", "action", "detail"):
        table.add_column(col)
    for c in report.changes:
        table.add_row(c.kind, c.name, f"[{_STYLE.get(c.action, 'white')}]{c.action}[/]", c.detail)
    console = Console()
    console.print(table)
    console.print("[green]changed[/]" if report.changed else "nothing to change: already initialised")
