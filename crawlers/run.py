"""Running a crawl: in this process (one Twisted reactor per process) or in a fresh subprocess.

    report = crawl_source("yantai_yeda")                      # Airflow: one source, isolated process
    report = crawl(["a", "b"], sink="jsonl:/tmp/out.jsonl", status="file:/tmp/status.json")

`python -m crawlers.run [SOURCE...] [--sources PATH] [--sink SPEC] [--status SPEC] [--no-polite]`
prints the report as one JSON object keyed by source id.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crawlers.report import CrawlReport, SourceReport, SourceRun
from crawlers.sinks import JsonlSink, KafkaSink, MemorySink, Sink
from crawlers.sources import DEFAULT_SOURCES_PATH, Source, SourcesFile, load_sources
from crawlers.status import EsStatusStore, FileStatusStore, MemoryStatusStore, StatusStore
from policywatch.core.errors import PolicywatchError, ServiceUnavailable

logger = logging.getLogger(__name__)

Progress = Callable[[SourceRun], None]


@dataclass
class Runtime:
    """What every spider of one crawl shares: where documents go and where crawl status lives."""

    sink: Sink
    status_store: StatusStore


def make_sink(spec: str, settings=None) -> Sink:
    """`kafka` (policy.raw.v1), `kafka:TOPIC`, `jsonl:PATH` or `memory`."""
    kind, _, arg = spec.partition(":")
    if kind == "kafka":
        return KafkaSink.from_settings(settings, **({"topic": arg} if arg else {}))
    if kind == "jsonl" and arg:
        return JsonlSink(Path(arg))
    if kind == "memory":
        return MemorySink()
    raise PolicywatchError(f"unknown sink {spec!r}: use kafka, kafka:TOPIC, jsonl:PATH or memory")


def make_status_store(spec: str, settings=None) -> StatusStore:
    """`es` (the policy-crawl-status index), `es:INDEX`, `file:PATH` or `memory`."""
    kind, _, arg = spec.partition(":")
    if kind == "es":
        from policywatch.core.elasticsearch import make_es

        es = make_es(settings) if settings is not None else make_es()
        try:
            es.cluster.health(timeout="5s")  # not es.info(): GET / is absent from core-only builds
        except Exception as exc:  # the client raises several connection error types
            raise ServiceUnavailable(
                f"cannot reach Elasticsearch for the crawl-status index ({exc.__class__.__name__}); "
                "start it with `policywatch stack up` or pass --status file:PATH"
            ) from exc
        return EsStatusStore(es, **({"index": arg} if arg else {}))
    if kind == "file" and arg:
        return FileStatusStore(Path(arg))
    if kind == "memory":
        return MemoryStatusStore()
    raise PolicywatchError(f"unknown status store {spec!r}: use es, es:INDEX, file:PATH or memory")


def _offline_public_suffix_list() -> None:
    """Scrapy's cookie middleware uses tldextract, which downloads the public suffix list on first use.
    Use the snapshot bundled with tldextract instead: a crawl sends requests to its sources only."""
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


def run_crawl(
    sources: list[Source],
    *,
    runtime: Runtime,
    allow_loopback: bool = False,
    polite: bool = True,
    on_progress: Progress | None = None,
    log_level: str = "WARNING",
) -> CrawlReport:
    """Crawl `sources` concurrently in this process and return per-source reports.

    Starts the Twisted reactor, which cannot be restarted: call this at most once per process
    (use `crawl(..., isolated=True)` to run again).
    """
    from scrapy.crawler import CrawlerProcess

    from crawlers.settings import BASE_SETTINGS, settings_for
    from crawlers.spiders import spider_for

    _offline_public_suffix_list()
    process = CrawlerProcess({**BASE_SETTINGS, "LOG_LEVEL": log_level})
    runs: dict[str, SourceRun] = {}
    for source in sources:
        run = SourceRun(
            source=source,
            known=runtime.status_store.load(source.id),
            allow_loopback=allow_loopback,
            on_progress=on_progress,
        )
        runs[source.id] = run
        base = spider_for(source)
        spider_cls = type(
            f"{base.__name__}_{source.id}", (base,), {"custom_settings": settings_for(source, polite=polite)}
        )
        process.crawl(spider_cls, source=source, run=run, runtime=runtime)
    process.start()
    return CrawlReport(sources={sid: run.report() for sid, run in runs.items()})


def _select(sources_file: SourcesFile, source_ids: list[str] | None) -> list[Source]:
    selected = sources_file.select(source_ids)
    if not selected:
        raise PolicywatchError(
            "no enabled sources to crawl; name sources explicitly or enable some in sources.yaml"
        )
    return selected


def crawl(
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
    selected = _select(sources_file, source_ids)
    if isolated:
        return _crawl_in_subprocess(
            [s.id for s in selected], sources_path=sources_path, sink=sink, status=status, polite=polite
        )
    runtime = Runtime(sink=make_sink(sink), status_store=make_status_store(status))
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


def crawl_source(source_id: str, *, sources_path: Path | str | None = None) -> SourceReport:
    """Crawl one source into Kafka (policy.raw.v1) with the crawl-status index, in a fresh process.

    This is what the Airflow DAG calls per source; raises PolicywatchError when the crawl could not run.
    """
    report = crawl([source_id], sources_path=sources_path, isolated=True)
    return report.sources[source_id]


def _crawl_in_subprocess(
    source_ids: list[str], *, sources_path: Path | str | None, sink: str, status: str, polite: bool
) -> CrawlReport:
    cmd = [sys.executable, "-m", "crawlers.run", "--json", "--sink", sink, "--status", status]
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


def report_json(report: CrawlReport) -> str:
    return json.dumps(
        {sid: r.model_dump(mode="json") for sid, r in report.sources.items()}, ensure_ascii=False
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawlers.run", description=__doc__.splitlines()[0])
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
            args.source_ids or None,
            sources_path=args.sources,
            sink=args.sink,
            status=args.status,
            polite=not args.no_polite,
            log_level=level,
        )
    except PolicywatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report_json(report) if args.json else report.model_dump_json(indent=2))
    return 3 if any(r.status != "ok" for r in report.sources.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
