"""The kiosk and the display on a real Wayland compositor: cage with wlroots' headless
backend (no GPU, no screen), run as an unprivileged user as on the appliance, the apps on
Qt's wayland platform against a live hall; grim takes the screenshots.

cage refuses to run as root, so it runs as a throwaway system user (made here when the
test runs as root, as in CI; otherwise an existing user `owcage` is used). The apps connect
to cage's socket from this process's user: the test's Python lives where that user may not
read it; on the box the units run them as the compositor's own user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.ops.notify_harness import NotifySocket
from tests.support.hallserver import HallServer

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not shutil.which("cage") or not shutil.which("grim")
                                or not shutil.which("Xwayland"),
                                reason="cage, grim and xwayland are not installed (scripts/setup.sh)")


@pytest.fixture(scope="module")
def cage_user():
    if os.geteuid() != 0:
        try:
            pwd.getpwnam("owcage")
        except KeyError:
            pytest.skip("cage refuses root and this test is not root: create a user `owcage` "
                        "(useradd --system owcage) or run as root to let the test make one")
        yield "owcage"
        return
    # Xwayland (which cage 0.1.4 starts) wants /tmp/.X11-unix owned by root (or itself), as
    # every desktop system has it; a first cage run by a throwaway user would make it its own.
    x11 = Path("/tmp/.X11-unix")
    x11.mkdir(exist_ok=True)
    os.chown(x11, 0, 0)
    os.chmod(x11, 0o1777)
    name = f"owc{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    name], check=True, timeout=30)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], timeout=30)


class Cage:
    """cage on the headless wlroots backend, its only client a shell that waits for `stop`."""

    def __init__(self, user: str, rotate: int = 0):
        self.runtime = Path(tempfile.mkdtemp(prefix="ow-cage-"))
        shutil.chown(self.runtime, user)
        os.chmod(self.runtime, 0o700)
        self.socket = self.runtime / "wayland-0"
        self.stop_file = self.runtime / "stop"
        env = {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(self.runtime),
               "WLR_BACKENDS": "headless", "WLR_LIBINPUT_NO_DEVICES": "1",
               "WLR_RENDERER": "pixman", "HOME": str(self.runtime)}
        args = ["runuser", "-u", user, "--", "env", "-i",
                *[f"{k}={v}" for k, v in env.items()], "cage", *(["-r"] * (rotate // 90)), "--",
                "sh", "-c", f"while [ ! -e {self.stop_file} ]; do sleep 0.2; done"]
        self.log = open(self.runtime.parent / f"{self.runtime.name}.log", "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 20
        while not self.socket.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("cage did not start: " + Path(self.log.name).read_text()[-2000:])
            time.sleep(0.1)

    def env(self) -> dict:
        # Our own runtime dir for the client (Qt wants one); the display is cage's socket.
        own = tempfile.mkdtemp(prefix="ow-client-")
        os.chmod(own, 0o700)
        return {"WAYLAND_DISPLAY": str(self.socket), "QT_QPA_PLATFORM": "wayland",
                "XDG_RUNTIME_DIR": own}

    def screenshot(self, dest: Path) -> Path:
        subprocess.run(["grim", str(dest)], env={"WAYLAND_DISPLAY": str(self.socket),
                                                 "PATH": "/usr/bin:/bin"},
                       check=True, timeout=20)
        return dest

    def close(self) -> None:
        self.stop_file.touch()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(5)
        self.log.close()
        shutil.rmtree(self.runtime, ignore_errors=True)


@pytest.fixture
def hall(tmp_path):
    proc = HallServer(tmp_path / "hall", process=True, windows=("w03",)).start()
    yield proc
    proc.stop()


def _run_app(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "onewindow.cli", *args],
                            env={**{k: v for k, v in os.environ.items()
                                    if k not in ("QT_QPA_PLATFORM", "DISPLAY")},
                                 "PYTHONPATH": str(ROOT), **env},
                            stdout=subprocess.DEVNULL, stderr=open(log, "wb"))


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _share(image, rgb: tuple[int, int, int], tolerance: int = 12) -> float:
    """Share of pixels within `tolerance` of a colour."""
    small = image.convert("RGB").resize((image.width // 4, image.height // 4))
    px = list(small.get_flattened_data()) if hasattr(small, "get_flattened_data") \
        else list(small.getdata())
    near = sum(1 for p in px if all(abs(a - b) <= tolerance for a, b in zip(p, rgb, strict=True)))
    return near / len(px)


def test_kiosk_home_screen_under_cage_rotated_portrait(cage_user, hall, tmp_path):
    from PIL import Image

    cage = Cage(cage_user, rotate=90)          # a landscape panel mounted upright: cage -r
    notify = NotifySocket()
    app = None
    try:
        env = {**cage.env(), **notify.env(), "ONEWINDOW_KIOSK_TOKEN": hall.tokens["kiosk-1"]}
        app = _run_app(["kiosk", "--hall", hall.url], env, tmp_path / "kiosk.log")
        assert notify.wait_for("READY=1", 60), (tmp_path / "kiosk.log").read_text()[-3000:]
        time.sleep(1.5)                        # the hall's services arrive, tiles are drawn
        shot = cage.screenshot(tmp_path / "kiosk-cage.png")
    finally:
        if app is not None:
            _stop(app)
        notify.close()
        cage.close()
    image = Image.open(shot)
    assert image.height > image.width                       # rotated to portrait
    assert _share(image, (0xEE, 0xF2, 0xF7)) > 0.3          # the kiosk's background
    assert _share(image, (0x0B, 0x4F, 0x9C)) > 0.01         # its blue service tiles / header
    assert len(image.convert("RGB").getcolors(1 << 20) or []) > 50   # text, not a flat fill
    shutil.copy(shot, Path(tempfile.gettempdir()) / "ow-kiosk-cage-last.png")


def test_display_call_board_under_cage(cage_user, hall, tmp_path):
    from PIL import Image

    cage = Cage(cage_user)
    notify = NotifySocket()
    app = None
    try:
        env = {**cage.env(), **notify.env(), "ONEWINDOW_DISPLAY_TOKEN": hall.tokens["display-1"]}
        app = _run_app(["display", "--hall", hall.url, "--voice", "off"], env,
                       tmp_path / "display.log")
        assert notify.wait_for("READY=1", 60), (tmp_path / "display.log").read_text()[-3000:]
        call = hall.serve_and_call("w03")
        time.sleep(4.0)                        # the call reaches the board over SSE
        shot = cage.screenshot(tmp_path / "display-cage.png")
    finally:
        if app is not None:
            _stop(app)
        notify.close()
        cage.close()
    image = Image.open(shot)
    assert image.width > image.height
    colours = image.convert("RGB").getcolors(1 << 20) or []
    assert len(colours) > 50                                   # text, not a flat fill
    assert _share(image, (0x08, 0x1C, 0x39), 16) > 0.2         # the board's dark background
    # The call: the banner flashes in the accent yellow, or shows the number in it.
    assert _share(image, (0xFF, 0xD3, 0x39), 20) > 0.005
    shutil.copy(shot, Path(tempfile.gettempdir()) / "ow-display-cage-last.png")
    assert call["number"]
