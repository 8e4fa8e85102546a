"""The manager sees a device that guessed PINs and unlocks it, in headless Chromium (issue 15)."""

from __future__ import annotations

import httpx

from hall.auth import SOURCE_LOCK_AFTER

from .test_admin_manager import hall, sign_in  # noqa: F401 - the manager's hall fixture


def test_the_manager_unlocks_a_device_locked_after_wrong_pins(hall, page, shots_dir):  # noqa: F811
    hall.app.state.auth.throttle_seconds = 0.0001
    hall.add_staff("c7", "王小明", "clerk", "246810")
    stranger = httpx.Client(base_url=hall.url + "/api/v1", timeout=10,
                            transport=httpx.HTTPTransport(local_address="127.0.0.9"))
    codes = []
    for _ in range(SOURCE_LOCK_AFTER + 3):
        codes.append(stranger.post("/session", json={"staff_id": "c7", "pin": "000000"}).status_code)
    assert codes[-1] == 423
    sign_in(page, hall)
    row = page.locator("#pin-locks tr", has_text="127.0.0.9")
    row.wait_for()
    assert "已锁定" in row.inner_text()
    page.screenshot(path=str(shots_dir / "admin_pin_locks.png"), full_page=True)
    row.locator("button[data-unlock]").click()
    page.wait_for_selector("#pin-locks .empty")
    assert "已解锁" in page.inner_text("#status")
    assert stranger.post("/session", json={"staff_id": "c7", "pin": "246810"}).status_code == 201
