"""`policywatch search QUERY`: ranked Chinese full-text search over policy-docs."""

from __future__ import annotations

import json
import re

import typer
from rich.console import Console
from rich.markup import escape

from policywatch.bootstrap import build_search_client
from policywatch.cli import app
from policywatch.core.settings import get_settings
from policywatch.search import SearchRequest, SearchResult, make_filters, search

console = Console(highlight=False)

_EM = re.compile(r"<em>(.*?)</em>")


def _rich_fragment(fragment: str) -> str:
    """<em>…</em> as bold yellow, everything else escaped."""
    out: list[str] = []
    pos = 0
    for m in _EM.finditer(fragment):
        out.append(escape(fragment[pos:m.start()]))
        out.append(f"[bold yellow]{escape(m.group(1))}[/]")
        pos = m.end()
    out.append(escape(fragment[pos:]))
    return "".join(out)


def _format_indicator(ind: dict) -> str:
    parts = [ind.get("label") or ind.get("metric", "")]
    if ind.get("redacted"):
        parts.append("(masked)")
    elif ind.get("value") is not None:
        parts.append(f"{ind['value']:g}{ind.get('unit') or ''}")
    if ind.get("growth_pct") is not None:
        parts.append(f"{ind['growth_pct']:+g}%")
    if ind.get("period"):
        parts.append(f"[{ind['period']}]")
    return " ".join(str(p) for p in parts if p)


def print_result(result: SearchResult, query: str) -> None:
    if not result.hits:
        console.print(f"no documents match {escape(query)!r} (with these filters)")
        return
    reports = ("" if result.clusters in (None, result.total)
               else f" ({result.clusters} reports, reposts collapsed)")
    console.print(f"{result.total} documents match{reports}; "
                  f"showing {len(result.hits)} ({result.took_ms} ms)")
    for note in result.notes:
        console.print(f"[dim]{escape(note)}[/]")
    console.print()
    for rank, hit in enumerate(result.hits, 1):
        facts = " · ".join(str(x) for x in (hit.zone, hit.year, hit.doc_type) if x)
        score = f"{hit.score:.2f}" if hit.score is not None else "-"
        title = escape(hit.title or "(untitled)")
        console.print(f"[bold]{rank}. {title}[/]  [dim]{escape(facts)}  score {score}[/]")
        console.print(f"   [link={hit.url}]{escape(hit.url or '')}[/link]  [dim]{hit.doc_id[:12]}[/]")
        for frag in hit.highlights:
            console.print(f"   … {_rich_fragment(frag)} …")
        if hit.date_note:
            console.print(f"   [dim]{escape(hit.date_note)}[/]")
        for ind in hit.indicators:
            console.print(f"   [cyan]▸ {escape(_format_indicator(ind))}[/]")
        if hit.copies:
            n = len(hit.copies)
            console.print(f"   [dim]{n} other cop{'y' if n == 1 else 'ies'}: "
                          f"{escape(', '.join(c.get('url') or c['doc_id'] for c in hit.copies[:3]))}"
                          f"{' …' if n > 3 else ''}[/]")
        console.print()


H_QUERY = "Words to find, space-separated, all required (e.g. '起步区 地区生产总值'); '*' for all."
H_ZONE = "Zone name or part of it (起步区, 商河经济开发区)."
H_REGION = "Province, city or county (山东, 济南市, 商河县)."
H_METRIC = "Only documents with this indicator (gdp, exports, …)."
H_DOC_TYPE = "工作总结, 工作计划, 情况汇报, 实施方案, 计划执行情况, 政策文件, 新闻, other."
H_SINCE = "Published on or after (YYYY-MM-DD, YYYY-MM or YYYY); undated documents by their year."
H_UNTIL = "Published on or before (YYYY-MM-DD, YYYY-MM or YYYY); undated documents by their year."
H_GROWTH = "Indicator growth at least this many percent."


@app.command("search")
def search_command(
    words: list[str] = typer.Argument(..., help=H_QUERY, metavar="QUERY..."),  # noqa: B008
    zone: str | None = typer.Option(None, "--zone", help=H_ZONE),
    region: str | None = typer.Option(None, "--region", help=H_REGION),
    metric: str | None = typer.Option(None, "--metric", help=H_METRIC),
    doc_type: str | None = typer.Option(None, "--doc-type", help=H_DOC_TYPE),
    since: str | None = typer.Option(None, "--since", help=H_SINCE),
    until: str | None = typer.Option(None, "--until", help=H_UNTIL),
    min_growth: float | None = typer.Option(None, "--min-growth", help=H_GROWTH),
    limit: int = typer.Option(10, "--limit", "-n", help="How many results (1-1000)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object with total and hits."),
) -> None:
    """Search the indexed reports: ranked hits with highlighted snippets, matching indicators and URLs."""
    query = " ".join(words)
    filters = make_filters(zone=zone, region=region, metric=metric, min_growth=min_growth, doc_type=doc_type,
                           since=since, until=until)
    request = SearchRequest(query=query, filters=filters, limit=limit)
    from policywatch.cli.preflight import require
    from policywatch.search.query import build_search_body

    require(get_settings(), "es")  # first: within seconds, before jieba loads its dictionary
    build_search_body(request)  # validates the limit before the search is sent
    result = search(build_search_client(get_settings()), request)
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "query": query, "filters": filters.to_dict()},
                              ensure_ascii=False))
    else:
        print_result(result, query)
