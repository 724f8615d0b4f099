"""Credentials never leave in messages or logs: the userinfo of URLs (`http://user:pass@host`) becomes
`***@`. One helper for every message that names an address, and a logging filter for everything else."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

# scheme://userinfo@ — userinfo is anything up to the last '@' before the host, without '/', '?', '#'
# or whitespace (a password may itself contain '@' or ':').
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^/?#\s@]*(?:@[^/?#\s@]*)*)@")
MASK = "***"


def redact(text: str) -> str:
    """`text` with the userinfo of every URL in it replaced by `***` (the rest is left as it is)."""
    if "@" not in text or "://" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)


def url_origin(url: str) -> str:
    """A delivery URL as `scheme://host[:port]/…`: its userinfo, path and query can carry tokens (Slack,
    DingTalk and most chat webhooks put the secret in the path), so listings show only this."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}/…"


def _redact_arg(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, BaseException):
        return redact(str(value))
    return value


class RedactingFilter(logging.Filter):
    """Redacts URLs with credentials in a record's message, arguments and traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def structlog_redactor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor doing the same for an event's string values."""
    return {k: _redact_arg(v) for k, v in event_dict.items()}


_FILTER = RedactingFilter()


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add the filter to every handler of `logger` (the root logger by default); idempotent.

    Handler filters (not logger filters) see records propagated from every child logger."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
