"""Pure pieces of issue 12: version clamping, bulk-item sorting, the bounded zstd reader, the raw
frame, mojibake repair and the parser-depth reason. The same behaviour on the real stack is in
tests/integration/test_reliability.py."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zstandard

from policywatch.core.errors import ProcessingError
from policywatch.core.es_bulk import item_failures
from processors.clean import mojibake
from processors.clean.html import extract_html
from processors.index import FUTURE_SKEW_S, clamp_version
from schemas.base import MAX_PAGE_BYTES, PayloadTooLarge, zstd_pack, zstd_unpack
from schemas.raw import FRAME_MAGIC, Attachment, RawDocument, decode_raw, encode_raw

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_versions_are_never_negative_nor_beyond_now_plus_skew():
    assert clamp_version(datetime(1960, 1, 1, tzinfo=UTC), now=NOW) == 1
    assert clamp_version(datetime(1, 1, 1, tzinfo=UTC), now=NOW) == 1
    far = clamp_version(datetime(9999, 12, 31, tzinfo=UTC), now=NOW)
    assert far == int(NOW.timestamp() * 1000) + FUTURE_SKEW_S * 1000
    normal = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert clamp_version(normal, now=NOW) == int(normal.timestamp() * 1000)
    # a real fetch made after the year-9999 one was indexed wins once past the skew
    later = NOW + timedelta(seconds=FUTURE_SKEW_S + 1)
    assert clamp_version(later, now=later) > far


def test_bulk_items_sorted_into_refusals_outages_and_successes():
    items = [
        {"index": {"_index": "d", "_id": "ok", "status": 201}},
        {"index": {"_index": "d", "_id": "old", "status": 409,
                   "error": {"type": "version_conflict_engine_exception", "reason": "newer"}}},
        {"delete": {"_index": "i", "_id": "gone", "status": 404}},
        {"index": {"_index": "d", "_id": "big", "status": 400,
                   "error": {"type": "illegal_argument_exception", "reason": "Document contains at least one "
                             "immense term in field=\"source_id\""}}},
        {"index": {"_index": "d", "_id": "busy", "status": 429,
                   "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}}},
    ]
    refused, outages = item_failures(items)
    assert list(refused) == [3] and "immense term" in refused[3] and "d/big" in refused[3]
    assert len(outages) == 1 and outages[0].startswith("429")


def test_zstd_reader_refuses_a_declared_size_over_the_limit_before_reading():
    packed = zstd_pack(b"\0" * (MAX_PAGE_BYTES + 1))
    with pytest.raises(PayloadTooLarge, match="declares"):
        zstd_unpack(packed)
    assert zstd_unpack(zstd_pack(b"abc" * 1000)) == b"abc" * 1000


def test_zstd_bomb_without_declared_size_is_stopped_without_driving_memory_up(tmp_path):
    """1 GiB of zeros in 32 KB, no size in the frame header: the reader stops at the page limit."""
    cctx = zstandard.ZstdCompressor(level=19, write_content_size=False).compressobj()
    chunk = b"\0" * (1 << 20)
    bomb = b"".join(cctx.compress(chunk) for _ in range(1024)) + cctx.flush()
    assert zstandard.frame_content_size(bomb) == -1 and len(bomb) < 100_000
    path = tmp_path / "bomb.zst"
    path.write_bytes(bomb)
    probe = (
        "import resource, sys; from pathlib import Path\n"
        "from schemas.base import zstd_unpack, PayloadTooLarge\n"
        "data = Path(sys.argv[1]).read_bytes()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n    zstd_unpack(data)\nexcept PayloadTooLarge as exc:\n    print('refused:', exc)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.splitlines()
    assert out[0].startswith("refused:") and "page limit" in out[0]
    grown_mb = int(out[1])
    assert grown_mb < 3 * MAX_PAGE_BYTES // 2**20, f"decompressing the bomb grew RSS by {grown_mb} MB"


def _raw(body: bytes, **kw) -> RawDocument:
    return RawDocument(doc_id="a" * 64, url="file:///x.pdf", canonical_url="file:///x.pdf", source_id="s",
                       fetched_at=datetime(2024, 1, 1, tzinfo=UTC), body=body, **kw)


def test_raw_frame_carries_an_incompressible_32_mib_page_within_the_kafka_limit():
    body = os.urandom(MAX_PAGE_BYTES - 4096)
    raw = _raw(body, attachments=[Attachment(url="http://x/a.pdf", body=b"%PDF-1.4 tiny"),
                                  Attachment(url="http://x/b.doc")])
    value = encode_raw(raw)
    assert value.startswith(FRAME_MAGIC)
    assert len(value) < 33 * 1024 * 1024 < len(raw.model_dump_json())  # JSON+base64 would not fit
    assert decode_raw(value) == raw


def test_raw_reader_still_reads_plain_json_messages():
    raw = _raw("开发区".encode("gb18030") * 50)
    assert decode_raw(raw.model_dump_json().encode()) == raw


@pytest.mark.parametrize("damage", ["truncate", "version", "trailing"])
def test_damaged_frames_are_a_clear_value_error(damage):
    value = encode_raw(_raw(b"<html>page</html>"))
    if damage == "truncate":
        value = value[:-3]
    elif damage == "version":
        value = FRAME_MAGIC + b"\x09" + value[len(FRAME_MAGIC) + 1:]
    else:
        value += b"xx"
    with pytest.raises(ValueError):
        decode_raw(value)


def test_a_body_over_the_page_limit_cannot_be_encoded():
    with pytest.raises(PayloadTooLarge, match="page limit"):
        encode_raw(_raw(b"\0" * (MAX_PAGE_BYTES + 1)))


TEXT = "开发区2023年工作总结：招商引资项目签约，生物医药产业产值增长。" * 20


def test_mojibake_from_utf8_read_as_latin1_is_repaired():
    garbled = TEXT.encode("utf-8").decode("latin-1")
    assert mojibake.repair(garbled) == TEXT


def test_mojibake_with_lost_bytes_is_refused_with_the_reason():
    garbled = TEXT.encode("utf-8").decode("cp1252", errors="replace")
    with pytest.raises(ProcessingError, match="U\\+FFFD") as info:
        mojibake.repair(garbled, crawler_score=0.33, where="http://x/p.html")
    assert "http://x/p.html" in str(info.value) and "crawler's score 0.33" in str(info.value)


def test_clean_text_is_left_alone():
    assert mojibake.repair(TEXT) is TEXT
    assert mojibake.mojibake_score(TEXT) == 0


def test_a_page_nested_past_the_parser_depth_says_so():
    deep = "<html><body>" + "<div>" * 300 + TEXT + "</div>" * 300 + "</body></html>"
    with pytest.raises(ProcessingError, match="depth limit"):
        extract_html(deep)
    shallow_part = ("<html><body><p>" + TEXT + "</p>" + "<div>" * 300 + "深处" + "</div>" * 300
                    + "</body></html>")
    assert TEXT[:20] in extract_html(shallow_part).text


def test_a_claim_of_a_dead_process_on_this_host_is_taken_over_at_once():
    import socket

    from processors.alert.outbox import claimer_is_dead_here, process_id

    host = socket.gethostname()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert claimer_is_dead_here(f"{host}:{dead.pid}")
    assert not claimer_is_dead_here(process_id())  # this process: alive
    assert not claimer_is_dead_here(f"{host}:{os.getppid()}")  # alive
    assert not claimer_is_dead_here(f"elsewhere.example:{dead.pid}")  # another host: wait for the lapse
    assert not claimer_is_dead_here(None) and not claimer_is_dead_here("garbage")
