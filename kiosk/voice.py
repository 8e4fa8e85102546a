"""Spoken prompts for the kiosk (elder-friendly), on one speech thread; newest prompt wins."""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import tempfile
import threading
import wave
from pathlib import Path

log = logging.getLogger(__name__)


class Speaker:
    """say(text) renders Mandarin speech to a WAV and plays it with sox `play` when present.

    A prompt still waiting when a newer one arrives is dropped: a citizen who taps on
    should hear the screen they are on, not a queue of old ones. The espeak engine comes from
    caller_display.voice (cmn-latn-pinyin, the voice that reads Hanzi correctly on Debian 12).
    """

    def __init__(self, out_dir: Path | None = None, *, play: bool = True, synth_factory=None):
        self.out_dir = Path(out_dir or tempfile.mkdtemp(prefix="ow-kiosk-voice-"))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._play = play and shutil.which("play") is not None
        if synth_factory is None:
            from caller_display.voice import EspeakSynth
            synth_factory = EspeakSynth
        self._synth_factory = synth_factory
        self._jobs: queue.Queue = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self.spoken: list[tuple[str, Path, float]] = []
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="kiosk-speech", daemon=True)
        self._thread.start()

    def say(self, text: str) -> None:
        self._idle.clear()
        # Drop prompts nobody has heard yet; only the newest matters.
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        self._jobs.put(text)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return self._idle.wait(timeout)

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        synth = None
        count = 0
        while True:
            text = self._jobs.get()
            if text is None:
                return
            try:
                if synth is None:
                    synth = self._synth_factory()   # the engine lives on this thread only
                count += 1
                path = self.out_dir / f"prompt-{count % 20:02d}.wav"   # bounded folder
                synth.synthesize(text, path, 1.0)
                with wave.open(str(path)) as w:
                    seconds = w.getnframes() / float(w.getframerate())
                self.spoken.append((text, path, seconds))
                del self.spoken[:-20]
                if self._play:
                    subprocess.run(["play", "-q", str(path)], check=False, timeout=seconds + 5,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except Exception as exc:  # speech is a help, never a reason to stop the kiosk
                self.error = str(exc)
                log.error("spoken prompt failed: %s", exc)
            if self._jobs.empty():
                self._idle.set()
