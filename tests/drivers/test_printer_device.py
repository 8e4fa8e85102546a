"""Printer device against the simulator over real TCP and a real pty: status, faults, reconnection."""

from __future__ import annotations

import time

import pytest
from drivers_samples import HALL, SAMPLE_TICKET

from drivers.printer import PrintError, open_printer
from drivers.sim.printer import PrinterSimulator
from drivers.transport import TransportError, open_transport


@pytest.fixture(params=["tcp", "pty"])
def sim(request):
    s = PrinterSimulator.tcp() if request.param == "tcp" else PrinterSimulator.pty()
    yield s
    s.close()


@pytest.mark.parametrize("state,online,paper,cover,zh", [
    ({}, True, "ok", False, "打印机正常"),
    ({"paper": "near_end"}, True, "near_end", False, "纸将用尽"),
    ({"paper": "out"}, False, "out", False, "缺纸"),
    ({"cover_open": True}, False, "ok", True, "盖子打开"),
    ({"offline": True}, False, "ok", False, "离线"),
    ({"mute": True}, None, "unknown", None, "无响应"),
])
def test_status_by_dle_eot(sim, state, online, paper, cover, zh):
    sim.set_state(**state)
    with open_printer(sim.url, timeout=0.2) as p:
        st = p.status()
    assert (st.online, st.paper, st.cover_open) == (online, paper, cover)
    assert zh in st.text_zh


def test_mute_printer_answers_within_one_short_timeout(sim):
    sim.set_state(mute=True)
    with open_printer(sim.url, timeout=0.2) as p:
        t0 = time.monotonic()
        st = p.status()
        elapsed = time.monotonic() - t0
    assert st.paper == "unknown" and elapsed < 1.0


def test_ticket_arrives_byte_for_byte(sim):
    from drivers.printer import layouts

    with open_printer(sim.url) as p:
        p.print_ticket(SAMPLE_TICKET, hall_name=HALL)
    job = sim.wait_for_job(2)
    assert job == layouts.ticket(SAMPLE_TICKET, hall_name=HALL, profile=layouts.get_profile("80mm"))


@pytest.mark.parametrize("state,code,zh", [
    ({"paper": "out"}, "paper_out", "缺纸"),
    ({"cover_open": True}, "cover_open", "盖子打开"),
    ({"offline": True}, "offline", "离线"),
    ({"mute": True}, "no_response", "无响应"),
])
def test_fault_is_a_clear_error_and_nothing_is_sent(sim, state, code, zh):
    sim.set_state(**state)
    with open_printer(sim.url, timeout=0.2) as p, pytest.raises(PrintError) as err:
        p.print_notice("企业开办", ["营业执照申请书"], None)
    assert err.value.code == code and zh in err.value.message and err.value.message_en
    time.sleep(0.05)
    assert sim.jobs == [] and sim.rejected == []


def test_printer_recovers_after_paper_is_loaded(sim):
    with open_printer(sim.url, timeout=0.2) as p:
        sim.set_state(paper="out")
        with pytest.raises(PrintError):
            p.print_rating_slip("A023", "http://h/t/x/rate")
        sim.set_state(paper="ok")
        p.print_rating_slip("A023", "http://h/t/x/rate")
    assert sim.wait_for_job(2) is not None


def test_serial_printer_survives_unplug_and_replug():
    with PrinterSimulator.pty() as sim, open_printer(sim.url, timeout=0.2) as p:
        p.print_complaint_receipt("TS20261128-0007", "等候时间长")
        assert sim.wait_for_job(2)
        sim.unplug()
        with pytest.raises(PrintError) as err:
            p.print_complaint_receipt("TS20261128-0008", "等候时间长")
        assert err.value.code in ("no_response", "offline")
        sim.replug()
        p.print_complaint_receipt("TS20261128-0009", "等候时间长")
        job = sim.wait_for_job(2, count=2)
    assert job is not None and b"TS20261128-0009" in job


def test_file_printer_prints_blind(tmp_path):
    out = tmp_path / "lp0"
    with open_printer(f"file://{out}") as p:
        assert p.status().paper == "unknown"
        p.print_ticket(SAMPLE_TICKET, hall_name=HALL)
    assert out.read_bytes().endswith(b"\x1dV\x01")


def test_sim_name_resolves_in_process():
    with PrinterSimulator.tcp(name="kiosk-printer-test") as sim, open_printer("sim://kiosk-printer-test") as p:
        assert p.status().online is True
        assert sim.status_queries >= 1


@pytest.mark.parametrize("url,zh", [
    ("gopher://x", "不支持的设备地址"),
    ("serial://", "缺少设备路径"),
    ("serial:///dev/ttyUSB0?baud=fast", "波特率无效"),
    ("usb://zz", "usb://VID:PID"),
    ("sim://nobody-here", "未找到模拟设备"),
    ("tcp://127.0.0.1:1", "无法连接"),
    ("usb://0x0416:0x5011", "USB"),            # no such device here (or no libusb): a message
])
def test_bad_urls_are_clear_errors(url, zh, tmp_path, monkeypatch):
    monkeypatch.setenv("ONEWINDOW_SIM_REGISTRY", str(tmp_path / "reg.json"))
    with pytest.raises(TransportError) as err:
        open_transport(url, timeout=0.2)
    assert zh in err.value.message and err.value.message_en


def test_unreachable_printer_is_a_status_not_a_crash():
    with open_printer("tcp://127.0.0.1:1", timeout=0.2) as p:
        assert p.status().text_zh == "打印机无响应"
        with pytest.raises(PrintError):
            p.print_ticket(SAMPLE_TICKET, hall_name=HALL)


def test_back_to_back_documents_each_check_status_and_arrive(sim):
    # A ticket then its one-time notice: the second status query comes right behind the first
    # job; the printer must answer it, not swallow it.
    with open_printer(sim.url, timeout=0.3) as p:
        p.print_ticket(SAMPLE_TICKET, hall_name=HALL)
        p.print_notice("企业开办", ["营业执照申请书"], None)
        p.print_rating_slip("A023", "http://h/t/x/rate")
    assert sim.wait_for_job(2, count=3) is not None


def test_status_query_glued_to_a_job_is_answered():
    from drivers.printer.codec import EscPos

    # image bytes that look like a status query and a cut are data, not commands
    job = EscPos().init().raster(24, 1, b"\x10\x04\x04").raster(16, 1, b"\x1dV").cut().getvalue()
    with PrinterSimulator.tcp() as sim:
        reply = sim._feed(job[:9])
        reply += sim._feed(job[9:] + b"\x10\x04\x04")
        assert reply == b"\x12" and sim.jobs == [job] and sim.status_queries == 1
