"""/admin/displays in headless Chromium: a manager's change reaches a running display."""

from __future__ import annotations

import pytest

from tests.support.hallserver import MANAGER, HallServer


@pytest.fixture
def hall(tmp_path):
    h = HallServer(tmp_path / "hall", process=True, windows=("w03", "w04")).start()
    yield h
    h.stop()


@pytest.fixture
def page(new_page):
    """A page from the suite's shared Chromium (tests/browser/conftest.py), with its errors."""
    pg = new_page(viewport=(1600, 1000))
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors
    return pg


@pytest.fixture
def display(hall):
    from caller_display.app import DisplayApp

    app = DisplayApp(hall.url, hall.tokens["display-1"], min_backoff=0.1, max_backoff=0.5).start()
    assert app.pump_until(lambda: app.vm.connected, 10)
    yield app
    app.stop()


def _sign_in(page, hall):
    page.goto(hall.url + "/admin/displays")
    page.fill("#staff-id", MANAGER[0])
    page.fill("#pin", MANAGER[1])
    page.click("#sign-in")
    page.wait_for_selector("#layout-list button[data-name=default]")


def test_edit_in_the_browser_reaches_the_running_display(hall, page, display, shots_dir):
    _sign_in(page, hall)
    # The live preview is a real rendered frame of the layout being edited.
    page.wait_for_selector("#preview-img[src^='blob:']", timeout=20000)
    for _ in range(100):  # polled from Python: the page's CSP rightly forbids eval()
        if page.eval_on_selector("#preview-img", "i => i.complete && i.naturalWidth") > 0:
            break
        page.wait_for_timeout(50)
    assert page.eval_on_selector("#preview-img", "i => i.naturalWidth") == 1920

    page.fill("#f-notice", "今天下午三点后只办理领证业务 Pick-up only after 15:00")
    page.fill("#f-windows", "3")
    page.click("#save")
    page.wait_for_selector("#status.ok")
    assert "已保存" in page.text_content("#status")
    assert display.pump_until(
        lambda: display.vm.notice.startswith("今天下午三点后只办理领证业务"), 2.0)
    display.pump(0.1)
    assert [t.property("windowNumber") for t in display.screen.items("windowTile")] == ["3"]
    page.screenshot(path=str(shots_dir / "admin-displays.png"), full_page=True)
    assert page.errors == []


def test_new_layout_assigned_in_the_browser_switches_the_display(hall, page, display):
    _sign_in(page, hall)
    page.fill("#new-name", "pickup-area")
    page.click("#new-layout")
    page.wait_for_selector("#layout-list button[data-name=pickup-area].active")
    page.check("input[name=orientation][value=portrait]")
    page.fill("#f-title", "统一出件区 Pick-up")
    page.click("#save")
    page.wait_for_selector("#status.ok")
    page.select_option("select[data-device=display-1]", "pickup-area")
    page.click("button[data-assign=display-1]")
    page.wait_for_selector("#status.ok")
    assert display.pump_until(lambda: display.vm.layoutName == "pickup-area", 2.0)
    assert display.vm.portrait and display.vm.title == "统一出件区 Pick-up"


def test_bad_colours_are_explained_and_not_saved(hall, page):
    _sign_in(page, hall)
    page.eval_on_selector("#f-fg", "e => { e.value = '#13294a'; e.dispatchEvent(new Event('input')); }")
    assert "bad" in page.get_attribute("#contrast", "class")
    page.click("#save")
    page.wait_for_selector("#status:not(.hidden):not(.ok)")
    assert "对比度" in page.text_content("#status")


def test_a_clerk_cannot_use_the_page(hall, page):
    page.goto(hall.url + "/admin/displays")
    page.fill("#staff-id", "C01")
    page.fill("#pin", "135790")
    page.click("#sign-in")
    page.wait_for_selector("#status:not(.hidden)")
    assert "仅限大厅负责人" in page.text_content("#status")
    assert page.is_hidden("#admin")
