"""`policywatch health-check STAGE`: exit 0 while the stage's consumer loop is alive, 1 when it is stuck.

The container health check of each stage (docker-compose.yml). The runner rewrites a heartbeat file on
every pass of its loop (processors/heartbeat.py); a loop that stops passing (a hung poll or handle) lets
the file age past --max-age, and the check fails with one line saying how long ago the stage was seen.
"""

from __future__ import annotations

import typer

from policywatch.cli import app
from policywatch.core.errors import PolicywatchError
from policywatch.core.settings import get_settings


@app.command("health-check")
def health_check_cmd(
    stage: str = typer.Argument(..., help="clean, extract, index or alert."),
    max_age: float = typer.Option(120.0, "--max-age", min=1, help="Seconds a heartbeat stays fresh."),
) -> None:
    """Healthy when STAGE's runner on this host beat within --max-age seconds (for container checks)."""
    from processors.heartbeat import heartbeat_path, read_heartbeat

    settings = get_settings()
    try:
        age, content = read_heartbeat(settings, stage)
    except FileNotFoundError:
        raise PolicywatchError(f"stage {stage} has no heartbeat at {heartbeat_path(settings, stage)}: "
                               "not started on this host (or POLICYWATCH_HEARTBEAT_DIR differs)") from None
    state = content.get("state", "?")
    if age > max_age:
        raise PolicywatchError(f"stage {stage} is stuck: last heartbeat {age:.0f} s ago (state {state}, "
                               f"limit {max_age:.0f} s)")
    typer.echo(f"{stage}: ok, {state} {age:.0f} s ago, processed {content.get('processed', '?')}")
