"""docs/deploy.md, run literally: the blocks marked `# deploy-test: run` go to bash, in order,
as root, in a directory holding the freshly built onewindow-hall package (as on the USB
stick). Two substitutions only: a free port for 8470, and `# deploy-test: service UNIT`
blocks (systemctl, which needs systemd as PID 1) become the unit's own ExecStart run as its
User= in the background. Then it checks what the package promises beyond the doc
(debcheck.check_installed_hall) and purges it. What it does not cover: the kiosk and display sections (a screen
and a printer) and the upgrade section (tests/packaging/test_upgrade_rollback.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging import debcheck as install

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "deploy.md"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def blocks() -> list[tuple[str, str]]:
    """[(marker, body)] for every ```sh block that carries a deploy-test marker."""
    out = []
    for body in re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        first, _, rest = body.partition("\n")
        m = re.match(r"# deploy-test: (\w+)(.*)", first)
        if m:
            out.append((m.group(1), m.group(2).strip(), rest))
    return out


def test_every_shell_block_says_whether_the_test_runs_it():
    marked = blocks()
    all_sh = re.findall(r"```sh\n", DOC.read_text(encoding="utf-8"))
    assert len(marked) == len(all_sh) and len(marked) >= 8
    assert sum(1 for kind, _, _ in marked if kind == "run") >= 4


def test_the_technicians_path_runs_on_a_blank_box(wheelhouse_dir, tmp_path):
    reason = install._why_not()
    if reason:
        pytest.skip(reason)
    if not shutil.which("apt-get") or not shutil.which("curl"):
        pytest.skip("needs apt-get and curl")
    import build_deb

    stick = tmp_path / "stick"
    build_deb.build(["hall"], stick, wheelhouse_dir)
    port = install._free_port()
    # apt would also install the Recommends (chrony, which replaces systemd-timesyncd): on a
    # box that is wanted, on this test machine it is not. APT_CONFIG is read in addition to
    # the system's configuration, so the doc's command line stays as written.
    apt_conf = tmp_path / "apt.conf"
    apt_conf.write_text('APT::Install-Recommends "false";\n')
    hall = None
    try:
        for kind, arg, body in blocks():
            if kind == "skip":
                continue
            if kind == "service":
                unit = Path("/lib/systemd/system") / arg
                hall = install._run_as_unit(unit, "ExecStart", stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL)
                continue
            assert kind == "run", kind
            if "apt-get install" in body:
                script = body
            else:
                script = body.replace("8470", str(port))
            r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=stick,
                               capture_output=True, text=True, timeout=240,
                               env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                                    "DEBIAN_FRONTEND": "noninteractive",
                                    "APT_CONFIG": str(apt_conf)})
            assert r.returncode == 0, f"block failed:\n{script}\n{r.stdout}\n{r.stderr}"
            if "apt-get install" in body:
                # The technician's edit of step 2, for this test: a free port.
                conf = Path("/etc/onewindow/hall.toml")
                conf.write_text(conf.read_text(encoding="utf-8").replace(
                    "port = 8470", f"port = {port}", 1), encoding="utf-8")
            if "/api/v1/tickets" in body:
                assert '"status":"ok"' in r.stdout
                # A ticket in opening hours, else the hall's reason: the token was accepted.
                assert ('"service_id":"biz-setup"' in r.stdout
                        or re.search(r"closed_today|not_open_yet|cutoff", r.stdout)), r.stdout
                assert "bad_token" not in r.stdout and "unauthorized" not in r.stdout
        assert hall is not None, "the doc never starts the hall"
        hall.terminate()
        hall.wait(15)
        hall = None
        # What the package promises beyond the doc's commands (tests/packaging/
        # debcheck.py): modes, users, the venv, units, conffiles, purge.
        (deb,) = stick.glob("onewindow-hall_*.deb")
        install.check_installed_hall(deb)
    finally:
        if hall is not None:
            hall.terminate()
            try:
                hall.wait(15)
            except subprocess.TimeoutExpired:
                hall.kill()
        subprocess.run(["dpkg", "--purge", "onewindow-hall"], capture_output=True)
        shutil.rmtree("/var/lib/onewindow", ignore_errors=True)
