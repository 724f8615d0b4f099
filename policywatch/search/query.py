"""Pure query building for policy-docs: filters, their validation, and the Elasticsearch request body.

Nothing here talks to a service, so the CLI, the watches and the alert stage share one definition of
"what a query means" and it is tested without Elasticsearch.

A query is whitespace-separated terms, each required. A term matches a document when it occurs as a
phrase in `text` (the `standard` analyzer makes one token per Chinese character, so `match_phrase` is
an exact substring test) or when all its jieba words occur in `text_seg`. Ranking comes from the
word-level `text_seg` match, the title, and indicators whose label carries a term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, get_args

from policywatch.core.errors import PolicywatchError
from policywatch.core.normalize import normalize_query
from policywatch.core.textseg import segment
from schemas.extracted import DocType, Metric

METRICS: tuple[str, ...] = get_args(Metric)
DOC_TYPES: tuple[str, ...] = get_args(DocType)

# Field names in the policy-docs mapping (templates owned by `policywatch init`).
F_TEXT = "text"  # standard analyzer: one token per Chinese character
F_TEXT_SEG = "text_seg"  # jieba words joined by spaces, whitespace analyzer
F_TITLE = "title"
F_TITLE_SEG = "title_seg"
F_TEXT_SIMPLIFIED = "text_simplified"  # simplified copy of a traditional text (standard analyzer)
F_ZONE = "zone"
F_ZONES = "zones"
F_REGION = ("region.province", "region.city", "region.county")
F_DOC_TYPE = "doc_type"
F_PUBLISHED = "published_at"
F_INDEXED = "indexed_at"
F_YEAR = "year"
F_CLUSTER = "cluster_id"
F_IND = "indicators"

SOURCE_FIELDS = ["doc_id", "title", "url", "zone", "zones", "region", "doc_type", "year", "period",
                 "published_at", "source_id", "cluster_id", "duplicate_of"]
COPY_FIELDS = ["doc_id", "title", "url", "source_id", "published_at", "duplicate_of", "cluster_id"]
MAX_COPIES = 20  # copies of a report listed under its search hit
FACETS: dict[str, str] = {"zone": F_ZONE, "province": "region.province", "city": "region.city",
                          "year": F_YEAR, "doc_type": F_DOC_TYPE}

# Query words that name a metric: an indicator of that metric then counts as matching the query.
# The registry (processors/extract/vocab/metrics.yaml, `query_words`) defines them; this layer cannot read
# the extraction package, so tests/unit/test_metric_registry.py checks the two are equal.
METRIC_WORDS: dict[str, str] = {
    "地区生产总值": "gdp", "生产总值": "gdp", "gdp": "gdp",
    "一般公共预算收入": "general_budget_revenue", "财政收入": "fiscal_revenue", "税收": "tax_revenue",
    "工业总产值": "industrial_output", "规上工业总产值": "above_scale_industrial_output",
    "工业增加值": "industrial_added_value", "固定资产投资": "fixed_asset_investment",
    "工业投资": "industrial_investment", "进出口": "foreign_trade_total", "外贸": "foreign_trade_total",
    "出口": "exports", "进口": "imports", "实际使用外资": "fdi_actual_use", "实际利用外资": "fdi_actual_use",
    "合同外资": "contract_investment", "营业收入": "operating_revenue", "社会消费品零售总额": "retail_sales",
    "签约项目": "signed_projects_count", "高新技术企业": "high_tech_enterprises_count",
    "第一产业增加值": "primary_industry_added_value", "第二产业增加值": "secondary_industry_added_value",
    "第三产业增加值": "tertiary_industry_added_value", "一般公共预算支出": "fiscal_expenditure",
    "财政支出": "fiscal_expenditure", "用电量": "electricity_consumption",
    "规上企业": "above_scale_enterprises_count", "规模以上工业企业": "above_scale_enterprises_count",
    "利润": "profit", "利润总额": "profit", "孵化器": "institutions_count", "研发机构": "institutions_count",
    "新增企业": "new_enterprises_count", "新设企业": "new_enterprises_count",
}

_DATE_FORMATS = (("%Y-%m-%d", "day"), ("%Y/%m/%d", "day"), ("%Y%m%d", "day"), ("%Y-%m", "month"),
                 ("%Y/%m", "month"), ("%Y", "year"))


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions on top of the query text; every field is optional."""

    zone: str | None = None
    region: str | None = None
    metric: str | None = None
    min_growth: float | None = None
    doc_type: str | None = None
    since: date | None = None
    until: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v)
                for k in self.__slots__ if (v := getattr(self, k)) is not None}


@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: str
    filters: Filters = field(default_factory=Filters)
    limit: int = 10
    offset: int = 0  # paging: hits (clusters) to skip
    collapse: bool = True  # one hit per cluster (a report and its reposts)
    facets: bool = False  # counts per zone, region, year and doc type


def parse_date(value: str, *, end: bool = False, option: str = "--since") -> date:
    """`2023-05-01`, `2023/05/01`, `20230501`, `2023-05` or `2023`; a month or year means its first day,
    or its last day when `end` (for --until)."""
    text = value.strip()
    for fmt, precision in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not end or precision == "day":
            return parsed
        if precision == "month":
            nxt = date(parsed.year + (parsed.month == 12), parsed.month % 12 + 1, 1)
            return date.fromordinal(nxt.toordinal() - 1)
        return date(parsed.year, 12, 31)
    raise PolicywatchError(
        f"{option} {value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY (for example 2023-10-01)"
    )


def validate_metric(value: str) -> str:
    metric = value.strip().lower()
    if metric in METRICS:
        return metric
    if metric in METRIC_WORDS:  # a Chinese label or GDP
        return METRIC_WORDS[metric]
    close = [m for m in METRICS if metric and (metric in m or m in metric)]
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise PolicywatchError(f"unknown metric {value!r}.{hint} Known metrics: {', '.join(METRICS)}")


def validate_doc_type(value: str) -> str:
    doc_type = value.strip()
    if doc_type in DOC_TYPES:
        return doc_type
    raise PolicywatchError(f"unknown document type {value!r}; use one of: {', '.join(DOC_TYPES)}")


def make_filters(
    *,
    zone: str | None = None,
    region: str | None = None,
    metric: str | None = None,
    min_growth: float | None = None,
    doc_type: str | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
) -> Filters:
    """Validated Filters from user input (CLI options or a stored watch); raises PolicywatchError."""
    since_d = parse_date(since, option="--since") if isinstance(since, str) else since
    until_d = parse_date(until, end=True, option="--until") if isinstance(until, str) else until
    if since_d and until_d and since_d > until_d:
        raise PolicywatchError(f"--since {since_d} is after --until {until_d}: nothing can match")
    if zone is not None and not zone.strip():
        raise PolicywatchError("--zone is empty")
    if region is not None and not region.strip():
        raise PolicywatchError("--region is empty")
    if min_growth is not None and not -100.0 <= min_growth <= 100_000.0:
        raise PolicywatchError(f"--min-growth {min_growth} is not a plausible growth rate in percent")
    return Filters(
        zone=zone.strip() if zone else None,
        region=region.strip() if region else None,
        metric=validate_metric(metric) if metric else None,
        min_growth=min_growth,
        doc_type=validate_doc_type(doc_type) if doc_type else None,
        since=since_d,
        until=until_d,
    )


def query_terms(query: str) -> list[str]:
    """Whitespace-separated terms, each required; `*` or blank means every document. Terms are normalised
    as documents are (simplified script, no pinyin noise), so 生物醫藥 and 生物医药 are the same term."""
    terms = [t for t in re.split(r"[\s\u3000,，;；]+", normalize_query(query).strip()) if t and t != "*"]
    return list(dict.fromkeys(terms))


def escape_wildcard(value: str) -> str:
    """`value` as literal text inside an Elasticsearch wildcard pattern: `*`, `?` and `\\` escaped."""
    return re.sub(r"([*?\\])", r"\\\1", value)


def _contains(fields: tuple[str, ...] | list[str], value: str) -> dict[str, Any]:
    """Keyword fields equal to `value` or containing it as literal text (起步区 finds 济南新旧动能转换起步区;
    `?` or `*` in a value are characters, not wildcards)."""
    pattern = f"*{escape_wildcard(value)}*"
    clauses: list[dict[str, Any]] = []
    for f in fields:
        clauses.append({"term": {f: value}})
        clauses.append({"wildcard": {f: {"value": pattern, "case_insensitive": True}}})
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def _term_clause(term: str) -> dict[str, Any]:
    """One required term: an exact phrase in the text or title, or all its words in text_seg."""
    should: list[dict[str, Any]] = [
        {"match_phrase": {F_TEXT: {"query": term}}},
        {"match_phrase": {F_TEXT_SIMPLIFIED: {"query": term}}},
        {"match_phrase": {F_TITLE: {"query": term, "boost": 2.0}}},
    ]
    words = segment(term)
    if words:
        joined = " ".join(words)
        should.append({"match": {F_TEXT_SEG: {"query": joined, "operator": "and", "boost": 2.0}}})
        should.append({"match": {F_TITLE_SEG: {"query": joined, "operator": "and", "boost": 3.0}}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def indicator_query(filters: Filters, terms: list[str] | None = None) -> dict[str, Any] | None:
    """The nested condition on indicators, or None when the filters put none."""
    must: list[dict[str, Any]] = []
    if filters.metric:
        must.append({"term": {f"{F_IND}.metric": filters.metric}})
    if filters.min_growth is not None:
        must.append({"range": {f"{F_IND}.growth_pct": {"gte": filters.min_growth}}})
    if not must:
        return None
    return {"bool": {"filter": must}}


def filter_clauses(filters: Filters) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if filters.zone:
        out.append(_contains((F_ZONE, F_ZONES), filters.zone))
    if filters.region:
        out.append(_contains(F_REGION, filters.region))
    if filters.doc_type:
        out.append({"term": {F_DOC_TYPE: filters.doc_type}})
    if filters.since or filters.until:
        out.append(date_clause(filters))
    return out


def date_clause(filters: Filters) -> dict[str, Any]:
    """--since/--until: the publication date, or for a document without one, its year (the year its
    report covers, else the period's), so undated reports are not silently dropped."""
    rng: dict[str, str] = {}
    years: dict[str, int] = {}
    if filters.since:
        rng["gte"] = filters.since.isoformat()
        years["gte"] = filters.since.year
    if filters.until:
        rng["lte"] = filters.until.isoformat()
        years["lte"] = filters.until.year
    return {"bool": {"should": [
        {"range": {F_PUBLISHED: rng}},
        {"bool": {"must_not": [{"exists": {"field": F_PUBLISHED}}], "filter": [{"range": {F_YEAR: years}}]}},
    ], "minimum_should_match": 1}}


def build_query(query: str, filters: Filters, *, inner_hits: bool = True) -> dict[str, Any]:
    """The `query` clause: required terms, ranking boosts, filters and the indicator condition."""
    terms = query_terms(query)
    must: list[dict[str, Any]] = [_term_clause(t) for t in terms]
    should: list[dict[str, Any]] = []
    flt = filter_clauses(filters)

    if terms:
        all_words = [w for t in terms for w in segment(t)]
        if all_words:
            should.append({"match": {F_TEXT_SEG: {"query": " ".join(all_words)}}})
        if len(terms) > 1:
            should.append({"match_phrase": {F_TITLE: {"query": " ".join(terms), "slop": 4, "boost": 2.0}}})

    ind = indicator_query(filters)
    if ind is not None:
        nested: dict[str, Any] = {"nested": {"path": F_IND, "query": ind, "score_mode": "max"}}
        if inner_hits:
            nested["nested"]["inner_hits"] = {"name": "indicators", "size": 5, "_source": True}
        flt.append(nested)
    elif terms and inner_hits:
        # Indicators whose label carries a query term (or whose metric a term names) rank the doc up
        # and come back as inner hits; optional, so a document without indicators still matches.
        label_should: list[dict[str, Any]] = [{"match_phrase": {f"{F_IND}.label.text": t}} for t in terms]
        metrics = sorted({METRIC_WORDS[t.lower()] for t in terms if t.lower() in METRIC_WORDS})
        if metrics:
            label_should.append({"terms": {f"{F_IND}.metric": metrics}})
        should.append({"nested": {
            "path": F_IND,
            "query": {"bool": {"should": label_should, "minimum_should_match": 1}},
            "score_mode": "max",
            "ignore_unmapped": True,
            "inner_hits": {"name": "indicators", "size": 5, "_source": True},
        }})

    if not must and not should:
        must.append({"match_all": {}})
    body: dict[str, Any] = {"bool": {"must": must}}
    if should:
        body["bool"]["should"] = should
    if flt:
        body["bool"]["filter"] = flt
    return body


def highlight_clause(query: str) -> dict[str, Any] | None:
    terms = query_terms(query)
    if not terms:
        return None
    phrases = [{"match_phrase": {F_TEXT: t}} for t in terms]
    return {
        "pre_tags": ["<em>"],
        "post_tags": ["</em>"],
        "fields": {
            F_TEXT: {
                "type": "unified",
                "fragment_size": 90,
                "number_of_fragments": 3,
                "no_match_size": 0,
                "highlight_query": {"bool": {"should": phrases}},
            },
            F_TITLE: {
                "number_of_fragments": 0,
                "highlight_query": {"bool": {"should": [{"match_phrase": {F_TITLE: t}} for t in terms]}},
            },
        },
    }


def build_search_body(request: SearchRequest) -> dict[str, Any]:
    """The whole `_search` body of `policywatch search`."""
    if not 1 <= request.limit <= 1000:
        raise PolicywatchError(f"--limit {request.limit} is out of range: use 1 to 1000")
    if not 0 <= request.offset <= 10_000 - request.limit:
        raise PolicywatchError(
            f"page offset {request.offset} is out of range: use 0 to {10_000 - request.limit}")
    body: dict[str, Any] = {
        "size": request.limit,
        "from": request.offset,
        "track_total_hits": True,
        "query": build_query(request.query, request.filters),
        "_source": SOURCE_FIELDS,
        "sort": ["_score", {F_PUBLISHED: {"order": "desc", "missing": "_last", "unmapped_type": "date"}}],
    }
    hl = highlight_clause(request.query)
    if hl:
        body["highlight"] = hl
    aggs: dict[str, Any] = {}
    if request.collapse:
        # Copies of one report share cluster_id: the best-ranked copy stands for the report (one hit per
        # cluster); `clusters` counts the reports (total counts documents). The other copies are fetched
        # afterwards in one search (copies_body), cheaper than an inner-hits search per hit.
        body["collapse"] = {"field": F_CLUSTER}
        aggs["clusters"] = {"cardinality": {"field": F_CLUSTER}}
    if request.facets:
        for name, fld in FACETS.items():
            aggs[f"facet_{name}"] = {"terms": {"field": fld, "size": 12}}
    if aggs:
        body["aggs"] = aggs
    return body


def copies_body(clusters: list[str], shown: list[str]) -> dict[str, Any]:
    """The search for the other copies of the reports on a result page (up to MAX_COPIES each)."""
    return {
        "size": min(MAX_COPIES * len(clusters), 1000),
        "query": {"bool": {"filter": [{"terms": {F_CLUSTER: clusters}}],
                           "must_not": [{"ids": {"values": shown}}]}},
        "_source": COPY_FIELDS,
        "sort": [{F_INDEXED: {"order": "asc", "unmapped_type": "date"}}],
        "track_total_hits": False,
    }


def with_limit(request: SearchRequest, limit: int) -> SearchRequest:
    return replace(request, limit=limit)
