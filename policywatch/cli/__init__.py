"""The `policywatch` command. Each sub-command lives in its own module and registers on `app`."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from policywatch.errors import PolicywatchError

app = typer.Typer(
    help="Watch government and news sites for development-zone reports; search them and get alerts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


def _register() -> None:
    # Imported here so `policywatch --help` stays fast and each module owns its commands.
    from policywatch.cli import commands  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    _register()
    try:
        app(args=argv, standalone_mode=False)
    except PolicywatchError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        return 1
    except SystemExit as exc:  # typer/click exit codes
        return int(exc.code or 0)
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except Exception as exc:  # click usage errors arrive as ClickException
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
