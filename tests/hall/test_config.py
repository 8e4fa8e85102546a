"""hall.toml validation: every error names the file, the key, the line and what is wrong."""

import subprocess
import sys

import pytest

from hall.config import EXAMPLE_PATH, ConfigError, load_config, parse_config

EXAMPLE = EXAMPLE_PATH.read_text(encoding="utf-8")


def test_example_models_a_real_city_hall():
    cfg = load_config(EXAMPLE_PATH)
    assert len(cfg.services) >= 25
    assert len(cfg.windows) >= 16
    domains = {d.name_zh for d in cfg.domains}
    for name in ["企业开办", "工程建设项目", "不动产登记", "税务", "社会保障", "卫生健康", "就业创业",
                 "民政救助", "户籍办理", "公安交管", "交通运输"]:
        assert name in domains
    kinds = {s.kind for s in cfg.services}
    assert kinds == {"consult", "accept", "pickup", "help", "complaint"}
    assert {w.kind for w in cfg.windows} == kinds
    assert {"高校毕业生报到落户", "高端人才认定与人才卡"} <= {s.name_zh for s in cfg.services}
    assert cfg.hall.timezone == "Asia/Shanghai"
    assert [r.zh for r in cfg.green_channel.reasons][:4] == ["老年人", "残疾人", "退役军人", "孕妇"]


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "hall.toml")
    return info.value


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_unknown_key_is_an_error_with_its_line():
    text = EXAMPLE.replace('rollover = "03:00"', 'rollover = "03:00"\nrolover = "04:00"')
    err = _error(text)
    assert err.key == "day.rolover"
    assert "unknown key" in err.problem
    assert err.line == _line_of(text, "rolover =")
    assert str(err).startswith(f"hall.toml:{err.line}: day.rolover")


def test_bad_value_in_an_array_of_tables_names_the_entry():
    text = EXAMPLE.replace('prefix = "H"', 'prefix = "h1"')
    err = _error(text)
    assert err.key == "services[7].prefix"
    assert err.line == _line_of(text, 'prefix = "h1"')


def test_bad_time_and_timezone():
    assert "08:30" in _error(EXAMPLE.replace('ticket_cutoff = "17:00"', 'ticket_cutoff = "5pm"')).problem
    err = _error(EXAMPLE.replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"'))
    assert err.key == "hall.timezone" and "Mars/Olympus" in err.problem


def test_cross_references_are_checked():
    err = _error(EXAMPLE.replace('services = ["consult"]\n', 'services = ["consul"]\n', 1))
    assert err.key == "windows[0].services[0]" and "consul" in err.problem
    err = _error(EXAMPLE.replace('prefix = "B"', 'prefix = "A"'))
    assert "already used" in err.problem and err.key == "services[1].prefix"
    err = _error(EXAMPLE.replace("number = 2\n", "number = 1\n", 1))
    assert "used twice" in err.problem


def test_ratio_mode_needs_weights_and_bad_ratings_need_reasons():
    err = _error(EXAMPLE.replace('mode = "order"', 'mode = "ratio"', 1))
    assert "weights" in err.problem
    err = _error(EXAMPLE.replace('"1" = ["服务态度恶劣", "推诿扯皮", "办不成事", "等候时间过长", "索要额外材料"]', '"1" = []'))
    assert err.key == "ratings.reasons.1"


def test_syntax_error_and_missing_file(tmp_path):
    err = _error(EXAMPLE + "\n[broken\n")
    assert err.key == "(syntax)" and err.line is not None
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml")
    assert "not found" in str(info.value)


def test_missing_required_section():
    text = EXAMPLE.replace("[green_channel]", "[green_channel_x]")
    err = _error(text)
    assert err.key in ("green_channel", "green_channel_x")


def test_process_refuses_to_start_on_a_bad_file(tmp_path):
    bad = tmp_path / "hall.toml"
    bad.write_text(EXAMPLE.replace("daily_cap = 200", "daily_cap = -5", 1), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "onewindow.cli", "config", "check", "--config", str(bad)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "services[0].daily_cap" in r.stderr and f"{bad}:" in r.stderr
    assert "Traceback" not in r.stderr
