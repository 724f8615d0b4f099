"""`policywatch web`: serve the web interface (search, documents, indicators, watches, alerts, sources)."""

from __future__ import annotations

import typer

from policywatch.cli import app


@app.command("web")
def web_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; other than loopback needs a "
                             "login (POLICYWATCH_WEB_USER / POLICYWATCH_WEB_PASSWORD)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
) -> None:
    """Serve the web interface over the indexed documents (http://HOST:PORT/)."""
    import uvicorn

    from policywatch.bootstrap import build_search_client
    from policywatch.core.settings import get_settings
    from policywatch.web import WebConfig, create_app
    from policywatch.web.security import check_bind

    settings = get_settings()
    password = settings.web_password.get_secret_value() if settings.web_password else None
    check_bind(host, settings.web_user, password)
    config = WebConfig(user=settings.web_user, password=password,
                       webhook_allow_private=settings.webhook_allow_private)
    typer.echo(f"policywatch web on http://{host}:{port}/" + (" (login required)" if config.user else ""))
    uvicorn.run(create_app(build_search_client(settings), config), host=host, port=port, log_level="warning")
