"""`policywatch watch add|list|rm`: saved searches that fire alerts on new documents."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from policywatch.bootstrap import build_search_client
from policywatch.cli import app
from policywatch.cli.search import H_DOC_TYPE, H_GROWTH, H_METRIC, H_REGION, H_ZONE
from policywatch.core.redact import redact
from policywatch.core.settings import get_settings
from policywatch.search.watches import WatchStore, new_watch

console = Console(highlight=False)
watch_app = typer.Typer(help="Saved searches that alert on new documents (stored in policy-watches).",
                        no_args_is_help=True)
app.add_typer(watch_app, name="watch")


H_WEBHOOK = ("POST each alert as signed JSON to this URL (public addresses only, unless "
             "POLICYWATCH_WEBHOOK_ALLOW_PRIVATE=true).")
H_SECRET = "Sign this watch's webhooks with its own secret instead of POLICYWATCH_WEBHOOK_SECRET."


def _store() -> WatchStore:
    return WatchStore(build_search_client(get_settings()))


@watch_app.command("add")
def add(
    name: str = typer.Argument(..., help="A unique name (letters, digits, Chinese, . - _)."),
    query: str = typer.Option("", "--query", "-q", help="Words that must all occur, as in `search`."),
    zone: str | None = typer.Option(None, "--zone", help=H_ZONE),
    region: str | None = typer.Option(None, "--region", help=H_REGION),
    metric: str | None = typer.Option(None, "--metric", help=H_METRIC),
    min_growth: float | None = typer.Option(None, "--min-growth", help=H_GROWTH),
    doc_type: str | None = typer.Option(None, "--doc-type", help=H_DOC_TYPE),
    webhook: str | None = typer.Option(None, "--webhook", help=H_WEBHOOK),
    webhook_secret: str | None = typer.Option(None, "--webhook-secret", help=H_SECRET),
    owner: str | None = typer.Option(None, "--owner", help="Who the watch is for."),
) -> None:
    """Add a watch; it fires for documents indexed from now on."""
    watch = new_watch(name, query=query, zone=zone, region=region, metric=metric, min_growth=min_growth,
                      doc_type=doc_type, webhook=webhook, webhook_secret=webhook_secret, owner=owner)
    _store().add(watch)
    console.print(f"watch [bold]{escape(name)}[/] added: {escape(watch.describe())}"
                  + (f" → {escape(redact(watch.webhook))}" if watch.webhook else ""))


@watch_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="JSON Lines, one watch per line.")) -> None:
    """List the watches."""
    watches = _store().list()
    if as_json:
        for w in watches:
            typer.echo(json.dumps(w.public_doc(), ensure_ascii=False))
        return
    if not watches:
        console.print("no watches yet: add one with `policywatch watch add NAME --query …`")
        return
    table = Table("name", "matches", "webhook", "owner", "created", "enabled")
    for w in watches:
        hook = redact(w.webhook) if w.webhook else "-"
        table.add_row(escape(w.name), escape(w.describe()), escape(hook), escape(w.owner or "-"),
                      w.created_at.strftime("%Y-%m-%d %H:%M"), "yes" if w.enabled else "no")
    console.print(table)


@watch_app.command("rm")
def rm(name: str = typer.Argument(..., help="The watch to remove.")) -> None:
    """Remove a watch (its past alerts stay in policy-alerts)."""
    _store().remove(name)
    console.print(f"watch [bold]{escape(name)}[/] removed")
