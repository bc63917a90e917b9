"""The cadrebot command: help, the WeCom operator tools on the shared vectors, roster import, migrate."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

VECTORS = {
    v["id"]: v for v in json.loads((Path(__file__).parent / "data" / "wecom-vectors.json").read_text())["vectors"]
}
runner = CliRunner()


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def test_help_lists_every_command() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in (
        "run",
        "serve",
        "worker",
        "scheduler",
        "migrate",
        "roster",
        "wecom",
        "ask",
        "plan",
        "rules",
        "tasks",
    ):
        assert command in result.output
    wecom = invoke("wecom", "--help")
    assert "verify-url" in wecom.output and "decrypt" in wecom.output
    assert "import" in invoke("roster", "--help").output


def crypto_args(v: dict) -> list[str]:
    return [
        "--token",
        v["token"],
        "--aes-key",
        v["encoding_aes_key"],
        "--corp-id",
        v["receive_id"],
        "--timestamp",
        v["timestamp"],
        "--nonce",
        v["nonce"],
        "--signature",
        v["msg_signature"],
    ]


@pytest.mark.parametrize("vid", ["official-verify-url", "wechatpy-verify-url", "official-python-verify-url"])
def test_verify_url_prints_the_plaintext(vid: str) -> None:
    v = VECTORS[vid]
    result = invoke("wecom", "verify-url", v["echostr"], *crypto_args(v))
    assert result.exit_code == 0, result.output
    assert result.stdout == v["expected_msg"] + "\n"


def test_verify_url_accepts_the_url_encoded_echostr() -> None:
    v = VECTORS["official-verify-url"]
    encoded = v["query_string"].split("echostr=")[1]
    result = invoke("wecom", "verify-url", encoded, *crypto_args(v))
    assert result.exit_code == 0 and result.stdout.strip() == v["expected_msg"]


@pytest.mark.parametrize("vid", ["official-decrypt-msg", "wechatpy-decrypt-msg", "official-python-decrypt-msg"])
def test_decrypt_prints_the_plaintext(vid: str) -> None:
    v = VECTORS[vid]
    from_body = invoke("wecom", "decrypt", v["post_body"], *crypto_args(v))
    assert from_body.exit_code == 0, from_body.output
    assert from_body.stdout == v["expected_msg"] + "\n"
    bare = invoke("wecom", "decrypt", v["encrypt"], *crypto_args(v))
    assert bare.stdout == from_body.stdout
    stdin = invoke("wecom", "decrypt", "-", *crypto_args(v), input=v["post_body"])
    assert stdin.stdout == from_body.stdout


def test_decrypt_with_a_bad_signature_exits_1_with_the_code() -> None:
    v = VECTORS["official-decrypt-msg"]
    args = crypto_args(v)
    args[-1] = "0" * 40
    result = invoke("wecom", "decrypt", v["post_body"], *args)
    assert result.exit_code == 1
    assert "-40001" in result.stderr and "ValidateSignature_Error" in result.stderr


def test_decrypt_with_the_wrong_corp_id_exits_1_with_the_code() -> None:
    v = VECTORS["official-decrypt-msg-wrong-receiveid"]
    result = invoke("wecom", "decrypt", v["encrypt"], *crypto_args(v))
    assert result.exit_code == 1 and "-40005" in result.stderr


def test_bad_aes_key_exits_1() -> None:
    v = dict(VECTORS["official-verify-url"], encoding_aes_key="short")
    result = invoke("wecom", "verify-url", v["echostr"], *crypto_args(v))
    assert result.exit_code == 1 and "-40004" in result.stderr


def test_the_tools_do_not_check_the_timestamps_age() -> None:
    v = VECTORS["wechatpy-verify-url"]  # signed in 2014
    assert invoke("wecom", "verify-url", v["echostr"], *crypto_args(v)).exit_code == 0


def test_roster_import_reports_bad_rows_and_exits_1(make_settings, tmp_path: Path) -> None:
    make_settings()
    path = tmp_path / "r.csv"
    path.write_text(
        "姓名,企业微信账号,钉钉账号,手机,角色,组织\n张三,zs,,,村长,石桥镇/李家村\n,ls,,,党员,石桥镇/李家村\n"
    )
    result = invoke("roster", "import", str(path))
    assert result.exit_code == 1
    assert "第2行" in result.stderr and "村长" in result.stderr and "第3行" in result.stderr
    assert "未导入任何数据" in result.stderr


def test_roster_import_demo_twice(make_settings) -> None:
    make_settings()
    first = invoke("roster", "import", "--demo")
    assert first.exit_code == 0 and "新增人员" in first.output
    second = invoke("roster", "import", "--demo")
    assert second.exit_code == 0
    assert re.search(r"新增人员\s*│\s*0\s", second.output)
    assert re.search(r"无变化\s*│\s*29\s", second.output)


def test_migrate(make_settings) -> None:
    make_settings()
    result = invoke("migrate")
    assert result.exit_code == 0 and "up to date" in result.output


def test_bad_setting_stops_with_the_variable_named(make_settings, monkeypatch) -> None:
    make_settings()
    monkeypatch.setenv("CADREBOT_WECOM_AES_KEY", "tooshort")
    from bot.config import reset_settings_cache

    reset_settings_cache()
    result = invoke("migrate")
    assert result.exit_code == 2 and "CADREBOT_WECOM_AES_KEY" in result.stderr


def test_tasks_load_demo_twice_then_a_bad_file(make_settings, tmp_path) -> None:
    make_settings()
    invoke("roster", "import", "--demo")
    first = invoke("tasks", "load", "--demo")
    assert first.exit_code == 0, first.output
    created_row = re.search(r"新增任务\s*│\s*(\d+)", first.output)
    assert created_row is not None, first.output
    created = int(created_row.group(1))
    assert created > 0
    second = invoke("tasks", "load", "--demo")
    assert second.exit_code == 0 and re.search(r"新增任务\s*│\s*0\s", second.output)
    assert re.search(r"更新任务\s*│\s*0\s", second.output)

    bad = tmp_path / "bad.toml"
    bad.write_text('[[task]]\ncode = "X-1"\ntitle = "阵地"\ndeadline = 2026-13-01\nlevel = "村"\n', encoding="utf-8")
    result = invoke("tasks", "load", str(bad))
    assert result.exit_code == 1 and "任务文件有误，未导入任何任务" in result.stderr
    wrong_level = tmp_path / "level.toml"
    wrong_level.write_text(
        '[[task]]\ncode = "X-1"\ntitle = "阵地"\ndeadline = 2026-12-01\nlevel = "省"\n', encoding="utf-8"
    )
    result = invoke("tasks", "load", str(wrong_level))
    assert result.exit_code == 1 and "第1项任务的 level「省」" in result.stderr
    assert invoke("tasks", "load").exit_code == 2
