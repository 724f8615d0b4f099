"""schemas/json/*.json are the current JSON Schemas of the contracts, and every message round-trips."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas import DeadLetter, RawDocument
from schemas.jsonschema import stale_files


def test_json_schema_files_are_current():
    stale = stale_files()
    assert not stale, f"stale JSON Schema files {[p.name for p in stale]}: run `python -m schemas.jsonschema`"


def test_raw_document_round_trips_with_compressed_body():
    body = "李喆、王堃：开发区工作总结".encode("gb18030") * 100
    raw = RawDocument(doc_id="a" * 64, url="http://x", canonical_url="http://x", source_id="s",
                      fetched_at=datetime(2024, 1, 1, tzinfo=UTC), body=body)
    wire = raw.model_dump_json()
    assert len(wire) < len(body)  # zstd on the wire
    assert RawDocument.model_validate_json(wire) == raw
    assert '"schema_version":1' in wire


def test_dead_letter_keeps_original_bytes():
    letter = DeadLetter(stage="clean", error="ValueError: x", attempts=3, topic="t", partition=0, offset=7,
                        original=b"\x00\xff not json", original_size=11)
    assert DeadLetter.model_validate_json(letter.model_dump_json()).original == b"\x00\xff not json"
