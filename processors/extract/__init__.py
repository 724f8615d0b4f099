"""The extract stage's pure core and the extraction library: a report's text -> an Extraction.

    from processors.extract import extract_text, extract_file, extract_document
    result = extract_text(cleaned.text, title=cleaned.title)

Dictionaries (jieba through policywatch.core.textseg, OpenCC, the gazetteer, the vocabularies in vocab/)
load on first use, once. The runner adapter is processors/extract/stage.py.
"""

from __future__ import annotations

from processors.extract.extract import extract_file, extract_text, read_document
from schemas import CleanedDocument, ExtractedDocument, trace_step

STAGE = "extract"

__all__ = ["STAGE", "extract_document", "extract_file", "extract_text", "read_document"]


def extract_document(doc: CleanedDocument) -> ExtractedDocument:
    # The original text: indicator and entity spans index into CleanedDocument.text (the library reads
    # traditional characters itself; text_simplified is for search only).
    extraction = extract_text(doc.text, title=doc.title)
    fields = doc.model_dump(exclude={"trace"})
    return ExtractedDocument(**fields, trace=[*doc.trace, trace_step(STAGE)], extraction=extraction)
