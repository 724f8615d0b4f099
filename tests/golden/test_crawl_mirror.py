"""The crawler against the loopback mirror, with a JSON-lines sink and a file status store.

Each crawl runs in a fresh process (one Twisted reactor per process). The same scenarios run
against the real Kafka and Elasticsearch in test_crawl_kafka.py.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import zstandard

from tests.golden.mirror.harness import load_expected, path_of, read_jsonl, run_crawl_process
from tests.golden.mirror.server import MirrorServer

EXPECTED = load_expected()


@pytest.fixture(scope="module")
def mirror():
    with MirrorServer() as server:
        yield server


@pytest.fixture(scope="module")
def first_run(mirror, tmp_path_factory):
    """First crawl of every mirror source; later tests reuse its outputs and state."""
    tmp = tmp_path_factory.mktemp("crawl")
    sources = mirror.write_sources(tmp / "sources.yaml")
    out, status = tmp / "out.jsonl", tmp / "status.json"
    mirror.clear_log()
    report = run_crawl_process(sources, sink=f"jsonl:{out}", status=f"file:{status}")
    return {
        "tmp": tmp,
        "sources": sources,
        "out": out,
        "status": status,
        "report": report,
        "docs": read_jsonl(out),
        "log": {k: mirror.requests(k) for k in "abcd"},
    }


def _body(doc: dict) -> bytes:
    return zstandard.ZstdDecompressor().decompress(base64.b64decode(doc["body"]), max_output_size=1 << 26)


def _by_source(docs: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for doc in docs:
        out.setdefault(doc["source_id"], []).append(doc)
    return out


def test_first_run_emits_every_report_once_and_nothing_else(first_run):
    docs = first_run["docs"]
    ids = Counter(d["doc_id"] for d in docs)
    assert [i for i, n in ids.items() if n > 1] == [], "duplicates emitted"
    by_source = _by_source(docs)
    for source_id, expected in EXPECTED.items():
        got = sorted(path_of(d["url"]) for d in by_source.get(source_id, []))
        assert got == sorted(expected["reports"]), f"{source_id}: emitted documents differ from expected"


def test_first_run_counts_match_expected(first_run):
    report = first_run["report"]
    for source_id, expected in EXPECTED.items():
        got = report[source_id]
        assert got["status"] == expected["status"], (source_id, got["message"])
        counts = got["counts"]
        assert counts["listed"] == expected["listed"], source_id
        assert counts["new"] == len(expected["reports"]), source_id
        for key in ("filtered", "refused", "failed"):
            if key in expected:
                assert counts[key] == expected[key], (source_id, key, counts)
        if "blocked_pages" in expected:
            assert counts["blocked"] == expected["blocked_pages"], source_id


def test_attachments_are_passed_on_with_their_page(first_run):
    docs = {(d["source_id"], path_of(d["url"])): d for d in first_run["docs"]}
    for path, files in EXPECTED["mirror_a"]["attachments"].items():
        doc = docs[("mirror_a", path)]
        assert sorted(path_of(a["url"]) for a in doc["attachments"]) == sorted(files)
        assert all(a["body"] for a in doc["attachments"])
    for path, names in EXPECTED["mirror_b"]["attachments"].items():
        doc = docs[("mirror_b", path)]
        assert [a["name"] for a in doc["attachments"]] == names, "file names from GBK / RFC 5987 headers"
    wps = docs[("mirror_b", "/art/2023/12/29/art_1201_50005.html")]["attachments"][0]
    assert wps["kind"] == "wps"
    for path, reason in EXPECTED["mirror_b"]["skipped_attachments"].items():
        doc = docs[("mirror_b", path)]
        assert doc["attachments"] == []
        assert reason in doc["hints"]["attachments_skipped"]


def test_robots_and_offsite_links_are_never_requested(first_run):
    requested_a = [p for _, p in first_run["log"]["a"]]
    for prefix in EXPECTED["mirror_a"]["never_requested"]:
        assert not any(p.startswith(prefix) for p in requested_a), prefix
    refusals = first_run["report"]["mirror_a"]["refusals"]
    assert sorted(refusals.values()) == ["offsite", "robots"]
    assert first_run["report"]["mirror_c_cookie"]["refusals"] and all(
        r == "offsite" for r in first_run["report"]["mirror_c_cookie"]["refusals"].values()
    )


def test_blocked_site_is_reported_and_configured_cookie_gets_through(first_run):
    blocked = first_run["report"]["mirror_c"]
    assert blocked["status"] == "blocked" and blocked["block_type"] == "ruishu_412"
    assert blocked["counts"]["new"] == 0
    with_cookie = first_run["report"]["mirror_c_cookie"]
    assert with_cookie["counts"]["new"] == 1
    # got through, but one article was a challenge page and one answered 500: degraded, not ok
    assert with_cookie["status"] == "degraded", with_cookie["message"]
    assert with_cookie["block_type"] == EXPECTED["mirror_c_cookie"]["block_type"]
    assert "1 article(s) failed" in with_cookie["message"] and "first error" in with_cookie["message"]
    # the other sources were not disturbed
    assert first_run["report"]["mirror_a"]["status"] == "ok"


def test_encodings_dates_and_numbers_in_hints(first_run):
    docs = {(d["source_id"], path_of(d["url"])): d for d in first_run["docs"]}
    for (source_id, _), doc in docs.items():
        if source_id != "mirror_b":
            continue
        hints = doc["hints"]
        text = _body(doc).decode(hints["encoding"])
        assert "王喆" in text and "李堃" in text, (doc["url"], hints["encoding"])
        assert hints["published_at_source"] == "meta"
    a = {path: d["hints"] for (s, path), d in docs.items() if s == "mirror_a"}
    base = "/zwgk/fdzdgknr/ghjh/"
    assert a[base + "202312/t20231212_1000007.html"]["published_at_source"] == "url"
    assert a[base + "202312/t20231208_1000009.html"]["published_at"].startswith("2023-12-08T10:30")
    assert a[base + "202312/t20231208_1000009.html"]["published_at_source"] == "meta"
    assert a[base + "202311/t20231130_1000010.html"]["doc_no_normalized"] == "济高管发〔2024〕1号"
    assert a[base + "202311/t20231125_1000011.html"]["doc_no_normalized"] == "济高管字〔2024〕3号"
    assert a[base + "202312/t20231228_1000001.html"]["index_no"] == "11370126MB2851234X/2024-00012"
    assert a[base + "202312/t20231228_1000001.html"]["issuer"] == "XX经济开发区管委会"
    assert a[base + "202312/t20231228_1000001.html"]["written_date"] == "2023-12-25"
    assert a[base + "202311/t20231120_1000012.html"]["body_is_stub"] == "true"
    assert a[base + "202103/t20210301_1000000.html"]["list_date_raw"] == "2021-03-01"
    d = {path: doc["hints"] for (s, path), doc in docs.items() if s == "mirror_d"}
    assert d["/html/2024/0108/12345.html"]["is_repost"] == "true"
    assert d["/html/2024/0108/12345.html"]["breadcrumb_selector"] == ".position"


def test_second_run_emits_nothing_then_a_changed_page_is_reemitted(mirror, first_run):
    """Site D's articles show a view counter and a token that differ on every request, and claim
    Last-Modified: now; site A's first list page is wholly known on the second run."""
    out2 = first_run["tmp"] / "out2.jsonl"
    mirror.clear_log()
    report = run_crawl_process(
        first_run["sources"], sink=f"jsonl:{out2}", status=f"file:{first_run['status']}"
    )
    assert read_jsonl(out2) == []
    for source_id, expected in EXPECTED.items():
        counts = report[source_id]["counts"]
        assert counts["new"] == counts["changed"] == 0, source_id
        if expected["reports"]:
            assert counts["unchanged"] >= 1, (source_id, counts)
    d_articles = [p for _, p in mirror.requests("d") if p.startswith("/html/")]
    assert d_articles, "site D's articles were fetched again (their bytes differ) and found unchanged"
    assert report["mirror_d"]["counts"]["unchanged"] == len(d_articles)
    requested_a = [p for _, p in mirror.requests("a")]
    assert "/zwgk/fdzdgknr/ghjh/index.html" in requested_a
    assert not any(p.endswith("index_2.html") for p in requested_a), "paged past a wholly known list page"

    mirror.set_changed(True)
    try:
        out3 = first_run["tmp"] / "out3.jsonl"
        report = run_crawl_process(
            first_run["sources"], sink=f"jsonl:{out3}", status=f"file:{first_run['status']}"
        )
    finally:
        mirror.set_changed(False)
    docs = read_jsonl(out3)
    assert sorted(path_of(d["url"]) for d in docs) == EXPECTED["mirror_a"]["changed_on_switch"]
    assert report["mirror_a"]["counts"]["changed"] == 1
    assert "2024年1月修订" in _body(docs[0]).decode("utf-8")


def test_only_loopback_traffic(first_run):
    for doc in first_run["docs"]:
        assert doc["url"].startswith("http://127.0.0.1:")
        for attachment in doc["attachments"]:
            assert attachment["url"].startswith("http://127.0.0.1:")


def test_status_file_written_after_emit(first_run):
    import json

    data = json.loads(Path(first_run["status"]).read_text(encoding="utf-8"))
    emitted = {d["doc_id"] for d in first_run["docs"]}
    assert emitted <= set(data["pages"])
    assert {run["source_id"] for run in data["runs"]} >= set(EXPECTED)


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "table"])
def test_policywatch_crawl_command_reports_per_source_counts(mirror, tmp_path, as_json):
    """The user-facing `policywatch crawl`, in both output modes, against the mirror."""
    sources = mirror.write_sources(tmp_path / "sources.yaml")
    policywatch = str(Path(sys.executable).with_name("policywatch"))
    cmd = [policywatch, "crawl", "--sources", str(sources), "--no-polite",
           "--sink", f"jsonl:{tmp_path / 'out.jsonl'}", "--status", f"file:{tmp_path / 'status.jsonl'}"]
    proc = subprocess.run(cmd + (["--json"] if as_json else []), capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 3  # the mirror has a blocked site and a failing page
    expected_new = sum(1 for _ in read_jsonl(tmp_path / "out.jsonl"))
    assert expected_new > 0
    if as_json:
        report = json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])
        assert report["mirror_c"]["status"] == "blocked"
        assert sum(r["counts"]["new"] for r in report.values()) == expected_new
    else:
        assert "mirror_c" in proc.stdout and "blocked" in proc.stdout
        assert f"{expected_new} new" in proc.stdout


def test_report_lists_every_filtered_item_with_its_reason(first_run):
    report = first_run["report"]["mirror_a"]
    assert len(report["filtered"]) == report["counts"]["filtered"] == EXPECTED["mirror_a"]["filtered"]
    reasons = {f["title"]: f["reason"] for f in report["filtered"]}
    assert reasons["关于王某某等同志人事任免的通知"] == "excluded by '人事任免|招聘'"
    assert all(f["url"].startswith("http://127.0.0.1:") for f in report["filtered"])


def _variant(mirror, tmp_path, source_id: str, **listing) -> Path:
    """The mirror's sources file with one source only, its listing changed."""
    import yaml

    sources = mirror.write_sources(tmp_path / "all.yaml")
    data = yaml.safe_load(sources.read_text(encoding="utf-8"))
    entry = next(s for s in data["sources"] if s["id"] == source_id)
    entry["listing"] = {**entry.get("listing", {}), **listing}
    data["sources"] = [entry]
    out = tmp_path / "variant.yaml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


def test_known_articles_are_not_fetched_again_until_a_recrawl_is_due(mirror, tmp_path):
    sources = _variant(mirror, tmp_path, "mirror_d", recrawl_days=7)
    status = f"file:{tmp_path / 'status.json'}"
    first = run_crawl_process(sources, sink=f"jsonl:{tmp_path / 'a.jsonl'}", status=status)["mirror_d"]
    assert first["counts"]["new"] == len(EXPECTED["mirror_d"]["reports"])
    mirror.clear_log()
    second = run_crawl_process(sources, sink=f"jsonl:{tmp_path / 'b.jsonl'}", status=status)["mirror_d"]
    assert read_jsonl(tmp_path / "b.jsonl") == []
    # page 1's two reports are known and not fetched; page 1 being wholly known, page 2 is not read
    assert second["counts"]["skipped"] == 2 and second["status"] == "ok"
    requested = [p for _, p in mirror.requests("d")]
    assert not [p for p in requested if p.startswith("/html/")], "known articles fetched"
    assert "/zhengce/list_2.html" not in requested


def test_a_hanweb_column_whose_proxy_answers_404_is_not_ok(mirror, tmp_path):
    hanweb = {"columnid": "1201", "unitid": "4901", "webid": "1", "perpage": 5,
              "proxy_path": "/module/web/jpage/gone.jsp"}
    sources = _variant(mirror, tmp_path, "mirror_b", hanweb=hanweb)
    report = run_crawl_process(sources, sink="memory", status="memory")["mirror_b"]
    assert report["status"] == "failed" and report["counts"]["listed"] == 0
    assert "gone.jsp" in report["first_error"] and "http_404" in report["first_error"]
