"""Install the Kibana saved objects (policywatch/provision/kibana.ndjson, package data written by
kibana/build.py) into Kibana (called by `policywatch init` when POLICYWATCH_KIBANA_URL
is set): import the saved objects with overwrite, point the webhook connector at
POLICYWATCH_KIBANA_WEBHOOK_URL (when set), then enable the Elasticsearch-query rule, which Kibana always
imports disabled. Running it again with unchanged objects changes nothing."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from policywatch.core.errors import PolicywatchError, ServiceUnavailable

logger = logging.getLogger(__name__)

NDJSON = "kibana.ndjson"  # package data of policywatch.provision
MARKER_OBJECT = ("dashboard", "policywatch-overview")
RULE_ID = "policywatch-new-alerts"
WEBHOOK_CONNECTOR = "policywatch-alerts-webhook"
_HEADERS = {"kbn-xsrf": "policywatch", "elastic-api-version": "2023-10-31"}


def ndjson_bytes(path: Path | None = None) -> bytes:
    """The saved objects: package data (importlib.resources), or ``path``."""
    if path is not None:
        return path.read_bytes()
    resource = resources.files("policywatch.provision").joinpath(NDJSON)
    if not resource.is_file():
        raise PolicywatchError(f"Kibana objects {NDJSON} missing from the installed policywatch.provision "
                               "package: reinstall policywatch")
    return resource.read_bytes()


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _with_marker(data: bytes, mark: str) -> bytes:
    """The ndjson with the checksum in the dashboard's description, so a re-run can tell it is current."""
    lines = []
    for line in data.decode("utf-8").splitlines():
        obj = json.loads(line)
        if (obj["type"], obj["id"]) == MARKER_OBJECT:
            obj["attributes"]["description"] += f" [policywatch objects {mark}]"
        lines.append(json.dumps(obj, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _client(settings: Any, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    auth = None
    if settings.es_username:  # Kibana authenticates with Elasticsearch's users
        password = settings.es_password.get_secret_value() if settings.es_password else ""
        auth = (settings.es_username, password)
    headers = dict(_HEADERS)
    if settings.es_api_key is not None:
        headers["Authorization"] = f"ApiKey {settings.es_api_key.get_secret_value()}"
    return httpx.Client(base_url=settings.kibana_url.rstrip("/"), auth=auth, headers=headers, timeout=30,
                        transport=transport)


def wait_ready(client: httpx.Client, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while True:
        try:
            resp = client.get("/api/status")
            if resp.status_code == 200:
                level = resp.json().get("status", {}).get("overall", {}).get("level", "available")
                if level in ("available", "degraded"):
                    return
                last = f"status {level}"
            else:
                last = f"HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        if time.monotonic() >= deadline:
            raise ServiceUnavailable(
                f"Kibana at {client.base_url} is not ready ({last}) after {timeout_s:.0f} s. Start Kibana, "
                "or unset POLICYWATCH_KIBANA_URL to skip installing the saved objects."
            )
        time.sleep(2)


def _point_webhook(client: httpx.Client, settings: Any, report: Any) -> None:
    """Set the webhook connector's URL to POLICYWATCH_KIBANA_WEBHOOK_URL (the file has a placeholder)."""
    url = getattr(settings, "kibana_webhook_url", None)
    if not url:
        return
    current = client.get(f"/api/actions/connector/{WEBHOOK_CONNECTOR}")
    if current.status_code != 200:
        raise PolicywatchError(f"Kibana has no connector {WEBHOOK_CONNECTOR} after the import "
                               f"(HTTP {current.status_code}): {current.text[:300]}")
    connector = current.json()
    config = dict(connector.get("config") or {})
    if config.get("url") == url:
        report.add("kibana", f"connector {WEBHOOK_CONNECTOR}", "unchanged", url)
        return
    config["url"] = url
    body = {"name": connector.get("name", WEBHOOK_CONNECTOR), "config": config, "secrets": {}}
    resp = client.put(f"/api/actions/connector/{WEBHOOK_CONNECTOR}", json=body)
    if resp.status_code != 200:
        raise PolicywatchError(f"Kibana refused the webhook URL {url} (HTTP {resp.status_code}): "
                               f"{resp.text[:300]}")
    report.add("kibana", f"connector {WEBHOOK_CONNECTOR}", "updated", url)


def install_kibana(settings: Any, report: Any, *, wait_s: float | None = None,
                   transport: httpx.BaseTransport | None = None) -> None:
    """Import the saved objects and enable the rule; adds one row per step to `report`. Waits for Kibana
    up to ``wait_s`` (default POLICYWATCH_KIBANA_WAIT_S): a first start migrates for minutes."""
    data = ndjson_bytes()
    mark = checksum(data)
    wait_s = settings.kibana_wait_s if wait_s is None else wait_s
    with _client(settings, transport) as client:
        wait_ready(client, wait_s)
        kind, oid = MARKER_OBJECT
        current = client.get(f"/api/saved_objects/{kind}/{oid}")
        if current.status_code == 200 and mark in current.json().get("attributes", {}).get("description", ""):
            report.add("kibana", "saved objects", "unchanged", NDJSON)
        else:
            resp = client.post("/api/saved_objects/_import", params={"overwrite": "true"},
                               files={"file": ("policywatch.ndjson", _with_marker(data, mark),
                                               "application/ndjson")})
            body = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
            if resp.status_code != 200 or not body.get("success", False):
                errors = body.get("errors") or resp.text[:500]
                raise PolicywatchError(
                    f"Kibana refused the saved objects (HTTP {resp.status_code}): {errors}"
                )
            action = "updated" if current.status_code == 200 else "created"
            report.add("kibana", "saved objects", action, f"{body.get('successCount', 0)} objects")
        _point_webhook(client, settings, report)
        rule = client.get(f"/api/alerting/rule/{RULE_ID}")
        if rule.status_code == 200 and rule.json().get("enabled"):
            report.add("kibana", f"rule {RULE_ID}", "unchanged", "enabled")
            return
        enabled = client.post(f"/api/alerting/rule/{RULE_ID}/_enable")
        if enabled.status_code in (200, 204):
            report.add("kibana", f"rule {RULE_ID}", "updated", "enabled")
        else:  # alerting needs an encryption key in kibana.yml; the objects are in, so only warn
            report.add("kibana", f"rule {RULE_ID}", "warning",
                       f"could not enable (HTTP {enabled.status_code}): "
                       "enable it in Stack Management > Rules")
