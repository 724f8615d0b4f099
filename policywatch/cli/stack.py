"""`policywatch stack up|down|status`: the local Kafka + Elasticsearch, no Docker."""

from __future__ import annotations

import json
import time

import typer
from rich.console import Console
from rich.table import Table

from policywatch.cli import app
from policywatch.core.settings import get_settings

stack_app = typer.Typer(
    help="Run real Kafka and Elasticsearch locally (fetched with Maven, no Docker).", no_args_is_help=True
)
app.add_typer(stack_app, name="stack")

_STYLE = {"healthy": "green", "starting": "yellow", "stopped": "dim", "unhealthy": "red"}


def _table(states) -> Table:
    table = Table(title="policywatch local stack")
    for col in ("service", "health", "version", "address", "pid", "detail"):
        table.add_column(col)
    for h in states:
        table.add_row(
            h.name,
            f"[{_STYLE.get(h.state, 'white')}]{h.state}[/]",
            h.version or "",
            h.address,
            str(h.pid or ""),
            h.detail,
        )
    return table


@stack_app.command("up")
def up_cmd(
    timeout: float = typer.Option(180.0, help="Seconds to wait for both services to become healthy."),
    as_json: bool = typer.Option(False, "--json", help="Print the final status as JSON."),
) -> None:
    """Fetch (once) and start Kafka and Elasticsearch; wait until healthy. A running stack is left as is."""
    from policywatch import stack

    settings = get_settings()
    t0 = time.monotonic()
    states = stack.up(settings, Console(stderr=True), timeout=timeout)
    # Asked for by a person: test sessions that found it running must not stop it when they end.
    (settings.state_dir / "started-by-tests").unlink(missing_ok=True)
    took = time.monotonic() - t0
    if as_json:
        typer.echo(json.dumps({"seconds": round(took, 1), "services": [h.as_dict() for h in states]}))
    else:
        console = Console()
        console.print(_table(states))
        console.print(f"[green]healthy[/] in {took:.1f}s — state in {settings.state_dir}")


@stack_app.command("down")
def down_cmd() -> None:
    """Stop the Kafka and Elasticsearch processes that `stack up` started (data is kept)."""
    from policywatch import stack

    stopped = stack.down(get_settings(), Console(stderr=True))
    Console().print("stopped: " + ", ".join(stopped) if stopped else "nothing was running")


@stack_app.command("status")
def status_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Show each service's health, version, address and pid. Exit code 1 unless both are healthy."""
    from policywatch import stack

    states = stack.status(get_settings())
    if as_json:
        typer.echo(json.dumps([h.as_dict() for h in states]))
    else:
        Console().print(_table(states))
    if not all(h.state == "healthy" for h in states):
        raise typer.Exit(1)
