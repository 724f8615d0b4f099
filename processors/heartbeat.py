"""A stage's heartbeat: a small file the runner rewrites on every pass of its consumer loop, so a health
check can tell a live stage from one whose loop is stuck (a hung poll, a handle() that never returns).

    beat = Heartbeat.for_stage(settings, "extract")    # <heartbeat_dir>/extract@<hostname>.json
    beat("polling")                                    # at most one write per `every_s` seconds
    age_s, state = read_heartbeat(settings, "extract")  # what `policywatch health-check extract` checks

The file is named after the host so replicas sharing a volume never share a heartbeat; compose points
POLICYWATCH_HEARTBEAT_DIR at a container-local directory anyway.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def heartbeat_path(settings: Any, stage: str, host: str | None = None) -> Path:
    directory = settings.heartbeat_dir or settings.state_dir / "heartbeats"
    return Path(directory) / f"{stage}@{host or socket.gethostname()}.json"


@dataclass
class Heartbeat:
    path: Path
    every_s: float = 2.0
    _last: float = 0.0

    @classmethod
    def for_stage(cls, settings: Any, stage: str) -> Heartbeat:
        path = heartbeat_path(settings, stage)
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path)

    def __call__(self, state: str, **info: Any) -> None:
        now = time.monotonic()
        if now - self._last < self.every_s and state == "polling":
            return
        self._last = now
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps({"state": state, "pid": os.getpid(), "at": time.time(), **info}))
        os.replace(tmp, self.path)  # atomic: a reader never sees half a file


def read_heartbeat(settings: Any, stage: str, host: str | None = None) -> tuple[float, dict[str, Any]]:
    """(seconds since the last beat, its content); FileNotFoundError when the stage never beat here."""
    path = heartbeat_path(settings, stage, host)
    text = path.read_text()
    try:
        content = json.loads(text)
    except ValueError:
        content = {}
    return time.time() - path.stat().st_mtime, content
