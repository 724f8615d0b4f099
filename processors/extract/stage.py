"""The extract stage as a runner stage: policy.cleaned.v1 (CleanedDocument) -> policy.extracted.v1."""

from __future__ import annotations

from collections.abc import Sequence

from processors.extract import extract_document, extract_text
from processors.runner import Result, output
from schemas import CLEANED_TOPIC, EXTRACTED_TOPIC, CleanedDocument

# loaded by open(): a sentence with a zone, a place, a metric, a value and a growth rate
WARM_TITLE = "济南经济开发区2023年工作总结"
WARM_TEXT = ("2023年，山东省济南经济开发区规模以上工业总产值完成120亿元，同比增长10.5%；"
             "实际使用外资2000万美元。")


class ExtractStage:
    name = "extract"
    input_topic = CLEANED_TOPIC  # the default; an instance may read another topic
    input_model = CleanedDocument

    def __init__(self, *, input_topic: str = CLEANED_TOPIC, output_topic: str = EXTRACTED_TOPIC) -> None:
        self.input_topic = input_topic
        self.output_topic = output_topic

    def open(self) -> None:
        """Load jieba, its part-of-speech table, OpenCC, the gazetteer and the vocabularies before the first
        poll (the runner calls it): they take seconds of CPU, which the first batch would otherwise wait."""
        extract_text(WARM_TEXT, title=WARM_TITLE)

    def handle(self, docs: Sequence[CleanedDocument]) -> list[Result]:
        results: list[Result] = []
        for doc in docs:
            try:
                results.append([output(self.output_topic, extract_document(doc))])
            except Exception as exc:
                results.append(exc)
        return results
