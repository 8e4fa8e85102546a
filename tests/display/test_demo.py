"""The display's demo stage: every layout screenshot, the voice WAV, a live frame from a hall."""

from __future__ import annotations

from PySide6.QtGui import QImage

from caller_display import demo
from caller_display.voice import wav_stats
from hall.config import write_example_config
from onewindow.demo import DemoContext
from tests.support.hallserver import HallServer


def test_demo_stage_writes_screens_and_voice(tmp_path):
    hall = HallServer(tmp_path / "hall", process=True, windows=("w03",)).start()
    try:
        number = hall.serve_and_call("w03")["number"]
        out = tmp_path / "demo"
        out.mkdir()
        ctx = DemoContext(out=out, config_path=write_example_config(out / "hall.toml"),
                          db_path=out / "hall.db", hall_url=hall.url,
                          tokens={"display": hall.tokens["display-1"]})
        demo.run(ctx)
    finally:
        hall.stop()
    folder = out / "display"
    for name in ("default-landscape", "default-flash", "default-disconnected", "default-idle",
                 "floor-1-landscape", "pickup-portrait", "portrait-portrait", "live-from-hall"):
        image = QImage(str(folder / f"{name}.png"))
        assert not image.isNull(), name
        portrait = "portrait" in name
        assert (image.height() > image.width()) == portrait, name
    seconds, rms = wav_stats(folder / "call-A023.wav")
    assert 2 < seconds < 7.5 and rms > 0.02
    figures = ctx.summary["caller_display"]
    assert figures["live"]["connected"] and figures["live"]["banner"] == number
    assert figures["voice"]["text"] == "请 A 0 2 3 号 到 3 号窗口办理"
