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
from policywatch.core.redact import url_origin
from policywatch.core.settings import get_settings
from policywatch.search.channels import describe as describe_channel
from policywatch.search.watches import WatchStore, delivery_failures, new_watch
from schemas.indices import ALERTS_INDEX, WATCHES_INDEX

console = Console(highlight=False)
watch_app = typer.Typer(help="Saved searches that alert on new documents (stored in policy-watches).",
                        no_args_is_help=True)
app.add_typer(watch_app, name="watch")


H_WEBHOOK = ("POST each alert as signed JSON to this URL (public addresses only, unless "
             "POLICYWATCH_WEBHOOK_ALLOW_PRIVATE=true).")
H_SECRET = "Sign this watch's webhooks with its own secret instead of POLICYWATCH_WEBHOOK_SECRET."
H_NOTIFY = ("Also deliver to this apprise URL (repeatable): dingtalk://TOKEN/, wecombot://KEY, "
            "feishu://TOKEN, slack://TA/TB/TC, mailtos://user:pass@smtp.host?to=addr.")
H_DIGEST_NAMES = "Only these watches (default: every daily-digest watch)."
H_DIGEST = "off: deliver each alert; daily: one digest a day (`policywatch watch digest`)."


def _store() -> WatchStore:
    from policywatch.cli.preflight import require

    require(get_settings(), "es")
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
    notify: list[str] | None = typer.Option(None, "--notify", help=H_NOTIFY),  # noqa: B008
    digest: str = typer.Option("off", "--digest", help=H_DIGEST),
    owner: str | None = typer.Option(None, "--owner", help="Who the watch is for."),
) -> None:
    """Add a watch; it fires for documents indexed from now on."""
    watch = new_watch(name, query=query, zone=zone, region=region, metric=metric, min_growth=min_growth,
                      doc_type=doc_type, webhook=webhook, webhook_secret=webhook_secret, owner=owner,
                      notify=notify or [], digest=digest,
                      allow_private=get_settings().webhook_allow_private)
    _store().add(watch)
    to = ([url_origin(watch.webhook)] if watch.webhook else []) + [describe_channel(u) for u in watch.notify]
    console.print(f"watch [bold]{escape(name)}[/] added: {escape(watch.describe())}"
                  + (f" → {escape(', '.join(to))}" if to else "")
                  + (" (daily digest)" if watch.digest == "daily" else ""))


@watch_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="JSON Lines, one watch per line.")) -> None:
    """List the watches, where they deliver, and their failed deliveries."""
    from policywatch.cli.preflight import require

    require(get_settings(), "es")
    es = build_search_client(get_settings())
    watches = WatchStore(es).list()
    failures = delivery_failures(es)
    if as_json:
        for w in watches:
            typer.echo(json.dumps({**w.public_doc(), "delivery_failures": failures.get(w.name)},
                                  ensure_ascii=False))
        return
    if not watches:
        console.print("no watches yet: add one with `policywatch watch add NAME --query …`")
        return
    table = Table("name", "matches", "delivers to", "failed deliveries", "owner", "created", "enabled")
    for w in watches:
        to = [url_origin(w.webhook)] if w.webhook else []
        to += [describe_channel(u) for u in w.notify]
        where = ", ".join(to) or "-"
        if w.digest == "daily" and to:
            where += " (daily digest)"
        failed = failures.get(w.name)
        failed_text = f"{failed['failed']}: {failed['last_error']}" if failed else "-"
        table.add_row(escape(w.name), escape(w.describe()), escape(where), escape(failed_text),
                      escape(w.owner or "-"), w.created_at.strftime("%Y-%m-%d %H:%M"),
                      "yes" if w.enabled else "no")
    console.print(table)


@watch_app.command("digest")
def digest_(name: list[str] | None = typer.Argument(None, help=H_DIGEST_NAMES),  # noqa: B008
            as_json: bool = typer.Option(False, "--json", help="One JSON object per watch.")) -> None:
    """Send the daily digests now: one message per daily-digest watch with its alerts not yet sent."""
    from processors.alert.digest import send_digests

    settings = get_settings()
    reports = send_digests(build_search_client(settings), watches_index=WATCHES_INDEX,
                           alerts_index=ALERTS_INDEX,
                           names=name or None, settings=settings)
    for r in reports:
        if as_json:
            typer.echo(json.dumps(r.to_dict(), ensure_ascii=False))
        elif r.alerts:
            state = "sent" if r.sent else "failed: " + "; ".join(r.errors)
            console.print(f"{escape(r.watch)}: {r.alerts} alerts, {escape(state)}")
    if not as_json and not any(r.alerts for r in reports):
        console.print("no digest to send")
    if any(r.errors for r in reports):
        raise typer.Exit(1)


@watch_app.command("rm")
def rm(name: str = typer.Argument(..., help="The watch to remove.")) -> None:
    """Remove a watch (its past alerts stay in policy-alerts)."""
    _store().remove(name)
    console.print(f"watch [bold]{escape(name)}[/] removed")
