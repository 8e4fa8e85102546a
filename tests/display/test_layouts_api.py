"""The display-layout endpoints on a real hall node: who may do what, validation, events."""

from __future__ import annotations

import httpx
import pytest

from tests.support.hallserver import HallServer


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    h = HallServer(tmp_path_factory.mktemp("hall"), process=True, windows=("w03",)).start()
    yield h
    h.stop()


def _get(hall, path, token=None):
    return httpx.get(hall.url + path, headers=hall.headers(token), timeout=5)


def _put(hall, path, body, token=None):
    return httpx.put(hall.url + path, json=body, headers=hall.headers(token), timeout=5)


def test_displays_and_managers_read_layouts_others_do_not(hall):
    names = [x["name"] for x in _get(hall, "/api/v1/display-layouts", hall.tokens["display-1"]).json()]
    assert {"default", "portrait"} <= set(names)
    assert _get(hall, "/api/v1/display-layouts", hall.tokens["kiosk-1"]).status_code == 403
    r = httpx.get(hall.url + "/api/v1/display-layouts", timeout=5)
    assert r.status_code == 401 and "登录" in r.json()["error"]["message"]


def test_only_a_manager_saves_and_each_save_bumps_the_version(hall):
    r = _put(hall, "/api/v1/display-layouts/lobby", {"title": "大厅"}, hall.tokens["display-1"])
    assert r.status_code == 403
    first = _put(hall, "/api/v1/display-layouts/lobby", {"title": "大厅 Lobby"}).json()
    second = _put(hall, "/api/v1/display-layouts/lobby",
                  {**first, "notice": "欢迎 Welcome"}).json()
    assert second["version"] == first["version"] + 1
    assert _get(hall, "/api/v1/display-layouts/lobby").json()["notice"] == "欢迎 Welcome"


def test_a_stale_edit_is_refused_not_silently_lost(hall):
    base = _put(hall, "/api/v1/display-layouts/stale", {"title": "A"}).json()
    _put(hall, "/api/v1/display-layouts/stale", {**base, "title": "B"})
    r = _put(hall, "/api/v1/display-layouts/stale", {**base, "title": "C"})
    assert r.status_code == 409
    assert "刷新" in r.json()["error"]["message"]
    assert _get(hall, "/api/v1/display-layouts/stale").json()["title"] == "B"


@pytest.mark.parametrize("body, word", [
    ({"theme": {"background": "#101010", "foreground": "#202020", "accent": "#ffffff"}}, "对比度"),
    ({"elements": ["banner", "weather"]}, "elements"),
    ({"voice": {"template": "请 {name}"}}, "voice.template"),
    ({"name": "other"}, "名称"),
    ({"version": "abc"}, "version"),
])
def test_bad_layouts_get_a_bilingual_422(hall, body, word):
    r = _put(hall, "/api/v1/display-layouts/bad", body)
    assert r.status_code == 422
    err = r.json()["error"]
    assert word in err["message"] and err["message_en"]
    assert _get(hall, "/api/v1/display-layouts/bad").status_code == 404


def test_assignment_and_displays_me(hall):
    assert _get(hall, "/api/v1/displays/me", hall.tokens["display-2"]).json()["layout"]["name"] == "default"
    _put(hall, "/api/v1/display-layouts/pickup", {"window_kinds": ["pickup"]})
    r = _put(hall, "/api/v1/displays/display-2/layout", {"layout": "pickup"})
    assert r.status_code == 200
    me = _get(hall, "/api/v1/displays/me", hall.tokens["display-2"]).json()
    assert me["layout"]["window_kinds"] == ["pickup"]
    assert me["hall"]["name_zh"]
    assert _get(hall, "/api/v1/displays/me").status_code == 403  # a manager is not a display
    listed = {d["name"]: d["layout"] for d in _get(hall, "/api/v1/displays").json()}
    assert listed == {"display-1": "default", "display-2": "pickup"}
    assert _put(hall, "/api/v1/displays/nobody/layout", {"layout": "pickup"}).status_code == 404
    assert _put(hall, "/api/v1/displays/display-1/layout", {"layout": "nope"}).status_code == 404
    # A layout in use, and the fallback layout, cannot be deleted.
    r = httpx.delete(hall.url + "/api/v1/display-layouts/pickup", headers=hall.headers(), timeout=5)
    assert r.status_code == 409 and "display-2" in r.json()["error"]["message"]
    r = httpx.delete(hall.url + "/api/v1/display-layouts/default", headers=hall.headers(), timeout=5)
    assert r.status_code == 409


def test_changes_are_events_displays_can_follow(hall):
    after = _get(hall, "/api/v1/health").json()["last_seq"]
    _put(hall, "/api/v1/display-layouts/evented", {"title": "E"})
    httpx.delete(hall.url + "/api/v1/display-layouts/evented", headers=hall.headers(), timeout=5)
    events = _get(hall, f"/api/v1/events?after={after}", hall.tokens["display-1"]).json()["events"]
    changes = [e["payload"] for e in events if e["type"] == "display.layout_changed"]
    assert changes[0]["name"] == "evented" and changes[0]["version"] == 1
    assert changes[1].get("deleted") is True


def test_preview_is_a_real_rendered_frame(hall):
    from PySide6.QtGui import QImage

    r = httpx.post(hall.url + "/api/v1/display-layouts/preview", timeout=30,
                      json={"orientation": "portrait", "title": "预览"}, headers=hall.headers())
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    image = QImage.fromData(r.content)
    assert (image.width(), image.height()) == (1080, 1920)
    r = httpx.post(hall.url + "/api/v1/display-layouts/preview", timeout=30,
                      json={"orientation": "sideways"}, headers=hall.headers())
    assert r.status_code == 422
