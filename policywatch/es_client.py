"""The Elasticsearch client built from Settings (elasticsearch-py 8.x), with auth and TLS applied.

    es = make_es(settings)

Basic auth or an API key, CA certificates and verification come from POLICYWATCH_ES_*; secrets go to
the client only (`describe(settings)` gives a loggable summary).
"""

from __future__ import annotations

from typing import Any

from policywatch.settings import Settings, get_settings


def es_config(settings: Settings | None = None) -> dict[str, Any]:
    s = settings or get_settings()
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


def describe(settings: Settings | None = None) -> dict[str, Any]:
    """The client config with secrets masked: safe to log or print."""
    cfg = es_config(settings)
    if "api_key" in cfg:
        cfg["api_key"] = "***"
    if "basic_auth" in cfg:
        cfg["basic_auth"] = (cfg["basic_auth"][0], "***")
    return cfg


def make_es(settings: Settings | None = None, **overrides: Any):
    from elasticsearch import Elasticsearch

    cfg = es_config(settings)
    cfg.update(overrides)
    return Elasticsearch(**cfg)
