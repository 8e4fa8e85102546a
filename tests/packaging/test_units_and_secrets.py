"""Every unit and every file each package installs: no token on a command line, no secret
with group or world bits, each unit exactly its groups; systemd-analyze verify on all."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.packaging import units

REPO = Path(__file__).resolve().parents[2]
UNITS = sorted((REPO / "systemd").glob("onewindow-*"))

# Exactly the groups each program needs (docs/devices.md).
GROUPS = {
    "onewindow-hall.service": {"dialout"},
    "onewindow-kiosk.service": {"video", "render", "input", "audio", "lp", "dialout"},
    "onewindow-display.service": {"video", "render", "audio"},
    "onewindow-sync.service": set(),
    "onewindow-notices.service": set(),
    "onewindow-backup.service": set(),
}


def test_no_unit_puts_a_secret_on_the_command_line():
    assert len(UNITS) == 7
    for path in UNITS:
        sections = units.parse(path)
        for line in units.exec_lines(sections.get("Service", {})):
            assert not units.SECRET_ON_ARGV.search(line), f"{path.name}: secret on argv: {line}"


def test_the_secret_detector_catches_the_old_units():
    old = "/opt/onewindow/.venv/bin/onewindow kiosk --hall ${HALL_URL} --token ${KIOSK_TOKEN}"
    assert units.SECRET_ON_ARGV.search(old)
    assert units.SECRET_ON_ARGV.search("onewindow sync --hall-key 3f" + "0" * 62)
    assert not units.SECRET_ON_ARGV.search("onewindow kiosk --token-file /run/x")


def test_each_unit_has_exactly_its_groups_and_credentials():
    for path in UNITS:
        if path.suffix != ".service":
            continue
        service = units.parse(path)["Service"]
        groups = {g for v in service.get("SupplementaryGroups", []) for g in v.split()}
        assert groups == GROUPS[path.name], path.name
        creds = service.get("LoadCredential", [])
        if path.name in ("onewindow-kiosk.service", "onewindow-display.service"):
            role = path.stem.split("-")[1]
            assert creds == [f"{role}-token:/etc/onewindow/{role}.token"]
            assert service["User"] == [f"onewindow-{role}"]
            assert service["ExecStart"][0] == f"/usr/lib/onewindow/session {role}"
            assert service["PAMName"] == ["login"] and service["TTYPath"][0].startswith("/dev/tty")
            assert "QT_QPA_PLATFORM=wayland" in service["Environment"][0]
            assert service["Type"] == ["notify"] and service["NotifyAccess"] == ["all"]
        if path.name == "onewindow-sync.service":
            assert creds == ["hall-key:/etc/onewindow/hall.key"]
        if path.name in ("onewindow-sync.service", "onewindow-notices.service"):
            # 4 = "this role is off in hall.toml": never restarted.
            assert "4" in service["RestartPreventExitStatus"][0].split()
            # what sync applies lives in the state directory, not /etc
            assert not any("/etc" in v for v in service.get("ReadWritePaths", []))
        if path.name == "onewindow-hall.service":
            assert service["Type"] == ["notify"] and service["WatchdogSec"] == ["30s"]
            assert service["Restart"] == ["on-failure"]


def _stage(role, wheelhouse_dir, tmp_path) -> Path:
    import build_deb

    tree = tmp_path / role
    build_deb.stage(role, wheelhouse_dir, tree)
    return tree


@pytest.mark.slow
def test_every_packaged_file_keeps_secrets_private_and_roles_carry_only_their_wheels(
        wheelhouse_dir, tmp_path):
    for role in ("hall", "kiosk", "display", "all"):
        tree = _stage(role, wheelhouse_dir, tmp_path)
        wheels = {w.name.split("-")[0].lower() for w in tree.glob("opt/onewindow/wheels/*/*.whl")}
        assert ("pyside6_essentials" in wheels) == (role != "hall"), role
        assert ("matplotlib" in wheels) == (role in ("hall", "all")), role
        assert ("fastapi" in wheels) == (role in ("hall", "all")), role
        for f in tree.rglob("*"):
            if f.is_symlink() or not f.is_file():
                continue
            mode = stat.S_IMODE(f.stat().st_mode)
            rel = f.relative_to(tree)
            if f.suffix in (".key", ".token") or f.name == "hall.toml" and "etc" in rel.parts:
                assert mode & 0o007 == 0, f"{role}: {rel} is world-readable ({oct(mode)})"
            if f.suffix in (".service",):
                for line in units.exec_lines(units.parse(f).get("Service", {})):
                    assert not units.SECRET_ON_ARGV.search(line), f"{role}: {rel}: {line}"
            if f.suffix == ".env":
                text = f.read_text(encoding="utf-8")
                assert "TOKEN" not in text.replace("token goes in", ""), f"{role}: {rel}"
        conffiles = (tree / "DEBIAN/conffiles").read_text().split()
        assert all(c.startswith("/etc/onewindow/") for c in conffiles)
        assert ("/etc/onewindow/hall.toml" in conffiles) == (role in ("hall", "all"))
        # Secrets are made by postinst, 0600 root, never shipped with a value.
        assert not list(tree.glob("etc/onewindow/*.token")) and not list(tree.glob("etc/onewindow/*.key"))
        postinst = (tree / "DEBIAN/postinst").read_text()
        assert "install -m 0600 -o root -g root /dev/null" in postinst


def test_systemd_analyze_verifies_every_unit(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    # verify checks that each ExecStart's program exists: lay the units out in a root that
    # has the programs the packages provide, and cage when the machine has it.
    root = tmp_path / "root"
    for prog in ("opt/onewindow/current/bin/onewindow", "usr/lib/onewindow/session"):
        p = root / prog
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("#!/bin/sh\n")
        p.chmod(0o755)
    checked = []
    for path in UNITS:
        text = path.read_text(encoding="utf-8")
        if "/usr/lib/onewindow/session" in text and not Path("/usr/bin/cage").exists():
            continue  # the cage-less machine is reported below
        text = text.replace("/opt/onewindow/", f"{root}/opt/onewindow/").replace(
            "/usr/lib/onewindow/", f"{root}/usr/lib/onewindow/")
        (tmp_path / path.name).write_text(text, encoding="utf-8")
        checked.append(str(tmp_path / path.name))
    r = subprocess.run(["systemd-analyze", "verify", *checked], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    if not Path("/usr/bin/cage").exists():
        pytest.skip(f"verified {len(checked)} units; kiosk and display need /usr/bin/cage "
                    "(apt-get install cage) to be verified")


def test_security_exposure_is_within_the_aims():
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    import sys

    r = subprocess.run([sys.executable, str(REPO / "bench" / "unit_security.py")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    import json

    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["units"]["onewindow-hall.service"] <= 4.0
    assert result["units"]["onewindow-kiosk.service"] <= 5.0
    assert result["units"]["onewindow-display.service"] <= 5.0


def test_wheelhouse_is_a_complete_offline_bundle(wheelhouse_dir):
    names = {p.name for p in wheelhouse_dir.iterdir()}
    assert {"install.sh", "constraints.txt", "requirements-hall.txt", "requirements-kiosk.txt",
            "requirements-display.txt", "requirements-all.txt", "README.txt"} <= names
    assert any(n.startswith("onewindow-") and n.endswith(".whl") for n in names)
    # every pinned file of every role is in the bundle
    for req in wheelhouse_dir.glob("requirements-*.txt"):
        for line in req.read_text().splitlines():
            if "==" in line:
                name, ver = line.split()[0].split("==")
                norm = name.replace("-", "_").lower()
                assert any(n.lower().startswith(f"{norm}-{ver}-") for n in names), (req.name, line)


@pytest.mark.parametrize("rotation, flags", [("0", []), ("90", ["-r"]), ("180", ["-r", "-r"]),
                                             ("270", ["-r", "-r", "-r"])])
def test_the_session_runs_cage_turned_as_the_config_says(tmp_path, rotation, flags):
    # ONEWINDOW_CAGE stands in for /usr/bin/cage: it prints the command line it was given.
    echo = tmp_path / "cage"
    echo.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    echo.chmod(0o755)
    r = subprocess.run(["sh", str(REPO / "packaging/session.sh"), "kiosk"], capture_output=True,
                       text=True, env={"PATH": "/usr/bin:/bin", "ONEWINDOW_ROTATION": rotation,
                                       "ONEWINDOW_CAGE": str(echo)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["-d", "-s", *flags, "--",
                                "/opt/onewindow/current/bin/onewindow", "kiosk"]


def test_a_wrong_rotation_is_refused_with_a_message():
    r = subprocess.run(["sh", str(REPO / "packaging/session.sh"), "display"], capture_output=True,
                       text=True, env={"PATH": "/usr/bin:/bin", "ONEWINDOW_ROTATION": "45"})
    assert r.returncode == 2 and "0, 90, 180 or 270" in r.stderr


def test_udev_rules_are_well_formed_and_match_the_documented_table():
    import re

    rules = (REPO / "packaging/udev/60-onewindow.rules").read_text(encoding="utf-8")
    pair = re.compile(r'^(?:[A-Z_]+(?:\{[A-Za-z_]+\})?)\s*(==|!=|=|\+=|:=)\s*"[^"]*"$')
    ids = set()
    for line in rules.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        for item in (p.strip() for p in line.split(",")):
            assert pair.match(item), f"malformed udev item: {item!r} in {line!r}"
        if "SYMLINK" in line:
            assert re.search(r'SYMLINK\+="onewindow/(printer0|scanner0|bus0)"', line), line
            assert re.search(r'GROUP="(lp|dialout)"', line) and 'MODE="0660"' in line, line
        vid = re.search(r'ATTRS?\{idVendor\}=="([0-9a-f]{4})"', line)
        pid = re.search(r'ATTRS?\{idProduct\}=="([0-9a-f]{4})"', line)
        if vid:
            ids.add(f"{vid.group(1)}:{pid.group(1) if pid else '*'}")
    documented = set(re.findall(r"^\| `([0-9a-f]{4}:(?:[0-9a-f]{4}|\*))` \|",
                                (REPO / "docs/devices.md").read_text(encoding="utf-8"), re.M))
    assert documented and documented <= ids, documented - ids
    assert {i for i in ids if not i.endswith("*")} <= documented | {
        i for i in ids if i.split(":")[0] in {d.split(":")[0] for d in documented if d.endswith("*")}}
