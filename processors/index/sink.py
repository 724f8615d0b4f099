"""The index stage as a runner sink: policy.extracted.v1 -> policy-docs and policy-indicators (bulk).

The pure core (the bulk actions) is ``processors.index``. A refused document is a dead letter; an outage,
a 429 or a 5xx raises ServiceUnavailable so the runner retries the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from policywatch.core.errors import PolicywatchError, ServiceUnavailable
from processors.index import bulk_actions
from processors.runner import Result
from schemas import EXTRACTED_TOPIC, ExtractedDocument
from schemas.indices import DOCS_INDEX, INDICATORS_INDEX


class BulkItemError(PolicywatchError):
    """Elasticsearch refused one document (mapping conflict, too large, ...): a bad message."""


class IndexSink:
    """Bulk-writes each batch to policy-docs and policy-indicators; no Kafka outputs."""

    name = "index"
    input_topic = EXTRACTED_TOPIC  # the default; an instance may read another topic
    input_model = ExtractedDocument

    def __init__(self, es: Any, *, input_topic: str = EXTRACTED_TOPIC, docs_index: str = DOCS_INDEX,
                 indicators_index: str = INDICATORS_INDEX) -> None:
        self.es = es
        self.input_topic = input_topic
        self.docs_index = docs_index
        self.indicators_index = indicators_index

    def _old_counts(self, docs: list[ExtractedDocument]) -> dict[str, int]:
        """How many indicators the stored version of each document has (to delete the extra ones)."""
        if not docs:
            return {}
        # realtime=False: an older version is long refreshed, and a realtime get would force a refresh
        # of the shard on every batch (tiny segments, merge load).
        resp = self.es.mget(index=self.docs_index, ids=[d.doc_id for d in docs],
                            source_includes=["indicator_count"], realtime=False)
        counts = {}
        for item in resp["docs"]:
            if item.get("found"):
                counts[item["_id"]] = int((item.get("_source") or {}).get("indicator_count") or 0)
        return counts

    def handle(self, batch: Sequence[ExtractedDocument]) -> list[Result]:
        results: list[Result] = [[] for _ in batch]
        if not batch:
            return results
        try:
            old = self._old_counts(list(batch))
        except Exception as exc:
            raise ServiceUnavailable(f"Elasticsearch mget: {exc}") from exc
        operations: list[dict] = []
        owner: list[int] = []  # message index of each action
        for i, doc in enumerate(batch):
            n_new = len(doc.extraction.indicators)
            stale = range(n_new, old.get(doc.doc_id, 0))
            ops = bulk_actions(doc, docs_index=self.docs_index, indicators_index=self.indicators_index,
                               stale_indicators=stale)
            for header, body in ops:
                operations.append(header)
                if body is not None:
                    operations.append(body)
                owner.append(i)
        try:
            response = self.es.bulk(operations=operations)
        except Exception as exc:
            raise ServiceUnavailable(f"Elasticsearch bulk: {exc}") from exc
        if not response.get("errors"):
            return results
        transient: list[str] = []
        for i, item in zip(owner, response["items"], strict=True):
            action, body = next(iter(item.items()))
            status = body.get("status", 500)
            if status < 300 or status == 409 or (action == "delete" and status == 404):
                continue  # 409: this or a newer version is already there
            error = body.get("error") or {}
            if status == 429 or status >= 500:
                transient.append(f"{status} {error.get('type')}")
            elif not isinstance(results[i], Exception):
                results[i] = BulkItemError(f"{action} {body.get('_index')}/{body.get('_id')}: {status} "
                                           f"{error.get('type')}: {error.get('reason')}")
        if transient:
            raise ServiceUnavailable(f"Elasticsearch rejected {len(transient)} bulk items: {transient[:3]}")
        return results
