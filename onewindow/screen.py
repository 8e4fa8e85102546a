"""Is there a screen for the kiosk or the display? Decide before Qt starts.

Without one Qt aborts (the kiosk died with SIGABRT, rc 134, and systemd restarted it
forever) or, worse, quietly renders offscreen while the hall's screen stays black. So: a
screen is a Wayland compositor (cage on the appliance), an X display, or a framebuffer
platform (eglfs/linuxfb) named explicitly; offscreen only when asked for (`--offscreen`,
or QT_QPA_PLATFORM=offscreen set on purpose). Otherwise one clear line and exit code 5.
"""

from __future__ import annotations

import glob
import os
import sys

from onewindow.sdnotify import EXIT_NO_SCREEN


def _runtime_socket(name: str) -> bool:
    if os.path.isabs(name):
        return os.path.exists(name)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return bool(runtime) and os.path.exists(os.path.join(runtime, name))


def _no_decorations() -> None:
    # A kiosk compositor has no window chrome; Qt would otherwise draw its own title bar.
    os.environ.setdefault("QT_WAYLAND_DISABLE_WINDOWDECORATION", "1")


def screen_problem(offscreen: bool = False) -> str | None:
    """None when Qt has somewhere to draw (setting QT_QPA_PLATFORM when it must), else why not."""
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip()
    wayland = os.environ.get("WAYLAND_DISPLAY", "")
    x11 = os.environ.get("DISPLAY", "")
    if platform in ("offscreen", "minimal", "vnc"):
        return None      # chosen on purpose
    if platform in ("eglfs", "linuxfb"):
        if glob.glob("/dev/dri/card*") or os.path.exists("/dev/fb0"):
            return None
        return f"QT_QPA_PLATFORM={platform} but there is no /dev/dri/card* or /dev/fb0"
    if platform.startswith("wayland"):
        if wayland and _runtime_socket(wayland):
            _no_decorations()
            return None
        return (f"QT_QPA_PLATFORM={platform} but no Wayland compositor socket "
                f"(WAYLAND_DISPLAY={wayland or 'unset'}, XDG_RUNTIME_DIR="
                f"{os.environ.get('XDG_RUNTIME_DIR') or 'unset'})")
    if platform == "xcb":
        return None if x11 else "QT_QPA_PLATFORM=xcb but DISPLAY is not set"
    if platform:
        return None      # another platform plugin someone chose; Qt will say if it fails
    if wayland and _runtime_socket(wayland):
        os.environ["QT_QPA_PLATFORM"] = "wayland"   # cage also offers Xwayland; prefer native
        _no_decorations()
        return None
    if x11:
        return None
    return "no WAYLAND_DISPLAY or DISPLAY and QT_QPA_PLATFORM is not set"


def require_screen(role_zh: str, role_en: str, offscreen: bool = False) -> int | None:
    """None when there is a screen; otherwise print one line and return EXIT_NO_SCREEN."""
    problem = screen_problem(offscreen)
    if problem is None:
        return None
    print(f"错误：{role_zh}没有可用的屏幕（{problem}）；请在 cage 中运行，或用 --offscreen 仅做离屏渲染。"
          f" / Error: the {role_en} has no screen ({problem}); run it under cage "
          f"(QT_QPA_PLATFORM=wayland) or pass --offscreen to render without one.", file=sys.stderr)
    return EXIT_NO_SCREEN
