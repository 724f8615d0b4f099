"""The `policywatch` command. Each sub-command lives in its own module and registers on `app`.

Exit codes: 0 success, 1 a PolicywatchError (or a service that cannot be reached; its message is printed on
one line, no traceback), 2 a usage error (click's short usage message), 130 interrupted; a command may
exit with its own code (e.g. `crawl` 3 when a source failed).
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from policywatch.core.errors import PolicywatchError
from policywatch.core.redact import redact

app = typer.Typer(
    help="Watch government and news sites for development-zone reports; search them and get alerts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True, highlight=False)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("policywatch")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"policywatch {_version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Watch government and news sites for development-zone reports; search them and get alerts."""


def _register() -> None:
    # Imported here so `policywatch --help` stays fast and each module owns its commands.
    from policywatch.cli import commands  # noqa: F401


def _print_error(message: str) -> None:
    # soft_wrap: one line however long (rich would otherwise wrap at 80 columns when not on a terminal).
    # redact: a URL setting with credentials (http://user:pass@host) is never printed as it is.
    err_console.print(f"[bold red]error:[/] {escape(redact(message))}", soft_wrap=True)


def _service_error(exc: BaseException) -> str | None:
    """A one-line message for a Kafka or Elasticsearch connection failure that escaped a command."""
    from policywatch.core import elasticsearch, kafka
    from policywatch.core.errors import ELASTICSEARCH, KAFKA, connection_service
    from policywatch.core.settings import get_settings

    service = connection_service(exc)
    if service == KAFKA:
        return kafka.unreachable_message(get_settings(), exc)
    if service == ELASTICSEARCH:
        return elasticsearch.unreachable_message(get_settings(), exc)
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code. Click runs in standalone mode, so usage errors (typer 0.29
    raises its bundled click's exceptions, not `click.ClickException`) print the short usage message and
    exit 2 there; `typer.Exit(n)` and `SystemExit(n)` become the exit code."""
    _register()
    try:
        app(args=argv, prog_name="policywatch", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        _print_error(str(code))
        return 1
    except PolicywatchError as exc:
        _print_error(str(exc))
        return 1
    except Exception as exc:
        message = _service_error(exc)
        if message is None:
            raise
        _print_error(message)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
