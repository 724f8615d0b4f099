"""The five seed reports (plain text) and their manifest, installed with the package as data, so an
installed policywatch (a container, a CLI venv) can replay them without a checkout:
`policywatch replay --seeds`, the replay_seeds DAG, the synthetic pages of tests and benchmarks."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def directory() -> Path:
    """The folder of the seed files. pip installs wheels unpacked, so the resource root is a real folder
    (replay walks it like any other)."""
    return Path(str(resources.files(__name__)))


def files() -> list[Path]:
    """The seed reports, sorted by name."""
    return sorted(p for p in directory().glob("*.txt"))
