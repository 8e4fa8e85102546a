"""The voice announcer with the real espeak-ng Mandarin voice, rendered to WAV files."""

from __future__ import annotations

import threading

import pytest

from caller_display.voice import Announcer, wav_stats
from hall.display_layouts import parse_layout

VOICE = parse_layout({"name": "v", "voice": {"enabled": True}}).voice


@pytest.fixture
def announcer(tmp_path):
    a = Announcer(tmp_path / "voice").start()
    yield a
    a.close()


def test_a_call_is_spoken_in_mandarin_and_not_silent(announcer):
    text = announcer.announce(VOICE, "A023", 3)
    assert text == "请 A 0 2 3 号 到 3 号窗口办理"
    assert announcer.wait_idle(30)
    [item] = announcer.done
    seconds, rms = wav_stats(item.wav_path)
    assert rms > 0.02, "the WAV is silent"
    # Mandarin for this sentence lasts ~4-5 s; the English fallback voice takes far longer
    # spelling Hanzi names, and an empty synthesis is well under a second.
    assert 2.0 < seconds < 7.5, seconds
    assert announcer.error is None


def test_two_quick_calls_give_two_announcements_in_order_not_overlapping(announcer):
    announcer.announce(VOICE, "A001", 1)
    announcer.announce(VOICE, "B002", 2, recall=True)
    assert announcer.wait_idle(30)
    first, second = announcer.done
    assert first.text.startswith("请 A 0 0 1")
    assert second.text.startswith("再次呼叫 请 B 0 0 2")
    assert first.finished <= second.started
    assert first.wav_path != second.wav_path
    assert wav_stats(second.wav_path)[0] > wav_stats(first.wav_path)[0]  # the prefix is spoken


def test_repeat_count_repeats_the_sentence(announcer):
    twice = VOICE.model_copy(update={"repeat": 2})
    announcer.announce(VOICE, "A005", 5)
    announcer.announce(twice, "A005", 5)
    assert announcer.wait_idle(30)
    once, double = (wav_stats(a.wav_path)[0] for a in announcer.done)
    assert double == pytest.approx(2 * once + 0.8, abs=0.05)


def test_calls_from_many_threads_are_serialised(tmp_path):
    # A fake synth that notices if two syntheses ever run at once.
    active = []
    overlap = []

    class Probe:
        def synthesize(self, text, path, volume):
            import time
            import wave
            active.append(text)
            if len(active) > 1:
                overlap.append(text)
            time.sleep(0.01)
            with wave.open(str(path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(22050)
                w.writeframes(b"\x10\x00" * 2205)
            active.remove(text)

    a = Announcer(tmp_path, synth_factory=Probe).start()
    threads = [threading.Thread(target=a.announce, args=(VOICE, f"A{i:03d}", i)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert a.wait_idle(10)
    a.close()
    assert len(a.done) == 8 and not overlap


def test_missing_voice_is_reported_and_display_keeps_going(tmp_path):
    from caller_display.voice import VoiceUnavailable

    def broken():
        raise VoiceUnavailable("未找到普通话语音 / Mandarin voice not found")

    a = Announcer(tmp_path, synth_factory=broken).start()
    a.announce(VOICE, "A001", 1)
    assert a.wait_idle(5)
    a.close()
    assert a.done == [] and "普通话" in a.error
