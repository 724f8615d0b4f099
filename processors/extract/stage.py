"""The extract stage as a runner stage: policy.cleaned.v1 (CleanedDocument) -> policy.extracted.v1."""

from __future__ import annotations

from collections.abc import Sequence

from processors.extract import extract_document
from processors.runner import Result, output
from schemas import CLEANED_TOPIC, EXTRACTED_TOPIC, CleanedDocument


class ExtractStage:
    name = "extract"
    input_topic = CLEANED_TOPIC  # the default; an instance may read another topic
    input_model = CleanedDocument

    def __init__(self, *, input_topic: str = CLEANED_TOPIC, output_topic: str = EXTRACTED_TOPIC) -> None:
        self.input_topic = input_topic
        self.output_topic = output_topic

    def handle(self, docs: Sequence[CleanedDocument]) -> list[Result]:
        results: list[Result] = []
        for doc in docs:
            try:
                results.append([output(self.output_topic, extract_document(doc))])
            except Exception as exc:
                results.append(exc)
        return results
