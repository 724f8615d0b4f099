"""Notification channels a watch may deliver to besides its JSON webhook: apprise URLs for DingTalk,
WeCom, Feishu, e-mail and Slack (https://github.com/caronc/apprise/wiki).

Only these schemes are accepted: each posts to its service's fixed public API host, except e-mail, whose
SMTP server is named in the URL and is therefore checked like a webhook host (no loopback, private or
link-local servers unless POLICYWATCH_WEBHOOK_ALLOW_PRIVATE is set). A channel URL carries its token, so
it is shown only as `scheme://…`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from policywatch.core.errors import PolicywatchError
from policywatch.core.netpolicy import NON_PUBLIC, AddressRefused, resolve_checked

logger = logging.getLogger(__name__)

CHANNELS: dict[str, str] = {
    "dingtalk": "DingTalk", "wecombot": "WeCom", "feishu": "Feishu", "slack": "Slack",
    "mailto": "e-mail", "mailtos": "e-mail",
}
EXAMPLES = ("dingtalk://TOKEN/", "wecombot://KEY", "feishu://TOKEN", "slack://TA/TB/TC",
            "mailtos://user:password@smtp.example.org?to=ana@example.org")


def scheme_of(url: str) -> str:
    return urlsplit(url.strip()).scheme.lower()


def describe(url: str) -> str:
    """The channel without its secrets: `slack://…`."""
    scheme = scheme_of(url)
    return f"{scheme}://…" if scheme else "(invalid)"


def plugin_for(url: str) -> Any:
    """apprise's plugin object for `url`, or None when apprise cannot parse it."""
    import apprise

    return apprise.Apprise.instantiate(url, suppress_exceptions=True)


def smtp_target(plugin: Any) -> tuple[str, int] | None:
    """(host, port) an e-mail plugin connects to; None for the other channels."""
    host = getattr(plugin, "smtp_host", None)
    return (str(host), int(getattr(plugin, "port", None) or 25)) if host else None


def check_smtp(plugin: Any, *, allow_private: bool) -> None:
    """Raise AddressRefused when an e-mail channel's SMTP server is not a public address."""
    target = smtp_target(plugin)
    if target is not None:
        resolve_checked(target[0], target[1], allow=NON_PUBLIC if allow_private else ())


def validate_channel(url: str, *, allow_private: bool) -> str:
    """`url` when it is a supported, parseable apprise URL whose e-mail server (if any) is public."""
    scheme = scheme_of(url)
    if scheme not in CHANNELS:
        raise PolicywatchError(
            f"--notify {describe(url)!r}: unsupported channel; use one of " + ", ".join(EXAMPLES))
    plugin = plugin_for(url)
    if plugin is None:
        raise PolicywatchError(f"--notify {describe(url)!r} is not a valid {CHANNELS[scheme]} URL "
                               "(see https://github.com/caronc/apprise/wiki for its form)")
    try:
        check_smtp(plugin, allow_private=allow_private)
    except AddressRefused as exc:
        if exc.kind != "unresolved":
            raise PolicywatchError(
                f"--notify {describe(url)!r} refused: the mail server {exc}; set "
                "POLICYWATCH_WEBHOOK_ALLOW_PRIVATE=true to allow internal servers") from exc
        logger.warning("mail server of %s does not resolve now; it is checked again at each send",
                       describe(url))
    return url.strip()
