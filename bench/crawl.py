"""Crawler throughput against the local mirror, with a plain asyncio/httpx loop as the yardstick.

    .venv/bin/python bench/crawl.py                # 2000 articles, Kafka output (`policywatch stack up`)
    .venv/bin/python bench/crawl.py --sink memory        # no Kafka
    .venv/bin/python bench/crawl.py --articles 5000 --json

The mirror (tests/golden/mirror, site E: a TRS portal with N generated articles) is served on
127.0.0.1 by this process. The crawl runs in a fresh process (`python -m policywatch.crawl`, crawl
status in memory so every page is new) with the loopback settings `--no-polite` gives every source
(crawlers/settings.py `settings_for(polite=False)`: no DOWNLOAD_DELAY, no AutoThrottle, 32 requests at
a time; printed as `crawl_settings`); everything else is the production code path (spider, middlewares,
address checks, pipelines, sink). pages/s counts every HTTP response (robots.txt, list pages,
articles) over the crawl's own start-to-finish time, and CPU s/page is the crawl process's
user+system CPU (process start-up included) per page. The yardstick, also a process of its own (so it
does not share this process's interpreter with the mirror's threads), fetches the same URLs with httpx
and asyncio, 32 at a time (the crawl's concurrency), and does nothing else with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SOURCES = """version: 1
allow_loopback: true
sources:
  - id: bench_e
    name: bench TRS portal
    province: 山东省
    cms_family: trs
    start_urls: [http://127.0.0.1:{e_port}/zwgk/fdzdgknr/ghjh/index.html]
    allowed_domains: ["127.0.0.1:{e_port}"]
    listing: {kind: list, max_pages: 1000}
    fetch_attachments: false
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_crawler(sources: Path, sink: str) -> dict:
    cpu0, t0 = _children_cpu(), time.perf_counter()
    cmd = [sys.executable, "-m", "policywatch.crawl", "--json", "--no-polite", "--sources", str(sources)]
    proc = subprocess.run(
        cmd + ["--sink", sink, "--status", "memory"], capture_output=True, text=True, cwd=ROOT
    )
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"crawl failed: {proc.stderr[-2000:]}")
    report = json.loads(lines[-1])["bench_e"]
    crawl_s = (
        datetime.fromisoformat(report["finished_at"]) - datetime.fromisoformat(report["started_at"])
    ).total_seconds()
    pages = report["counts"]["pages"]
    return {
        "pages": pages,
        "emitted": report["counts"]["new"],
        "crawl_seconds": round(crawl_s, 2),
        "process_seconds": round(wall, 2),
        "pages_per_s": round(pages / crawl_s, 1),
        "cpu_s_per_page": round(cpu / pages, 5),
        "status": report["status"],
    }


async def _fetch_all(urls: list[str], concurrency: int) -> int:
    import httpx

    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    done = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done
        while not queue.empty():
            url = queue.get_nowait()
            response = await client.get(url)
            response.read()
            done += 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30, trust_env=False) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return done


def run_yardstick(urls: list[str], concurrency: int) -> dict:
    """The httpx loop in a fresh process (same interpreter flags as the crawl), timed there."""
    url_file = Path(f"/tmp/pw-bench-urls-{uuid.uuid4().hex[:6]}.txt")
    url_file.write_text("\n".join(urls), encoding="utf-8")
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--yardstick", str(url_file), "--concurrency", str(concurrency)],
            capture_output=True, text=True, cwd=ROOT,
        )
    finally:
        url_file.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise SystemExit(f"yardstick failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def yardstick_main(url_file: Path, concurrency: int) -> int:
    urls = url_file.read_text(encoding="utf-8").split()
    cpu0, t0 = time.process_time(), time.perf_counter()
    done = asyncio.run(_fetch_all(urls, concurrency))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({
        "pages": done,
        "seconds": round(wall, 2),
        "pages_per_s": round(done / wall, 1),
        "cpu_s_per_page": round(cpu / done, 5),
        "concurrency": concurrency,
    }))
    return 0


def crawl_settings(sources: Path) -> dict:
    """What the bench's crawl runs with: the per-source settings `--no-polite` gives its source."""
    from crawlers.settings import BASE_SETTINGS, settings_for
    from crawlers.sources import load_sources

    values = settings_for(load_sources(sources).sources[0], polite=False)
    keys = ("DOWNLOAD_DELAY", "AUTOTHROTTLE_ENABLED", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN")
    return {**{k: values[k] for k in keys},
            **{k: BASE_SETTINGS[k] for k in ("CONCURRENT_ITEMS", "ASYNCIO_EVENT_LOOP")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--sink", default="kafka", help="kafka (a fresh bench topic) | memory")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--yardstick", type=Path, help=argparse.SUPPRESS)  # the httpx process itself
    parser.add_argument("--concurrency", type=int, default=32, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.yardstick:
        return yardstick_main(args.yardstick, args.concurrency)

    from tests.golden.mirror.server import MirrorServer

    topic = None
    sink = "memory"
    if args.sink == "kafka":
        from kafka.admin import NewTopic

        from policywatch.core.kafka import make_admin
        from policywatch.core.settings import get_settings

        topic = f"pwbench-raw-{uuid.uuid4().hex[:8]}"
        admin = make_admin(get_settings())
        admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        admin.close()
        sink = f"kafka:{topic}"

    try:
        with MirrorServer(bench_articles=args.articles) as mirror:
            sources = Path(f"/tmp/pw-bench-sources-{uuid.uuid4().hex[:6]}.yaml")
            sources.write_text(mirror.render(SOURCES), encoding="utf-8")
            settings = crawl_settings(sources)
            crawl = run_crawler(sources, sink)
            urls = [mirror.base("e") + path for path in mirror.sites["e"].pages]
            yardstick = run_yardstick(urls, settings["CONCURRENT_REQUESTS"])
            sources.unlink(missing_ok=True)
    finally:
        if topic:
            admin = make_admin(get_settings())
            admin.delete_topics([topic])
            admin.close()
    result = {
        "articles": args.articles,
        "sink": args.sink,
        "crawl_settings": settings,
        "crawler": crawl,
        "httpx_asyncio": yardstick,
        "crawler_vs_httpx_pages_per_s": round(crawl["pages_per_s"] / yardstick["pages_per_s"], 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        c, y = crawl, yardstick
        print(
            f"crawler ({args.sink}): {c['pages']} pages in {c['crawl_seconds']} s = "
            f"{c['pages_per_s']} pages/s, {c['cpu_s_per_page'] * 1000:.2f} ms CPU/page "
            f"(process incl. start-up: {c['process_seconds']} s), "
            f"{c['emitted']} documents emitted"
        )
        print(
            f"httpx+asyncio yardstick: {y['pages']} pages in {y['seconds']} s = {y['pages_per_s']} pages/s, "
            f"{y['cpu_s_per_page'] * 1000:.2f} ms CPU/page, {y['concurrency']} at a time"
        )
        print(f"crawl settings: {settings}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
