"""`policywatch search` and `policywatch watch add|list|rm` through the CLI entry point."""

from __future__ import annotations

from policywatch.cli import main


def test_bad_filters_fail_before_any_connection(capsys) -> None:
    assert main(["search", "生物医药", "--metric", "gdpp"]) == 1
    assert "Did you mean gdp" in capsys.readouterr().err
    assert main(["search", "生物医药", "--since", "2023-13-01"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert main(["search", "x", "--limit", "0"]) == 1
    assert main(["watch", "add", "a b", "--query", "x"]) == 1
    assert main(["watch", "add", "ok", "--query", "x", "--webhook", "ftp://h"]) == 1
    capsys.readouterr()
    # the local Elasticsearch as a webhook target: refused before anything is stored, one line, no secret
    assert main(["watch", "add", "ok", "--query", "x", "--webhook", "http://u:pw@127.0.0.1:9200/_bulk"]) == 1
    err = capsys.readouterr().err
    assert "refused: 127.0.0.1 is a loopback address" in err and "pw" not in err
    assert "POLICYWATCH_WEBHOOK_ALLOW_PRIVATE" in err and "Traceback" not in err


