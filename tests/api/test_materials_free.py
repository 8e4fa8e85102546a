"""免提交 materials: records in hall.toml, marked for the kiosk, never listed as missing on a refusal."""

from __future__ import annotations

import pytest

from hall.config import ConfigError, parse_config

from .conftest import assert_error


def test_services_publish_the_materials_the_platform_holds(kiosk):
    services = {s["id"]: s for s in kiosk.get("/services").json()}
    change = services["biz-change"]
    assert change["materials"] == ["变更登记申请书", "股东会决议", "章程修正案", "营业执照正副本"]
    assert change["materials_electronic"] == [{"name": "营业执照正副本", "name_en": "Business licence",
                                               "license_type": "营业执照电子证照"}]
    assert services["biz-seal"]["materials_electronic"] == []        # plain strings: nothing marked


def test_a_refusal_cannot_list_a_material_the_platform_holds(kiosk, clerk):
    kiosk.issue("biz-change")
    clerk.post("/windows/w03/call-next")
    err = assert_error(clerk.post("/windows/w03/refuse", json={
        "kind": "missing_materials", "materials": ["股东会决议", "营业执照正副本"]}), 422,
        "material_held_electronically")
    assert "营业执照正副本" in err["message"] and "免提交" in err["message"] and err["message_en"]
    r = clerk.post("/windows/w03/refuse", json={"kind": "missing_materials", "materials": ["股东会决议"]})
    assert r.status_code == 200, r.text
    notice = r.json()["notice"]
    assert notice["materials"] == ["股东会决议"]
    assert notice["materials_electronic"] == ["营业执照正副本"]
    assert notice["free_mark_zh"] == "免提交（平台已有电子证照）"


def test_material_records_and_plain_strings_in_config(tmp_path):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "assets" / "hall.example.toml").read_text(encoding="utf-8")
    cfg = parse_config(text)
    svc = cfg.service("biz-setup")
    assert svc.material_names[3] == "法定代表人身份证件"
    assert [m.license_type for m in svc.electronic_materials] == ["居民身份证电子证照"]
    # `materials` stays a list of names (every older reader keeps working); the records are beside it
    dumped = svc.model_dump(mode="json")
    assert dumped["materials"][3] == "法定代表人身份证件" and dumped["material_records"][0]["electronic"] is True
    from hall.config import Service
    assert Service.model_validate(dumped) == svc                    # round trip (the manager's layer)
    edited = Service.model_validate({**dumped, "materials": dumped["materials"][:3]})
    assert edited.electronic_materials == []                        # a record of a removed material goes
    bad = text.replace('license_type = "营业执照电子证照"', 'license_type = "营业执照电子证照", colour = "red"')
    with pytest.raises(ConfigError) as err:
        parse_config(bad)
    assert "colour" in str(err.value)
