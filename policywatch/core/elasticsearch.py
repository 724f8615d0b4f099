"""The Elasticsearch client built from Settings (elasticsearch-py 8.x), with auth and TLS applied.

    es = make_es(settings)

Basic auth or an API key, CA certificates and verification come from POLICYWATCH_ES_*; secrets go to
the client only (`describe(settings)` gives a loggable summary).
"""

from __future__ import annotations

from typing import Any

from policywatch.core.errors import ELASTICSEARCH, ServiceUnavailable, connection_service, unreachable
from policywatch.core.settings import Settings


def es_config(settings: Settings) -> dict[str, Any]:
    s = settings
    cfg: dict[str, Any] = {
        "hosts": [u.strip() for u in s.elasticsearch_url.split(",")],
        "request_timeout": s.es_request_timeout,
        "retry_on_timeout": True,
        "max_retries": 3,
    }
    if s.es_api_key is not None:
        cfg["api_key"] = s.es_api_key.get_secret_value()
    elif s.es_username:
        cfg["basic_auth"] = (s.es_username, s.es_password.get_secret_value() if s.es_password else "")
    if s.elasticsearch_url.startswith("https"):
        cfg["verify_certs"] = s.es_verify_certs
        if s.es_ca_certs:
            cfg["ca_certs"] = str(s.es_ca_certs)
        if not s.es_verify_certs:
            cfg["ssl_show_warn"] = False
    return cfg


def describe(settings: Settings) -> dict[str, Any]:
    """The client config with secrets masked: safe to log or print."""
    cfg = es_config(settings)
    if "api_key" in cfg:
        cfg["api_key"] = "***"
    if "basic_auth" in cfg:
        cfg["basic_auth"] = (cfg["basic_auth"][0], "***")
    return cfg


def fast_serializers() -> dict[str, Any]:
    """orjson for JSON and NDJSON (`_bulk`) bodies: the same JSON text the standard library writes for
    our documents (compact, UTF-8, ISO dates already strings), at a fraction of the CPU; encoding the
    bulk body was ~1/4 of the index stage. Empty when orjson is not installed (the client's defaults)."""
    try:
        import orjson
        from elasticsearch.serializer import NdjsonSerializer, OrjsonSerializer
    except ImportError:  # pragma: no cover - orjson is a pinned dependency
        return {}

    class OrjsonNdjsonSerializer(NdjsonSerializer):
        def json_dumps(self, data: Any) -> bytes:
            return orjson.dumps(data, default=self.default, option=orjson.OPT_NON_STR_KEYS)

        def json_loads(self, data: bytes) -> Any:
            return orjson.loads(data)

    return {
        OrjsonSerializer.mimetype: OrjsonSerializer(),
        OrjsonNdjsonSerializer.mimetype: OrjsonNdjsonSerializer(),
    }


def make_es(settings: Settings, **overrides: Any):
    from elasticsearch import Elasticsearch

    cfg = es_config(settings)
    cfg.setdefault("serializers", fast_serializers())
    cfg.update(overrides)
    return Elasticsearch(**cfg)


def unreachable_message(settings: Settings, exc: BaseException | None = None) -> str:
    """One line naming Elasticsearch, the address tried and what to do."""
    return unreachable(ELASTICSEARCH, settings.elasticsearch_url, "POLICYWATCH_ES_URL", exc)


def client_unreachable_message(es: Any, exc: BaseException | None = None) -> str:
    """The same line for a client whose Settings are not at hand: the address is the client's nodes."""
    try:
        address = ",".join(str(node.base_url) for node in es.transport.node_pool.all())
    except AttributeError:  # not an elasticsearch-py client
        address = "?"
    return unreachable(ELASTICSEARCH, address, "POLICYWATCH_ES_URL", exc)


def check_reachable(settings: Settings, timeout: float = 3.0) -> None:
    """Fail fast with a clear ServiceUnavailable when Elasticsearch cannot be connected to within
    `timeout` seconds."""
    try:
        # cluster.health, not info(): GET / is absent from the core-only distribution
        make_es(settings, request_timeout=timeout, max_retries=0, retry_on_timeout=False).cluster.health()
    except Exception as exc:
        if connection_service(exc) == ELASTICSEARCH:
            raise ServiceUnavailable(unreachable_message(settings, exc)) from exc
        # Anything else (e.g. a user not allowed to call GET /) is the command's business.
