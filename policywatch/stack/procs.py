"""Process plumbing for the local stack: tools on PATH, ports, pid files, the unprivileged user."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from policywatch.core.errors import PolicywatchError

ES_USER = "policywatch"


@dataclass(frozen=True)
class Java:
    java: Path
    home: Path
    major: int


def find_java(min_major: int = 17) -> Java:
    """The `java` to run Kafka and Elasticsearch with: JAVA_HOME first, then PATH."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path))
    for cand in candidates:
        if not cand.exists():
            continue
        try:
            out = subprocess.run([str(cand), "-version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
        if not m:
            continue
        major = int(m.group(1))
        if major == 1 and m.group(2):  # 1.8 style
            major = int(m.group(2))
        real = cand.resolve()
        if major >= min_major:
            return Java(java=real, home=real.parent.parent, major=major)
        raise PolicywatchError(
            f"Java {major} found at {real}, but the local stack needs Java {min_major} or newer. "
            "Install it (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`) or point JAVA_HOME at one."
        )
    raise PolicywatchError(
        "Java was not found (no JAVA_HOME, no `java` on PATH); the local Kafka and Elasticsearch need Java "
        f"{min_major}+. Install it (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; macOS: "
        "`brew install openjdk@17`) or set JAVA_HOME."
    )


def find_maven() -> Path:
    mvn = shutil.which("mvn")
    if not mvn:
        raise PolicywatchError(
            "Maven (`mvn`) was not found on PATH; the local stack fetches Kafka and Elasticsearch from Maven "
            "Central with it. Install it (Debian/Ubuntu: `apt-get install maven`; "
            "macOS: `brew install maven`)."
        )
    return Path(mvn)


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port (we can bind it ourselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --- pids -------------------------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, pgrp) of a process, None when it does not exist."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    rest = raw[raw.rfind(")") + 2 :].split()
    return rest[0], int(rest[2])


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    except OSError:
        pass


def pid_alive(pid: int) -> bool:
    _reap(pid)
    st = _proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (the services run each in their own session)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        st = _proc_stat(pid)
        if st and st[1] == pgid and st[0] not in ("Z", "X"):
            members.append(pid)
    return members


@dataclass
class PidRecord:
    """What `stack up` wrote for one service: its pid (= process group), and a marker in its command line."""

    pid: int
    marker: str
    version: str
    started_at: float

    def alive(self) -> bool:
        """Alive and really ours: a reused pid of some other program does not count."""
        if not pid_alive(self.pid) and not group_members(self.pid):
            return False
        members = [self.pid, *group_members(self.pid)]
        return any(self.marker in cmdline(p) for p in members)


def read_pid(path: Path) -> PidRecord | None:
    try:
        data = json.loads(path.read_text())
        return PidRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def write_pid(path: Path, rec: PidRecord) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rec.__dict__))
    tmp.replace(path)


def stop_group(rec: PidRecord, timeout: float = 60.0) -> bool:
    """SIGTERM the service's process group, wait; SIGKILL what is left after `timeout`.

    True if it was running."""
    if not rec.alive():
        return False
    try:
        os.killpg(rec.pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(rec.pid)
        if not pid_alive(rec.pid) and not group_members(rec.pid):
            return True
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(rec.pid, signal.SIGKILL)
    for _ in range(50):
        _reap(rec.pid)
        if not pid_alive(rec.pid) and not group_members(rec.pid):
            break
        time.sleep(0.1)
    return True


# --- the unprivileged user for Elasticsearch ----------------------------------------------------------


def is_root() -> bool:
    return os.geteuid() == 0


def ensure_service_user(name: str = ES_USER) -> tuple[int, int]:
    """Create (once) a system user without login for Elasticsearch, which refuses to run as root."""
    import pwd

    try:
        pw = pwd.getpwnam(name)
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    proc = subprocess.run(
        [useradd, "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
    )
    if proc.returncode not in (0, 9):  # 9 = already exists (a concurrent `up`)
        raise PolicywatchError(
            f"Elasticsearch refuses to run as root and creating the system user {name!r} failed: "
            f"{proc.stderr.strip()}. Create it yourself (`useradd --system {name}`) or run as a normal user."
        )
    pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def chown_tree(path: Path, uid: int, gid: int) -> None:
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, gid)
        for n in dirs + files:
            os.lchown(os.path.join(root, n), uid, gid)


def traversable_by_others(path: Path) -> bool:
    """Whether a user that is neither owner nor group can reach `path` (every ancestor has o+x)."""
    p = path.resolve()
    for anc in [p, *p.parents]:
        try:
            if not anc.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def _grant_traverse_acl(path: Path, uid: int) -> None:
    """Add a POSIX ACL entry `user:uid:--x` to a directory (search only, no listing); keep other entries."""
    import struct

    key = "system.posix_acl_access"
    mode = path.stat().st_mode
    try:
        raw = os.getxattr(path, key)
        entries = [struct.unpack_from("<HHI", raw, 4 + 8 * i) for i in range((len(raw) - 4) // 8)]
    except OSError:
        entries = []
    if not entries:
        none = 0xFFFFFFFF
        entries = [(0x01, (mode >> 6) & 7, none), (0x04, (mode >> 3) & 7, none), (0x20, mode & 7, none)]
    if any(tag == 0x02 and eid == uid and perm & 1 for tag, perm, eid in entries):
        return
    entries = [e for e in entries if not (e[0] == 0x02 and e[2] == uid) and e[0] != 0x10]
    entries.append((0x02, 1, uid))
    group_class = 0
    for tag, perm, _ in entries:
        if tag in (0x02, 0x04, 0x08):
            group_class |= perm
    entries.append((0x10, group_class, 0xFFFFFFFF))
    entries.sort(key=lambda e: (e[0], e[2]))
    os.setxattr(path, key, struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries))


def grant_traverse(path: Path, uid: int) -> list[Path]:
    """Let `uid` reach `path`: every ancestor that others cannot enter (root's home is 0700) gets an ACL
    entry granting that user search permission only (falls back to o+x where ACLs are unsupported).
    Capabilities are no substitute: Java checks files with access(2), which ignores them."""
    changed = []
    p = path.resolve()
    for anc in reversed([p, *p.parents]):
        st = anc.stat()
        if st.st_uid == uid or st.st_mode & 0o001:
            continue
        try:
            _grant_traverse_acl(anc, uid)
        except OSError:
            anc.chmod(st.st_mode | 0o001)
        changed.append(anc)
    return changed


def drop_privileges_prefix(uid: int, gid: int) -> list[str]:
    """Command prefix that runs the rest as uid:gid (setpriv, else runuser)."""
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
    runuser = shutil.which("runuser")
    if not runuser:
        raise PolicywatchError(
            "Neither `setpriv` nor `runuser` is available to drop root; install util-linux."
        )
    import pwd

    return [runuser, "-u", pwd.getpwuid(uid).pw_name, "--"]
