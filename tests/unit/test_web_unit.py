"""The web interface's pure parts and its request guards (login, CSRF), without services: the guards
answer before any Elasticsearch call, so the app runs here with no client."""

from __future__ import annotations

import base64
import io

import pytest
from starlette.testclient import TestClient

from policywatch.core.errors import PolicywatchError
from policywatch.search.documents import highlight_spans
from policywatch.search.indicators import Series
from policywatch.web import WebConfig, create_app
from policywatch.web.app import em_safe
from policywatch.web.export import COLUMNS, to_csv, to_xlsx
from policywatch.web.security import check_bind, csrf_ok, is_loopback


def test_binding_beyond_loopback_needs_a_login() -> None:
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert is_loopback(host)
        check_bind(host, None, None)
    with pytest.raises(PolicywatchError, match="POLICYWATCH_WEB_USER"):
        check_bind("0.0.0.0", None, None)
    with pytest.raises(PolicywatchError):
        check_bind("192.168.1.5", "analyst", None)
    check_bind("0.0.0.0", "analyst", "s3cret")


def test_cli_refuses_a_public_address_without_login(monkeypatch, capsys) -> None:
    from policywatch.cli import main
    from policywatch.core.settings import get_settings

    monkeypatch.delenv("POLICYWATCH_WEB_USER", raising=False)
    monkeypatch.delenv("POLICYWATCH_WEB_PASSWORD", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["web", "--host", "0.0.0.0"]) == 1
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "refusing to serve on 0.0.0.0" in err and "Traceback" not in err


def test_basic_auth_guards_every_route() -> None:
    client = TestClient(create_app(None, WebConfig(user="analyst", password="s3cret")))
    assert client.get("/static/app.css").status_code == 401
    assert client.get("/", auth=("analyst", "wrong")).status_code == 401
    token = base64.b64encode(b"analyst:s3cret").decode()
    assert client.get("/static/app.css", headers={"Authorization": f"Basic {token}"}).status_code == 200


def test_forms_without_the_csrf_token_are_refused() -> None:
    client = TestClient(create_app(None))
    assert client.post("/watches", data={"name": "x", "query": "y"}).status_code == 403
    client.cookies.set("pw_csrf", "abc")
    assert client.post("/watches", data={"name": "x", "csrf_token": "abd"}).status_code == 403
    assert client.post("/watches/x/remove", data={"csrf_token": "abc"},
                       headers={"Origin": "http://evil.example"}).status_code == 403
    assert csrf_ok("abc", "abc", "http://testserver", "testserver")
    assert not csrf_ok(None, None, None, None)


def test_snippets_are_escaped_except_their_em_tags() -> None:
    html = str(em_safe('<script>x</script> <em>生物医药</em> "a&b"'))
    assert "<script>" not in html and "&lt;script&gt;" in html and "<em>生物医药</em>" in html


def test_indicator_spans_cut_the_text() -> None:
    text = "地区生产总值100亿元，增长5%。"
    inds = [{"span": [0, 11]}, {"span": [12, 16]}, {"span": [5, 7]}]  # the last overlaps: skipped
    pieces = highlight_spans(text, inds)
    assert "".join(p for p, _ in pieces) == text
    assert [(p, n) for p, n in pieces if n is not None] == [("地区生产总值100亿元", 0), ("增长5%", 1)]


def _rows() -> list[dict]:
    return [
        {"zone": "A区", "year": 2023, "period": "全年", "metric": "gdp", "label": "地区生产总值",
         "value": 120.5, "unit": "亿元", "value_normalized": 1.205e10, "currency": "CNY", "scope": "actual",
         "doc_id": "d1"},
        {"zone": "A区", "year": 2022, "period": None, "metric": "gdp", "label": "地区生产总值", "value": 100,
         "unit": "亿元", "value_normalized": 1e10, "currency": "CNY", "scope": "actual", "doc_id": "d2"},
        {"zone": "A区", "year": 2024, "period": "全年", "metric": "gdp", "label": "目标", "value": 130,
         "unit": "亿元", "value_normalized": 1.3e10, "currency": "CNY", "scope": "target", "doc_id": "d3"},
    ]


def test_series_chart_orders_periods_and_leaves_targets_out() -> None:
    chart = Series("gdp", ["A区", "B区"], _rows()).chart()
    assert chart["labels"] == ["2022 全年", "2023 全年", "2024 全年"]
    assert chart["series"] == {"A区": [100.0, 120.5, None], "B区": [None, None, None]}


def test_csv_and_xlsx_exports_hold_the_rows() -> None:
    from openpyxl import load_workbook

    csv_text = to_csv(_rows()).decode("utf-8-sig").splitlines()
    assert csv_text[0] == ",".join(COLUMNS) and csv_text[1].startswith("A区,2023,全年,gdp,地区生产总值,120.5")
    ws = load_workbook(io.BytesIO(to_xlsx(_rows(), sheet="gdp")))["gdp"]
    values = list(ws.iter_rows(values_only=True))
    assert list(values[0]) == COLUMNS and values[1][:3] == ("A区", 2023, "全年") and len(values) == 4


def test_unreachable_elasticsearch_is_a_503_page_saying_so() -> None:
    from elasticsearch import Elasticsearch

    es = Elasticsearch("http://127.0.0.1:9", request_timeout=1, max_retries=0)  # nothing listens on 9
    client = TestClient(create_app(es), raise_server_exceptions=False)
    for path in ("/", "/watches", "/alerts", "/sources", "/search?q=x"):
        resp = client.get(path)
        assert resp.status_code in (400, 503), path
        assert "cannot reach Elasticsearch" in resp.text, path
