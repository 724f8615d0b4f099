"""Content hash and a 64-bit simhash near-duplicate fingerprint over character 3-grams.

Two reposts of one report differ by a site header, a footer or a few edited characters; their
simhashes are then a few bits apart. The threshold, 6 bits, is measured (``bench/reposts.py``, edited
copies of real reports): at 6 bits recall of "same report" is 0.88 with precision 1.0 once the figures
are compared too (``same_numbers``: next month's briefing on the same template is 2-13 bits away, but
quotes other figures); the old 3 bits had recall 0.52. With the 64 bits cut into seven bands (one of
10 bits, six of 9), two fingerprints at distance <= 6 share at least one band exactly (pigeonhole),
so a lookup by band is exact for that threshold.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

BAND_BITS = (10, 9, 9, 9, 9, 9, 9)
BANDS = len(BAND_BITS)
MAX_DISTANCE = BANDS - 1
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
    """The seven bands as ``"b7.<band>:<hex>"`` keys (the prefix keeps them apart from the old 4-band keys,
    which a replay of policy.raw.v1 replaces)."""
    keys, shift = [], 0
    for i, width in enumerate(BAND_BITS):
        keys.append(f"b7.{i}:{(value >> shift) & ((1 << width) - 1):03x}")
        shift += width
    return keys


def to_hex(value: int) -> str:
    return f"{value:016x}"


def from_hex(value: str) -> int:
    return int(value, 16)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def numbers_of(text: str) -> frozenset[str]:
    """The figures a report quotes (digit runs of two or more characters, decimals kept whole)."""
    return frozenset(n for n in _NUMBER.findall(text) if len(n) >= 2)


def same_numbers(a: str | frozenset[str], b: str | frozenset[str], *, min_overlap: float = 0.5) -> bool:
    """Do two texts quote the same figures? A repost does; next month's briefing on one template does not.

    Texts with fewer than five figures each are not judged on them (True).
    """
    na = a if isinstance(a, frozenset) else numbers_of(a)
    nb = b if isinstance(b, frozenset) else numbers_of(b)
    if len(na) < 5 or len(nb) < 5:
        return True
    return len(na & nb) / min(len(na), len(nb)) >= min_overlap
