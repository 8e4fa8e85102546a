"""`make wheelhouse`: an offline bundle a technician carries on a USB stick.

    python packaging/wheelhouse.py [--out dist/onewindow-wheelhouse-VERSION]

The bundle holds the onewindow wheel, every wheel the lock (packaging/constraints.txt) names,
one requirements file per role with exact pins and sha256 hashes, and install.sh, which
builds a virtualenv from these files alone (no network):

    sudo sh install.sh hall /opt/onewindow/releases/0.1.0

Wheels are downloaded once into a cache (~/.cache/onewindow/wheels, or $ONEWINDOW_WHEEL_CACHE)
and checked against the lock's hashes each time; later builds copy from there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "packaging" / "constraints.txt"
INSTALL_SH = ROOT / "packaging" / "install-release.sh"
# Role -> the extras its venv gets. "all" is the all-in-one box (hall, kiosk, display).
ROLES = {"hall": "hall", "kiosk": "kiosk", "display": "display", "all": "hall,kiosk,display",
         "central": "central"}


def version() -> str:
    text = (ROOT / "onewindow" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'__version__ = "([^"]+)"', text).group(1)


def cache_dir() -> Path:
    base = os.environ.get("ONEWINDOW_WHEEL_CACHE")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "onewindow" / "wheels"


def clean_pip_env() -> dict:
    """pip without this machine's configuration (extra indexes, find-links, constraints)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def lock_entries() -> dict[str, tuple[str, str]]:
    """name -> (version, sha256) from the lock."""
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*([A-Za-z0-9._-]+)==(\S+)\s+--hash=sha256:([0-9a-f]{64})", line)
        if m:
            out[m.group(1)] = (m.group(2), m.group(3))
    return out


def download(cache: Path) -> None:
    """Fetch every locked wheel into the cache (pip skips files already there, after checking
    their hash); only binary wheels: a box has no compiler."""
    cache.mkdir(parents=True, exist_ok=True)
    index = os.environ.get("ONEWINDOW_INDEX_URL")  # a mirror, if the default index is far
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "--require-hashes", "-r", str(LOCK), "-d", str(cache)]
    if index:
        cmd += ["--index-url", index]
    env = os.environ.copy() if not index else clean_pip_env()
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if run.returncode:
        sys.stderr.write(run.stdout + run.stderr)
        raise SystemExit("wheelhouse: downloading the locked wheels failed (see above)")


def build_own_wheel(dest: Path) -> Path:
    # setuptools builds in ./build/lib and does not remove what is gone from the source: a
    # stale copy there would end up in the wheel.
    shutil.rmtree(ROOT / "build" / "lib", ignore_errors=True)
    shutil.rmtree(ROOT / "build" / "bdist.linux-x86_64", ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                              "-w", tmp, str(ROOT)], capture_output=True, text=True)
        if run.returncode:
            sys.stderr.write(run.stdout + run.stderr)
            raise SystemExit("wheelhouse: building the onewindow wheel failed")
        (wheel,) = Path(tmp).glob("onewindow-*.whl")
        target = dest / wheel.name
        shutil.copy2(wheel, target)
    return target


def closure(wheels: Path, extras: str) -> list[str]:
    """Names of the distributions onewindow[extras] installs, resolved from `wheels` only."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "r.json"
        run = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--dry-run",
                              "--ignore-installed", "--no-index", "--find-links", str(wheels),
                              "--report", str(report), f"onewindow[{extras}]"],
                             env=clean_pip_env(), capture_output=True, text=True)
        if run.returncode:
            sys.stderr.write(run.stderr[-3000:])
            raise SystemExit(f"wheelhouse: onewindow[{extras}] needs something the lock does not "
                             "have (a dependency added to setup.cfg?): run `make lock`")
        return [i["metadata"]["name"].lower().replace("_", "-")
                for i in json.loads(report.read_text())["install"]]


def build(out: Path, cache: Path | None = None) -> Path:
    cache = cache or cache_dir()
    download(cache)
    entries = lock_entries()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    by_name = {}
    for wheel in cache.glob("*.whl"):
        name = wheel.name.split("-")[0].lower().replace("_", "-")
        ver = wheel.name.split("-")[1]
        if name in entries and entries[name][0] == ver and sha256(wheel) == entries[name][1]:
            by_name[name] = wheel
    missing = sorted(set(entries) - set(by_name))
    if missing:
        raise SystemExit(f"wheelhouse: not in the cache after download: {', '.join(missing)}")
    for wheel in by_name.values():
        shutil.copy2(wheel, out / wheel.name)
    own = build_own_wheel(out)
    own_line = f"onewindow=={version()} --hash=sha256:{sha256(own)}"
    for role, extras in ROLES.items():
        names = closure(out, extras)
        lines = [f"# onewindow[{extras}]: exact pins and hashes; install with --no-deps", own_line]
        lines += [f"{n}=={entries[n][0]} --hash=sha256:{entries[n][1]}"
                  for n in sorted(names) if n != "onewindow"]
        (out / f"requirements-{role}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy2(LOCK, out / "constraints.txt")
    shutil.copy2(INSTALL_SH, out / "install.sh")
    (out / "VERSION").write_text(version() + "\n", encoding="utf-8")
    (out / "README.txt").write_text(
        f"OneWindow {version()} offline wheelhouse (CPython 3.11, Linux x86_64 / Debian 12).\n"
        "Install one role into a new virtualenv, without network:\n"
        f"  sudo sh install.sh ROLE /opt/onewindow/releases/{version()}\n"
        f"ROLE: {', '.join(ROLES)}. The Debian packages (make deb) do this in postinst.\n",
        encoding="utf-8")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="directory (default dist/onewindow-wheelhouse-VERSION)")
    ap.add_argument("--tar", action="store_true", help="also write OUT.tar for the USB stick")
    args = ap.parse_args()
    out = Path(args.out or ROOT / "dist" / f"onewindow-wheelhouse-{version()}")
    build(out)
    size = sum(f.stat().st_size for f in out.iterdir()) / 1e6
    print(f"wheelhouse: {out} ({len(list(out.glob('*.whl')))} wheels, {size:.0f} MB)")
    if args.tar:
        tar = out.parent / (out.name + ".tar")
        subprocess.run(["tar", "-cf", str(tar), "-C", str(out.parent), out.name], check=True)
        print(f"wheelhouse: {tar}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
