"""The local stack: real Kafka (KRaft) and Elasticsearch as local processes, no Docker.

`up()` fetches them with Maven into the cache (once), starts what is not running and waits until both
are healthy; `down()` stops only the processes whose pids it recorded; `status()` reports each service.
"""

from __future__ import annotations

import time

from rich.console import Console

from policywatch.core.errors import PolicywatchError
from policywatch.core.settings import Settings
from policywatch.stack import procs
from policywatch.stack.downloads import ensure_elasticsearch, ensure_kafka
from policywatch.stack.services import ElasticsearchService, Health, KafkaService

__all__ = ["Health", "up", "down", "status", "services", "is_healthy"]


def services(settings: Settings) -> tuple[KafkaService, ElasticsearchService]:
    return KafkaService(settings), ElasticsearchService(settings)


def status(settings: Settings) -> list[Health]:
    return [svc.health() for svc in services(settings)]


def is_healthy(settings: Settings) -> bool:
    return all(h.state == "healthy" for h in status(settings))


def _check_ports(svcs) -> None:
    taken = [
        (label, port) for svc in svcs for label, port in svc.ports().items() if not procs.port_free(port)
    ]
    if taken:
        lines = ", ".join(f"{label} {port}" for label, port in taken)
        hints = {
            "Kafka": "POLICYWATCH_KAFKA_PORT",
            "Kafka controller": "POLICYWATCH_KAFKA_CONTROLLER_PORT",
            "Elasticsearch HTTP": "POLICYWATCH_ES_PORT",
            "Elasticsearch transport": "POLICYWATCH_ES_TRANSPORT_PORT",
        }
        env = ", ".join(sorted({hints[label] for label, _ in taken}))
        raise PolicywatchError(
            f"port already in use on 127.0.0.1: {lines} — another program (or another stack) listens there. "
            f"Stop it (see `ss -ltnp`), or pick free ports with {env}; nothing was started."
        )


def up(settings: Settings, console: Console | None = None, timeout: float = 180.0) -> list[Health]:
    """Start what is not running; wait until Kafka and Elasticsearch are healthy. Idempotent."""
    console = console or Console(stderr=True)
    kafka, es = services(settings)
    running = {svc.name: svc.record() for svc in (kafka, es)}
    to_start = [svc for svc in (kafka, es) if running[svc.name] is None]
    if not to_start:
        console.print("[green]stack already running[/] (not restarted)")
    else:
        java = procs.find_java(17)
        _check_ports(to_start)  # before any download: fail fast
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        libs = ensure_kafka(settings, console) if kafka in to_start else None
        es_home = ensure_elasticsearch(settings, console) if es in to_start else None
        _check_ports(to_start)  # again: a download takes time
        for svc in to_start:
            console.print(f"starting {svc.name} on {svc.address} …")
            if svc is kafka:
                kafka.start(java, libs)
            else:
                es.start(java, es_home)
    return wait_healthy(settings, console, timeout)


def wait_healthy(settings: Settings, console: Console, timeout: float = 180.0) -> list[Health]:
    deadline = time.monotonic() + timeout
    kafka, es = services(settings)
    with console.status("waiting for Kafka and Elasticsearch to be healthy …") as st:
        while True:
            states = [svc.health() for svc in (kafka, es)]
            for svc, h in zip((kafka, es), states, strict=True):
                if h.state == "stopped":
                    raise PolicywatchError(
                        f"{svc.name} exited during start-up. Last lines of its log "
                        f"({svc.dir / 'logs'}):\n    "
                        f"{svc.log_tail()}\nFix the cause, then run `policywatch stack up` again."
                    )
            if all(h.state == "healthy" for h in states):
                return states
            if time.monotonic() > deadline:
                bad = [h for h in states if h.state != "healthy"]
                names = ", ".join(f"{h.name} ({h.detail})" for h in bad)
                svc = kafka if bad[0].name == "kafka" else es
                raise PolicywatchError(
                    f"not healthy after {timeout:.0f}s: {names}. Its log ({svc.dir / 'logs'}):\n    "
                    f"{svc.log_tail()}\nIt is left running: inspect it, or `policywatch stack down` "
                    "and retry."
                )
            st.update("waiting for " + ", ".join(f"{h.name}: {h.state}" for h in states) + " …")
            time.sleep(0.5)


def down(settings: Settings, console: Console | None = None) -> list[str]:
    """Stop the processes this stack started (by recorded pid) and wait for them to exit."""
    console = console or Console(stderr=True)
    stopped = []
    for svc in reversed(services(settings)):
        rec = procs.read_pid(svc.pid_file)
        if rec is None:
            continue
        if rec.alive():
            console.print(f"stopping {svc.name} (pid {rec.pid}) …")
            if procs.stop_group(rec):
                stopped.append(svc.name)
        svc.pid_file.unlink(missing_ok=True)
    return stopped
