"""Complaints and ratings are idempotent like tickets; their channel is recorded truly;
a citizen leaves by their ticket's token (walk-out)."""

from __future__ import annotations

from .conftest import Client, assert_error


def _served(kiosk, clerk):
    t = kiosk.issue().json()
    assert clerk.post("/windows/w03/call-next").status_code == 200
    assert clerk.post("/windows/w03/finish", json={"outcome": "completed"}).status_code == 200
    return t


def test_the_same_key_gives_one_complaint(hall, public):
    body = {"category": "efficiency", "text": "排队太久"}
    a = public.post("/complaints", json=body, headers={"Idempotency-Key": "k-0000000001"})
    b = public.post("/complaints", json=body, headers={"Idempotency-Key": "k-0000000001"})
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.json()["code"] == b.json()["code"]
    with hall.store.read() as db:
        assert db.execute("SELECT COUNT(*) FROM complaints").fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 1
    other = public.post("/complaints", json={**body, "text": "别的事"}, headers={"Idempotency-Key": "k-0000000001"})
    assert_error(other, 422, "idempotency_conflict")
    # without a key each send is a new complaint (as before)
    assert public.post("/complaints", json=body).json()["code"] != a.json()["code"]


def test_the_same_key_gives_one_rating_and_the_phone_page_channel_is_web(hall, kiosk, clerk, public):
    t = _served(kiosk, clerk)
    body = {"token": t["token"], "level": 5}
    a = public.post("/ratings", json=body, headers={"Idempotency-Key": "r-0000000001"})
    b = public.post("/ratings", json=body, headers={"Idempotency-Key": "r-0000000001"})
    assert (a.status_code, b.status_code) == (201, 200)
    assert_error(public.post("/ratings", json=body, headers={"Idempotency-Key": "r-0000000002"}), 409, "already_rated")
    with hall.store.read() as db:
        assert [r[0] for r in db.execute("SELECT channel FROM ratings")] == ["web"]


def test_channel_follows_the_caller(hall, kiosk, clerk, public):
    t1, t2 = _served(kiosk, clerk), _served(kiosk, clerk)
    assert kiosk.post("/ratings", json={"token": t1["token"], "level": 4}).status_code == 201
    pad = Client(hall.url, hall.device_token("window", "pad-3", window_id="w03"))
    assert pad.post("/ratings", json={"token": t2["token"], "level": 5}).status_code == 201
    assert kiosk.post("/complaints", json={"category": "attitude"}).status_code == 201
    assert public.post("/complaints", json={"category": "attitude", "ticket_token": t1["token"]}).status_code == 201
    assert public.post("/complaints", json={"category": "attitude"}).status_code == 201
    assert clerk.post("/complaints", json={"category": "attitude", "text": "12345 转来"}).status_code == 201
    with hall.store.read() as db:
        ratings = dict(db.execute("SELECT ticket_id, channel FROM ratings").fetchall())
        sources = [r[0] for r in db.execute("SELECT source FROM complaints ORDER BY at")]
    assert ratings == {t1["id"]: "kiosk", t2["id"]: "pad"}
    assert sources == ["kiosk", "web", "qr", "hotline"]


def test_a_bad_rating_may_leave_a_contact_only_with_consent(hall, kiosk, clerk, public):
    t = _served(kiosk, clerk)
    body = {"token": t["token"], "level": 1, "reasons": ["推诿扯皮"], "phone": "139 1234 5678"}
    assert_error(public.post("/ratings", json=body), 422, "consent_required")
    assert public.post("/ratings", json={**body, "contact_consent": True}).status_code == 201
    with hall.store.read() as db:
        assert [tuple(r) for r in db.execute("SELECT phone, consent FROM rating_contacts")] == [("13912345678", 1)]
        events = "".join(r[0] for r in db.execute("SELECT payload FROM events"))
    assert "13912345678" not in events and "5678" not in events.replace(t["id"], "")


def test_leave_by_token_records_a_walk_out(hall, kiosk, clerk, public):
    t = kiosk.issue().json()
    r = public.post(f"/tickets/{t['token']}/leave")
    assert r.status_code == 200 and r.json()["state"] == "walked_out" and r.json()["can_leave"] is False
    assert_error(public.post(f"/tickets/{t['token']}/leave"), 409)
    assert_error(public.post("/tickets/AAAAAAAAAAAAAAAAAAAAAA/leave"), 404)
    with hall.store.read() as db:
        assert db.execute("SELECT type FROM events ORDER BY seq DESC LIMIT 1").fetchone()[0] == "ticket.walked_out"


def test_the_kiosk_client_resends_a_complaint_without_a_second_one(hall):
    from onewindow.client import HallClient

    client = HallClient(hall.url, hall.device_token("kiosk", "kiosk-1"))
    try:
        a = client.file_complaint("attitude", text="态度差", phone="13800138000", contact_consent=True,
                                  idempotency_key="kiosk-complaint-0001")
        b = client.file_complaint("attitude", text="态度差", phone="13800138000", contact_consent=True,
                                  idempotency_key="kiosk-complaint-0001")
    finally:
        client.close()
    assert a["code"] == b["code"]
    with hall.store.read() as db:
        assert db.execute("SELECT COUNT(*) FROM complaints").fetchone()[0] == 1
        assert db.execute("SELECT source FROM complaints").fetchone()[0] == "kiosk"
        assert db.execute("SELECT consent FROM complaint_contacts").fetchone()[0] == 1
