"""The clean stage as a runner stage: policy.raw.v1 (RawDocument) -> policy.cleaned.v1 (CleanedDocument).

The pure core is ``processors.clean.prepare``; near-duplicates are linked through the fingerprint store.
A store outage raises ServiceUnavailable so the runner retries the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from policywatch.core.errors import ServiceUnavailable, is_transient
from processors.clean import FingerprintStore, link_duplicates, prepare
from processors.runner import Result, output
from schemas import CLEANED_TOPIC, RAW_TOPIC, CleanedDocument, RawDocument


class CleanStage:
    name = "clean"
    input_topic = RAW_TOPIC  # the default; an instance may read another topic
    input_model = RawDocument

    def __init__(self, store: FingerprintStore, *, input_topic: str = RAW_TOPIC,
                 output_topic: str = CLEANED_TOPIC) -> None:
        self.store = store
        self.input_topic = input_topic
        self.output_topic = output_topic

    def open(self) -> None:
        """Create the fingerprint index before the first batch (when the store keeps one)."""
        ensure = getattr(self.store, "ensure_index", None)
        if ensure is not None:
            ensure()

    def handle(self, raws: Sequence[RawDocument]) -> list[Result]:
        results: list[Result] = []
        cleaned: list[tuple[int, CleanedDocument]] = []
        # The crawler's repost evidence (来源：another outlet): such a copy is not the original.
        reposts = frozenset(raw.doc_id for raw in raws if raw.hints.get("is_repost") == "true")
        for i, raw in enumerate(raws):
            try:
                cleaned.append((i, prepare(raw)))
                results.append([])
            except Exception as exc:
                results.append(exc)
        try:
            linked = link_duplicates([doc for _, doc in cleaned], self.store, reposts)
        except Exception as exc:
            if is_transient(exc):
                raise ServiceUnavailable(f"fingerprint store: {exc}") from exc
            raise
        for (i, _), doc in zip(cleaned, linked, strict=True):
            # a fingerprint the store refused (e.g. a URL over the keyword limit) fails only its message
            results[i] = doc if isinstance(doc, Exception) else [output(self.output_topic, doc)]
        return results
