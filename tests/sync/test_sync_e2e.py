"""End to end: a citizen books on the central's page, the hall pulls it, the kiosk checks it in,
the check-in flows back; configuration snapshots are validated, applied or refused."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from hallserver import EXAMPLE_CONFIG, HallServer, RunningClock  # noqa: E402

from central.server import CentralServer  # noqa: E402
from onewindow.client import HallClient, HallError  # noqa: E402
from sync import hallside, signing  # noqa: E402
from sync.client import CentralClient  # noqa: E402
from sync.runner import Syncer, engine_hooks  # noqa: E402

HALL = "demo-city-hall"
TZ = ZoneInfo("Asia/Shanghai")


def _next_workday() -> dt.date:
    """A weekday within the booking horizon (the example hall opens Monday to Friday)."""
    day = dt.datetime.now(TZ).date() + dt.timedelta(days=1)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return day


def _decode_qr(page_html: str) -> str:
    import base64
    import io

    import zxingcpp
    from PIL import Image

    data = re.search(r"src='data:image/png;base64,([^']+)'", page_html).group(1)
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    results = zxingcpp.read_barcodes(image)
    assert results, "the booking page's QR code must be readable"
    return results[0].text


def _hall_config(path: Path, central_url: str, key: str) -> Path:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r'(?ms)^\[sync\].*?(?=^\[)',
                  f'[sync]\nenabled = true\ncentral_url = "{central_url}"\nhall_key = "{key}"\n'
                  'interval_seconds = 1\nbatch_size = 500\n\n', text)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def setup(tmp_path):
    day = _next_workday()
    start = dt.datetime(day.year, day.month, day.day, 10, 5, tzinfo=TZ).timestamp()
    central = CentralServer(f"sqlite:///{tmp_path / 'central.db'}").start()
    key = signing.new_secret()
    central.db.add_hall(HALL, "示范市政务服务中心", key)
    config_path = _hall_config(tmp_path / "hall.toml", central.url, key)
    central.db.push_config(HALL, EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    hall = HallServer(tmp_path, config_path=config_path, clock=RunningClock(start)).start()
    conn = hallside.open_hall_db(hall.db_path)
    client = CentralClient(central.url, HALL, key)
    syncer = Syncer(conn, client, config_path=config_path, clock=hall.clock.now,
                    **engine_hooks(hall.engine))
    yield {"central": central, "hall": hall, "syncer": syncer, "conn": conn, "day": day,
           "config_path": config_path}
    client.close()
    conn.close()
    hall.stop()
    central.stop()


def test_booked_online_pulled_checked_in_at_kiosk_and_reported_back(setup):
    central, hall, syncer, day = setup["central"], setup["hall"], setup["syncer"], setup["day"]
    form = {"hall": HALL, "service": "biz-setup", "date": day.isoformat(), "slot": "10:00",
            "name": "王小明", "id_number": "110101199003071234", "phone": "13812345678"}
    page = httpx.post(central.url + "/book", data=form)
    assert page.status_code == 200 and "预约成功" in page.text
    code = re.search(r"id='code'>(\d{8})<", page.text).group(1)
    assert "13812345678" not in page.text and "王**" in page.text

    result = syncer.cycle()
    assert result["appointments"] == 1 and result["config"] == "applied"

    # The citizen shows the QR from the booking page; the kiosk's scanner reads it and the
    # kiosk checks in through the same client and code parser it uses on the hall floor.
    scanned = _decode_qr(page.text)
    assert scanned == f"OW1:A:{code}"
    from kiosk.codes import parse

    parsed = parse(scanned)
    assert (parsed.kind, parsed.value) == ("appointment", code)
    kiosk = HallClient(hall.url, hall.device_token("kiosk", "kiosk-1"))
    ticket = kiosk.check_in(parsed.value)
    kiosk.close()
    assert ticket["priority"] == "appointment" and ticket["number"].startswith("A")

    syncer.cycle()
    status = central.db.one("SELECT status, name_masked FROM appointments WHERE code = ?", (code,))
    assert status == ("checked_in", "王**")
    summary = httpx.get(central.url + "/api/v1/summary").json()["halls"][0]
    assert summary["tickets"] == 1
    assert hallside.pending(setup["conn"]) == 0
    # The same person cannot book the same service twice that day.
    again = httpx.post(central.url + "/book", data={**form, "slot": "10:30"})
    assert again.status_code == 422 and "每人每天只能预约一次" in again.text
    # A checked-in appointment cannot be cancelled any more.
    late = httpx.post(central.url + "/book/cancel", data={"code": code, "phone": "13812345678"})
    assert late.status_code == 422 and "无法取消" in late.text


def test_cancelled_online_is_refused_at_the_kiosk(setup):
    central, hall, syncer, day = setup["central"], setup["hall"], setup["syncer"], setup["day"]
    form = {"hall": HALL, "service": "re-transfer", "date": day.isoformat(), "slot": "10:00",
            "name": "赵六", "id_number": "110101198001011111", "phone": "13700001111"}
    code = re.search(r"id='code'>(\d{8})<", httpx.post(central.url + "/book", data=form).text).group(1)
    syncer.cycle()
    wrong = httpx.post(central.url + "/book/cancel", data={"code": code, "phone": "13700002222"})
    assert wrong.status_code == 422 and "不正确" in wrong.text
    done = httpx.post(central.url + "/book/cancel", data={"code": code, "phone": "13700001111"})
    assert done.status_code == 200 and "已取消" in done.text
    assert syncer.cycle()["appointments"] == 1
    kiosk = HallClient(hall.url, hall.device_token("kiosk", "kiosk-1"))
    with pytest.raises(HallError) as err:
        kiosk.check_in(code)
    assert err.value.code == "appointment_cancelled"
    kiosk.close()


def test_bad_snapshot_refused_old_config_keeps_working_local_layer_kept(setup):
    central, hall, syncer, conn = setup["central"], setup["hall"], setup["syncer"], setup["conn"]
    config_path = setup["config_path"]
    assert syncer.cycle()["config"] == "applied"
    good_text = config_path.read_text(encoding="utf-8")
    # The clerk closes window 3 locally today: a hall-owned fact.
    hall.engine.add_staff("c9", "李四", "clerk")
    hall.engine.sign_in("w03", "c9")
    hall.engine.open_window("w03")
    hall.engine.close_window("w03")
    # The manager changes a section on the admin pages: the hall's local layer.
    from hall.config_layers import config_dict, set_section
    queue = {**config_dict(hall.engine.config)["queue"], "recalls_before_no_show": 3}
    set_section(hall.store, hall.engine, hall.engine.config, "queue", queue, "mgr")
    assert hall.engine.config.queue.recalls_before_no_show == 3

    bad = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        'services = ["consult"]', 'services = ["no-such-service"]', 1)
    central.db.push_config(HALL, bad)
    assert syncer.cycle()["config"] == "refused"
    assert config_path.read_text(encoding="utf-8") == good_text
    st = hallside.status(conn)
    assert "no-such-service" in st["config_refused"] and "无效" in st["config_refused"]
    ticket, _ = hall.engine.issue_ticket("consult")       # the old configuration still serves
    assert ticket["number"].startswith("ZX")
    assert syncer.cycle()["config"] == "unchanged"          # not downloaded again and again

    renamed = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        'name_zh = "综合咨询"', 'name_zh = "综合咨询服务"', 1)
    central.db.push_config(HALL, renamed)
    assert syncer.cycle()["config"] == "applied"
    assert hallside.status(conn)["config_refused"] is None
    with hall.store.read() as c:
        assert c.execute("SELECT name_zh FROM services WHERE id = 'consult'").fetchone()[0] == "综合咨询服务"
        assert c.execute("SELECT state FROM windows WHERE id = 'w03'").fetchone()[0] == "closed"
    assert hall.engine.config.queue.recalls_before_no_show == 3       # local layer still on top
    assert hall.engine.config.service("consult").name_zh == "综合咨询服务"
    # hall.toml (root's file under /etc on a box) is never written; what sync applied is hall
    # state in the database, and every process reads it over hall.toml, keeping its [sync].
    assert config_path.read_text(encoding="utf-8") == good_text
    from hall.central_layer import load_effective
    effective = load_effective(config_path, hall.db_path)
    assert effective.service("consult").name_zh == "综合咨询服务"
    assert effective.sync.central_url == setup["central"].url      # local [sync] kept
