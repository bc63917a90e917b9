"""PostgreSQL stops (as a crash: `pg_ctl -m immediate`) and starts again while messages are being handled
and a fan-out is being delivered. Callbacks are still acknowledged (they only need Redis); the jobs that
met the dead database fail and are retried; rows a delivery job held when its transaction died are
recovered by the outbox sweeper. Every message is answered once and every member gets the notice once.

The cluster is the test's own (initdb into a temporary directory), so this runs in the SQLite pass of the
suite and is skipped in the PostgreSQL pass, which has no server of its own to stop."""

from __future__ import annotations

import time

import pytest
from rq.registry import FailedJobRegistry
from sqlalchemy.exc import SQLAlchemyError

from bot.queue import queues
from bot.sim.fake_wecom import FakeWeCom
from bot.store.db import dispose_engines
from bot.store.migrate import upgrade
from faults.helpers import (
    NOTICE,
    PrivatePostgres,
    county,
    grid_members,
    needs,
    no_repeats,
    notice_tally,
    postgres_missing,
    private_redis,
    quiet,
    reply_tally,
    report,
    start_worker,
    statuses,
    stop_worker,
    unfinished,
    wait_until,
)

from conftest import DATABASE

pytestmark = [
    needs("redis-server"),
    pytest.mark.skipif(bool(postgres_missing()), reason=postgres_missing() or ""),
    pytest.mark.skipif(DATABASE == "postgresql", reason="brings its own PostgreSQL: runs in the SQLite pass"),
]
PEOPLE = 1000
SPEAKERS = 30


def retries_waiting(settings) -> int:
    return sum(q.scheduled_job_registry.count for q in queues(settings))


def failed_jobs(settings) -> int:
    return sum(FailedJobRegistry(queue=q).count for q in queues(settings))


def release_retries(settings) -> None:
    """The retry intervals (5 s, 30 s …) pass: scheduled jobs go back on their queues now."""
    for q in queues(settings):
        for job_id in q.scheduled_job_registry.get_job_ids():
            q.scheduled_job_registry.requeue(job_id)


def wecom_keeps_its_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake WeCom API reads who is in the company from our database; the real one has its own
    directory, which does not go down with our PostgreSQL. While ours is down, the fake goes on with the
    members it last read."""
    read = FakeWeCom.known_users

    def known_users(self: FakeWeCom, left: set[str] | None = None) -> set[str]:
        try:
            return read(self, left)
        except SQLAlchemyError:
            return self._users[1] - (left or set())

    monkeypatch.setattr(FakeWeCom, "known_users", known_users)


def test_postgres_restart_under_messages_and_a_fanout(make_settings, tmp_path, monkeypatch) -> None:
    started = time.monotonic()
    wecom_keeps_its_directory(monkeypatch)
    pg = PrivatePostgres()
    worker = None
    try:
        pg.init()
        pg.start()
        db_url = pg.database()
        upgrade(db_url)
        dispose_engines()
        members = grid_members(PEOPLE)
        speakers = members[-SPEAKERS:]
        with (
            private_redis(tmp_path) as redis,
            county(make_settings, db_url, tmp_path, PEOPLE, REDIS_URL=redis.url, DATABASE_URL=db_url) as rig,
        ):
            worker = start_worker()
            rig.post("dudao", NOTICE)
            preview = rig.preview()
            rig.fake.set_latency(0.1)
            rig.tap_send(preview)
            wait_until(
                lambda: (
                    sum(1 for e in rig.fake.sent() if len(e.get("touser") or []) > 1) >= 8
                    and bool(statuses(db_url).get("sending"))
                ),
                60,
                "the fan-out under way",
            )
            pg.stop()  # mid-fan-out: a delivery job's outcomes cannot be written
            try:
                for member in speakers:  # acknowledged all the same: the webhook needs only Redis
                    rig.post(member, "你好")
                wait_until(lambda: retries_waiting(rig.settings) >= 1, 30, "a job retried after a database error")
                wait_until(lambda: failed_jobs(rig.settings) >= 1, 30, "a delivery job failed on the database")
            finally:
                pg.start()
            rig.fake.set_latency(0)

            def settled() -> bool:
                release_retries(rig.settings)
                return all(rig.fake.inbox(m) for m in speakers) and unfinished(db_url) == 0

            wait_until(settled, 120, "every message answered and every row delivered", db_url)
            stop_worker(worker)
            worker = None
            quiet(rig.live)
            assert set(statuses(db_url)) == {"delivered"}, statuses(db_url)
            assert no_repeats(rig.fake) == 0
            notice = notice_tally(rig.fake, members)
            report("PostgreSQL restart: fan-out", notice, started)
            report("PostgreSQL restart: messages", reply_tally(rig.fake, speakers), started)
    finally:
        stop_worker(worker)
        dispose_engines()
        pg.remove()
