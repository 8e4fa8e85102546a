"""Suite-wide settings: Qt renders offscreen; shared fixtures for the hall core."""

import datetime as dt
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from hall.config import load_config, write_example_config  # noqa: E402
from hall.engine import Engine, ManualClock  # noqa: E402
from hall.store import Store  # noqa: E402

# A Friday, 09:00 in Shanghai: a working day with the hall open.
FRIDAY_9AM = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def hall_config_path(tmp_path):
    """The shipped example config with its real opening hours."""
    return write_example_config(tmp_path / "hall.toml", always_open=False)


@pytest.fixture
def hall_config(hall_config_path):
    return load_config(hall_config_path)


@pytest.fixture
def clock():
    return ManualClock(FRIDAY_9AM.timestamp())


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "hall.db")
    yield s
    s.close()


@pytest.fixture
def engine(store, hall_config, clock):
    e = Engine(store, hall_config, clock)
    e.add_staff("c1", "张晓明", "clerk")
    e.add_staff("c2", "李红", "clerk")
    e.add_staff("m1", "王主任", "manager")
    return e


@pytest.fixture
def open_window(engine):
    """Sign a clerk in to a window and open it; returns the window id."""
    def _open(window_id="w03", staff_id="c1"):
        engine.sign_in(window_id, staff_id)
        engine.open_window(window_id)
        return window_id
    return _open


@pytest.fixture(autouse=True)
def _clock_synchronised(monkeypatch):
    """The machine running the tests may or may not have NTP: in-process halls see a
    synchronised clock unless a test says otherwise (tests/ops/test_time.py)."""
    from hall import timesync

    monkeypatch.setattr(timesync, "_adjtimex", lambda: (0, 0, 1000))
    monkeypatch.setattr(timesync, "_cache", None)
