"""The two services of the local stack: a KRaft Kafka node and a single-node Elasticsearch.

Layout under `settings.state_dir`:
  kafka/          server.properties, log4j2.properties, data/, logs/, kafka.pid
  elasticsearch/  config/, data/, logs/, tmp/, elasticsearch.pid
                  (owned by the unprivileged `policywatch` user when started by root)
Each service runs in a session of its own; its pid file holds that session's leader, which is also the
process-group id that `down` signals.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from policywatch.core.errors import PolicywatchError
from policywatch.core.settings import Settings
from policywatch.stack import procs
from policywatch.stack.procs import PidRecord


@dataclass
class Health:
    name: str
    state: str  # "healthy" | "starting" | "stopped" | "unhealthy"
    address: str
    version: str | None = None
    pid: int | None = None
    detail: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _tail(path: Path, n: int = 15) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n    ".join(lines[-n:])


# --- Kafka ----------------------------------------------------------------------------------------------


class KafkaService:
    name = "kafka"

    def __init__(self, settings: Settings):
        self.s = settings
        self.dir = settings.state_dir / "kafka"
        self.pid_file = self.dir / "kafka.pid"
        self.marker = f"-Dpolicywatch.stack={self.dir}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.s.kafka_port}"

    def ports(self) -> dict[str, int]:
        return {"Kafka": self.s.kafka_port, "Kafka controller": self.s.kafka_controller_port}

    def record(self) -> PidRecord | None:
        rec = procs.read_pid(self.pid_file)
        return rec if rec and rec.alive() else None

    def _write_config(self) -> Path:
        data = self.dir / "data"
        logs = self.dir / "logs"
        data.mkdir(parents=True, exist_ok=True)
        logs.mkdir(parents=True, exist_ok=True)
        s = self.s
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{s.kafka_controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{s.kafka_port},CONTROLLER://127.0.0.1:{s.kafka_controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{s.kafka_port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(data),
            "num.partitions": str(s.topic_partitions),
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # A 32 MiB raw page must pass end to end: broker accepts it, replicas (none here) fetch it.
            "message.max.bytes": str(s.kafka_message_max_bytes),
            "replica.fetch.max.bytes": str(s.kafka_message_max_bytes),
            "socket.request.max.bytes": str(max(104_857_600, 2 * s.kafka_message_max_bytes)),
            "auto.create.topics.enable": "true",
            "log.retention.ms": "-1",
            "log.segment.bytes": "268435456",
        }
        conf = self.dir / "server.properties"
        conf.write_text(
            "# written by `policywatch stack up`\n" + "".join(f"{k}={v}\n" for k, v in props.items())
        )
        (self.dir / "log4j2.properties").write_text(
            "status = warn\n"
            "appender.file.type = RollingFile\n"
            "appender.file.name = file\n"
            f"appender.file.fileName = {logs}/server.log\n"
            f"appender.file.filePattern = {logs}/server.log.%i\n"
            "appender.file.layout.type = PatternLayout\n"
            "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
            "appender.file.policies.type = Policies\n"
            "appender.file.policies.size.type = SizeBasedTriggeringPolicy\n"
            "appender.file.policies.size.size = 50MB\n"
            "appender.file.strategy.type = DefaultRolloverStrategy\n"
            "appender.file.strategy.max = 3\n"
            "rootLogger.level = INFO\n"
            "rootLogger.appenderRef.file.ref = file\n"
            "logger.kafka.name = kafka\nlogger.kafka.level = INFO\n"
            "logger.kraft.name = org.apache.kafka.raft\nlogger.kraft.level = WARN\n"
        )
        return conf

    def _java_cmd(self, java: procs.Java, libs: Path, main: str, *args: str, heap: str = "256m") -> list[str]:
        return [
            str(java.java),
            f"-Xms{heap}",
            f"-Xmx{heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.dir / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.dir / 'logs'}",
            self.marker,
            "-cp",
            f"{libs}/*",
            main,
            *args,
        ]

    def _format(self, java: procs.Java, libs: Path, conf: Path) -> None:
        data = self.dir / "data"
        if (data / "meta.properties").exists():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        cmd = self._java_cmd(
            java, libs, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(conf)
        )
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise PolicywatchError(
                f"formatting the Kafka storage in {data} failed:\n    "
                f"{(proc.stderr or proc.stdout).strip()[-1500:]}\n"
                f"If the directory holds an old or foreign cluster, remove {data} (its topics are lost) "
                "and retry."
            )

    def start(self, java: procs.Java, libs: Path) -> None:
        conf = self._write_config()
        self._format(java, libs, conf)
        out = open(self.dir / "logs" / "stdout.log", "wb")  # noqa: SIM115 (handed to the child)
        cmd = self._java_cmd(java, libs, "kafka.Kafka", str(conf), heap=self.s.kafka_heap)
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=str(self.dir),
        )
        out.close()
        procs.write_pid(self.pid_file, PidRecord(proc.pid, self.marker, self.s.kafka_version, time.time()))

    def probe(self) -> tuple[bool, str]:
        """Kafka answers a metadata request on its listener."""
        if not procs.port_open(self.s.kafka_port):
            return False, "port closed"
        try:
            from kafka import KafkaAdminClient

            admin = KafkaAdminClient(
                bootstrap_servers=self.address, request_timeout_ms=5000, client_id="policywatch-stack"
            )
            try:
                info = admin.describe_cluster()
            finally:
                admin.close()
            if info.get("brokers"):
                return True, f"cluster {info.get('cluster_id')}"
            return False, "no brokers in metadata"
        except Exception as exc:  # any client failure = not ready yet
            return False, f"{type(exc).__name__}: {exc}"

    def health(self) -> Health:
        rec = self.record()
        if rec is None:
            return Health(self.name, "stopped", self.address, self.s.kafka_version)
        ok, detail = self.probe()
        return Health(self.name, "healthy" if ok else "starting", self.address, rec.version, rec.pid, detail)

    def log_tail(self) -> str:
        return _tail(self.dir / "logs" / "server.log") or _tail(self.dir / "logs" / "stdout.log")


# --- Elasticsearch ----------------------------------------------------------------------------------------


class ElasticsearchService:
    name = "elasticsearch"

    def __init__(self, settings: Settings):
        self.s = settings
        self.dir = settings.state_dir / "elasticsearch"
        self.pid_file = self.dir / "elasticsearch.pid"
        # On every command line of the service: the launcher script gets it as -E argument, the JVMs as -D.
        self.marker = str(self.dir)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.s.es_port}"

    def ports(self) -> dict[str, int]:
        return {"Elasticsearch HTTP": self.s.es_port, "Elasticsearch transport": self.s.es_transport_port}

    def record(self) -> PidRecord | None:
        rec = procs.read_pid(self.pid_file)
        return rec if rec and rec.alive() else None

    def _write_config(self, es_home: Path) -> Path:
        conf = self.dir / "config"
        for sub in ("data", "logs", "tmp", "config/jvm.options.d"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        for name in ("jvm.options", "log4j2.properties"):
            src = es_home / "config" / name
            if src.exists():
                shutil.copyfile(src, conf / name)
        (conf / "elasticsearch.yml").write_text(
            "# written by `policywatch stack up`: a single local node, core modules only\n"
            "cluster.name: policywatch-local\n"
            "node.name: policywatch-1\n"
            f"path.data: {self.dir / 'data'}\n"
            "network.host: 127.0.0.1\n"
            f"http.port: {self.s.es_port}\n"
            f"transport.port: {self.s.es_transport_port}\n"
            "discovery.type: single-node\n"
            "xpack.security.enabled: false\n"
            "cluster.routing.allocation.disk.threshold_enabled: false\n"
            "action.auto_create_index: true\n"
        )
        (conf / "jvm.options.d" / "policywatch.options").write_text(
            f"-Xms{self.s.es_heap}\n-Xmx{self.s.es_heap}\n-Dpolicywatch.stack={self.dir}\n"
        )
        return conf

    def start(self, java: procs.Java, es_home: Path) -> None:
        conf = self._write_config(es_home)
        prefix: list[str] = []
        if procs.is_root():
            uid, gid = procs.ensure_service_user()
            procs.chown_tree(self.dir, uid, gid)
            procs.grant_traverse(es_home, uid)
            procs.grant_traverse(self.dir, uid)
            prefix = procs.drop_privileges_prefix(uid, gid)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("ES_", "POLICYWATCH_"))},
            "ES_JAVA_HOME": str(java.home),
            "ES_PATH_CONF": str(conf),
            "ES_TMPDIR": str(self.dir / "tmp"),
        }
        env.pop("JAVA_TOOL_OPTIONS", None)
        out = open(self.dir / "logs" / "stdout.log", "wb")  # noqa: SIM115 (handed to the child)
        if procs.is_root():
            os.fchown(out.fileno(), *procs.ensure_service_user())
        proc = subprocess.Popen(
            [*prefix, str(es_home / "bin" / "elasticsearch"), f"-Epath.logs={self.dir / 'logs'}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=str(self.dir),
            env=env,
        )
        out.close()
        procs.write_pid(self.pid_file, PidRecord(proc.pid, self.marker, self.s.es_version, time.time()))

    def probe(self) -> tuple[bool, str, str | None]:
        try:
            with httpx.Client(base_url=self.address, timeout=3.0) as c:
                health = c.get("/_cluster/health").json()
                # GET / lives in the rest-root module, absent from the integ-test distribution
                nodes = c.get("/_nodes/_local", params={"filter_path": "nodes.*.version"}).json()
        except Exception as exc:
            return False, f"{type(exc).__name__}", None
        status = health.get("status")
        version = next((n.get("version") for n in (nodes.get("nodes") or {}).values()), None)
        return status in ("yellow", "green"), f"cluster {status}", version

    def health(self) -> Health:
        rec = self.record()
        if rec is None:
            return Health(self.name, "stopped", self.address, self.s.es_version)
        ok, detail, version = self.probe()
        return Health(
            self.name, "healthy" if ok else "starting", self.address, version or rec.version, rec.pid, detail
        )

    def log_tail(self) -> str:
        return _tail(self.dir / "logs" / "stdout.log") or _tail(self.dir / "logs" / "policywatch-local.log")
