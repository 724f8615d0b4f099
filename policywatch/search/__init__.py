"""Search over policy-docs: query building (pure), running it, and shaping the hits."""

from policywatch.search.query import (
    DOC_TYPES,
    METRICS,
    Filters,
    SearchRequest,
    build_query,
    build_search_body,
    make_filters,
    parse_date,
    query_terms,
)
from policywatch.search.service import SearchHit, SearchResult, search

__all__ = [
    "DOC_TYPES", "METRICS", "Filters", "SearchHit", "SearchRequest", "SearchResult", "build_query",
    "build_search_body", "make_filters", "parse_date", "query_terms", "search",
]
