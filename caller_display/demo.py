"""Demo stage: screenshots of display layouts (landscape, portrait, flash, offline) and a voice WAV."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

# Layouts a typical hall sets up; rendered with the demo hall's real windows and services.
DEMO_LAYOUTS = [
    {"name": "default", "title": "叫号显示 Now calling",
     "notice": "请携带身份证原件，按叫号顺序到对应窗口办理；如需帮助请按自助机上的“帮办”按钮。"
               " Please bring your ID card and go to the window shown when called."},
    {"name": "floor-1", "title": "一楼 企业服务区 Floor 1", "windows": list(range(1, 13)),
     "notice": "一楼办理企业开办、税务、社保业务 Business, tax and social insurance on floor 1"},
    {"name": "pickup", "title": "统一出件区 Pick-up", "orientation": "portrait",
     "window_kinds": ["pickup"], "elements": ["banner", "windows", "recent", "clock",
                                               "notice", "connection"],
     "notice": "凭取件码领取证照 Collect your documents with your pick-up code",
     "theme": {"background": "#f4f1e8", "foreground": "#1a1a1a", "accent": "#b3261e"}},
    {"name": "portrait", "title": "叫号 Calling", "orientation": "portrait"},
]


def _hall_rows(ctx) -> tuple[list[dict], list[dict] | None, str]:
    """Windows, services (with live waiting counts when the hall is up) and the hall's name."""
    from hall.config import load_config

    config = load_config(ctx.config_path)
    windows = [{"id": w.id, "number": w.number, "name_zh": w.name_zh, "kind": w.kind,
                "state": "open", "services": list(w.services)} for w in config.windows]
    services = None
    token = ctx.tokens.get("display") or ctx.tokens.get("kiosk")
    if ctx.hall_url and token:
        try:
            from onewindow.client import HallClient

            client = HallClient(ctx.hall_url, token)
            try:
                services = [s for s in client.services() if s.get("waiting")] or None
            finally:
                client.close()
        except Exception as exc:  # noqa: BLE001 - screenshots still work without live counts
            log.info("no live waiting counts: %s", exc)
    if services is None:
        counts = [12, 5, 8, 3, 6, 2]
        services = [{"id": s.id, "name_zh": s.name_zh, "name_en": s.name_en,
                     "waiting": counts[i % len(counts)]}
                    for i, s in enumerate(config.services[:6])]
    return windows, services[:6], config.hall.name_zh


def render_layout_screenshots(ctx, out_dir: Path) -> list[Path]:
    from caller_display.render import render_frames
    from hall.display_layouts import parse_layout

    windows, services, hall_name = _hall_rows(ctx)
    made: list[Path] = []
    for spec in DEMO_LAYOUTS:
        layout = parse_layout(spec)
        states = {"calling": out_dir / f"{layout.name}-{layout.orientation}.png"}
        if layout.name == "default":
            states.update({"idle": out_dir / "default-idle.png",
                           "flash": out_dir / "default-flash.png",
                           "offline": out_dir / "default-disconnected.png"})
        if layout.name == "pickup":
            states["flash"] = out_dir / "pickup-portrait-flash.png"
        made += render_frames(layout, states, windows=windows, services=services,
                              hall_name=hall_name).values()
    # The smallest screen a hall uses: a 32-inch TV at 1366x768.
    from PySide6.QtCore import QSize

    made += render_frames(parse_layout(DEMO_LAYOUTS[0]),
                          {"calling": out_dir / "default-32inch-1366x768.png"}, windows=windows,
                          services=services, hall_name=hall_name, size=QSize(1366, 768)).values()
    return made


def render_voice(out_dir: Path) -> dict:
    from caller_display.voice import Announcer, wav_stats
    from hall.display_layouts import Voice

    voice = Voice(enabled=True)
    work = out_dir / "work"
    announcer = Announcer(work).start()
    try:
        announcer.announce(voice, "A023", 3)
        announcer.announce(voice, "A023", 3, recall=True)
        if not announcer.wait_idle(30) or len(announcer.done) != 2:
            raise RuntimeError(announcer.error or "speech did not finish")
        call, recall = announcer.done
        shutil.move(str(call.wav_path), out_dir / "call-A023.wav")
        shutil.move(str(recall.wav_path), out_dir / "recall-A023.wav")
    finally:
        announcer.close()
        shutil.rmtree(work, ignore_errors=True)
    seconds, rms = wav_stats(out_dir / "call-A023.wav")
    return {"text": call.text, "seconds": round(seconds, 2), "rms": round(rms, 3),
            "recall_text": recall.text}


def live_screenshot(ctx, out_dir: Path) -> dict | None:
    """Follow the demo's running hall for a moment and save what a display shows."""
    token = ctx.tokens.get("display")
    if not (ctx.hall_url and token):
        return None
    from caller_display.app import DisplayApp

    app = DisplayApp(ctx.hall_url, token).start()
    try:
        connected = app.pump_until(lambda: app.vm.connected, 10)
        app.pump(1.5)  # the quiet catch-up of today's calls and the waiting counts
        app.vm.freeze_flash(False)
        app.screen.save(out_dir / "live-from-hall.png")
        return {"connected": connected, "recent": len(app.vm.recent),
                "banner": app.vm.bannerNumber}
    finally:
        app.stop()


def run(ctx) -> None:
    out_dir = ctx.path("display", "x").parent
    shots = render_layout_screenshots(ctx, out_dir)
    figures: dict = {"screenshots": [p.name for p in shots]}
    try:
        figures["voice"] = render_voice(out_dir)
    except Exception as exc:  # noqa: BLE001 - a hall without espeak still gets its screens
        figures["voice"] = {"error": str(exc)}
    live = live_screenshot(ctx, out_dir)
    if live is not None:
        figures["live"] = live
    ctx.summary["caller_display"] = figures
