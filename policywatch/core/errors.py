"""One exception root, one transient test, one "cannot reach" message.

- :class:`PolicywatchError` is the root. Raised to the CLI it is a user-facing failure: its message is
  printed on one line, no traceback.
- :class:`ServiceUnavailable`: Kafka or Elasticsearch cannot be reached (transient: retry later).
- :class:`SkipMessage` and :class:`ProcessingError`: per-message outcomes a stage returns to the runner.
- :func:`is_transient` decides whether a failure is worth retrying; :func:`connection_service` names the
  service behind a client's connection error. Both are the only places that know client class names.
"""

from __future__ import annotations

from policywatch.core.redact import redact


class PolicywatchError(Exception):
    """Something the user can fix; the message says what happened and what to do."""


class ServiceUnavailable(PolicywatchError):
    """Kafka or Elasticsearch cannot be reached (transient: retry later)."""


class SkipMessage(PolicywatchError):
    """Expected, not a failure: a message a stage deliberately drops."""


class ProcessingError(PolicywatchError):
    """A message that cannot be processed; after bounded retries it goes to the dead-letter topic."""


KAFKA = "Kafka"
ELASTICSEARCH = "Elasticsearch"

# Connection failures by client: (module prefixes, class names). A command that meets one prints
# `unreachable(...)` for that service.
_CONNECTION_ERRORS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    KAFKA: (("kafka",), frozenset({"NoBrokersAvailable", "KafkaTimeoutError", "KafkaConnectionError",
                                   "NodeNotReadyError"})),
    ELASTICSEARCH: (("elasticsearch", "elastic_transport"),
                    frozenset({"ConnectionError", "ConnectionTimeout", "TransportError"})),
}
# Also transient for a consumer or a sink (retry the batch), though not a "cannot reach".
_OTHER_TRANSIENT_NAMES = frozenset({
    "SerializationError",  # elastic_transport
    "LeaderNotAvailableError", "NotLeaderForPartitionError", "RequestTimedOutError",  # kafka-python
})
TRANSIENT_NAMES = frozenset().union(*(names for _, names in _CONNECTION_ERRORS.values()),
                                    _OTHER_TRANSIENT_NAMES)


def connection_service(exc: BaseException) -> str | None:
    """``"Kafka"`` or ``"Elasticsearch"`` when `exc` is that client's connection failure, else None."""
    module = type(exc).__module__ or ""
    for service, (prefixes, names) in _CONNECTION_ERRORS.items():
        if module.startswith(prefixes) and type(exc).__name__ in names:
            return service
    return None


def is_transient(exc: BaseException) -> bool:
    """A failure another attempt may not meet: a service outage, a timeout, a 429 or a 5xx."""
    if isinstance(exc, ServiceUnavailable | ConnectionError | TimeoutError):
        return True
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "meta", None), "status", None)
    if isinstance(status, int) and (status == 429 or status >= 500):
        return True
    return any(cls.__name__ in TRANSIENT_NAMES for cls in type(exc).__mro__)


def unreachable(service: str, address: str, var: str, exc: BaseException | None = None) -> str:
    """The one line for a service that cannot be reached: what, where, why (when known), what to do."""
    why = ""
    if exc is not None:
        why = f" ({type(exc).__name__}: {exc})" if str(exc) else f" ({type(exc).__name__})"
    # redact: an address setting may carry credentials (http://user:pass@host); never print them.
    return redact(f"cannot reach {service} at {address}{why}: set {var} or run `policywatch stack up`")
