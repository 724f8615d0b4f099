"""Login and CSRF for the web interface.

- Login: HTTP basic against POLICYWATCH_WEB_USER / POLICYWATCH_WEB_PASSWORD when they are set (always
  required to bind to an address other than loopback; see `check_bind`).
- CSRF: double-submit token. Every page sets a random `pw_csrf` cookie (SameSite=Strict, HttpOnly) and puts
  the same value in each form; a POST must carry both, equal, and, when the browser sends an Origin, come
  from this server's own origin.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import secrets

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from policywatch.core.errors import PolicywatchError

CSRF_COOKIE = "pw_csrf"
CSRF_FIELD = "csrf_token"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, user: str | None, password: str | None) -> None:
    """Refuse to serve on a non-loopback address without a login."""
    if not is_loopback(host) and not (user and password):
        raise PolicywatchError(
            f"refusing to serve on {host} without a login: set POLICYWATCH_WEB_USER and "
            "POLICYWATCH_WEB_PASSWORD, or bind to 127.0.0.1 (the default)"
        )


class BasicAuth:
    """ASGI middleware: every request needs the configured user and password (HTTP basic)."""

    def __init__(self, app: ASGIApp, user: str, password: str) -> None:
        self.app = app
        self.expected = f"{user}:{password}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("authorization", "")
        scheme, _, value = header.partition(" ")
        given = b""
        if scheme.lower() == "basic":
            try:
                given = base64.b64decode(value, validate=True)
            except ValueError:
                given = b""
        if not hmac.compare_digest(given, self.expected):
            challenge = 'Basic realm="policywatch", charset="UTF-8"'
            resp = PlainTextResponse("login required", status_code=401,
                                     headers={"WWW-Authenticate": challenge})
            await resp(scope, receive, send)
            return
        await self.app(scope, receive, send)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(cookie: str | None, submitted: str | None, origin: str | None, host: str | None) -> bool:
    """True when the form's token equals the cookie's and an Origin, if sent, is this server."""
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        return False
    if origin and host:
        return origin.split("://", 1)[-1] == host
    return True
