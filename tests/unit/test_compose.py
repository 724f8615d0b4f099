"""docker-compose.yml as an operator runs it: `docker compose config` passes with the documented `.env`
(and refuses without the Kibana key); every command, port, volume and variable it names exists in the
CLI, the settings, the scrape config and the repository; every service states its memory limit."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import typer
import yaml
from typer._click.core import Context  # typer 0.29 bundles its own click
from typer._click.exceptions import UsageError

from policywatch.cli import _register, app
from policywatch.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
PROMETHEUS = ROOT / "deploy" / "prometheus.yml"
STAGES = ("clean", "extract", "index", "alert")


def _compose_cmd() -> list[str]:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail("the docker client has no compose plugin: run `make compose-plugin` (needs Go) or install it")


def _compose(*args: str, env_file: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _example_vars()}  # only the file speaks
    return subprocess.run([*_compose_cmd(), "--env-file", str(env_file), "-f", str(COMPOSE), *args],
                          capture_output=True, text=True, cwd=ROOT, env=env)


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def _example_vars() -> dict[str, str]:
    out = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            out[name.strip()] = value.strip()
    return out


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client on this machine")
def test_compose_config_validates_with_the_documented_env_file():
    proc = _compose("config", "--quiet", env_file=ENV_EXAMPLE)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client on this machine")
def test_compose_refuses_to_start_kibana_without_an_encryption_key(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    proc = _compose("config", "--quiet", env_file=empty)
    assert proc.returncode != 0 and "KIBANA_ENCRYPTION_KEY" in proc.stderr


def test_every_interpolated_variable_is_documented_in_env_example():
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", COMPOSE.read_text()))  # $${X}: the container's
    documented = set(_example_vars())
    assert used - documented == set(), "add these to .env.example"
    assert len(_example_vars()["KIBANA_ENCRYPTION_KEY"]) >= 32  # Kibana's minimum


def test_every_policywatch_variable_is_a_setting():
    fields = set(Settings.model_fields)
    names = set(re.findall(r"\b(POLICYWATCH_[A-Z0-9_]+)", COMPOSE.read_text()))
    names -= {"POLICYWATCH_IMAGE_TAG"}  # compose's own: the tag of the images it builds
    assert names, "compose names no POLICYWATCH_ variable?"
    unknown = {n for n in names if n.removeprefix("POLICYWATCH_").lower() not in fields}
    assert unknown == set(), "compose sets variables that Settings ignores"


def _parse(argv: list[str]) -> Context:
    """Parse ``policywatch <argv>`` the way the CLI would, without running anything."""
    _register()
    cmd = typer.main.get_command(app)
    rest, name = list(argv), "policywatch"
    while hasattr(cmd, "get_command"):  # a group
        if not rest:
            raise UsageError(f"{name} needs a sub-command")
        name = rest.pop(0)
        sub = cmd.get_command(Context(cmd), name)
        if sub is None:
            raise UsageError(f"no such command {name!r}")
        cmd = sub
    return cmd.make_context(name, rest)


def _policywatch_commands() -> list[tuple[str, list[str]]]:
    out = []
    for name, svc in _services().items():
        for argv in (svc.get("command"), (svc.get("healthcheck") or {}).get("test")):
            if not argv:
                continue
            if argv[0] in ("CMD", "CMD-SHELL"):
                argv = argv[1:] if argv[0] == "CMD" else shlex.split(argv[1])
            if argv and argv[0] == "policywatch":
                out.append((name, argv[1:]))
    return out


def test_the_parser_refuses_what_the_cli_refuses():
    for argv in (["process", "clean", "--bogus"], ["nosuch"], ["dlq", "nosuch"], ["health-check"], ["dlq"]):
        with pytest.raises(UsageError):
            _parse(argv)


def test_every_policywatch_command_in_compose_parses_against_the_cli():
    commands = _policywatch_commands()
    assert {name for name, _ in commands} >= {"init", *STAGES}
    for name, argv in commands:
        try:
            _parse(argv)
        except UsageError as exc:
            pytest.fail(f"{name}: `policywatch {' '.join(argv)}`: {exc}")


def test_each_stage_serves_metrics_on_its_published_port_and_prometheus_scrapes_it():
    services = _services()
    scrape = yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"]
    discovered = {(name, sd["port"]) for job in scrape for sd in job.get("dns_sd_configs", [])
                  for name in sd["names"]}
    for stage in STAGES:
        svc = services[stage]
        argv = svc["command"]
        assert argv[:3] == ["policywatch", "process", stage], stage
        port = int(argv[argv.index("--metrics-port") + 1])
        published = [p.rsplit(":", 1)[1] for p in svc["ports"]]
        assert str(port) in published, f"{stage}: metrics port {port} not published ({svc['ports']})"
        assert (stage, port) in discovered, f"prometheus does not scrape {stage}:{port}"
        assert svc["healthcheck"]["test"][1:4] == ["policywatch", "health-check", stage], stage
    crawl_port = int(services["airflow-scheduler"]["environment"]["POLICYWATCH_CRAWL_METRICS_PORT"])
    crawler = next(job for job in scrape if job["job_name"] == "policywatch-crawler")
    targets = crawler["static_configs"][0]["targets"]
    assert f"airflow-scheduler:{crawl_port}" in targets
    low, high = map(int, services["airflow-scheduler"]["expose"][0].split("-"))
    assert all(low <= int(t.rsplit(":", 1)[1]) <= high for t in targets)


def test_volumes_exist_and_the_home_volume_is_policywatch_home():
    doc = yaml.safe_load(COMPOSE.read_text())
    declared = set(doc["volumes"])
    for name, svc in doc["services"].items():
        for volume in svc.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} is not in the repository"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
    home = doc["services"]["clean"]["environment"]["POLICYWATCH_HOME"]
    assert f"policywatch-home:{home}" in doc["services"]["clean"]["volumes"]
    assert f"POLICYWATCH_HOME={home}" in (ROOT / "Dockerfile").read_text()
    heartbeat = doc["services"]["clean"]["environment"]["POLICYWATCH_HEARTBEAT_DIR"]
    assert not heartbeat.startswith(home), "heartbeats must be container-local, not on the shared volume"


def test_operator_wiring_kibana_key_init_waits_for_kibana_limits_and_unpaused_dags():
    services = _services()
    kibana_env = services["kibana"]["environment"]
    assert "${KIBANA_ENCRYPTION_KEY" in kibana_env["XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY"]
    init = services["init"]
    assert init["command"] == ["policywatch", "init"]
    assert {k: v["condition"] for k, v in init["depends_on"].items()} == {
        "kafka": "service_healthy", "elasticsearch": "service_healthy", "kibana": "service_healthy"}
    assert init["environment"]["POLICYWATCH_KIBANA_URL"] == "http://kibana:5601"
    assert "POLICYWATCH_KIBANA_WAIT_S" in init["environment"]
    for name, svc in services.items():
        limit = ((svc.get("deploy") or {}).get("resources") or {}).get("limits", {}).get("memory")
        assert limit, f"{name} states no memory limit"
    assert services["index"]["deploy"]["replicas"] == 2
    scheduler_env = services["airflow-scheduler"]["environment"]
    assert scheduler_env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "false"
    assert "-Xmx${ES_HEAP" in services["elasticsearch"]["environment"]["ES_JAVA_OPTS"]
    assert "-Xmx${KAFKA_HEAP" in services["kafka"]["environment"]["KAFKA_HEAP_OPTS"]


def test_images_install_the_built_wheel():
    """Multi-stage: the runtime image installs the wheel built in the first stage, never the source tree;
    the Airflow image installs the same wheel with the airflow extra (the base image's Airflow)."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "AS build" in dockerfile and "pip wheel --no-deps --wheel-dir /wheels ." in dockerfile
    assert "pip install --no-index --find-links /wheels policywatch" in dockerfile
    packages = re.search(r'include = \[([^\]]*)\]', (ROOT / "pyproject.toml").read_text()).group(1)
    for package in re.findall(r'"([a-z_]+)\*?"', packages):  # every package the wheel is built from
        for name in ("Dockerfile", "Dockerfile.airflow"):
            assert f"COPY {package} ./{package}" in (ROOT / name).read_text(), (name, package)
    runtime = dockerfile.split("AS build", 1)[1].split("\nFROM ", 1)[1]
    assert "COPY policywatch" not in runtime and "gcc" not in runtime
    airflow = (ROOT / "Dockerfile.airflow").read_text()
    assert "FROM apache/airflow:3.3.2-python3.11" in airflow
    assert '/wheels/policywatch-*.whl)[airflow]"' in airflow and "-e ." not in airflow
    services = _services()
    for name in ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"):
        assert services[name]["image"].startswith("policywatch-airflow:"), name
        assert services[name]["build"]["dockerfile"] == "Dockerfile.airflow", name
    for name in ("init", *STAGES):
        assert services[name]["image"].startswith("policywatch:"), name
    assert '"apache-airflow==3.3.2"' in (ROOT / "pyproject.toml").read_text()


def test_web_service_serves_on_all_addresses_behind_the_login():
    web = yaml.safe_load(COMPOSE.read_text())["services"]["web"]
    assert web["command"][:2] == ["policywatch", "web"] and "0.0.0.0" in web["command"]
    env = web["environment"]
    assert "POLICYWATCH_WEB_USER" in env and "POLICYWATCH_WEB_PASSWORD" in env
    assert env["POLICYWATCH_ES_URL"] == "http://elasticsearch:9200"
