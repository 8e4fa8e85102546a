"""`make deb`: one Debian package per kind of box, built with dpkg-deb.

    python packaging/build_deb.py [--roles hall,kiosk,display,all] [--out dist]

onewindow-hall (hall node: hall, sync, notices, backups), onewindow-kiosk, onewindow-display
and onewindow-all (small hall, everything on one box). They conflict with each other: a box
is one of these. Each carries only its role's wheels (a kiosk has no matplotlib or FastAPI,
a hall node no PySide6) and builds its venv in postinst without network:

    /opt/onewindow/wheels/VERSION/      wheels + requirements-ROLE.txt + install.sh (dpkg's)
    /opt/onewindow/releases/VERSION/    the venv (postinst's), /opt/onewindow/current -> it
    /usr/bin/onewindow                  -> /opt/onewindow/current/bin/onewindow
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wheelhouse  # noqa: E402

ROOT = wheelhouse.ROOT
PKG = ROOT / "packaging"
UNITDIR = ROOT / "systemd"

QT_DEPENDS = ("fonts-wqy-microhei, libegl1, libgl1, libfontconfig1, libxkbcommon0, libdbus-1-3, "
              "libglib2.0-0, libwayland-client0, libwayland-cursor0, libwayland-egl1")
HALL_UNITS = ["onewindow-hall.service", "onewindow-sync.service", "onewindow-notices.service",
              "onewindow-backup.service", "onewindow-backup.timer"]
ROLES = {
    "hall": dict(
        units=HALL_UNITS, secrets=["hall.key"], etc=["hall.toml"],
        depends="", recommends="chrony, fonts-wqy-microhei",
        summary="hall node: queue, HTTP API, console, sync, phone notices, backups"),
    "kiosk": dict(
        units=["onewindow-kiosk.service"], secrets=["kiosk.token"], etc=["kiosk.env"],
        depends=QT_DEPENDS, recommends="cage, xwayland, libusb-1.0-0, espeak-ng, chrony",
        summary="self-service kiosk (touchscreen, ticket printer, QR scanner) under cage"),
    "display": dict(
        units=["onewindow-display.service"], secrets=["display.token"], etc=["display.env"],
        depends=QT_DEPENDS, recommends="cage, xwayland, espeak-ng, chrony",
        summary="hall calling display (big screen, Mandarin voice) under cage"),
    "all": dict(
        units=HALL_UNITS + ["onewindow-kiosk.service", "onewindow-display.service"],
        secrets=["hall.key", "kiosk.token", "display.token"],
        etc=["hall.toml", "kiosk.env", "display.env"], depends=QT_DEPENDS,
        recommends="chrony, cage, xwayland, libusb-1.0-0, espeak-ng",
        summary="all-in-one small hall: hall node, kiosk and display on one box"),
}


def _install(src: Path, dest: Path, mode: int = 0o644) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    dest.chmod(mode)


def _subst(text: str, **values) -> str:
    for key, value in values.items():
        text = text.replace(f"@{key.upper()}@", value)
    return text


def stage(role: str, wh: Path, tree: Path) -> str:
    """Lay out the package's files under `tree`; return its name."""
    spec = ROLES[role]
    version = wheelhouse.version()
    name = f"onewindow-{role}"
    wheels = tree / "opt/onewindow/wheels" / version
    wheels.mkdir(parents=True)
    req = (wh / f"requirements-{role}.txt").read_text(encoding="utf-8")
    for line in req.splitlines():
        if "==" not in line or line.startswith("#"):
            continue
        dist, ver = line.split()[0].split("==")
        norm = dist.replace("-", "_").lower()
        (match,) = [w for w in wh.glob("*.whl")
                    if w.name.lower().startswith(f"{norm}-{ver.lower()}-")]
        try:
            os.link(match, wheels / match.name)  # same file system: no copy of 100 MB
        except OSError:
            _install(match, wheels / match.name)
    _install(wh / f"requirements-{role}.txt", wheels / f"requirements-{role}.txt")
    _install(PKG / "install-release.sh", wheels / "install.sh", 0o755)
    _install(wh / "constraints.txt", wheels / "constraints.txt")

    (tree / "usr/bin").mkdir(parents=True)
    (tree / "usr/bin/onewindow").symlink_to("/opt/onewindow/current/bin/onewindow")
    _install(PKG / "onewindow-upgrade", tree / "usr/sbin/onewindow-upgrade", 0o755)
    if role != "hall":
        _install(PKG / "session.sh", tree / "usr/lib/onewindow/session", 0o755)
    for unit in spec["units"]:
        _install(UNITDIR / unit, tree / "lib/systemd/system" / unit)
    _install(PKG / "sysusers-onewindow.conf", tree / "usr/lib/sysusers.d/onewindow.conf")
    _install(PKG / "tmpfiles-onewindow.conf", tree / "usr/lib/tmpfiles.d/onewindow.conf")
    _install(PKG / "udev/60-onewindow.rules", tree / "usr/lib/udev/rules.d/60-onewindow.rules")
    conffiles = []
    for etc in spec["etc"]:
        src = ROOT / "assets/hall.example.toml" if etc == "hall.toml" else PKG / etc
        # 0640 from the start: hall.toml may hold hall_key (postinst adds the group).
        _install(src, tree / "etc/onewindow" / etc, 0o640 if etc == "hall.toml" else 0o644)
        conffiles.append(f"/etc/onewindow/{etc}")
    (tree / "etc/onewindow").chmod(0o750)
    _install(ROOT / "assets/hall.example.toml", tree / "usr/share/onewindow/hall.example.toml")
    for doc in ("deploy.md", "devices.md"):
        _install(ROOT / "docs" / doc, tree / "usr/share/doc/onewindow" / doc)

    debian = tree / "DEBIAN"
    debian.mkdir()
    values = dict(package=name, version=version, role=role, units=" ".join(spec["units"]),
                  secrets=" ".join(spec["secrets"]))
    for script in ("postinst", "prerm", "postrm"):
        (debian / script).write_text(_subst((PKG / "debian" / script).read_text(), **values))
        (debian / script).chmod(0o755)
    (debian / "conffiles").write_text("".join(c + "\n" for c in conffiles))
    size_kb = sum(f.stat().st_size for f in tree.rglob("*") if f.is_file() and not f.is_symlink())
    depends = "python3 (>= 3.11), python3 (<< 3.12), python3-venv, systemd"
    if spec["depends"]:
        depends += ", " + spec["depends"]
    control = {
        "Package": name,
        "Version": version,
        "Architecture": "amd64",
        "Maintainer": "OneWindow maintainers <onewindow@localhost>",
        "Installed-Size": str(size_kb // 1024 + 1),
        "Depends": depends,
        "Recommends": spec["recommends"],
        "Provides": "onewindow-box",
        "Conflicts": "onewindow-box",
        "Replaces": "onewindow-box",
        "Section": "misc",
        "Priority": "optional",
        "Description": f"OneWindow {spec['summary']}\n"
                       " Offline-first software for government service halls (一窗受理).\n"
                       " The venv is built at install time from the wheels this package\n"
                       " carries, without network.",
    }
    (debian / "control").write_text("".join(f"{k}: {v}\n" for k, v in control.items()))
    return name


def build(roles: list[str], out: Path, wh: Path | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    if wh is None:
        wh = wheelhouse.build(out / f"onewindow-wheelhouse-{wheelhouse.version()}")
    debs = []
    for role in roles:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "tree"
            name = stage(role, wh, tree)
            deb = out / f"{name}_{wheelhouse.version()}_amd64.deb"
            # gzip -1: the wheels are zip files already; xz would spend a minute for ~nothing.
            subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build",
                            str(tree), str(deb)], check=True, stdout=subprocess.DEVNULL)
            debs.append(deb)
            print(f"deb: {deb} ({deb.stat().st_size / 1e6:.0f} MB)")
    return debs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--roles", default=",".join(ROLES))
    ap.add_argument("--out", default=str(ROOT / "dist"))
    ap.add_argument("--wheelhouse", default=None, help="an already built wheelhouse directory")
    args = ap.parse_args()
    build(args.roles.split(","), Path(args.out), Path(args.wheelhouse) if args.wheelhouse else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
