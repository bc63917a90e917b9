"""Local rules as data: the bundled YAML, a deployment's own copy, and errors that name the file, the line and
the setting (a typo stops start-up instead of quietly falling back to a default)."""

from __future__ import annotations

import os
import re
import tomllib
from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import SettingsError, load_settings
from bot.startup import load_checked_settings
from knowledge.rules import DEFAULT_RULES, RulesError, load_rules, rules_from, write_rules

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("CADREBOT_") and not key.startswith("CADREBOT_TEST"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


def problem(tmp_path: Path, text: str, name: str = "rules.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert str(path) in message
    return message


# -- the bundled file ---------------------------------------------------------------------------------


def test_the_bundled_yaml_holds_the_documented_defaults() -> None:
    assert DEFAULT_RULES.name == "default.yaml" and DEFAULT_RULES.is_file()
    rules = load_rules()
    assert rules.organisation.cadence == {
        "支部党员大会": "quarter",
        "支部委员会": "month",
        "党小组会": "month",
        "主题党日": "month",
        "党课": "quarter",
        "组织生活会": "year",
    }
    assert rules.organisation.quorum.branch_committee == "more_than_half"
    assert rules.organisation.absence.warn_after_months == 2
    s = rules.subsidy
    assert (s.per_day, s.monthly_cap) == (Decimal(30), Decimal(300))
    assert s.rate_for("柳树村") == (Decimal(50), "偏远村") and s.rate_for("李家村") == (Decimal(30), None)
    assert s.eligible_roles == ["township_cadre", "village_secretary", "village_committee"]
    assert s.approver_roles == ["supervisor"] and s.evidence == "self_report" and not s.unit_car_pays
    assert s.return_reasons.reasons[0] == "信息不完整"
    r = rules.reminders
    assert r.offsets == [14, 7, 3, 1] and r.at == time(9, 0)
    assert (r.quiet_start, r.quiet_end) == (time(21, 0), time(8, 0))
    assert (r.cadence_day, r.quarter_days_before) == (20, 15)
    assert [(x.step, x.after_days) for x in rules.ladder] == [("提示", 1), ("催办", 3), ("通报", 7), ("约谈", 14)]
    assert rules.interview.notice_workdays == 2 and rules.interview.at == time(9, 30)
    assert rules_from(None) == rules


def test_the_bundled_yaml_ships_in_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "rules/*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["knowledge"]


# -- a deployment's own copy --------------------------------------------------------------------------


def test_a_deployment_file_named_by_cadrebot_rules_file_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    path = write_rules(tmp_path / "county.yaml", {"subsidy.per_day": 40, "reminders.quiet_start": "22:30"})
    monkeypatch.setenv("CADREBOT_RULES_FILE", str(path))
    rules = rules_from(load_settings().rules_file)
    assert rules.subsidy.per_day == Decimal(40) and rules.reminders.quiet_start == time(22, 30)
    assert rules.subsidy.monthly_cap == Decimal(300)  # the rest as copied


def test_a_bad_deployment_file_stops_start_up_naming_the_variable_and_line(monkeypatch, tmp_path) -> None:
    path = tmp_path / "county.yaml"
    path.write_text("subsidy:\n  per_day: 30\n  monthly_cap: -1\n", encoding="utf-8")
    monkeypatch.setenv("CADREBOT_RULES_FILE", str(path))
    with pytest.raises(SettingsError) as caught:
        load_checked_settings()
    assert "CADREBOT_RULES_FILE" in str(caught.value) and "subsidy.monthly_cap (line 3)" in str(caught.value)


def test_a_toml_file_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    path.write_text('[subsidy]\nper_day = 25\n[reminders]\nquiet_start = "22:00"\n', encoding="utf-8")
    rules = load_rules(path)
    assert rules.subsidy.per_day == Decimal(25) and rules.reminders.quiet_start == time(22, 0)
    message = problem(tmp_path, "[subsidy\nper_day = 25\n", name="broken.toml")
    assert "not valid TOML" in message and "line 1" in message


def test_unquoted_times_are_times_and_a_bare_number_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("reminders:\n  quiet_start: 21:00\n  at: 9:00\n", encoding="utf-8")  # YAML 1.1: 1260, 540
    r = load_rules(path).reminders
    assert (r.quiet_start, r.at) == (time(21, 0), time(9, 0))
    message = problem(tmp_path, "reminders:\n  at: 9\n")
    assert 'reminders.at (line 2): a time of day is written "HH:MM"' in message


# -- errors -------------------------------------------------------------------------------------------


def test_a_yaml_syntax_error_gives_the_line_and_column(tmp_path: Path) -> None:
    message = problem(tmp_path, 'reminders:\n  at: "09:00"\n   quiet_start: "21:00"\n')
    assert "not valid YAML at line 3, column 4" in message
    assert '3 |    quiet_start: "21:00"' in message


def test_a_key_given_twice_is_an_error(tmp_path: Path) -> None:
    message = problem(tmp_path, "subsidy:\n  per_day: 30\n  per_day: 40\n")
    assert "line 3" in message and "'per_day' is given twice (first on line 2)" in message


def test_a_bad_value_gives_the_dotted_path_line_and_reason(tmp_path: Path) -> None:
    text = (
        "subsidy:\n  bands:\n    - name: 偏远村\n      villages: [柳树村]\n      per_day: 50\n"
        "    - name: 山区\n      villages: [石门村]\n      per_day: -5\n"
    )
    message = problem(tmp_path, text)
    assert "1 setting is wrong" in message
    assert "subsidy.bands[1].per_day (line 8): Input should be greater than or equal to 0 (got -5)" in message


def test_every_wrong_setting_is_listed_in_file_order(tmp_path: Path) -> None:
    text = (
        "reminders:\n  offsets: [14, 400]\n"
        "organisation:\n  cadence:\n    支部党员大会: weekly\n"
        "subsidy:\n  eligible_roles: [village_secretery]\n"
        "ladder:\n  - {step: 催办, after_days: 3}\n  - {step: 提示, after_days: 1}\n"
    )
    lines = problem(tmp_path, text).splitlines()
    assert "4 settings are wrong" in lines[0]
    assert lines[1].startswith("  reminders.offsets[1] (line 2): Input should be less than or equal to 365")
    assert lines[2].startswith("  organisation.cadence.支部党员大会 (line 5): Input should be 'month'")
    assert lines[3].startswith("  subsidy.eligible_roles (line 7): unknown roles ['village_secretery']")
    assert lines[4] == "  ladder (line 8): each step once, in order, with after_days not decreasing"


def test_an_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    message = problem(tmp_path, 'reminders:\n  quiet_strat: "22:00"\n')
    assert "reminders.quiet_strat (line 2): unknown setting 'quiet_strat' — did you mean 'quiet_start'?" in message
    message = problem(tmp_path, "interview:\n  venue: 村委会\n")
    assert "interview.venue (line 2): unknown setting 'venue' (known here: at, contact, interviewers" in message
    assert "unknown setting 'subsidies'" in problem(tmp_path, "subsidies:\n  per_day: 30\n")


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match=re.escape(f"rules file not found: {tmp_path / 'nowhere.yaml'}")):
        load_rules(tmp_path / "nowhere.yaml")
    with pytest.raises(RulesError, match=r"must end in \.yaml, \.yml or \.toml"):
        load_rules(tmp_path / "rules.json")


def test_the_file_must_be_a_set_of_sections(tmp_path: Path) -> None:
    assert "should be a set of sections" in problem(tmp_path, "- subsidy\n- reminders\n")


def test_write_rules_refuses_a_misspelt_change(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="quiet_strat"):
        write_rules(tmp_path / "x.yaml", {"reminders.quiet_strat": "08:00"})
    assert not (tmp_path / "x.yaml").exists()


# -- cadrebot rules check -----------------------------------------------------------------------------


def test_rules_check_summarises_the_bundled_file() -> None:
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "规则文件有效 (rules file OK)" in out and str(DEFAULT_RULES) in out
    assert "支部党员大会 每季度" in out and "支部委员会 每月" in out
    assert "30 元/天，每人每月上限 300 元" in out and "偏远村 50 元/天（柳树村）" in out
    assert "截止前 14、7、3、1 天，09:00 发送" in out
    assert "免打扰 (quiet hours)：21:00–08:00" in out
    assert "提示（逾期1天） → 催办（逾期3天） → 通报（逾期7天） → 约谈（逾期14天）" in out


def test_rules_check_reports_a_bad_file_and_exits_1(tmp_path: Path) -> None:
    path = write_rules(tmp_path / "ok.yaml", {"reminders.quiet_start": "08:00"})
    result = runner.invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 0 and "免打扰 (quiet hours)：不设" in result.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text('reminders:\n  quiet_strat: "22:00"\n', encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", str(bad)])
    assert result.exit_code == 1
    assert "规则文件有误 (rules file has errors)" in result.stderr
    assert "reminders.quiet_strat (line 2): unknown setting 'quiet_strat'" in result.stderr

    result = runner.invoke(app, ["rules", "check", str(tmp_path / "nowhere.yaml")])
    assert result.exit_code == 1 and f"rules file not found: {tmp_path / 'nowhere.yaml'}" in result.stderr
