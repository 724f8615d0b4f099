"""Webhook signatures: what is signed, and that a receiver's check rejects tampering and old bodies."""

from __future__ import annotations

import hashlib
import hmac

from processors.alert.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, body_bytes, signed_headers, verify


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = body_bytes({"watch": "生物医药", "doc_id": "d1"})
    assert body == '{"watch":"生物医药","doc_id":"d1"}'.encode()
    headers = signed_headers(body, "k3y", now=1_790_000_000)
    expected = hmac.new(b"k3y", b"1790000000." + body, hashlib.sha256).hexdigest()
    assert headers == {TIMESTAMP_HEADER: "1790000000", SIGNATURE_HEADER: f"sha256={expected}"}


def test_receiver_check_accepts_the_original_and_rejects_changes() -> None:
    body = body_bytes({"a": 1})
    headers = signed_headers(body, "k3y", now=1000)
    assert verify("k3y", headers, body, now=1010)
    assert not verify("other", headers, body, now=1010)  # wrong secret
    assert not verify("k3y", headers, body_bytes({"a": 2}), now=1010)  # body changed
    assert not verify("k3y", {**headers, TIMESTAMP_HEADER: "1001"}, body, now=1010)  # timestamp changed
    assert not verify("k3y", headers, body, now=1000 + 301)  # replayed late


def test_without_a_secret_only_the_timestamp_is_sent() -> None:
    assert set(signed_headers(b"{}", None)) == {TIMESTAMP_HEADER}
