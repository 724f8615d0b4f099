"""Cleaning quality on real pages: the project's clean path next to plain trafilatura.

Reads the golden corpus in ``tests/golden/pages`` (real pages as their sites served them, with expected
title, publication date, 文号/索引号 and the first and last sentence of the body) and scores, per field:

- ``title``: exact (whitespace-insensitive) match with the true headline;
- ``date``: same calendar day (Beijing time) as the publication date shown on the page, or no date
  where the page shows none;
- ``body``: both the first and the last sentence of the true body are in the text;
- ``leak``: navigation/footer boilerplate (网站地图, 版权所有, 主办单位, ICP备, ...) in the text outside
  the true body;
- ``decode``: replacement characters the page's own bytes do not contain;
- ``doc_no`` / ``index_no``: exact, on pages that show them;
- ``ms``: milliseconds per page, wall clock and CPU (median and total).

"project" is ``processors.clean.prepare`` on a RawDocument built from the bytes (the clean stage's
path). "trafilatura" is ``trafilatura.bare_extraction`` on the same bytes with its defaults
(``with_metadata=True`` so that it reports a title) and ``htmldate.find_date`` for the date.

    python bench/cleaning.py --split tune          # the pages we may tune on
    python bench/cleaning.py --split blind --json  # the held-out third (score once, at the end)
    python bench/cleaning.py --split tune --family xxgk --family hanweb --family other_gov  # government pages
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "golden" / "pages"
CST = timezone(timedelta(hours=8))
BOILERPLATE = (
    "网站地图", "版权所有", "主办单位", "承办单位", "ICP备", "ICP证", "网站标识码", "公网安备", "联系我们",
    "关于我们", "网站声明", "免责声明", "返回顶部", "打印本页", "关闭窗口", "【打印】", "上一篇", "下一篇",
    "相关新闻", "相关阅读", "相关链接", "分享到", "扫一扫", "设为首页", "加入收藏",
)
_SPACE = re.compile(r"[\s\u3000\xa0]+")
_END_PUNCT = "。！？!?；;"


@dataclass(frozen=True)
class Page:
    slug: str
    family: str
    split: str
    url: str | None
    encoding: str
    data: bytes
    expected: dict[str, Any]


@dataclass
class Output:
    title: str | None = None
    published: date | None = None
    text: str = ""
    doc_number: str | None = None
    index_number: str | None = None
    ms: float = 0.0
    cpu_ms: float = 0.0
    error: str | None = None


@dataclass
class Score:
    n: int = 0
    title: list[bool] = field(default_factory=list)
    date: list[bool] = field(default_factory=list)
    body: list[bool] = field(default_factory=list)
    leak: list[bool] = field(default_factory=list)
    decode: list[bool] = field(default_factory=list)
    doc_no: list[bool] = field(default_factory=list)
    index_no: list[bool] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    errors: int = 0
    misses: dict[str, list[str]] = field(default_factory=dict)


def load_pages(split: str = "all", root: Path = PAGES) -> list[Page]:
    pages: list[Page] = []
    for meta_path in sorted(root.glob("*/*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if split != "all" and meta["split"] != split:
            continue
        html_path = meta_path.with_suffix(".html")
        if html_path.exists():
            data = html_path.read_bytes()
        else:
            data = gzip.decompress(meta_path.with_suffix(".html.gz").read_bytes())
        pages.append(Page(meta_path.stem, meta["family"], meta["split"], meta.get("url"), meta["encoding"],
                          data, meta["expected"]))
    return pages


def page_url(page: Page) -> str:
    return page.url or f"https://golden.invalid/{page.family}/{page.slug}.html"


def norm(text: str | None) -> str:
    return _SPACE.sub("", text or "")


def _day(value: datetime | None) -> date | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CST)
    return value.astimezone(CST).date()


def run_project(page: Page) -> Output:
    from processors.clean import prepare
    from schemas import RawDocument

    raw = RawDocument(
        doc_id=RawDocument.id_for_url(page_url(page)), url=page_url(page), canonical_url=page_url(page),
        source_id="golden", fetched_at=datetime(2026, 12, 1, tzinfo=UTC), content_type="text/html",
        body=page.data,
    )
    doc = prepare(raw)
    return Output(title=doc.title, published=_day(doc.published_at), text=doc.text,
                  doc_number=doc.doc_number, index_number=doc.index_number)


def run_trafilatura(page: Page) -> Output:
    import htmldate
    import trafilatura

    doc = trafilatura.bare_extraction(page.data, url=page_url(page), with_metadata=True)
    found = htmldate.find_date(page.data, url=page_url(page))
    published = date.fromisoformat(found[:10]) if found else None
    if doc is None:
        return Output(published=published)
    return Output(title=doc.title, published=published, text=doc.text or "")


RUNNERS: dict[str, Callable[[Page], Output]] = {"project": run_project, "trafilatura": run_trafilatura}


def _contains(text: str, sentence: str) -> bool:
    return norm(sentence).rstrip(_END_PUNCT) in text


def _outside_body(text: str, first: str, last: str) -> str:
    """The text with the true body (first..last sentence) cut out, for the leakage check."""
    a = text.find(norm(first).rstrip(_END_PUNCT))
    b = text.rfind(norm(last).rstrip(_END_PUNCT))
    if a >= 0 and b >= a:
        return text[:a] + text[b + len(norm(last)):]
    return text


def _own_replacements(page: Page) -> int:
    encoding = "gb18030" if page.encoding == "gb2312" else page.encoding
    return page.data.decode(encoding, "replace").count("\ufffd")


def score(pages: list[Page], runner: Callable[[Page], Output]) -> Score:
    s = Score()
    for page in pages:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            out = runner(page)
        except Exception as exc:  # a crash scores as an empty output
            out = Output(error=f"{type(exc).__name__}: {exc}")
            s.errors += 1
        out.ms = (time.perf_counter() - t0) * 1000
        out.cpu_ms = (time.process_time() - c0) * 1000
        exp = page.expected
        text = norm(out.text)
        s.n += 1
        s.ms.append(out.ms)
        s.cpu_ms.append(out.cpu_ms)

        def record(name: str, ok: bool, slug: str = page.slug) -> None:
            getattr(s, name).append(ok)
            if not ok:
                s.misses.setdefault(name, []).append(slug)

        if exp["title"]:
            record("title", norm(out.title) == norm(exp["title"]))
        want = date.fromisoformat(exp["published_at"][:10]) if exp["published_at"] else None
        record("date", out.published == want)
        record("body", _contains(text, exp["first_sentence"]) and _contains(text, exp["last_sentence"]))
        rest = _outside_body(text, exp["first_sentence"], exp["last_sentence"])
        record("leak", not any(marker in rest for marker in BOILERPLATE))
        extra = (out.text.count("\ufffd") + (out.title or "").count("\ufffd")) > _own_replacements(page)
        record("decode", not extra)
        if exp.get("doc_number"):
            record("doc_no", norm(out.doc_number) == norm(exp["doc_number"]))
        if exp.get("index_number"):
            record("index_no", norm(out.index_number) == norm(exp["index_number"]))
    return s


def summary(s: Score) -> dict[str, Any]:
    def pct(values: list[bool], good: bool = True) -> float | None:
        if not values:
            return None
        return round(100 * sum(1 for v in values if v == good) / len(values), 1)

    return {
        "pages": s.n,
        "title_exact_pct": pct(s.title),
        "date_exact_pct": pct(s.date),
        "first_last_sentence_pct": pct(s.body),
        "leakage_pct": pct(s.leak, good=False),
        "decoding_errors": sum(1 for v in s.decode if not v),
        "doc_number_exact": f"{sum(s.doc_no)}/{len(s.doc_no)}",
        "index_number_exact": f"{sum(s.index_no)}/{len(s.index_no)}",
        "ms_per_page_median": round(statistics.median(s.ms), 1) if s.ms else None,
        "ms_total": round(sum(s.ms)),
        # CPU time: what the page costs, whatever else shares the machine (wall time does not say)
        "cpu_ms_per_page_median": round(statistics.median(s.cpu_ms), 1) if s.cpu_ms else None,
        "cpu_ms_total": round(sum(s.cpu_ms)),
        "crashes": s.errors,
        "misses": s.misses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("tune", "blind", "all"), default="tune")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", choices=tuple(RUNNERS), help="run one side only")
    parser.add_argument("--misses", action="store_true", help="list the pages each field misses")
    parser.add_argument("--family", action="append", default=[],
                        help="score only this family's pages (repeatable): --family xxgk --family hanweb")
    args = parser.parse_args(argv)
    pages = [p for p in load_pages(args.split) if not args.family or p.family in args.family]
    if not pages:
        print(f"no golden pages under {PAGES}", file=sys.stderr)
        return 1
    results = {name: summary(score(pages, run)) for name, run in RUNNERS.items()
               if args.only in (None, name)}
    if args.json:
        print(json.dumps({"split": args.split, "families": args.family or "all", "results": results},
                         ensure_ascii=False, indent=1))
        return 0
    cols = ("title_exact_pct", "date_exact_pct", "first_last_sentence_pct", "leakage_pct",
            "decoding_errors", "doc_number_exact", "index_number_exact", "ms_per_page_median",
            "cpu_ms_per_page_median")
    heads = ("title %", "date %", "first+last %", "leak %", "decode err", "文号", "索引号", "ms/page",
             "cpu ms/page")
    print(f"split={args.split}  families={','.join(args.family) or 'all'}  pages={len(pages)}")
    print(f"{'':12}" + "".join(f"{h:>13}" for h in heads))
    for name, res in results.items():
        print(f"{name:12}" + "".join(f"{str(res[c]):>13}" for c in cols))
    if args.misses:
        for name, res in results.items():
            for fld, slugs in res["misses"].items():
                print(f"{name} {fld}: {' '.join(slugs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
