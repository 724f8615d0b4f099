"""The three pipeline stages as runner :class:`~processors.runner.Stage` objects.

Each ``handle`` parses its input, calls the pure core of its package, and returns one result per
message (outputs, or the exception that makes the message a dead letter). Service failures raise
:class:`~policywatch.core.errors.ServiceUnavailable` so the runner retries the whole batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from policywatch.core.errors import ServiceUnavailable
from processors.clean import FingerprintStore, link_duplicates, prepare
from processors.extract import extract_document
from processors.index import DOCS_INDEX, INDICATORS_INDEX, bulk_actions
from processors.runner import Message, Output, Result, is_transient
from schemas import CLEANED_TOPIC, EXTRACTED_TOPIC, RAW_TOPIC, CleanedDocument, ExtractedDocument, RawDocument

logger = logging.getLogger(__name__)

STAGES = ("clean", "extract", "index")


def _output(topic: str, doc: CleanedDocument) -> Output:
    return Output(topic, doc.doc_id, doc.model_dump_json().encode("utf-8"))


class CleanStage:
    name = "clean"

    def __init__(self, store: FingerprintStore, *, input_topic: str = RAW_TOPIC,
                 output_topic: str = CLEANED_TOPIC) -> None:
        self.store = store
        self.input_topic = input_topic
        self.output_topic = output_topic

    def handle(self, messages: Sequence[Message]) -> list[Result]:
        results: list[Result] = []
        cleaned: list[tuple[int, CleanedDocument]] = []
        for i, message in enumerate(messages):
            try:
                raw = RawDocument.model_validate_json(message.value)
                cleaned.append((i, prepare(raw)))
                results.append([])
            except Exception as exc:
                results.append(exc)
        try:
            linked = link_duplicates([doc for _, doc in cleaned], self.store)
        except Exception as exc:
            if is_transient(exc):
                raise ServiceUnavailable(f"fingerprint store: {exc}") from exc
            raise
        for (i, _), doc in zip(cleaned, linked, strict=True):
            results[i] = [_output(self.output_topic, doc)]
        return results


class ExtractStage:
    name = "extract"

    def __init__(self, *, input_topic: str = CLEANED_TOPIC, output_topic: str = EXTRACTED_TOPIC) -> None:
        self.input_topic = input_topic
        self.output_topic = output_topic

    def handle(self, messages: Sequence[Message]) -> list[Result]:
        results: list[Result] = []
        for message in messages:
            try:
                doc = CleanedDocument.model_validate_json(message.value)
                results.append([_output(self.output_topic, extract_document(doc))])
            except Exception as exc:
                results.append(exc)
        return results


class BulkItemError(Exception):
    """Elasticsearch refused one document (mapping conflict, too large, ...): a bad message."""


class IndexStage:
    """Sink: bulk-writes each batch to policy-docs and policy-indicators; no Kafka outputs."""

    name = "index"

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

    def handle(self, messages: Sequence[Message]) -> list[Result]:
        results: list[Result] = [[] for _ in messages]
        docs: list[tuple[int, ExtractedDocument]] = []
        for i, message in enumerate(messages):
            try:
                docs.append((i, ExtractedDocument.model_validate_json(message.value)))
            except Exception as exc:
                results[i] = exc
        if not docs:
            return results
        try:
            old = self._old_counts([d for _, d in docs])
        except Exception as exc:
            raise ServiceUnavailable(f"Elasticsearch mget: {exc}") from exc
        operations: list[dict] = []
        owner: list[int] = []  # message index of each action
        for i, doc in docs:
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
