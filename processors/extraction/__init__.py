"""Extraction library: pure functions from a report's text to an Extraction (schemas.extracted).

    from processors.extraction import extract_text, extract_file
    result = extract_text(cleaned.text, title=cleaned.title)

Dictionaries (jieba, OpenCC, the gazetteer, the vocabularies in vocab/) load on first use, once.
"""

from processors.extraction.extract import extract_file, extract_text, read_document

__all__ = ["extract_file", "extract_text", "read_document"]
