"""`policywatch extract FILE... [--json]`: extraction of local files, offline (no Kafka, no Elasticsearch)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from policywatch.cli import app
from policywatch.core.errors import PolicywatchError

# The cleaned record's keys printed by --json, ahead of the extraction's (README.md, "Extraction JSON").
RECORD_KEYS = ("url", "title", "published_at", "published_at_source", "written_at", "doc_number",
               "index_number", "issuer", "bylines", "gov_fields", "encoding", "content_type", "text")


def extraction_json(source: str | Path, extraction: Any, doc: Any = None) -> dict[str, Any]:
    """The stable --json object of one file: the cleaned record (as the clean stage makes it), then the
    extraction (documented in README.md, "Extraction JSON")."""
    record = doc.model_dump(mode="json", include=set(RECORD_KEYS)) if doc is not None else {}
    ordered = {key: record[key] for key in RECORD_KEYS if key in record}
    return {"source": str(source), **ordered, **extraction.model_dump(mode="json")}


def _fmt(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:g}"


def _print_human(console: Console, source: Path, ex: Any, doc: Any = None) -> None:
    region = " ".join(x for x in (ex.region.province, ex.region.city, ex.region.county) if x) or "-"
    console.rule(f"[bold]{source}")
    if doc is not None:
        published = doc.published_at.date().isoformat() if doc.published_at else "-"
        console.print(f"[bold]{doc.title or '-'}[/]   published {published} ({doc.published_at_source})"
                      + (f"   {doc.doc_number}" if doc.doc_number else ""))
    console.print(
        f"zone [bold]{ex.zone or '-'}[/]   region {region}   type {ex.doc_type}   "
        f"year {ex.year or '-'}   period {ex.period or '-'}"
    )
    if ex.reason:
        console.print(f"[yellow]{ex.reason}[/]")
    if ex.topics:
        console.print("topics: " + "、".join(ex.topics[:12]))
    kinds: dict[str, int] = {}
    for e in ex.entities:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    if kinds:
        console.print("entities: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    console.print(f"outline: {len(ex.outline)} headings")
    if not ex.indicators:
        console.print("no indicators")
        return
    table = Table(show_edge=False, pad_edge=False)
    for col in ("metric", "label", "value", "growth %", "period", "year", "scope", "flags"):
        table.add_column(
            col,
            justify="right" if col in ("value", "growth %", "year") else "left",
            no_wrap=col != "label",
            overflow="ellipsis",
        )
    for ind in ex.indicators:
        value = "***" if ind.redacted and ind.value is None and ind.unit else _fmt(ind.value)
        if ind.unit and value:
            value += " " + ind.unit
        flags = []
        if ind.approx:
            flags.append("≈")
        if ind.redacted:
            flags.append("masked")
        if ind.completion_pct is not None and ind.scope != "completion_rate":
            flags.append(f"完成{ind.completion_pct:g}%")
        if ind.growth_basis and ind.growth_basis != "yoy" and ind.growth_pct is not None:
            flags.append(ind.growth_basis)
        table.add_row(
            ind.metric,
            ind.label,
            value,
            _fmt(ind.growth_pct),
            ind.period or "",
            str(ind.year or ""),
            ind.scope,
            " ".join(flags),
        )
    console.print(table)


@app.command("extract")
def extract_cmd(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE...", help="txt, html, pdf, docx or doc files.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file, one per line (JSON Lines).")
    ] = False,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Read the (one) file as if fetched from this address: dates and site "
                                   "names in the URL count, as in the pipeline."),
    ] = None,
) -> None:
    """Extract zone, region, document type, year, period, outline, entities and indicators from files.

    Works offline: no Kafka or Elasticsearch needed. Without --json prints a summary and a table of
    indicators per file; with --json prints the stable JSON interface described in the README.
    """
    # lazy: keeps `policywatch --help` fast
    from policywatch.core.errors import ProcessingError
    from processors.extract import extract_text
    from processors.extract.extract import clean_file
    from schemas import Extraction

    if url is not None and len(files) != 1:
        raise PolicywatchError(f"--url names the address of one file; {len(files)} files were given.")

    for path in files:
        if not path.exists():
            raise PolicywatchError(
                f"{path}: no such file. Give the path of a .txt, .html, .pdf or .docx file."
            )
        if path.is_dir():
            raise PolicywatchError(f"{path} is a directory. Give files, e.g. {path}/*.txt")
    console = Console(highlight=False)
    for path in files:
        doc = None
        try:
            doc = clean_file(path, url=url)  # the clean stage's own path: same text, same metadata
            ex = extract_text(doc.text, title=doc.title)
        except OSError as exc:
            raise PolicywatchError(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc
        except ProcessingError as exc:
            ex = Extraction(reason=f"could not read {path.name}: {exc}")
        if as_json:
            typer.echo(json.dumps(extraction_json(path, ex, doc), ensure_ascii=False))
        else:
            _print_human(console, path, ex, doc)
