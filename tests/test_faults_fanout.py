"""Nothing lost, nothing twice, under faults: a 2,000-person notice (batches of 10) delivered by a worker process
that is killed mid-way, through a Redis restart (AOF on), while the fake WeCom API answers 502s, times out,
says the token expired (42001) and the rate limit is hit (45009). Afterwards the fake API's own record shows
every recipient got the notice exactly once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from sqlalchemy import func, select

from bot.queue import reset_clients
from bot.sim.callbacks import CallbackFactory
from bot.sim.fake_wecom import FakeWeCom
from bot.store.db import get_engine, session_scope
from bot.store.roster import import_roster
from bot.store.tables import Outbox

from conftest import AES_KEY, AGENT_ID, CORP_ID, TOKEN, LiveServer, drain, free_port
from transcript import Chat

PEOPLE = 2000
pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to restart")


class PrivateRedis:
    """A redis-server of our own, with AOF, that the test can stop and start."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.cmd = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            str(directory),
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except Exception:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=10)


def roster_file(path: Path) -> Path:
    lines = ["姓名,企业微信账号,钉钉账号,手机,角色,组织", "孙督导,dudao,,,督导,清河县/石桥镇"]
    for n in range(PEOPLE):
        lines.append(f"网格员{n:04d},gm{n:04d},,,网格员,清河县/石桥镇/村{n // 200:02d}村/{n % 10 + 1}组")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_worker() -> subprocess.Popen[bytes]:
    cli = Path(sys.executable).with_name("cadrebot")
    return subprocess.Popen(
        [str(cli), "worker", "--name", f"fault-{time.monotonic_ns()}"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def delivered_rows(db_url: str) -> int:
    with session_scope(get_engine(db_url)) as s:
        return s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "delivered")) or 0


def notices_sent(fake: FakeWeCom) -> int:
    return sum(1 for e in fake.sent() if e.get("status") == "delivered" and len(e.get("touser") or []) > 1)


def unfinished(db_url: str) -> int:
    with session_scope(get_engine(db_url)) as s:
        return s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status.in_(("pending", "sending")))) or 0


def wait_until(check: Any, timeout: float, what: str, db_url: str | None = None) -> None:
    """Poll `check`; with `db_url`, also do the scheduler's part (this test runs no scheduler process): the
    outbox sweep, with its grace periods shortened, so work a killed worker held is picked up again."""
    deadline = time.monotonic() + timeout
    last_sweep = time.monotonic()
    while time.monotonic() < deadline:
        if check():
            return
        if db_url and time.monotonic() - last_sweep > 3:
            from scheduler.sweeper import sweep_outbox

            _age_everything(db_url)
            sweep_outbox()
            last_sweep = time.monotonic()
        time.sleep(0.1)
    raise AssertionError(f"timed out: {what}")


def test_a_2000_person_notice_arrives_exactly_once_through_faults(make_settings, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    redis = PrivateRedis(tmp_path)
    redis.start()
    worker: subprocess.Popen[bytes] | None = None
    try:
        with session_scope(get_engine(db_url)) as s:
            import_roster(s, roster_file(tmp_path / "roster.csv"), actor="test")
        port = free_port()
        from knowledge.rules import write_rules

        # no quiet hours (start = end): this test must not wait for the morning
        rules = write_rules(tmp_path / "rules.yaml", {"reminders.quiet_start": "08:00"})
        settings = make_settings(
            RULES_FILE=str(rules),
            REDIS_URL=redis.url,
            WECOM_API_BASE=f"http://127.0.0.1:{port}/sim/wecom",
            PUBLIC_URL=f"http://127.0.0.1:{port}",
            BROADCAST_BATCH=10,
            HTTP_TIMEOUT_SECONDS=0.5,
        )
        with LiveServer(settings, port) as live, httpx.Client(base_url=live.url, timeout=30) as http:
            fake = FakeWeCom(settings)
            factory = CallbackFactory(TOKEN, AES_KEY, CORP_ID, AGENT_ID)
            chat = Chat(http, factory, fake, lambda scheduled=False: None)

            # the preview and the tap are handled by a worker like any message
            worker = start_worker()
            chat.as_("dudao").post(factory.text("dudao", "通知全体网格员：本周六上午9点全员参加防汛演练"))
            wait_until(lambda: any(e.get("msgtype") == "template_card" for e in fake.inbox("dudao")), 30, "the preview")
            preview = next(e for e in fake.inbox("dudao") if e.get("msgtype") == "template_card")
            assert {f["keyname"]: f["value"] for f in preview["template_card"]["horizontal_content_list"]}[
                "人数"
            ] == "2000人"

            fake.set_latency(0.1)  # WeCom is far away: the fan-out takes long enough to be interrupted
            fake.set_fault("send", 3, http_status=502)  # the first three calls fail outright
            chat.post(
                factory.card_tap(
                    "dudao", preview["task_id"], "send", fake.issue_response_code(preview["task_id"], ["dudao"])
                )
            )
            wait_until(lambda: notices_sent(fake) >= 8, 60, "a few batches sent")
            worker.send_signal(signal.SIGKILL)  # killed in the middle of the fan-out, mid-job
            worker.wait(timeout=10)
            assert unfinished(db_url) > 0  # the fan-out was not finished

            redis.stop()  # Redis goes down and comes back from its append-only file
            redis.start()
            reset_clients()
            fake = FakeWeCom(settings)
            assert fake.redis.get("sim:wecom:latency")  # the fake's record survived the restart too

            fake.set_fault("send", 3, delay=1.0)  # three slow answers: timeouts, though WeCom may have delivered
            worker = start_worker()
            wait_until(lambda: delivered_rows(db_url) >= 16, 90, "more batches after the restart", db_url)
            fake.set_fault("send", 2, errcode=42001)  # the access token expired
            wait_until(lambda: delivered_rows(db_url) >= 24, 90, "batches after the token refresh", db_url)
            fake.set_fault("send", 2, errcode=45009)  # the rate limit
            time.sleep(1.0)
            worker.terminate()
            worker.wait(timeout=30)
            worker = None
            fake.set_latency(0)

            # what is left: rows a killed worker held, retries waiting for their time — let time pass
            from scheduler.sweeper import sweep_outbox

            for _ in range(6):
                sweep_outbox()
                drain(settings, scheduled=True)
                if not unfinished(db_url):
                    break
                _age_everything(db_url)
            with session_scope(get_engine(db_url)) as s:
                statuses = dict(s.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all())
                batches = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.recipients.is_not(None)))
                failed = [
                    (r.id, r.attempts, r.last_error) for r in s.scalars(select(Outbox).where(Outbox.status == "failed"))
                ]
            assert set(statuses) == {"delivered"} and batches == PEOPLE // 10, (statuses, failed)

            counts: dict[str, int] = {}
            for entry in fake.sent():
                card = entry.get("template_card") or {}
                if entry.get("status") == "delivered" and card.get("main_title", {}).get("title") == "通知":
                    for user in entry["touser"]:
                        counts[user] = counts.get(user, 0) + 1
            assert len(counts) == PEOPLE, f"{PEOPLE - len(counts)} people got nothing"
            assert set(counts.values()) == {1}, {u: c for u, c in counts.items() if c != 1}
            pipe = fake.redis.pipeline()
            for n in range(PEOPLE):
                pipe.llen(f"sim:wecom:inbox:gm{n:04d}")
            assert set(pipe.execute()) == {1}  # and each phone shows exactly one message
    finally:
        if worker is not None:
            worker.kill()
        redis.stop()


def _age_everything(db_url: str) -> None:
    """Let the sweeper's grace periods pass: rows look untouched for long enough to be picked up again."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    with session_scope(get_engine(db_url)) as s:
        s.execute(
            update(Outbox)
            .where(Outbox.status.in_(("pending", "sending")))
            .values(updated_at=datetime.now(UTC) - timedelta(minutes=10), not_before=None)
        )
