"""Crawl entry points: in this process, or in a fresh subprocess (Scrapy's reactor runs once per process).

    report = crawl(settings, ["a", "b"], sink="jsonl:/tmp/out.jsonl", status="file:/tmp/status.json")
    report = crawl(settings, ["yantai_yeda"], isolated=True)   # Airflow: one source, isolated process

`python -m policywatch.crawl [SOURCE...] [--sources PATH] [--sink SPEC] [--status SPEC] [--no-polite]`
is the subprocess: it reads Settings once, builds the runtime and prints the report as one JSON object
keyed by source id.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from crawlers.report import CrawlReport, SourceReport
from crawlers.run import Progress, report_json, run_crawl, select
from crawlers.sources import DEFAULT_SOURCES_PATH, load_sources
from policywatch.bootstrap import build_crawl_runtime
from policywatch.core.errors import PolicywatchError
from policywatch.core.redact import redact
from policywatch.core.settings import Settings, get_settings


def crawl(
    settings: Settings,
    source_ids: list[str] | None = None,
    *,
    sources_path: Path | str | None = None,
    sink: str = "kafka",
    status: str = "es",
    polite: bool = True,
    isolated: bool = False,
    on_progress: Progress | None = None,
    log_level: str = "WARNING",
) -> CrawlReport:
    """Crawl the named sources (all enabled ones when None) and return the report.

    `isolated=True` runs the crawl in a fresh Python process (safe to call any number of times);
    otherwise it runs here, once per process.
    """
    sources_file = load_sources(sources_path)
    selected = select(sources_file, source_ids)
    if isolated:
        return _crawl_in_subprocess(
            [s.id for s in selected], sources_path=sources_path, sink=sink, status=status, polite=polite
        )
    runtime = build_crawl_runtime(settings, sink=sink, status=status)
    try:
        return run_crawl(
            selected,
            runtime=runtime,
            allow_loopback=sources_file.allow_loopback,
            polite=polite,
            on_progress=on_progress,
            log_level=log_level,
        )
    finally:
        runtime.sink.close()


def crawl_source(settings: Settings, source_id: str, *,
                 sources_path: Path | str | None = None) -> SourceReport:
    """Crawl one source into Kafka (policy.raw.v1) with the crawl-status index, in a fresh process;
    raises PolicywatchError when the crawl could not run."""
    report = crawl(settings, [source_id], sources_path=sources_path, isolated=True)
    return report.sources[source_id]


def _crawl_in_subprocess(
    source_ids: list[str], *, sources_path: Path | str | None, sink: str, status: str, polite: bool
) -> CrawlReport:
    cmd = [sys.executable, "-m", "policywatch.crawl", "--json", "--sink", sink, "--status", status]
    cmd += ["--sources", str(sources_path or DEFAULT_SOURCES_PATH)]
    if not polite:
        cmd.append("--no-polite")
    proc = subprocess.run(cmd + source_ids, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 3):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise PolicywatchError("crawl process failed: " + " | ".join(tail))
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise PolicywatchError("crawl process printed no report: " + proc.stderr.strip()[-500:])
    return CrawlReport(sources=json.loads(lines[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m policywatch.crawl", description=__doc__.splitlines()[0])
    parser.add_argument("source_ids", nargs="*", metavar="SOURCE")
    parser.add_argument("--sources", default=None, help="sources file (default: crawlers/sources.yaml)")
    parser.add_argument("--sink", default="kafka", help="kafka | kafka:TOPIC | jsonl:PATH | memory")
    parser.add_argument("--status", default="es", help="es | es:INDEX | file:PATH | memory")
    parser.add_argument(
        "--no-polite", action="store_true", help="no delays or AutoThrottle (local mirror only)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    args = parser.parse_args(argv)
    level = ["WARNING", "INFO", "DEBUG"][min(args.verbose, 2)]
    try:
        report = crawl(
            get_settings(),
            args.source_ids or None,
            sources_path=args.sources,
            sink=args.sink,
            status=args.status,
            polite=not args.no_polite,
            log_level=level,
        )
    except PolicywatchError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return 2
    print(report_json(report) if args.json else report.model_dump_json(indent=2))
    return 3 if any(r.status != "ok" for r in report.sources.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
