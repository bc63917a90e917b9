"""`cadrebot run` brings the whole product up with the simulator and the demo roster, and Ctrl-C stops it;
the simulator's chat page drives the real callback path."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot import runner

from conftest import REDIS_URL, free_port


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def test_run_serves_the_simulator_with_the_demo_roster(db_url: str, redis, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADREBOT_") or k.startswith("CADREBOT_TEST")}
    env.update(CADREBOT_DATABASE_URL=db_url, CADREBOT_REDIS_URL=REDIS_URL, CADREBOT_QUEUE_NAME="cadrebot-run-test")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--demo", "--port", str(port), "--workers", "1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=5) as http:
            wait_for(lambda: http.get("/healthz").status_code == 200, 60, "the web server")
            assert "村务助手" in http.get("/sim").text
            people = http.get("/sim/api/people").json()
            assert {"王小红", "李明", "赵敏"} <= {p["name"] for p in people}

            said = http.post("/sim/api/say", json={"user": "wangxh", "text": "帮助"}).json()
            assert said["status"] == 200
            timeline = wait_for(
                lambda: [
                    i for i in http.get("/sim/api/timeline", params={"user": "wangxh"}).json() if i["from"] == "bot"
                ],
                30,
                "the bot's answer on the chat page",
            )
            card = timeline[-1]
            assert card["type"] == "card" and "能帮您做什么" in card["card"]["main_title"]["title"]

            tapped = http.post(
                "/sim/api/tap",
                json={"user": "wangxh", "task_id": card["task_id"], "key": "help:trip", "label": "下村走访"},
            ).json()
            assert tapped["status"] == 200
            after = wait_for(
                lambda: [
                    i
                    for i in http.get("/sim/api/timeline", params={"user": "wangxh"}).json()
                    if i["type"] == "card" and i["card"].get("replace_text")
                ],
                30,
                "the card to show its new state",
            )
            assert after[0]["card"]["replace_text"] == "已发送「下村走访」说明"
            texts = [
                i["text"]
                for i in http.get("/sim/api/timeline", params={"user": "wangxh"}).json()
                if i["from"] == "bot" and i["type"] == "text"
            ]
            assert any("下村走访" in t for t in texts)
            assert (tmp_path / "var" / "sim.env").exists()

            # a patrol, one message and one tap, on the same page
            http.post("/sim/api/say", json={"user": "wangxh", "text": "今日巡查无异常"})
            confirm = wait_for(
                lambda: [
                    i
                    for i in http.get("/sim/api/timeline", params={"user": "wangxh"}).json()
                    if i["type"] == "card" and "请确认巡查记录" in i["card"]["main_title"]["title"]
                ],
                30,
                "the confirmation card",
            )[0]
            http.post(
                "/sim/api/tap", json={"user": "wangxh", "task_id": confirm["task_id"], "key": "submit", "label": "提交"}
            )
            filed = wait_for(
                lambda: [
                    i["card"]["replace_text"]
                    for i in http.get("/sim/api/timeline", params={"user": "wangxh"}).json()
                    if i.get("task_id") == confirm["task_id"] and i["card"].get("replace_text")
                ],
                30,
                "the receipt on the card",
            )
            assert filed[0].startswith("已提交 · 编号 XC-")

            # the same page plays a DingTalk user: signed robot callbacks, an interactive card, a card callback
            assert next(p for p in people if p["user"] == "wangxh")["dingtalk"] == "dt_wangxh"
            said = http.post(
                "/sim/api/say", json={"user": "dt_wangxh", "text": "今日巡查无异常", "platform": "dingtalk"}
            ).json()
            assert said["status"] == 200 and json.loads(said["body"]) == {"msgtype": "empty"}
            dcard = wait_for(
                lambda: [
                    i
                    for i in http.get("/sim/api/timeline", params={"user": "dt_wangxh", "platform": "dingtalk"}).json()
                    if i["type"] == "card" and "请确认巡查记录" in i["card"]["main_title"]["title"]
                ],
                30,
                "the confirmation card on DingTalk",
            )[0]
            http.post(
                "/sim/api/tap",
                json={
                    "user": "dt_wangxh",
                    "task_id": dcard["task_id"],
                    "key": "submit",
                    "label": "提交",
                    "platform": "dingtalk",
                },
            )
            dfiled = wait_for(
                lambda: [
                    i["card"]["replace_text"]
                    for i in http.get("/sim/api/timeline", params={"user": "dt_wangxh", "platform": "dingtalk"}).json()
                    if i.get("task_id") == dcard["task_id"] and i["card"].get("replace_text")
                ],
                30,
                "the receipt on the DingTalk card",
            )
            assert dfiled[0].startswith("已提交 · 编号 XC-")
            refused = http.post(
                "/sim/api/attach", json={"user": "dt_wangxh", "kind": "location", "platform": "dingtalk"}
            )
            assert refused.status_code == 400 and "收不到位置" in refused.json()["detail"]

            # a supervisor's ledger link opens on this machine
            http.post("/sim/api/say", json={"user": "zhaomin", "text": "导出本月巡查台账"})
            notice = wait_for(
                lambda: [
                    i
                    for i in http.get("/sim/api/timeline", params={"user": "zhaomin"}).json()
                    if i["from"] == "bot" and "巡查台账" in i.get("text", "")
                ],
                30,
                "the ledger link",
            )[0]
            assert "点击下载" in notice["text"] and notice["url"].startswith(f"{base}/exports/patrols.xlsx?token=")
            download = httpx.get(notice["url"], timeout=10)
            assert download.status_code == 200 and download.content[:2] == b"PK"  # an xlsx (zip) file
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    text = output.decode(errors="replace")
    assert proc.returncode == 0, text
    assert f"http://127.0.0.1:{port}/sim" in text and "Stopped." in text


def test_run_says_how_to_get_redis_when_there_is_none(db_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADREBOT_")}
    env.update(CADREBOT_DATABASE_URL=db_url, CADREBOT_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 1
    message = result.stderr.decode()
    assert "not reachable" in message and "apt-get install redis-server" in message


def test_run_comes_up_with_no_redis_server_on_path(tmp_path: Path) -> None:
    """A machine with Python and nothing else: no redis-server on PATH and no Redis at the default address.
    The default address comes from .env (so it is not "configured" and may be replaced): a free port stands
    in for a machine where nothing listens on 6379."""
    (tmp_path / "bin").mkdir()
    (tmp_path / ".env").write_text(f"CADREBOT_REDIS_URL=redis://127.0.0.1:{free_port()}/0\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADREBOT_")}
    env.update(PATH=str(tmp_path / "bin"), CADREBOT_QUEUE_NAME="cadrebot-run-test")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--demo", "--port", str(port), "--workers", "1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            wait_for(lambda: http.get("/healthz").status_code == 200, 60, "the web server")
            assert http.get("/healthz").json()["redis"] == "ok"
            said = http.post("/sim/api/say", json={"user": "wangxh", "text": "帮助"}).json()
            assert said["status"] == 200
            wait_for(
                lambda: [
                    i for i in http.get("/sim/api/timeline", params={"user": "wangxh"}).json() if i["from"] == "bot"
                ],
                30,
                "the bot's answer, through the queue on the wheel's server",
            )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    text = output.decode(errors="replace")
    assert proc.returncode == 0, text
    started = re.search(r"Started valkey-server for you \((redis://127\.0\.0\.1:\d+/0), data in var/valkey\)\.", text)
    assert started, text
    assert any((tmp_path / "var" / "valkey").rglob("*.aof"))
    assert not runner.redis_reachable(started.group(1)), "the server we started is stopped with the rest"
