"""The local configuration layer: validated like hall.toml, audited, atomic, in force after a restart."""

from __future__ import annotations

import json

import pytest

from hall import config_layers as layers
from hall.config import config_from_dict
from hall.engine import Engine
from hall.errors import InvalidInput


def _services_with(config, service_id, **changes):
    out = []
    for s in layers.config_dict(config)["services"]:
        out.append({**s, **changes} if s["id"] == service_id else s)
    return out


def _db(store, sql, args=()):
    with store.read() as c:
        return c.execute(sql, args).fetchall()


def test_a_valid_edit_is_applied_audited_and_evented(store, engine, hall_config):
    before_events = _db(store, "SELECT COUNT(*) FROM events WHERE type = 'config.applied'")[0][0]
    new = layers.set_section(store, engine, hall_config, "services",
                             _services_with(hall_config, "biz-setup", daily_cap=3), "m1", "限号")
    assert new.service("biz-setup").daily_cap == 3
    assert engine.config.service("biz-setup").daily_cap == 3
    assert _db(store, "SELECT daily_cap FROM services WHERE id = 'biz-setup'")[0][0] == 3
    assert _db(store, "SELECT COUNT(*) FROM events WHERE type = 'config.applied'")[0][0] == before_events + 1
    [audit] = layers.audit_log(store)
    assert (audit["staff_id"], audit["section"], audit["action"], audit["note"]) == ("m1", "services", "set", "限号")
    assert audit["changes"] == [{"path": "services[biz-setup].daily_cap", "before": 200, "after": 3}]
    # the cap takes effect: the fourth ticket of the day is refused
    for _ in range(3):
        engine.issue_ticket("biz-setup")
    with pytest.raises(Exception) as exc:
        engine.issue_ticket("biz-setup")
    assert "号源已满" in getattr(exc.value, "message", "")


@pytest.mark.parametrize("section, value, zh, key", [
    ("day", {"open": "08:30", "close": "25:00", "ticket_cutoff": "17:00", "rollover": "03:00",
             "weekdays": [1, 2, 3, 4, 5]}, "不是有效的时间", "day.close"),
    ("cases", {"revisit_working_days": 1, "rectify_working_days": 0, "reply_working_days": 15,
               "complaint_reply_working_days": 5}, "不能小于 1", "cases.rectify_working_days"),
    ("day", {"open": "18:00", "close": "08:00"}, "关门时间必须晚于开门时间", "day.close"),
    ("services", "not a list", "应为列表", "services"),
])
def test_a_bad_value_is_refused_with_a_clear_message_and_changes_nothing(store, engine, hall_config, section,
                                                                        value, zh, key):
    digest = _db(store, "SELECT value FROM meta WHERE key = 'config_hash'")[0][0]
    with pytest.raises(InvalidInput) as exc:
        layers.set_section(store, engine, hall_config, section, value, "m1")
    assert exc.value.message.startswith("配置无效") and zh in exc.value.message and key in exc.value.message
    assert key in exc.value.message_en
    assert layers.local_layer(store) == {} and layers.audit_log(store) == []
    assert _db(store, "SELECT value FROM meta WHERE key = 'config_hash'")[0][0] == digest
    assert engine.config == hall_config


def test_unknown_or_protected_section_is_refused(store, engine, hall_config):
    with pytest.raises(InvalidInput) as exc:
        layers.set_section(store, engine, hall_config, "sync", {"enabled": True}, "m1")
    assert "不能在管理页面修改" in exc.value.message


def test_the_layer_survives_a_restart_and_sits_on_a_new_base(store, engine, hall_config, clock):
    layers.set_section(store, engine, hall_config, "services",
                       _services_with(hall_config, "biz-setup", materials=["营业执照"]), "m1")
    # restart: the hall starts from hall.toml and applies the layer on top
    fresh = Engine(store, hall_config, clock)
    effective = layers.apply_at_start(store, fresh, hall_config)
    assert effective.service("biz-setup").materials == ["营业执照"]
    assert json.loads(_db(store, "SELECT materials FROM services WHERE id = 'biz-setup'")[0][0]) == ["营业执照"]
    # a new base (say central renamed the hall) keeps the local section on top of it
    data = layers.config_dict(hall_config)
    data["hall"] = {**data["hall"], "name_zh": "新区政务服务中心"}
    new_base = config_from_dict(data)
    effective = layers.effective_config(store, new_base)
    assert effective.hall.name_zh == "新区政务服务中心"
    assert effective.service("biz-setup").materials == ["营业执照"]


def test_a_local_section_that_no_longer_fits_the_base_is_skipped_not_fatal(store, engine, hall_config):
    layers.set_section(store, engine, hall_config, "cases",
                       {**layers.config_dict(hall_config)["cases"], "reply_working_days": 10}, "m1")
    layers.set_section(store, engine, hall_config, "services",
                       _services_with(hall_config, "biz-setup", daily_cap=50), "m1")
    # the new base drops the domain the local services still use
    data = layers.config_dict(hall_config)
    data["domains"] = [d for d in data["domains"] if d["id"] != "enterprise"]
    data["services"] = [s for s in data["services"] if s["domain"] != "enterprise"]
    data["windows"] = [w for w in data["windows"] if all(
        any(s["id"] == sid for s in data["services"]) for sid in w["services"])]
    new_base = config_from_dict(data)
    effective = layers.effective_config(store, new_base)
    assert effective.cases.reply_working_days == 10          # still fits: in force
    assert effective.service("biz-setup") is None             # did not fit: skipped
    in_force = layers.sections_in_force(store, new_base, effective)
    assert in_force == {"cases": True, "services": False}


def test_revert_restores_the_base_value_and_is_audited(store, engine, hall_config):
    layers.set_section(store, engine, hall_config, "services",
                       _services_with(hall_config, "biz-setup", daily_cap=7), "m1")
    back = layers.revert_section(store, engine, hall_config, "services", "m2")
    assert back.service("biz-setup").daily_cap == 200
    assert _db(store, "SELECT daily_cap FROM services WHERE id = 'biz-setup'")[0][0] == 200
    log = layers.audit_log(store)
    assert [(a["action"], a["staff_id"]) for a in log] == [("revert", "m2"), ("set", "m1")]
    assert log[0]["changes"] == [{"path": "services[biz-setup].daily_cap", "before": 7, "after": 200}]


def test_a_failure_while_applying_rolls_everything_back(store, engine, hall_config, monkeypatch):
    def boom(config):
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine, "apply_config", boom)
    with pytest.raises(RuntimeError):
        layers.set_section(store, engine, hall_config, "services",
                           _services_with(hall_config, "biz-setup", daily_cap=9), "m1")
    assert layers.local_layer(store) == {} and layers.audit_log(store) == []
    assert engine.config == hall_config


def test_an_edit_from_a_stale_page_is_refused(store, engine, hall_config):
    from hall.errors import Conflict

    read = layers.section_version(layers.config_dict(hall_config)["services"])
    layers.set_section(store, engine, hall_config, "services",
                       _services_with(hall_config, "biz-setup", daily_cap=5), "m1", version=read)
    with pytest.raises(Conflict) as exc:     # a second manager still holds the old page
        layers.set_section(store, engine, hall_config, "services",
                           _services_with(hall_config, "biz-seal", daily_cap=9), "m2", version=read)
    assert "他人修改" in exc.value.message
    assert engine.config.service("biz-setup").daily_cap == 5 and engine.config.service("biz-seal").daily_cap == 150
    assert len(layers.audit_log(store)) == 1
