"""The local configuration layer: sections a manager edits on the admin pages, on top of the base.

The base is whatever configuration is in force (hall.toml, or the central platform's snapshot
once sync stores one). A manager's edit replaces one whole top-level section (services,
windows, day …); the layer lives in the database (schema 0400), so it survives restarts and
stays clearly apart from what central manages. Every edit is validated by the same validator
as hall.toml (config_from_dict), written with an audit row (who, when, before -> after) and
applied to the engine in the same transaction: all of it happens, or none of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

from hall.config import ConfigError, HallConfig, config_from_dict
from hall.errors import Conflict, InvalidInput
from hall.store import Store

log = logging.getLogger(__name__)

# Sections a manager may edit locally; the rest (server, sync, devices …) belong to the
# installer's hall.toml or to central.
EDITABLE_SECTIONS = ("services", "windows", "domains", "day", "green_channel", "ratings", "cases",
                     "calendar", "queue")
SECTION_ZH = {
    "services": "业务事项（名称、材料清单、每日号源上限）", "windows": "窗口及工作配置",
    "domains": "业务领域", "day": "营业时间", "green_channel": "绿色通道优先原因",
    "ratings": "评价原因", "cases": "差评/投诉处理时限（工作日）", "calendar": "节假日与调休",
    "queue": "排队规则",
}
LAYER_PATH = "管理页面本地配置 admin local layer"


def config_dict(config: HallConfig) -> dict[str, Any]:
    """The configuration as plain JSON data, the shape hall.toml has."""
    return config.model_dump(mode="json")


def local_layer(store: Store) -> dict[str, dict]:
    """section -> {"value", "updated_at", "updated_by"} for every locally edited section."""
    with store.read() as c:
        rows = c.execute("SELECT section, value, updated_at, updated_by FROM config_local_layer "
                         "ORDER BY section").fetchall()
    return {r[0]: {"value": json.loads(r[1]), "updated_at": r[2], "updated_by": r[3]} for r in rows}


def effective_config(store: Store, base_config: HallConfig) -> HallConfig:
    """The base with the local layer on top: what the hall must run with.

    A layer section that no longer fits a newer base (say central removed a domain the local
    services use) is skipped with a warning rather than stopping the hall; the admin page
    shows it as not in force."""
    layer = local_layer(store)
    if not layer:
        return base_config
    data = config_dict(base_config)
    try:
        return config_from_dict({**data, **{k: v["value"] for k, v in layer.items()}}, LAYER_PATH)
    except ConfigError as exc:
        log.warning("local configuration layer does not fit the base as a whole: %s", exc)
    for section, entry in layer.items():
        trial = {**data, section: entry["value"]}
        try:
            config_from_dict(trial, LAYER_PATH)
        except ConfigError as exc:
            log.warning("local section %s skipped: %s", section, exc)
            continue
        data = trial
    return config_from_dict(data, LAYER_PATH)


def sections_in_force(store: Store, base_config: HallConfig, effective: HallConfig) -> dict[str, bool]:
    """For each locally edited section: is the local value what the hall runs with now?"""
    eff = config_dict(effective)
    return {s: eff.get(s) == e["value"] for s, e in local_layer(store).items()}


def apply_at_start(store: Store, engine, base_config: HallConfig) -> HallConfig:
    """Called once when the hall server starts: bring the engine to base + local layer."""
    effective = effective_config(store, base_config)
    if effective is not base_config:
        engine.apply_config(effective)
    return effective


# -- editing --------------------------------------------------------------------------------
_ZH_PROBLEMS = [
    (r"greater than or equal to (\S+)", "不能小于 {0}"),
    (r"less than or equal to (\S+)", "不能大于 {0}"),
    (r"greater than (\S+)", "必须大于 {0}"),
    (r"less than (\S+)", "必须小于 {0}"),
    (r"is not a time of day", "不是有效的时间（格式如 08:30）"),
    (r"required key is missing", "缺少必填项"),
    (r"unknown key", "未知的配置项（请检查拼写）"),
    (r"should be a valid integer", "应为整数"),
    (r"should be a valid number", "应为数字"),
    (r"should be a valid boolean", "应为 true 或 false"),
    (r"should be a valid string", "应为文字"),
    (r"should be a valid list", "应为列表"),
    (r"should be a valid date", "应为日期（如 2026-10-01）"),
    (r"should match pattern", "格式不正确"),
    (r"at least (\d+) (item|character)", "至少需要 {0} 项/字"),
    (r"at most (\d+) (item|character)", "最多 {0} 项/字"),
    (r"should be '([^']*)'(?:, '[^']*')* or '[^']*'|Input should be", "取值不在允许范围内"),
    (r"is used twice", "重复"),
    (r"prefix '([^']*)' is already used", "号码字母前缀 {0} 已被其他业务使用"),
    (r"unknown service '([^']*)'", "未知的业务：{0}"),
    (r"unknown domain '([^']*)'", "未知的业务领域：{0}"),
    (r"must close after it opens", "关门时间必须晚于开门时间"),
    (r"needs weights", "按比例叫号需要设置权重"),
    (r"差评 must offer", "差评至少要提供一个可选原因"),
]


FIELD_ZH = {
    "daily_cap": "每日号源上限", "avg_minutes": "平均办理时长", "ticket_cutoff": "停止取号时间",
    "materials": "材料清单", "name_zh": "中文名称", "name_en": "英文名称", "prefix": "号码字母前缀",
    "domain": "业务领域", "kind": "类型", "services": "业务", "number": "窗口号", "mode": "叫号方式",
    "weights": "权重", "open": "开门时间", "close": "关门时间", "rollover": "营业日切换时间",
    "weekdays": "营业星期", "reasons": "原因", "revisit_working_days": "回访时限",
    "rectify_working_days": "整改时限", "reply_working_days": "差评答复时限",
    "complaint_reply_working_days": "投诉答复时限", "holidays": "节假日", "workdays": "调休上班日",
    "id": "编号", "zh": "中文", "en": "英文",
}


def _readable_key(key: str, data: dict | None) -> tuple[str, str]:
    """'services[1].daily_cap' -> ('services[biz-change].daily_cap', '企业变更登记 · 每日号源上限')."""
    m = re.match(r"^(services|windows|domains)\[(\d+)\](.*)$", key)
    label = []
    if m and data and isinstance(data.get(m.group(1)), list) and int(m.group(2)) < len(data[m.group(1)]):
        item = data[m.group(1)][int(m.group(2))]
        if isinstance(item, dict) and item.get("id"):
            key = f"{m.group(1)}[{item['id']}]{m.group(3)}"
            label.append(str(item.get("name_zh") or item["id"]))
    last = re.findall(r"[A-Za-z_]+", key.split(".")[-1])
    if last and last[0] in FIELD_ZH:
        label.append(FIELD_ZH[last[0]])
    return key, " · ".join(label)


class ConfigFieldError(InvalidInput):
    """An invalid configuration value, with the field it belongs to, so the page can show the
    message beside that field (in Chinese and English)."""

    def __init__(self, message: str, message_en: str, field: dict | None):
        super().__init__("invalid_config", message, message_en)
        self.field = field

    def to_json(self) -> dict:
        out = super().to_json()
        if self.field:
            out["error"]["field"] = self.field
        return out


def _field(key: str) -> dict | None:
    """'services[1].daily_cap' -> {section: services, index: 1, key: daily_cap, zh, en};
    'day.close' -> {section: day, key: close}; 'ratings.reasons.1' -> {section: ratings, key: 1}."""
    m = re.match(r"^([a-z_]+)(?:\[(\d+)\])?(?:\.(.+))?$", key or "")
    if not m:
        return None
    out: dict = {"section": m.group(1)}
    if m.group(2) is not None:
        out["index"] = int(m.group(2))
    rest = m.group(3) or ""
    if rest:
        out["key"] = re.sub(r"\[\d+\]", "", rest).split(".")[-1]
    return out


def explain(exc: ConfigError, data: dict | None = None) -> InvalidInput:
    """A ConfigError as a two-language message a manager can act on (Chinese first)."""
    zh = "取值不正确"
    for pattern, template in _ZH_PROBLEMS:
        m = re.search(pattern, exc.problem)
        if m:
            zh = template.format(*m.groups())
            break
    key, label = _readable_key(exc.key, data)
    where = f"{label}（{key}）" if label else key
    field = _field(exc.key)
    if field:
        field.update({"zh": zh, "en": exc.problem, "label_zh": label})
    return ConfigFieldError(f"配置无效：{where}{zh}", f"Invalid configuration: {key}: {exc.problem}", field)


def _check_section(section: str) -> None:
    if section not in EDITABLE_SECTIONS:
        raise InvalidInput("not_editable", f"该部分不能在管理页面修改：{section}",
                           f"this section cannot be edited on the admin pages: {section}")


def _commit(store: Store, engine, new_config: HallConfig, section: str, action: str, staff_id: str,
            before: Any, after: Any, note: str, layer_value: Any | None) -> None:
    previous = engine.config
    now = engine.clock.now()      # the hall's clock, like every other record it keeps
    try:
        with store.transaction() as c:
            if action == "set":
                c.execute("INSERT INTO config_local_layer (section, value, updated_at, updated_by) "
                          "VALUES (?, ?, ?, ?) ON CONFLICT (section) DO UPDATE SET value = excluded.value, "
                          "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                          (section, _j(layer_value), now, staff_id))
            else:
                c.execute("DELETE FROM config_local_layer WHERE section = ?", (section,))
            c.execute("INSERT INTO config_audit (at, staff_id, section, action, before, after, note) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (now, staff_id, section, action, _j(before), _j(after), note[:500]))
            # Joins this transaction (Store.transaction nests), so the layer, the audit row
            # and the services/windows tables change together or not at all.
            engine.apply_config(new_config)
    except BaseException:
        engine.config = previous
        raise


def section_version(value: Any) -> str:
    """A short fingerprint of a section's value: an edit names the version it started from."""
    return hashlib.sha256(_j(value).encode()).hexdigest()[:12]


def set_section(store: Store, engine, base_config: HallConfig, section: str, value: Any,
                staff_id: str, note: str = "", version: str | None = None) -> HallConfig:
    """Validate and apply a new value for one section; returns the new effective config.

    Raises InvalidInput (nothing changed) when the result would not be a valid hall.toml, and
    Conflict when `version` is given and someone changed the section since it was read."""
    _check_section(section)
    with store.lock:     # read-check-write as one step against a second manager's edit
        return _set_section(store, engine, base_config, section, value, staff_id, note, version)


def _set_section(store, engine, base_config, section, value, staff_id, note, version) -> HallConfig:
    current = effective_config(store, base_config)
    data = config_dict(current)
    before = data.get(section)
    if version is not None and version != section_version(before):
        raise Conflict("config_changed", "该部分刚被他人修改，请刷新页面查看最新内容后再改",
                       "this section was changed by someone else since you opened it; reload and edit again")
    try:
        new_config = config_from_dict({**data, section: value}, LAYER_PATH)
    except ConfigError as exc:
        raise explain(exc, {**data, section: value}) from None
    after = config_dict(new_config)[section]
    if after == before:
        return current
    _commit(store, engine, new_config, section, "set", staff_id, before, after, note, after)
    return new_config


def revert_section(store: Store, engine, base_config: HallConfig, section: str, staff_id: str,
                   note: str = "") -> HallConfig:
    """Drop the local value of a section: the base's value is in force again."""
    _check_section(section)
    layer = local_layer(store)
    current = effective_config(store, base_config)
    if section not in layer:
        return current
    rest = {k: v["value"] for k, v in layer.items() if k != section}
    data = config_dict(base_config)
    try:
        new_config = config_from_dict({**data, **rest}, LAYER_PATH)
    except ConfigError as exc:
        raise explain(exc) from None
    _commit(store, engine, new_config, section, "revert", staff_id, config_dict(current).get(section),
            config_dict(new_config).get(section), note, None)
    return new_config


def audit_log(store: Store, limit: int = 100) -> list[dict]:
    with store.read() as c:
        rows = c.execute("SELECT id, at, staff_id, section, action, before, after, note FROM config_audit "
                         "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [{"id": r[0], "at": r[1], "staff_id": r[2], "section": r[3], "action": r[4],
             "before": json.loads(r[5]), "after": json.loads(r[6]), "note": r[7],
             "changes": diff(json.loads(r[5]), json.loads(r[6]), r[3])} for r in rows]


def diff(before: Any, after: Any, path: str = "") -> list[dict]:
    """The leaf values that differ, as [{"path", "before", "after"}] (for the audit view)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for k in list(before) + [k for k in after if k not in before]:
            out += diff(before.get(k), after.get(k), f"{path}.{k}" if path else str(k))
        return out
    if (isinstance(before, list) and isinstance(after, list) and before + after
            and all(isinstance(x, dict) and "id" in x for x in before + after)):
        # Services, windows …: matched by id, so an insertion does not look like a rewrite.
        old, new = {x["id"]: x for x in before}, {x["id"]: x for x in after}
        out = []
        for k in list(old) + [k for k in new if k not in old]:
            out += diff(old.get(k), new.get(k), f"{path}[{k}]")
        return out
    if (isinstance(before, list) and isinstance(after, list) and len(before) == len(after)
            and all(isinstance(x, dict) for x in before + after)):
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out += diff(b, a, f"{path}[{i}]")
        return out
    return [] if before == after else [{"path": path, "before": before, "after": after}]


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
