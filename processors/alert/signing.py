"""Signed webhook bodies: the receiver can tell a body came from this deployment and was not altered or
replayed late.

Signed material: the timestamp header's value, a '.', then the exact body bytes. Signature:
`X-Policywatch-Signature: sha256=<hex HMAC-SHA256 under the secret>`; `X-Policywatch-Timestamp` is Unix
seconds. A receiver recomputes the HMAC over the same bytes, compares in constant time and rejects old
timestamps (README, "Webhooks").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

SIGNATURE_HEADER = "X-Policywatch-Signature"
TIMESTAMP_HEADER = "X-Policywatch-Timestamp"


def body_bytes(body: dict[str, Any]) -> bytes:
    """The JSON body exactly as sent (and signed): UTF-8, no ASCII escaping, compact."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, timestamp + '.' + body)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(body: bytes, secret: str | None, *, now: float | None = None) -> dict[str, str]:
    """The timestamp header, plus the signature header when a secret is configured."""
    timestamp = str(int(time.time() if now is None else now))
    headers = {TIMESTAMP_HEADER: timestamp}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, timestamp, body)
    return headers


def verify(secret: str, headers: dict[str, str], body: bytes, *, tolerance_s: float = 300.0,
           now: float | None = None) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent (tests use it too)."""
    lower = {k.lower(): v for k, v in headers.items()}
    timestamp = lower.get(TIMESTAMP_HEADER.lower(), "")
    sent = lower.get(SIGNATURE_HEADER.lower(), "")
    if not timestamp.isdigit() or not sent:
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(sent, signature(secret, timestamp, body))
