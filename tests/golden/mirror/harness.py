"""Running the crawler against the mirror from tests and the bench: one fresh process per crawl."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tests.golden.mirror.server import EXPECTED

ROOT = Path(__file__).resolve().parents[3]


def load_expected() -> dict:
    return yaml.safe_load(EXPECTED.read_text(encoding="utf-8"))


def run_crawl_process(
    sources: Path, *, sink: str, status: str, ids: list[str] | None = None, timeout: float = 180
) -> dict:
    """`python -m policywatch.crawl` in a subprocess; returns the JSON report keyed by source id."""
    cmd = [sys.executable, "-m", "policywatch.crawl", "--json", "--no-polite", "--sources", str(sources)]
    cmd += ["--sink", sink, "--status", status, *(ids or [])]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode in (0, 3) and lines, f"crawl failed ({proc.returncode}): {proc.stderr[-3000:]}"
    return json.loads(lines[-1])


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
