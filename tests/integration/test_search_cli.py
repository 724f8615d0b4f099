"""`policywatch search` and `policywatch watch add|list|rm` through the CLI entry point."""

from __future__ import annotations

import json

from policywatch.cli import main


def test_watch_add_list_rm_and_search_json(stack, es, unique_name, capsys, allow_private_webhooks) -> None:
    from policywatch.provision import Report
    from policywatch.provision.elasticsearch import ensure_indices

    ensure_indices(es, stack, Report())  # idempotent: the aliases exist
    name = unique_name("watch")
    try:
        assert main(["watch", "add", name, "--query", "生物医药", "--region", "山东", "--metric", "GDP",
                     "--min-growth", "10", "--webhook", "http://127.0.0.1:9/h", "--webhook-secret", "s3cr3t",
                     "--owner", "test"]) == 0
        assert main(["watch", "add", name, "--query", "x"]) == 1
        assert "exists" in capsys.readouterr().err
        assert main(["watch", "list", "--json"]) == 0
        listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        mine = [w for w in listed if w["name"] == name]
        assert mine and mine[0]["metric"] == "gdp" and mine[0]["min_growth"] == 10 and mine[0]["enabled"]
        assert mine[0]["webhook_signed_by_own_secret"] and "webhook_secret" not in mine[0]
        assert main(["watch", "list"]) == 0
        assert "s3cr3t" not in capsys.readouterr().out
    finally:
        main(["watch", "rm", name])
    assert main(["watch", "rm", name]) == 1
    assert "no watch named" in capsys.readouterr().err
    assert main(["search", "生物医药", "--limit", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"total", "hits"} and len(out["hits"]) <= 3
