"""The voice announcer: calls spoken in Mandarin on one speech thread, never overlapping."""

from __future__ import annotations

import contextlib
import io
import logging
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

from hall.display_layouts import Voice, announcement_text

log = logging.getLogger(__name__)

# On Debian 12 (espeak-ng 1.51) `cmn` reads tone digits with English rules and `zh` falls
# back to English silently; `cmn-latn-pinyin` is the voice that reads Hanzi as Mandarin.
MANDARIN_VOICE = "cmn-latn-pinyin"
SPEECH_RATE = 150
REPEAT_GAP_SECONDS = 0.8


class VoiceUnavailable(RuntimeError):
    """The Mandarin voice is not installed; speaking English instead would mislead people."""


# One pyttsx3 engine for the whole process, never released: espeak can be initialised once
# per process, and a released engine unregisters the synthesis callback that a newer engine
# registered (its WAV then silently never appears). The lock keeps uses one at a time.
_ENGINE = None
_ENGINE_LOCK = threading.Lock()


def _engine():
    global _ENGINE
    if _ENGINE is None:
        import atexit

        import pyttsx3  # imported here: loading libespeak is I/O, not for import time

        _ENGINE = pyttsx3.init()
        # Let go before interpreter shutdown: pyttsx3's __del__ fails noisily once module
        # globals are already torn down.
        atexit.register(_release_engine)
    return _ENGINE


def _release_engine() -> None:
    global _ENGINE
    with _ENGINE_LOCK:
        _ENGINE = None


def _wait_for_wav(engine, path: Path, timeout: float) -> bool:
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    deadline = time.monotonic() + timeout
    last_size = -1
    while time.monotonic() < deadline:
        busy = bool(getattr(driver, "_speaking", False))
        size = path.stat().st_size if path.exists() else -1
        if not busy and size > 44 and size == last_size:
            return True
        last_size = size
        time.sleep(0.01)
    return False


class EspeakSynth:
    """pyttsx3 over espeak-ng with the Mandarin voice; one synthesis at a time per process."""

    def __init__(self) -> None:
        with _ENGINE_LOCK:
            engine = _engine()
            voice_id = None
            for v in engine.getProperty("voices"):
                # getProperty("voice") cannot be trusted after setting (it stays gmw/en), so
                # the voice is chosen from the list and checked there.
                if v.id.lower().endswith("cmn-latn-pinyin") or v.name == MANDARIN_VOICE:
                    voice_id = v.id
                    break
        if voice_id is None:
            raise VoiceUnavailable(
                "未找到普通话语音 cmn-latn-pinyin（请安装 espeak-ng） / "
                "Mandarin voice cmn-latn-pinyin not found (install espeak-ng)")
        self._voice_id = voice_id

    def synthesize(self, text: str, wav_path: Path, volume: float) -> None:
        with _ENGINE_LOCK:
            engine = _engine()
            engine.setProperty("voice", self._voice_id)
            engine.setProperty("rate", SPEECH_RATE)
            engine.setProperty("volume", float(volume))
            # One save_to_file per runAndWait: a second queued save would silently win.
            engine.save_to_file(text, str(wav_path))
            # The espeak driver print()s "Audio saved to"; keep the display's output clean.
            with contextlib.redirect_stdout(io.StringIO()):
                engine.runAndWait()
                # runAndWait can return while espeak's own thread is still synthesising
                # (its queued endLoop runs before the synthesis starts), so wait for the
                # driver to finish and the file to be complete.
                if not _wait_for_wav(engine, Path(wav_path), timeout=15.0):
                    raise RuntimeError(
                        f"语音合成没有生成音频 / speech synthesis wrote no audio: {text}")


@dataclass(frozen=True)
class Announcement:
    """One finished announcement: what was said, where its audio is, when it ran."""

    text: str
    wav_path: Path
    started: float
    finished: float
    seconds: float


def wav_stats(path: Path) -> tuple[float, float]:
    """(duration seconds, RMS 0..1) of a 16-bit mono WAV."""
    with wave.open(str(path), "rb") as w:
        frames = w.readframes(w.getnframes())
        rate = w.getframerate()
    import array

    samples = array.array("h", frames)
    if not samples:
        return 0.0, 0.0
    rms = (sum(s * s for s in samples[::4]) / len(samples[::4])) ** 0.5 / 32768
    return len(samples) / rate, rms


def _repeat_wav(src: Path, dst: Path, times: int) -> float:
    """Write `times` copies of src into dst with a short pause between; returns seconds."""
    with wave.open(str(src), "rb") as w:
        params = w.getparams()
        frames = w.readframes(w.getnframes())
    gap = b"\x00" * int(params.framerate * REPEAT_GAP_SECONDS) * params.sampwidth
    with wave.open(str(dst), "wb") as out:
        out.setparams(params)
        for i in range(times):
            if i:
                out.writeframes(gap)
            out.writeframes(frames)
    return (len(frames) * times + len(gap) * (times - 1)) / params.sampwidth / params.framerate


class Announcer:
    """Queue of announcements spoken on one thread, so two calls never talk over each other.

    `play=False` renders each announcement to a WAV in `out_dir` and stops there (tests, the
    headless demo, a hall with no speakers). `play=True` also plays it through sox `play` and
    waits for the end before taking the next one.
    """

    def __init__(self, out_dir: Path | None = None, *, play: bool = False,
                 synth_factory=EspeakSynth, keep: int = 50) -> None:
        self._own_dir = out_dir is None
        self.out_dir = Path(out_dir or tempfile.mkdtemp(prefix="ow-voice-"))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._play = play and shutil.which("play") is not None
        if play and not self._play:
            log.warning("sox 'play' not found: announcements are written to %s but not played "
                        "(apt-get install sox)", self.out_dir)
        self._synth_factory = synth_factory
        self._jobs: queue.Queue = queue.Queue()
        self._done: list[Announcement] = []
        self._keep = keep
        self._counter = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0  # queued or being spoken; guarded by _lock
        self.error: str | None = None

    def start(self) -> Announcer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
            self._thread.start()
        return self

    def close(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout)
            self._thread = None

    def announce(self, voice: Voice, number: str, window: str | int, recall: bool = False) -> str:
        """Queue a call; returns the text that will be spoken."""
        text = announcement_text(voice, number, window, recall)
        with self._lock:
            self._pending += 1
            self._idle.clear()
        self._jobs.put((text, voice.repeat, voice.volume))
        return text

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once every queued announcement has finished."""
        return self._idle.wait(timeout)

    @property
    def done(self) -> list[Announcement]:
        with self._lock:
            return list(self._done)

    def _run(self) -> None:
        synth = None
        while True:
            job = self._jobs.get()
            if job is None:
                return
            text, repeat, volume = job
            try:
                if synth is None:
                    synth = self._synth_factory()  # the engine lives on this thread only
                self._speak(synth, text, repeat, volume)
            except Exception as exc:  # the display keeps calling silently
                self.error = str(exc)
                log.error("announcement failed: %s", exc)
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._idle.set()

    def _speak(self, synth, text: str, repeat: int, volume: float) -> None:
        started = time.monotonic()
        with self._lock:
            self._counter += 1
            n = self._counter
        once = self.out_dir / f"call-{n:05d}-once.wav"
        final = self.out_dir / f"call-{n:05d}.wav"
        synth.synthesize(text, once, volume)
        seconds = _repeat_wav(once, final, repeat)
        once.unlink(missing_ok=True)
        if self._play:
            subprocess.run(["play", "-q", str(final)], check=False, timeout=seconds + 10,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        item = Announcement(text, final, started, time.monotonic(), seconds)
        with self._lock:
            self._done.append(item)
            # Keep the folder bounded on a display that runs for months.
            while len(self._done) > self._keep:
                old = self._done.pop(0)
                old.wav_path.unlink(missing_ok=True)
        log.info("announced %s (%.1f s)", text, seconds)
