"""Spoken prompts: real Mandarin speech from espeak-ng, and only when the hall enables voice."""

from __future__ import annotations

import array
import wave

import pytest


def test_speaker_renders_mandarin_prompt(tmp_path):
    pytest.importorskip("pyttsx3")
    from kiosk.voice import Speaker

    speaker = Speaker(tmp_path, play=False)
    try:
        speaker.say("请选择要办理的业务")
        assert speaker.wait_idle(20)
    finally:
        speaker.close()
    assert speaker.error is None, speaker.error
    [(text, path, seconds)] = speaker.spoken
    assert text == "请选择要办理的业务" and 1.0 < seconds < 8.0
    with wave.open(str(path)) as w:
        samples = array.array("h", w.readframes(w.getnframes()))
    rms = (sum(s * s for s in samples) / len(samples)) ** 0.5 / 32768
    assert rms > 0.01            # speech, not silence


class RecordingSpeaker:
    def __init__(self):
        self.said = []

    def say(self, text):
        self.said.append(text)


def test_prompts_follow_the_screens_only_when_voice_is_on(qtbot, fake_hall):
    from kiosk.devices import PrinterPort
    from kiosk.settings import KioskSettings
    from kiosk.viewmodel import KioskViewModel

    for voice, expected in ((False, []), (True, ["请确认业务，然后按取号", "请扫描或输入预约码"])):
        speaker = RecordingSpeaker()
        vm = KioskViewModel(fake_hall, PrinterPort(None), KioskSettings(voice=voice),
                            speaker=speaker, start_timers=False)
        vm.refresh()
        qtbot.waitUntil(lambda vm=vm: len(vm.services) > 0, timeout=3000)
        vm.chooseService("hukou")
        vm.openCheckin()
        vm.shutdown()
        assert speaker.said == expected


def test_voice_follows_the_hall_config(tmp_path):
    from pathlib import Path

    from kiosk.settings import KioskSettings

    example = Path(__file__).resolve().parents[2] / "assets" / "hall.example.toml"
    quiet = KioskSettings()
    quiet.apply_hall_config(example)                  # the example hall: silent calling
    assert quiet.voice is False
    loud_toml = tmp_path / "hall.toml"
    loud_toml.write_text(example.read_text(encoding="utf-8").replace(
        "[voice]\nenabled = false", "[voice]\nenabled = true"), encoding="utf-8")
    loud = KioskSettings()
    loud.apply_hall_config(loud_toml)
    assert loud.voice is True
