"""Mojibake: text whose bytes were decoded with the wrong charset somewhere upstream (UTF-8 read as
Latin-1 or Windows-1252 and written out again, so 开发区 arrives as ``å¼€å‘åŒº``).

ftfy recognises and undoes such round trips. What it cannot undo, chiefly bytes already replaced by
U+FFFD upstream, leaves the text unreadable: such a page is refused with the reason (the runner
dead-letters it) instead of being indexed as garbage. The measure is the crawler's mojibake score, the
share of U+FFFD in the text.
"""

from __future__ import annotations

import logging

import ftfy
from ftfy.badness import badness, is_bad

from policywatch.core.decode import mojibake_score
from policywatch.core.errors import ProcessingError

logger = logging.getLogger(__name__)

MAX_REPLACEMENT_SHARE = 0.01  # more than 1 character in 100 unreadable: refuse the page
MAX_BADNESS_SHARE = 0.01  # ftfy's count of mojibake-looking sequences, per character


def repair(text: str, *, crawler_score: float | None = None, where: str = "") -> str:
    """``text`` with mojibake undone; raises ProcessingError when it stays unreadable."""
    fixed = ftfy.fix_encoding(text) if is_bad(text) else text
    score = mojibake_score(fixed)
    bad = badness(fixed) / max(len(fixed), 1) if fixed is not text else 0.0
    if score > MAX_REPLACEMENT_SHARE or bad > MAX_BADNESS_SHARE:
        crawler = f"; crawler's score {crawler_score:.2f}" if crawler_score is not None else ""
        raise ProcessingError(
            f"mojibake that ftfy cannot repair in {where or 'the page'}: {score:.1%} of the text is U+FFFD "
            f"and {bad:.1%} still looks mis-decoded{crawler}")
    if fixed is not text and fixed != text:
        logger.info("mojibake repaired with ftfy in %s (score %.3f -> %.3f)", where or "a page",
                    mojibake_score(text), score)
    return fixed
