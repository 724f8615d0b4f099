"""How long a command takes to say a service is unreachable, against an address that never answers
(a blackholed IP: no refusal, so only the preflight's timeout ends the wait). The aim is <= 3 s of
waiting on top of the CLI's start-up.

    python bench/preflight.py            # prints one line per command: seconds, exit code
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BLACKHOLE = "10.255.255.1"  # a private address nobody routes: connections hang until a timeout
COMMANDS = [["--version"], ["status"], ["search", "开发区"], ["init"], ["dlq", "list"], ["watch", "list"]]


def main() -> int:
    exe = shutil.which("policywatch", path=str(Path(sys.executable).parent)) or "policywatch"
    env = {**os.environ, "POLICYWATCH_KAFKA_BOOTSTRAP": f"{BLACKHOLE}:9092",
           "POLICYWATCH_ES_URL": f"http://{BLACKHOLE}:9200"}
    for args in COMMANDS:
        started = time.monotonic()
        proc = subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=120)
        took = time.monotonic() - started
        said = (proc.stderr.strip().splitlines() or [proc.stdout.strip()])[-1][:90]
        print(f"{' '.join(args):<16} {took:5.2f} s  exit {proc.returncode}  {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
