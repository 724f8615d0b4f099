"""apprise channels: which URLs a watch may carry, what is sent, and what is recorded (loopback SMTP)."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.header import decode_header, make_header

import pytest

from policywatch.core.errors import PolicywatchError
from policywatch.search.channels import describe, validate_channel
from policywatch.search.watches import new_watch
from processors.alert.delivery import (
    ChannelResult,
    alert_message,
    digest_message,
    outcome_fields,
    pending_fields,
    send_channel,
)
from tests.smtp_receiver import SmtpReceiver

ALERT = {"alert_id": "a1", "watch": "bio", "doc_id": "d1", "title": "商河经济开发区2023年工作总结",
         "url": "https://www.shanghe.gov.cn/art/1.html", "zone": "商河经济开发区", "year": 2023,
         "highlights": ["以<em>生物医药</em>化工为主导"]}


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    r = SmtpReceiver()
    yield r
    r.close()


@pytest.mark.parametrize("url", ["dingtalk://0123456789abcdef/", "wecombot://0123456789abcdef",
                                 "feishu://0123456789abcdef", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
                                 "mailtos://user:pw@smtp.example.org?to=ana@example.org"])
def test_supported_channels_are_accepted_and_shown_without_their_tokens(url: str) -> None:
    assert validate_channel(url, allow_private=False) == url
    assert describe(url) == url.split("://")[0] + "://…"


@pytest.mark.parametrize(("url", "message"), [
    ("json://example.org/hook", "unsupported channel"),  # generic HTTP: use --webhook (checked, signed)
    ("https://example.org/", "unsupported channel"),
    ("slack://", "not a valid Slack URL"),
    ("mailto://127.0.0.1:25?to=a@example.org&from=pw@example.org",
     "refused: the mail server 127.0.0.1 is a loopback address"),
    ("mailto://u:p@10.0.0.9?to=a@example.org&from=pw@example.org",
     "the mail server 10.0.0.9 is a private address"),
])
def test_unsupported_invalid_or_internal_channels_are_refused(url: str, message: str) -> None:
    with pytest.raises(PolicywatchError, match=message):
        validate_channel(url, allow_private=False)


def test_a_watch_carries_channels_and_a_digest_choice() -> None:
    w = new_watch("bio", query="生物医药", notify=["dingtalk://0123456789abcdef/"] * 2, digest="daily",
                  allow_private=False)
    assert w.notify == ["dingtalk://0123456789abcdef/"] and w.digest == "daily"
    assert w.public_doc()["notify"] == ["dingtalk://…"]
    assert pending_fields(w) == {"digest": "pending"}
    feishu = new_watch("b", query="x", notify=["feishu://0123456789abcdef"])
    assert pending_fields(feishu) == {"channels": "pending"}
    assert pending_fields(new_watch("c", query="x")) == {}
    with pytest.raises(PolicywatchError, match="needs --webhook or --notify"):
        new_watch("bio", query="x", digest="daily")
    with pytest.raises(PolicywatchError, match="off or daily"):
        new_watch("bio", query="x", notify=["feishu://0123456789abcdef"], digest="weekly")


def test_messages_name_the_document_and_drop_highlight_tags() -> None:
    title, body = alert_message(ALERT)
    assert title == "policywatch · bio: 商河经济开发区2023年工作总结"
    assert "…以生物医药化工为主导…" in body and "<em>" not in body and ALERT["url"] in body
    title, body = digest_message("bio", [ALERT, {**ALERT, "title": None, "doc_id": "d2", "zone": None}])
    assert title == "policywatch · bio: 2 new documents" and body.count("\n- ") == 1 and "- d2" in body


def test_e_mail_through_a_loopback_smtp_server(smtp: SmtpReceiver) -> None:
    title, body = alert_message(ALERT)
    result = send_channel(smtp.url, title, body, allow_private=True)
    assert result.ok and result.error is None and result.channel == "mailto"
    [mail] = smtp.messages
    msg = email.message_from_bytes(mail["data"])
    assert str(make_header(decode_header(msg["Subject"]))) == title
    text = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert "商河经济开发区" in text.decode("utf-8")


def test_failures_are_results_not_exceptions(smtp: SmtpReceiver) -> None:
    refused = send_channel(smtp.url, "t", "b", allow_private=False)
    assert not refused.ok and refused.error == "refused: 127.0.0.1 is a loopback address"
    assert smtp.messages == []
    smtp.close()
    down = send_channel(smtp.url, "t", "b", allow_private=True)  # nothing listens any more
    assert not down.ok and down.error
    fields = outcome_fields([ChannelResult("mailto", "mailto://…", True, None, "t0"), down])
    assert fields["channels"] == "failed" and fields["channel_error"].startswith("mailto: ")
    assert [d["ok"] for d in fields["channel_deliveries"]] == [True, False]
