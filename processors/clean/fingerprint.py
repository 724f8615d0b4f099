"""Content hash and a 64-bit simhash near-duplicate fingerprint over character 3-grams.

Two reposts of one report differ by a site header, a footer or a few edited characters; their
simhashes are then a few bits apart. With the 64 bits cut into four 16-bit bands, two fingerprints at
Hamming distance <= 3 share at least one band exactly (pigeonhole), so a lookup by band is exact for
that threshold.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

BANDS = 4
MAX_DISTANCE = 3
_MIN_CHARS = 50
_NOISE = re.compile(r"[\s\u3000,，。、；;：:！!？?“”\"'‘’（）()《》<>【】\[\]—\-·…]+")


def normalize_for_hash(text: str) -> str:
    return _NOISE.sub("", text)


def content_sha256(text: str) -> str:
    return hashlib.sha256(normalize_for_hash(text).encode("utf-8")).hexdigest()


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads a 3-gram's code points over all 64 bits."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _shingle_hashes(text: str) -> np.ndarray:
    cp = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    # A 3-gram packs into 63 bits: three code points of 21 bits each.
    grams = (cp[:-2] << np.uint64(42)) | (cp[1:-1] << np.uint64(21)) | cp[2:]
    return _mix(np.unique(grams))


def simhash(text: str) -> int:
    """64-bit simhash of the text's character 3-grams (punctuation and whitespace ignored)."""
    norm = normalize_for_hash(text)
    if len(norm) < _MIN_CHARS:
        # Too short for a meaningful fingerprint: use the exact hash, so only identical texts collide.
        return int.from_bytes(hashlib.blake2b(norm.encode("utf-8"), digest_size=8).digest(), "little")
    hashes = _shingle_hashes(norm)
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    ones = bits.sum(axis=0, dtype=np.int64)
    votes = ones * 2 - len(hashes)
    value = 0
    for i in range(64):
        if votes[i] > 0:
            value |= 1 << i
    return value


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def bands(value: int) -> list[str]:
    """The four 16-bit bands as ``"<band>:<hex>"`` keys."""
    return [f"{i}:{(value >> (16 * i)) & 0xFFFF:04x}" for i in range(BANDS)]


def to_hex(value: int) -> str:
    return f"{value:016x}"


def from_hex(value: str) -> int:
    return int(value, 16)
