"""Credentials in URL settings never reach messages or logs."""

from __future__ import annotations

import logging

import pytest

from policywatch.core.elasticsearch import unreachable_message
from policywatch.core.redact import RedactingFilter, redact
from policywatch.core.settings import Settings


@pytest.mark.parametrize(("text", "expected"), [
    ("http://user:pass@host:9200", "http://***@host:9200"),
    ("cannot reach https://elastic:s3cr%40t@es.example.org/x?a=b@c",
     "cannot reach https://***@es.example.org/x?a=b@c"),
    ("two: http://a:b@h1 and https://c:d@e@h2/p", "two: http://***@h1 and https://***@h2/p"),
    ("http://token@host/", "http://***@host/"),
    ("http://host:9200/path mail me at ops@example.org", "http://host:9200/path mail me at ops@example.org"),
    ("no url here", "no url here"),
])
def test_redact_hides_userinfo_only(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_cannot_reach_message_redacts_the_configured_url() -> None:
    s = Settings(es_url="http://admin:hunter2@127.0.0.1:1")
    message = unreachable_message(s, ConnectionError("refused"))
    assert "hunter2" not in message and "admin" not in message
    assert "http://***@127.0.0.1:1" in message


def test_logging_filter_redacts_message_args_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.redact")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.redact"):
        log.info("posting to %s", "https://u:topsecret@hook.example/x")
        log.info("direct http://u:topsecret@h/")
        try:
            raise RuntimeError("failed on http://u:topsecret@h2/")
        except RuntimeError:
            log.exception("boom")
    assert "topsecret" not in caplog.text
    assert "https://***@hook.example/x" in caplog.text and "http://***@h2/" in caplog.text


def test_listings_show_only_the_origin_of_a_delivery_url() -> None:
    from policywatch.core.redact import url_origin

    assert url_origin("https://hooks.slack.com/services/T0/B0/s3cr3t?x=1") == "https://hooks.slack.com/…"
    assert url_origin("http://u:pw@10.0.0.1:8080/h") == "http://10.0.0.1:8080/…"
    assert url_origin("http://[::1]:9/h") == "http://[::1]:9/…"
