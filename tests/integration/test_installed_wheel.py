"""The installed package is complete: the path a container takes, outside the checkout.

Builds the wheel from the repository's files (a copy, so the build leaves nothing in the checkout),
installs it with --no-deps into a fresh virtual environment in a temporary folder, and runs the installed
`policywatch` from a folder outside the repository against the local stack: `--version`, `init`,
`replay --seeds`, `process all --until-idle`, `search`. Everything the package reads at run time (index
templates, Kibana objects, vocabularies, the jieba dictionary, the seeds, sources.yaml) must come from the
wheel: the repository is not on the path, and imports are checked to resolve inside the new environment.

The new environment gets the third-party dependencies of the project's environment through a .pth file
naming its site-packages (a plain path line: that folder's own .pth files, the editable install's finder
among them, are not processed, so the checkout stays invisible). Installing them again from PyPI would
test pip, not the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# A phrase from seed 001 (商河经济开发区 2023 work summary); `search` must find that seed.
QUERY = "商河经济开发区"


def _repo_files() -> list[str]:
    """Tracked and new (not ignored) files: what a fresh clone holds, plus work not yet committed."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    return [f for f in out if (ROOT / f).is_file()]


def _run(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path, timeout: float = 600
         ) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n" \
                                 f"{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory, stack):
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for name in _repo_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(src)],
         cwd=tmp)
    wheel = next(dist.glob("policywatch-*.whl"))
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp).stdout.strip())
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "zz_project_dependencies.pth").write_text("".join(f"{d}\n" for d in deps))
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
          "--quiet", str(wheel)], cwd=tmp)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "200"
    work = tmp / "elsewhere"  # the commands run here: no checkout, no seeds/, no kibana/ beside them
    work.mkdir()
    shutil.rmtree(src)  # nothing of the source tree is left to fall back on
    return {"venv": venv, "python": python, "exe": venv / "bin" / "policywatch", "env": env, "cwd": work,
            "wheel": wheel}


def _pw(installed, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return _run([str(installed["exe"]), *args], env=installed["env"], cwd=installed["cwd"], timeout=timeout)


def test_the_wheel_holds_every_data_file_the_code_reads(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for needed in ("policywatch/provision/kibana.ndjson", "policywatch/provision/templates/policy-docs.json",
                   "seeds/manifest.yaml", "crawlers/sources.yaml", "schemas/json/raw_document.json"):
        assert needed in names, needed
    assert sum(n.startswith("seeds/") and n.endswith(".txt") for n in names) == 5
    assert any(n.endswith("domain.dict") for n in names)
    assert any(n.endswith("econ_keywords.txt") for n in names)


def test_imports_resolve_inside_the_new_environment(installed):
    probe = (
        "import json, crawlers.sources, policywatch, processors, schemas, seeds\n"
        "from policywatch.provision.kibana import ndjson_bytes\n"
        "from policywatch.airflow_tasks import seeds_dir\n"
        "from policywatch.core import textseg\n"
        "mods = (policywatch, processors, schemas, seeds, crawlers)\n"
        "print(json.dumps({'modules': [m.__file__ for m in mods],"
        " 'kibana': len(ndjson_bytes().splitlines()), 'seeds': seeds_dir(),"
        " 'sources': len(crawlers.sources.load_sources().sources),"
        # a domain.dict word that jieba's own dictionary cuts in two
        " 'domain_word': '新旧动能转换' in textseg.segment_words('推进新旧动能转换')}))\n"
    )
    out = json.loads(_run([str(installed["python"]), "-c", probe], env=installed["env"],
                          cwd=installed["cwd"]).stdout)
    venv = str(installed["venv"])
    assert all(path.startswith(venv) for path in out["modules"]), out["modules"]
    assert not any(path.startswith(str(ROOT)) for path in out["modules"])
    assert out["seeds"].startswith(venv) and out["kibana"] >= 10 and out["sources"] > 0
    assert out["domain_word"], "the domain dictionary was not loaded from the installed package"


def test_init_replay_process_search_from_the_installed_cli(installed):
    from importlib.metadata import version

    assert _pw(installed, "--version").stdout.strip() == f"policywatch {version('policywatch')}"
    init = json.loads(_pw(installed, "init", "--json").stdout)
    assert init["changes"], init
    replayed = json.loads(_pw(installed, "replay", "--seeds", "--json").stdout)
    assert replayed["files"] == replayed["sent"] == 5
    processed = _pw(installed, "process", "all", "--until-idle", timeout=900).stdout
    assert "index: processed" in processed and "alert: processed" in processed, processed
    found = json.loads(_pw(installed, "search", QUERY, "--json").stdout)
    assert found["total"] >= 1, found
    urls = [hit.get("url", "") for hit in found["hits"]]
    assert any("001_781c3ef80c1e049f.txt" in url for url in urls), urls
    assert any("/seeds/" in url and str(installed["venv"]) in url for url in urls)  # replayed from the wheel
