"""What the crawlers have seen, so any worker knows whether a page is new, changed or unchanged.

Production keeps it in the `policy-crawl-status` Elasticsearch index (one `page` document per URL,
`_id` = doc_id, plus one `run` document per source and run with its counts). Tests and the offline
mode use a JSON file or memory. A page's record is written only after its message is acknowledged
by Kafka, so a crash never marks an unpublished page as seen.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from policywatch.core.settings import Settings
from schemas.indices import CRAWL_STATUS_INDEX

# Per-source counters of one crawl run, in report order.
COUNT_NAMES = (
    "listed",
    "new",
    "changed",
    "unchanged",
    "skipped",
    "failed",
    "blocked",
    "filtered",
    "refused",
    "attachments",
    "pages",
)

logger = logging.getLogger(__name__)


CRAWL_STATUS_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "kind": {"type": "keyword"},  # page | run
        "source_id": {"type": "keyword"},
        "url": {"type": "keyword"},
        "doc_id": {"type": "keyword"},
        "etag": {"type": "keyword", "index": False},
        "last_modified": {"type": "keyword", "index": False},
        "content_sha256": {"type": "keyword"},
        "outcome": {"type": "keyword"},  # new | changed | unchanged | failed | blocked
        "http_status": {"type": "integer"},
        "content_type": {"type": "keyword"},
        "discovered_from": {"type": "keyword", "ignore_above": 1024},
        "fetch_count": {"type": "integer"},
        "last_fetched_at": {"type": "date"},
        "first_seen_at": {"type": "date"},
        "last_changed_at": {"type": "date"},
        "list_date": {"type": "keyword", "index": False},
        "run_id": {"type": "keyword"},
        "started_at": {"type": "date"},
        "finished_at": {"type": "date"},
        "status": {"type": "keyword"},  # run: ok | degraded | blocked | failed
        "message": {"type": "text"},
        "first_error": {"type": "text"},
        "counts": {
            "properties": {
                name: {"type": "integer"}
                for name in COUNT_NAMES
            }
        },
    },
}


@dataclass
class PageStatus:
    doc_id: str
    url: str
    source_id: str
    content_sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    outcome: str = "new"
    http_status: int | None = None
    content_type: str | None = None
    discovered_from: str | None = None
    fetch_count: int = 0
    last_fetched_at: str | None = None
    first_seen_at: str | None = None
    last_changed_at: str | None = None
    list_date: str | None = None  # the date the list page showed for it when last fetched


class StatusStore(Protocol):
    def load(self, source_id: str) -> dict[str, PageStatus]: ...

    def save(self, records: list[PageStatus]) -> None: ...

    def save_run(self, run: dict[str, Any]) -> None: ...


class MemoryStatusStore:
    def __init__(self) -> None:
        self.pages: dict[str, PageStatus] = {}
        self.runs: list[dict[str, Any]] = []

    def load(self, source_id: str) -> dict[str, PageStatus]:
        return {k: PageStatus(**asdict(v)) for k, v in self.pages.items() if v.source_id == source_id}

    def save(self, records: list[PageStatus]) -> None:
        for record in records:
            self.pages[record.doc_id] = record

    def save_run(self, run: dict[str, Any]) -> None:
        self.runs.append(run)


class FileStatusStore(MemoryStatusStore):
    """A JSON file (offline runs and tests); written atomically after each source closes."""

    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        if self.path.exists():
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.pages = {k: PageStatus(**v) for k, v in data.get("pages", {}).items()}
            self.runs = data.get("runs", [])

    def _write(self) -> None:
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        payload = {"pages": {k: asdict(v) for k, v in self.pages.items()}, "runs": self.runs[-200:]}
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)

    def save(self, records: list[PageStatus]) -> None:
        with self._lock:
            super().save(records)
            self._write()

    def save_run(self, run: dict[str, Any]) -> None:
        with self._lock:
            super().save_run(run)
            self._write()


def ensure_crawl_status_index(
    es: Any, *, index: str = CRAWL_STATUS_INDEX, settings: Settings | None = None, shards: int = 1,
    replicas: int = 0
) -> bool:
    """Create the crawl-status index if missing (the crawler calls this before its first write).

    `policywatch init` normally creates it: an alias over a versioned index from the template in
    policywatch/provision. Without init, the same versioned index and alias are created here; with no
    provision module, a plain index with CRAWL_STATUS_MAPPING. Returns True when it was created.
    """
    if es.indices.exists(index=index):
        return False
    from elasticsearch import BadRequestError

    try:
        try:
            from policywatch.provision.elasticsearch import index_body, index_name

            if index != CRAWL_STATUS_INDEX or settings is None:
                raise ImportError("custom index name (or no settings): plain index")
            body = index_body(CRAWL_STATUS_INDEX, settings)
            es.indices.create(
                index=index_name(CRAWL_STATUS_INDEX), aliases={index: {"is_write_index": True}}, **body
            )
        except ImportError:
            es.indices.create(
                index=index,
                settings={"number_of_shards": shards, "number_of_replicas": replicas},
                mappings=CRAWL_STATUS_MAPPING,
            )
    except BadRequestError as exc:  # created meanwhile by another worker
        if "resource_already_exists_exception" not in str(exc):
            raise
        return False
    return True


class EsStatusStore:
    """The policy-crawl-status index."""

    def __init__(self, es: Any, *, index: str = CRAWL_STATUS_INDEX, settings: Settings | None = None) -> None:
        self.es = es
        self.index = index
        self.settings = settings  # shards/replicas of the versioned index, as `init` creates it
        self._ensured = False

    def _ensure(self) -> None:
        if not self._ensured:
            ensure_crawl_status_index(self.es, index=self.index, settings=self.settings)
            self._ensured = True

    def load(self, source_id: str) -> dict[str, PageStatus]:
        self._ensure()
        fields = list(PageStatus.__dataclass_fields__)
        out: dict[str, PageStatus] = {}
        search_after = None
        while True:
            body: dict[str, Any] = {
                "size": 2000,
                "query": {
                    "bool": {"filter": [{"term": {"kind": "page"}}, {"term": {"source_id": source_id}}]}
                },
                "sort": [{"doc_id": "asc"}],
                "_source": fields,
            }
            if search_after:
                body["search_after"] = search_after
            resp = self.es.search(index=self.index, **body)
            hits = resp["hits"]["hits"]
            for hit in hits:
                src = hit["_source"]
                record = PageStatus(**{f: src[f] for f in fields if src.get(f) is not None})
                out[record.doc_id] = record
            if len(hits) < 2000:
                return out
            search_after = hits[-1]["sort"]

    def save(self, records: list[PageStatus]) -> None:
        if not records:
            return
        self._ensure()
        from elasticsearch import helpers

        actions = (
            {"_index": self.index, "_id": r.doc_id, "_source": {"kind": "page", **asdict(r)}} for r in records
        )
        _, errors = helpers.bulk(self.es, actions, raise_on_error=False, refresh="wait_for")
        if errors:
            logger.error("crawl-status: %d page records not written, first: %s", len(errors), errors[0])

    def save_run(self, run: dict[str, Any]) -> None:
        self._ensure()
        self.es.index(
            index=self.index, id=f"run:{run['source_id']}:{run['run_id']}", document={"kind": "run", **run}
        )
