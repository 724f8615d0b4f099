"""The index stage as a runner sink: policy.extracted.v1 -> policy-docs and policy-indicators (bulk),
then one IndexedDocument per acknowledged document on policy.indexed.v1.

The pure core (the bulk actions) is ``processors.index``. A refused document is its message's failure
(bounded retries, then a dead letter), a whole request refused with a 4xx makes the runner handle the
batch one message at a time; only a lost connection, a 429 or a 5xx raises ServiceUnavailable so the
runner retries the batch (``policywatch.core.es_bulk``). The runner produces the indexed events only
after the bulk returned, and commits the input only after they are acknowledged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from policywatch.core import es_bulk, textseg
from policywatch.core.errors import ServiceUnavailable
from processors.index import bulk_actions, version_of
from processors.runner import Result, output
from schemas import EXTRACTED_TOPIC, INDEXED_TOPIC, ExtractedDocument, IndexedDocument
from schemas.indices import DOCS_INDEX, INDICATORS_INDEX


class IndexSink:
    """Bulk-writes each batch to policy-docs and policy-indicators; publishes what was acknowledged."""

    name = "index"
    input_topic = EXTRACTED_TOPIC  # the default; an instance may read another topic
    input_model = ExtractedDocument

    def __init__(self, es: Any, *, input_topic: str = EXTRACTED_TOPIC, docs_index: str = DOCS_INDEX,
                 indicators_index: str = INDICATORS_INDEX, output_topic: str | None = INDEXED_TOPIC) -> None:
        self.es = es
        self.input_topic = input_topic
        self.output_topic = output_topic
        self.docs_index = docs_index
        self.indicators_index = indicators_index

    def open(self) -> None:
        """Load the jieba dictionary before the first poll (the runner calls it): seconds of CPU that the
        first batch would otherwise wait for."""
        textseg.warm()

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
        old = es_bulk.call(lambda: self._old_counts(list(batch)), "Elasticsearch mget")
        operations: list[dict] = []
        owner: list[int] = []  # message index of each action
        doc_action: dict[int, int] = {}  # message index -> position of its policy-docs action
        for i, doc in enumerate(batch):
            doc_action[i] = len(owner)
            n_new = len(doc.extraction.indicators)
            stale = range(n_new, old.get(doc.doc_id, 0))
            ops = bulk_actions(doc, docs_index=self.docs_index, indicators_index=self.indicators_index,
                               stale_indicators=stale)
            for header, body in ops:
                operations.append(header)
                if body is not None:
                    operations.append(body)
                owner.append(i)
        # A 4xx for the whole request raises RequestRefused: the runner then handles the batch one
        # message at a time, so only the culprit fails.
        response = es_bulk.call(self.es.bulk, "Elasticsearch bulk", operations=operations)
        items = response["items"]
        if response.get("errors"):
            refused, outages = es_bulk.item_failures(items)  # 409: this or a newer version is there
            if outages:
                raise ServiceUnavailable(f"Elasticsearch rejected {len(outages)} bulk items: {outages[:3]}")
            for position, reason in refused.items():
                i = owner[position]
                if not isinstance(results[i], Exception):
                    results[i] = es_bulk.ItemRefused(reason)
        if self.output_topic:
            for i, doc in enumerate(batch):
                if isinstance(results[i], Exception):
                    continue  # refused: no event; the runner retries, then dead-letters the message
                status = next(iter(items[doc_action[i]].values())).get("status", 200)
                event = IndexedDocument(doc_id=doc.doc_id, docs_index=self.docs_index,
                                        version=version_of(doc), document=doc,
                                        result="current" if status == 409 else "stored")
                results[i] = [output(self.output_topic, event)]
        return results
