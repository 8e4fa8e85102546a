"""Checks of the installed hall package (run from test_deploy_doc.py, which installs it the
technician's way): the hall run through its unit's ExecStart as the unit's user, its health
over real HTTP, modes, units, then the package purged.

Runs as root on Debian 12 (CI and the developers' machines); it changes the machine
(users, /opt/onewindow, /etc/onewindow) and puts it back, and refuses to touch a machine
that already has OneWindow installed."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.packaging import units
from tests.packaging.conftest import debian12_python


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "installs a .deb: needs root"
    if not shutil.which("dpkg-deb") or not shutil.which("dpkg"):
        return "needs dpkg (Debian)"
    if not debian12_python():
        return "needs /usr/bin/python3 3.11 with python3-venv (Debian 12)"
    if not shutil.which("systemd-sysusers"):
        return "needs systemd-sysusers (package systemd)"
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}\n", "onewindow-*"],
                       capture_output=True, text=True)
    if "installed" in r.stdout:
        return "a OneWindow package is installed on this machine: not touching it"
    if Path("/var/lib/onewindow").exists() or Path("/opt/onewindow").exists():
        return "/var/lib/onewindow or /opt/onewindow exists here: not touching a real hall"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mode(path: str | Path) -> tuple[int, str, str]:
    import grp
    import pwd

    st = os.stat(path)
    return (stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name)


def _run_as_unit(unit_path: Path, key: str, extra_env=None, **popen) -> subprocess.Popen:
    """Run the unit's `key` command line (ExecStart, ExecStartPre) as its User=, with its
    Environment=, WorkingDirectory= and UMask=, as systemd would (minus the sandbox)."""
    service = units.parse(unit_path)["Service"]
    argv = units.command(service[key][0])
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **units.environment(service),
           **(extra_env or {})}
    user = service["User"][0]
    umask = service.get("UMask", ["0022"])[0]
    cmd = ["runuser", "-u", user, "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()],
           "sh", "-c", f'umask {umask}; exec "$@"', "sh", *argv]
    return subprocess.Popen(cmd, cwd=service.get("WorkingDirectory", ["/"])[0], **popen)


def _health(port: int, deadline_s: float = 60) -> dict:
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as r:
                return json.loads(r.read())
        except OSError as exc:
            last = exc
            time.sleep(0.3)
    raise AssertionError(f"hall not healthy on port {port}: {last}")


def check_installed_hall(deb: Path) -> None:
    """The installed onewindow-hall package: run by test_deploy_doc.py after the technician's
    path of docs/deploy.md has installed it (one install for both)."""
    # onewindow on PATH, from the release venv behind `current`.
    out = subprocess.run(["onewindow", "--version"], capture_output=True, text=True)
    assert out.stdout.strip().startswith("onewindow "), out
    assert os.readlink("/opt/onewindow/current").startswith("releases/")
    venv = Path("/opt/onewindow/current")
    # A hall node carries no Qt; the kiosk's wheels are not even in the package.
    assert not list(venv.glob("lib/python3*/site-packages/PySide6"))
    assert list(venv.glob("lib/python3*/site-packages/fastapi"))
    # The example hall ships in the wheel: `onewindow demo` and the docs find it there.
    example = subprocess.run([str(venv / "bin/python"), "-c",
                              "from onewindow import example_config_path as e; print(e())"],
                             capture_output=True, text=True, cwd="/").stdout.strip()
    assert example.startswith("/opt/onewindow/") and Path(example).is_file(), example

    # Modes: configuration for the hall's group only, secrets root-only, state private.
    assert _mode("/etc/onewindow") == (0o750, "root", "onewindow")
    assert _mode("/etc/onewindow/hall.toml") == (0o640, "root", "onewindow")
    assert _mode("/etc/onewindow/hall.key") == (0o600, "root", "root")
    assert _mode("/var/lib/onewindow") == (0o700, "onewindow", "onewindow")
    groups = subprocess.run(["id", "-nG", "onewindow"], capture_output=True, text=True).stdout
    assert "dialout" in groups.split()

    # The technician sets the port (our test picks a free one); a reinstall keeps the edit.
    port = _free_port()
    conf = Path("/etc/onewindow/hall.toml")
    text = conf.read_text(encoding="utf-8")
    assert re.search(r"^port = \d+$", text, re.M)
    conf.write_text(re.sub(r"^port = \d+$", f"port = {port}", text, count=1, flags=re.M),
                    encoding="utf-8")
    r = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"port = {port}" in conf.read_text(encoding="utf-8")
    assert _mode("/etc/onewindow/hall.toml") == (0o640, "root", "onewindow")

    unit = Path("/lib/systemd/system/onewindow-hall.service")
    pre = _run_as_unit(unit, "ExecStartPre", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    assert pre.wait(60) == 0, pre.stdout.read()
    hall = _run_as_unit(unit, "ExecStart", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        text=True)
    try:
        health = _health(port)
        assert health["status"] == "ok" and health["database_ok"] is True
    finally:
        hall.terminate()
        try:
            hall.wait(15)
        except subprocess.TimeoutExpired:
            hall.kill()
            hall.wait(5)
    # The database and its WAL: the service user's alone (phone numbers, PIN hashes).
    for f in Path("/var/lib/onewindow").glob("hall.db*"):
        mode, owner, _ = _mode(f)
        assert mode & 0o077 == 0 and owner == "onewindow", (f, oct(mode), owner)

    # Every installed unit passes systemd-analyze verify.
    installed_units = sorted(Path("/lib/systemd/system").glob("onewindow-*"))
    assert len(installed_units) == 5
    v = subprocess.run(["systemd-analyze", "verify", *map(str, installed_units)],
                       capture_output=True, text=True)
    assert v.returncode == 0 and not v.stderr.strip(), v.stderr

    r = subprocess.run(["dpkg", "--purge", "onewindow-hall"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not Path("/usr/bin/onewindow").exists()
    assert not Path("/etc/onewindow").exists()
    assert not Path("/opt/onewindow").exists()
    # The hall's data is kept on purge (said so on the terminal).
    assert Path("/var/lib/onewindow/hall.db").exists()
