"""Configuration errors on the manager's page appear beside the field, Chinese and English."""

from __future__ import annotations

from .test_admin_manager import hall, sign_in  # noqa: F401 - fixture


def test_a_bad_value_is_explained_beside_its_field(hall, new_page, shots_dir):  # noqa: F811
    page = new_page()
    sign_in(page, hall, "config")
    page.wait_for_selector("#config-form input[data-k=daily_cap]")
    cap = page.locator("#config-form input[data-i='1'][data-k=daily_cap]")
    cap.fill("0")
    page.click("#config-save")
    err = page.locator("#config-form input[data-i='1'][data-k=daily_cap] + .field-error")
    err.wait_for()
    text = err.inner_text()
    assert "不能小于 1" in text and "greater than or equal to 1" in text
    assert cap.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.dataset.k") == "daily_cap"
    page.screenshot(path=str(shots_dir / "admin-config-field-error.png"))
    # fixed: the message goes away with the save
    cap.fill("5")
    page.click("#config-save")
    page.wait_for_selector("#config-msg.ok")
    assert page.locator("#config-form .field-error").count() == 0
    # windows: an unknown service is shown beside the window's services
    page.click("#config-sections button[data-section=windows]")
    page.wait_for_selector("#config-form input[data-k=services]")
    services = page.locator("#config-form input[data-i='2'][data-k=services]")
    services.fill("biz-setup, no-such-service")
    page.click("#config-save")
    err = page.locator("#config-form input[data-i='2'][data-k=services] + .field-error")
    err.wait_for()
    assert "未知的业务：no-such-service" in err.inner_text() and "unknown service" in err.inner_text()
