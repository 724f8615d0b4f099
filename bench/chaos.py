"""Chaos table: faults against a private pipeline on the local stack, and what each one cost.

    python bench/chaos.py                  # the default rows, about 2-3 minutes, Kafka and ES untouched
    python bench/chaos.py --docs 100       # more documents per row
    python bench/chaos.py --outages        # also kill -9 Kafka and Elasticsearch (operator only: the
                                           # local stack is down for everybody using it meanwhile)

Every run has its own topics, consumer groups and indices (``chaos-<id>-*``), and its own loopback
webhook receiver; the four stages run as separate processes (`--worker`), so SIGKILL is real. One watch
matches every document, so each document sent should give one document in Elasticsearch, one alert
stored once and at least one webhook.

Columns: sent (documents that should be indexed), in ES (of those), DLQ (dead letters of the row: bad
messages), lost (sent, not in ES and not in the DLQ; and alerts not stored, webhooks never received),
dup (alerts stored twice for one (watch, document), plus dead letters repeated), hooks (alerts whose
webhook arrived / alerts), hook rep (webhook deliveries beyond the first: allowed, same alert id),
takeover s (SIGKILL rows: from the kill, the stage restarted at once, until its group commits again:
the dead member's session must expire first), done s (after the fault, or after sending for the other
rows, until the row is complete).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import zstandard

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policywatch.core.settings import get_settings  # noqa: E402
from schemas import RawDocument  # noqa: E402
from schemas.raw import encode_raw  # noqa: E402

STAGES = ("clean", "extract", "index", "alert")
KINDS = ("raw", "cleaned", "extracted", "indexed", "alerts", "dlq")
WATCH_QUERY = "工作总结"  # every synthetic page's title has it


def names(lane: str) -> dict[str, str]:
    out = {k: f"{lane}-{k}" for k in KINDS}
    out.update(docs=f"policy-docs-v9-{lane}", indicators=f"policy-indicators-v9-{lane}",
               fingerprints=f"{lane}-fingerprints", alerts_index=f"{lane}-alerts", watches=f"{lane}-watches")
    return out


# -- a stage process ---------------------------------------------------------------------------------
def worker(stage_name: str, lane: str) -> None:
    from policywatch.bootstrap import alert_config, build_stage, run_stage
    from processors.observability import configure_logging
    from processors.runner import RunnerConfig

    configure_logging()
    settings = get_settings()
    n = names(lane)
    topics = {k: n[k] for k in ("raw", "cleaned", "extracted", "indexed")}
    config_of_alert = alert_config(settings, docs_index=n["docs"], alerts_index=n["alerts_index"],
                                   watches_index=n["watches"], watch_ttl_s=0, webhook_workers=1)
    stage = build_stage(stage_name, settings, topics=topics, docs_index=n["docs"],
                        indicators_index=n["indicators"], fingerprint_index=n["fingerprints"],
                        config=config_of_alert, alerts_topic=n["alerts"])
    config = RunnerConfig(group_id=f"{lane}-{stage_name}", dlq_topic=n["dlq"], batch_size=10,
                          transient_backoff_max_s=5.0)
    run_stage(stage, settings, config=config)  # the runner opens and closes the stage


# -- the orchestrator ----------------------------------------------------------------------------------
class Receiver:
    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.delay_s = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(receiver.delay_s)
                receiver.ids[self.headers.get("X-Policywatch-Alert", "?")] += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/chaos"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Chaos:
    def __init__(self, docs: int) -> None:
        from policywatch.core.elasticsearch import make_es
        from policywatch.core.kafka import make_admin, make_producer

        self.settings = get_settings()
        self.lane = f"chaos-{uuid.uuid4().hex[:8]}"
        self.n = names(self.lane)
        self.docs = docs
        self.es = make_es(self.settings)
        self.admin = make_admin(self.settings)
        self.producer = make_producer(self.settings)
        self.receiver = Receiver()
        self.logs = Path(tempfile.mkdtemp(prefix=f"{self.lane}-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.next_doc = 0

    # setup / teardown
    def setup(self) -> None:
        from kafka.admin import NewTopic

        from policywatch.provision.elasticsearch import index_body
        from policywatch.search.watches import WatchStore, new_watch

        big = {"max.message.bytes": str(self.settings.kafka_message_max_bytes)}
        self.admin.create_topics([NewTopic(self.n[k], 3, 1, topic_configs=big) for k in KINDS])
        for key, alias in (("docs", "policy-docs"), ("indicators", "policy-indicators"),
                           ("alerts_index", "policy-alerts"), ("watches", "policy-watches")):
            self.es.indices.create(index=self.n[key], **index_body(alias, self.settings))
        WatchStore(self.es, self.n["watches"]).add(new_watch("chaos", query=WATCH_QUERY,
                                                             webhook=self.receiver.url, allow_private=True))

    def teardown(self) -> None:
        for name in list(self.procs):
            self.stop(name)
        self.es.indices.delete(index=",".join(self.n[k] for k in ("docs", "indicators", "fingerprints",
                                                                 "alerts_index", "watches")),
                               ignore_unavailable=True)
        self.admin.delete_topics([self.n[k] for k in KINDS])
        self.producer.close(10)

    # stage processes
    def start(self, stage: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICYWATCH_WEBHOOK_ALLOW_PRIVATE": "true"}
        log = (self.logs / f"{stage}.log").open("ab")
        cmd = [sys.executable, __file__, "--worker", stage, "--lane", self.lane]
        self.procs[stage] = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self, stage: str) -> None:
        proc = self.procs.pop(stage)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()

    def kill(self, stage: str) -> None:
        self.procs.pop(stage).send_signal(signal.SIGKILL)

    # data
    def good_docs(self) -> list[RawDocument]:
        docs = [distinct_page(self.next_doc + i) for i in range(self.docs)]
        self.next_doc += self.docs
        return docs

    def send(self, values: list[tuple[str, bytes]]) -> None:
        futures = [self.producer.send(self.n["raw"], key=k.encode(), value=v) for k, v in values]
        self.producer.flush(60)
        for f in futures:
            f.get(60)

    def committed(self, stage: str) -> int:
        group = f"{self.lane}-{stage}"
        offsets = self.admin.list_group_offsets({group: None}).get(group, {})
        return sum(max(o.offset, 0) for o in offsets.values())

    # measuring
    def in_es(self, ids: set[str]) -> set[str]:
        resp = self.es.mget(index=self.n["docs"], ids=sorted(ids), source=False)
        return {d["_id"] for d in resp["docs"] if d.get("found")}

    def alerts(self) -> list[dict]:
        self.es.indices.refresh(index=self.n["alerts_index"])
        resp = self.es.search(index=self.n["alerts_index"], size=10_000, query={"match_all": {}},
                              source=["alert_id", "watch", "doc_id", "delivery"])
        return [h["_source"] for h in resp["hits"]["hits"]]

    def dead_letters(self) -> Counter[str]:
        from kafka.structs import TopicPartition

        from policywatch.core.kafka import make_consumer

        consumer = make_consumer(self.settings, None, ())
        out: Counter[str] = Counter()
        try:
            parts = consumer.partitions_for_topic(self.n["dlq"]) or ()
            tps = [TopicPartition(self.n["dlq"], p) for p in parts]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            ends = consumer.end_offsets(tps)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp] for tp in tps):
                for records in consumer.poll(timeout_ms=500).values():
                    for r in records:
                        out[(r.key or b"").decode()] += 1
        finally:
            consumer.close()
        return out

    def wait_done(self, expect: set[str], bad: set[str], timeout_s: float) -> float:
        """Until every expected doc is in ES with its alert delivered and every bad one dead-lettered."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout_s:
            there = self.in_es(expect) if expect else set()
            alerts = {a["doc_id"]: a for a in self.alerts() if a["doc_id"] in expect}
            delivered = sum(a["delivery"] == "delivered" for a in alerts.values())
            dlq_ok = not bad or bad <= set(self.dead_letters())
            if there == expect and len(alerts) == len(expect) and delivered == len(expect) and dlq_ok:
                break
            time.sleep(1.0)
        return time.monotonic() - t0

    def row(self, fault: str, expect: set[str], bad: set[str], seconds: float) -> dict:
        there = self.in_es(expect) if expect else set()
        letters = self.dead_letters()
        row_letters = {k: c for k, c in letters.items() if k in bad or k in expect}
        alerts = [a for a in self.alerts() if a["doc_id"] in expect]
        per_pair = Counter((a["watch"], a["doc_id"]) for a in alerts)
        alert_ids = {a["alert_id"] for a in alerts}
        hooks = {i: c for i, c in self.receiver.ids.items() if i in alert_ids}
        lost = len(expect - there - set(row_letters)) + (len(expect) - len(per_pair)) + (len(alert_ids)
                                                                                         - len(hooks))
        dup = sum(c - 1 for c in per_pair.values()) + sum(c - 1 for c in row_letters.values())
        return {"fault": fault, "sent": len(expect), "in ES": len(there), "DLQ": len(row_letters),
                "lost": lost, "dup": dup, "hooks": f"{len(hooks)}/{len(alert_ids)}",
                "hook rep": sum(c - 1 for c in hooks.values()), "done s": round(seconds, 1)}


_POOL = ("开发区经济工业园项目投资建设企业产业科技创新服务管理政府部门年度计划目标任务完成情况增长百分比"
         "亿元万元生产总值税收收入进出口贸易招商引资签约合同资金土地规划交通能源环境保护安全生产民生就业"
         "教育医疗卫生文化旅游农业农村城市更新改造升级数字经济人工智能新材料生物医药装备制造现代物流")


def _distinct_text(n: int, chars: int = 600) -> str:
    """Text no other page shares (own simhash cluster: one alert per page), with the watch's words."""
    rng = random.Random(n * 7919 + 13)
    body = "".join(rng.choice(_POOL) for _ in range(chars))
    return f"第{n}号{WATCH_QUERY}。{body}。{WATCH_QUERY}完毕。"


def distinct_page(n: int, **kw) -> RawDocument:
    url = kw.pop("url", f"http://chaos.example/p{n}.html")
    html = (f"<html><head><meta charset=\"utf-8\"><title>第{n}号开发区{WATCH_QUERY}</title></head>"
            f"<body><h1>第{n}号开发区{WATCH_QUERY}</h1><p>{_distinct_text(n)}</p></body></html>")
    body = kw.pop("body", html.encode("utf-8"))
    return RawDocument(doc_id=RawDocument.id_for_url(url), url=url, canonical_url=url, source_id="chaos",
                       fetched_at=kw.pop("fetched_at", datetime.now(UTC)),
                       content_type="text/html; charset=utf-8", body=body, **kw)


def bad_messages() -> tuple[list[tuple[str, bytes]], set[str], set[str]]:
    """(values, keys expected in ES, keys expected in the DLQ)."""
    text = _distinct_text(900_001)
    page = f"<html><head><title>{WATCH_QUERY}</title></head><body><p>{text}</p></body></html>"

    def raw(name: str, body: bytes, **kw) -> RawDocument:
        url = kw.pop("url", f"http://chaos.example/{name}.html")
        fetched = kw.pop("fetched_at", datetime.now(UTC))
        return RawDocument(doc_id=RawDocument.id_for_url(url), url=url, canonical_url=url, source_id="chaos",
                           fetched_at=fetched, content_type="text/html; charset=utf-8", body=body, **kw)

    ok = [distinct_page(900_002, url="http://chaos.example/pre1970.html",
                        fetched_at=datetime(1960, 1, 1, tzinfo=UTC)),
          distinct_page(900_003, url="http://chaos.example/year9999.html",
                        fetched_at=datetime(9999, 12, 31, tzinfo=UTC)),
          distinct_page(900_004, url="http://chaos.example/mojibake-fixable.html",
                        body=distinct_page(900_004).body.decode("utf-8").encode("utf-8").decode("latin-1")
                        .encode("utf-8"))]
    cctx = zstandard.ZstdCompressor(level=19, write_content_size=False).compressobj()
    packed = b"".join(cctx.compress(b"\0" * (1 << 20)) for _ in range(512)) + cctx.flush()
    bomb_doc = raw("zstd-bomb", b"x")
    bomb_json = bomb_doc.model_dump_json()
    bomb = bomb_json.replace(json.loads(bomb_json)["body"], base64.b64encode(packed).decode()).encode()
    deep = "<html><body>" + "<div>" * 300 + text + "</div>" * 300 + "</body></html>"
    lost = page.replace("招商", "招商引资").encode().decode("cp1252", "replace")
    bad = [raw("mojibake-lost", lost.encode()),
           raw("too-deep", deep.encode()),
           raw("long-url", page.replace("工作总结", "工作总结三").encode(),
               url="http://chaos.example/" + "q" * 40_000)]
    values = [(d.doc_id, encode_raw(d)) for d in ok + bad]
    values += [(bomb_doc.doc_id, bomb), ("not-json", b"\xff\xfe not json"), ("empty", b"")]
    return values, {d.doc_id for d in ok}, {d.doc_id for d in bad} | {bomb_doc.doc_id, "not-json", "empty"}


def run(docs: int, outages: bool) -> list[dict]:
    chaos = Chaos(docs)
    chaos.setup()
    rows: list[dict] = []
    try:
        for stage in STAGES:
            chaos.start(stage)

        def plain(fault: str, before=None) -> None:
            good = chaos.good_docs()
            expect = {d.doc_id for d in good}
            chaos.send([(d.doc_id, encode_raw(d)) for d in good])
            t0 = time.monotonic()
            takeover = before(t0) if before else None
            seconds = chaos.wait_done(expect, set(), timeout_s=150)
            rows.append(chaos.row(fault, expect, set(), seconds))
            rows[-1]["takeover s"] = "-" if takeover is None else round(takeover, 1)
            print(_line(rows[-1]), flush=True)

        def sigkill(stage: str, slow_hooks: bool = False):
            def fault(_t0: float) -> float | None:
                """Kill mid-row, restart at once; seconds until the group commits progress again."""
                start = chaos.committed(stage)
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline and chaos.committed(stage) < start + max(docs // 4, 10):
                    time.sleep(0.2)
                chaos.kill(stage)
                killed_at, at_kill = time.monotonic(), chaos.committed(stage)
                chaos.receiver.delay_s = 0.0
                chaos.start(stage)
                while time.monotonic() - killed_at < 90:
                    if chaos.committed(stage) > at_kill:
                        return time.monotonic() - killed_at
                    time.sleep(0.2)
                return None

            if slow_hooks:
                chaos.receiver.delay_s = 0.2
            return fault

        plain("none (baseline)")
        for stage in STAGES:
            plain(f"SIGKILL {stage} mid-batch", sigkill(stage, slow_hooks=stage == "alert"))
        values, ok, bad = bad_messages()
        good = chaos.good_docs()
        expect = {d.doc_id for d in good} | ok
        chaos.send([(d.doc_id, encode_raw(d)) for d in good] + values)
        seconds = chaos.wait_done(expect, bad, timeout_s=150)
        rows.append(chaos.row("bad messages (pre-1970, 9999, mojibake x2, deep, 40 KB URL, bomb, junk)",
                              expect, bad, seconds))
        rows[-1]["takeover s"] = "-"
        print(_line(rows[-1]), flush=True)
        if outages:
            rows.extend(_outage_rows(chaos, plain))
    finally:
        chaos.teardown()
    return rows


def _outage_rows(chaos: Chaos, plain) -> list[dict]:  # pragma: no cover - operator only
    from policywatch import stack as local_stack
    from policywatch.stack import procs

    kafka_svc, es_svc = local_stack.services(chaos.settings)
    for svc, down_s in ((kafka_svc, 30), (es_svc, 60)):
        def fault(_t0: float, svc=svc, down_s=down_s) -> None:
            rec = procs.read_pid(svc.pid_file)
            if rec is None:
                raise SystemExit(f"{svc.name} was not started by `policywatch stack up`: cannot kill it")
            os.killpg(rec.pid, signal.SIGKILL)
            time.sleep(down_s)
            local_stack.up(chaos.settings)
            return None

        plain(f"kill -9 {svc.name} ({down_s} s down)", fault)
    return []


COLUMNS = ("fault", "sent", "in ES", "DLQ", "lost", "dup", "hooks", "hook rep", "takeover s", "done s")


def _line(row: dict) -> str:
    return " | ".join(str(row[c]) for c in COLUMNS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=30, help="documents per row (default 30)")
    parser.add_argument("--outages", action="store_true", help="also kill -9 Kafka and Elasticsearch")
    parser.add_argument("--worker", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--lane", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.lane)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still tear the private pipeline down
    started = time.monotonic()
    print(" | ".join(COLUMNS))
    print(" | ".join("---" for _ in COLUMNS))
    rows = run(args.docs, args.outages)
    bad = [r for r in rows if r["lost"] or r["dup"]]
    print(f"\n{len(rows)} rows in {time.monotonic() - started:.0f} s; "
          f"{'every row 0 lost, 0 dup' if not bad else f'{len(bad)} rows lost or duplicated'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
