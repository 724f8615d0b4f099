"""Elasticsearch failures sorted into outages of the service and refusals of one message.

Only a connection error, a timeout, a 429 or a 5xx says Elasticsearch is unavailable: the stage retries
the whole batch until it is back. Anything else is about the data: a 4xx for one item of a ``_bulk``
(mapping conflict, a keyword over 32 766 bytes, a document too large) or a 4xx for the whole request
(an illegal version, a request over ``http.max_content_length``). Such a failure belongs to the
message(s) concerned: the runner retries them a bounded number of times, then dead-letters them, and
the rest of the batch goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from policywatch.core.errors import PolicywatchError, ServiceUnavailable

_CONNECTION_NAMES = {"ConnectionError", "ConnectionTimeout", "TransportError", "NoBrokersAvailable"}


class ItemRefused(PolicywatchError):  # noqa: N818 - a refusal, not a crash: the message's own failure
    """Elasticsearch refused one document (mapping, size, version): that message's failure."""


class RequestRefused(PolicywatchError):  # noqa: N818
    """Elasticsearch refused a whole request with a 4xx: split the batch to find the message."""


def is_outage_status(status: int | None) -> bool:
    return status is not None and (status == 429 or status >= 500)


def status_of(exc: BaseException) -> int | None:
    status = getattr(getattr(exc, "meta", None), "status", None)
    if not isinstance(status, int):
        status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def classify(exc: BaseException, what: str) -> Exception:
    """``exc`` from a request as ServiceUnavailable (an outage) or RequestRefused (about the data)."""
    if isinstance(exc, ServiceUnavailable):
        return exc
    status = status_of(exc)
    if status is not None and not is_outage_status(status):
        error = getattr(exc, "message", None) or type(exc).__name__
        info = getattr(exc, "body", None)
        reason = ""
        if isinstance(info, dict):
            root = (info.get("error") or {})
            if isinstance(root, dict):
                reason = str(root.get("reason") or "")[:300]
        text = f"{what}: Elasticsearch refused the request ({status} {error}) {reason}"
        return RequestRefused(text.strip())
    kind = type(exc).__name__
    network = kind in _CONNECTION_NAMES or isinstance(exc, ConnectionError | TimeoutError)
    if status is None and not network:
        # Not an Elasticsearch answer at all (a bug, a serialisation error): let the runner judge it.
        return exc if isinstance(exc, Exception) else RuntimeError(str(exc))
    return ServiceUnavailable(f"{what}: Elasticsearch unavailable ({kind}{f' {status}' if status else ''})")


def call(fn: Any, what: str, /, **kwargs: Any) -> Any:
    """``fn(**kwargs)``; an exception comes back sorted by :func:`classify`."""
    try:
        return fn(**kwargs)
    except Exception as exc:
        sorted_exc = classify(exc, what)
        if sorted_exc is exc:
            raise
        raise sorted_exc from exc


def item_failures(items: Sequence[dict[str, Any]], *, ok: frozenset[int] = frozenset({409})) -> tuple[
        dict[int, str], list[str]]:
    """Sort the ``items`` of a bulk response: ``({position: reason}, [outage reasons])``.

    A status in ``ok`` (default: 409, this or a newer version is already stored) and a 404 of a delete
    are successes; 429 and 5xx are outages; any other 4xx is the refusal of that item.
    """
    refused: dict[int, str] = {}
    outages: list[str] = []
    for position, item in enumerate(items):
        action, body = next(iter(item.items()))
        status = body.get("status", 500)
        if status < 300 or status in ok or (action == "delete" and status == 404):
            continue
        error = body.get("error") or {}
        reason = f"{status} {error.get('type')}: {str(error.get('reason'))[:300]}"
        if is_outage_status(status):
            outages.append(reason)
        else:
            refused[position] = f"{action} {body.get('_index')}/{body.get('_id')}: {reason}"
    return refused, outages
