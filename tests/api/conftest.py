"""Fixtures for the hall API tests: a real hall node on a loopback port, and HTTP helpers."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from hallserver import HallServer  # noqa: E402


class Client:
    """httpx against the hall with a bearer token; returns responses, never raises on 4xx."""

    def __init__(self, base: str, token: str | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=base + "/api/v1", headers=headers, timeout=10)

    def get(self, path, **kw):
        return self.http.get(path, **kw)

    def post(self, path, json=None, **kw):
        return self.http.post(path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.http.put(path, json=json, **kw)

    def delete(self, path, **kw):
        return self.http.delete(path, **kw)

    def issue(self, service_id="biz-setup", key=None, **body):
        return self.post("/tickets", json={"service_id": service_id, **body},
                         headers={"Idempotency-Key": key or uuid.uuid4().hex})


@pytest.fixture
def hall(tmp_path):
    with HallServer(tmp_path) as server:
        yield server


@pytest.fixture
def kiosk(hall):
    return Client(hall.url, hall.device_token("kiosk", "kiosk-1"))


@pytest.fixture
def clerk(hall):
    """Clerk c1 signed in at window w03 (企业综合受理), window opened."""
    c = Client(hall.url, hall.staff_token("c1", window_id="w03"))
    assert c.post("/windows/w03/open").status_code == 200
    return c


@pytest.fixture
def public(hall):
    return Client(hall.url)


def assert_error(response, status: int, code: str | None = None) -> dict:
    """A refusal a person can act on: the status, and both messages present."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert err["message"] and err["message_en"], err
    if code:
        assert err["code"] == code, err
    return err
