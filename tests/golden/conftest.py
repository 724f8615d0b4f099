"""Golden tier: real reference data and the tests that score the code against it.

- gold/: the annotated extraction set over seeds/ (guideline in gold/README.md, must/must-not cases);
- mirror/: the local mirror of the CMS families the crawler supports (served by mirror/server.py);
- relevance/: search judgments over a small real corpus (these tests also need the stack).
"""

from __future__ import annotations

from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def gold_dir() -> Path:
    return GOLDEN / "gold"


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    return GOLDEN / "mirror"
