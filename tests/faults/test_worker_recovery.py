"""A worker SIGKILLed while it handles a message: the message is answered within a minute of the death,
exactly once — killed inside a slow handler's transaction with nothing else arriving (the other worker idle
in its blocking dequeue), killed after the commit while the reply was on its way to WeCom, killed with
people still talking, and with the maintenance locks left behind by a killed worker.

The first test runs on the production lease (20 s, renewed every 5 s); the others on a short one, so the
suite stays quick — the mechanism is the same."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from redis import Redis
from sqlalchemy import select

from bot.queue import queue_names
from bot.store.db import get_engine, session_scope
from bot.store.tables import Outbox
from faults.helpers import (
    Rig,
    county,
    grid_members,
    needs,
    no_repeats,
    private_redis,
    quiet,
    reply_tally,
    report,
    running_on,
    start_worker,
    stop_worker,
    wait_until,
    writes_held,
)

from conftest import DATABASE

pytestmark = needs("redis-server")
SHORT_LEASE = {"JOB_LEASE_SECONDS": 4, "JOB_PULSE_SECONDS": 1}


@contextmanager
def two_workers(redis_url: str) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Workers "first" and "second", listening; stopped at the end."""
    from rq import Worker

    workers = {name: start_worker(name=name) for name in ("first", "second")}
    client = Redis.from_url(redis_url)
    try:
        wait_until(lambda: len(Worker.all(connection=client)) >= 2, 30, "two workers listening")
        yield workers
    finally:
        client.close()
        for worker in workers.values():
            stop_worker(worker)


def kill_the_one_running(rig: Rig, workers: dict, timeout: float = 30) -> tuple[str, float]:
    """Wait until a message's job has started, SIGKILL the worker running it; returns its name and when."""
    inbound = queue_names(rig.settings)[0]
    wait_until(lambda: bool(running_on(rig.settings.redis_url, inbound)), timeout, "a message's job started")
    name = next(iter(running_on(rig.settings.redis_url, inbound).values()))
    workers[name].kill()
    workers[name].wait(timeout=10)
    return name, time.monotonic()


def answered_within(rig: Rig, people: list[str], died: float, limit: float) -> float:
    wait_until(lambda: all(rig.fake.inbox(p) for p in people), limit, f"an answer for all {len(people)}")
    return time.monotonic() - died


@pytest.mark.skipif(DATABASE == "postgresql", reason="the production lease's 25 s once, on SQLite: CI stays short")
def test_killed_inside_a_slow_handler_with_nothing_else_arriving(make_settings, db_url, tmp_path) -> None:
    started = time.monotonic()
    with (
        private_redis(tmp_path) as redis,
        county(make_settings, db_url, tmp_path, 5, REDIS_URL=redis.url) as rig,
        two_workers(redis.url) as workers,
    ):
        with writes_held(db_url):  # the handler waits inside its transaction
            rig.post("gm0000", "你好")
            victim, died = kill_the_one_running(rig, workers)
        took = answered_within(rig, ["gm0000"], died, 60)
        print(f"\nanswered {took:.1f} s after {victim} was killed (lease 20 s, pulse 5 s)")
        assert took < 60
        quiet(rig.live)
        assert no_repeats(rig.fake) == 0
        report("worker killed in a slow handler, idle system", reply_tally(rig.fake, ["gm0000"]), started)


def test_killed_after_the_commit_while_the_reply_was_being_sent(make_settings, db_url, tmp_path) -> None:
    started = time.monotonic()
    with (
        private_redis(tmp_path) as redis,
        county(make_settings, db_url, tmp_path, 5, REDIS_URL=redis.url, **SHORT_LEASE) as rig,
        two_workers(redis.url) as workers,
    ):
        rig.fake.set_latency(2)  # WeCom is slow to answer: the worker is killed waiting for it

        def sending() -> bool:
            with session_scope(get_engine(db_url)) as s:
                return s.scalar(select(Outbox.status)) == "sending"

        rig.post("gm0001", "你好")
        wait_until(sending, 30, "the reply claimed and on its way")
        _, died = kill_the_one_running(rig, workers)
        rig.fake.set_latency(0)
        took = answered_within(rig, ["gm0001"], died, 60)
        assert took < 4 + 1 + 10  # lease + pulse, and the job's own time
        wait_until(lambda: not sending(), 30, "the row recorded")
        quiet(rig.live)
        assert no_repeats(rig.fake) == 0  # WeCom's duplicate check stops the second send of the same reply
        report("worker killed mid-send", reply_tally(rig.fake, ["gm0001"]), started)


def test_killed_with_people_still_talking(make_settings, db_url, tmp_path) -> None:
    started = time.monotonic()
    people = grid_members(60)
    with (
        private_redis(tmp_path) as redis,
        county(make_settings, db_url, tmp_path, len(people), REDIS_URL=redis.url, **SHORT_LEASE) as rig,
        two_workers(redis.url) as workers,
    ):
        rig.fake.set_latency(0.05)
        for person in people[:30]:
            rig.post(person, "你好")
        victim, died = kill_the_one_running(rig, workers)
        for person in people[30:]:
            rig.post(person, "本周巡查情况")
        took = answered_within(rig, people, died, 60)
        print(f"\nall {len(people)} answered {took:.1f} s after {victim} was killed")
        quiet(rig.live)
        assert no_repeats(rig.fake) == 0
        report("worker killed with traffic", reply_tally(rig.fake, people), started)


def test_maintenance_locks_left_by_a_killed_worker_do_not_delay_recovery(make_settings, db_url, tmp_path) -> None:
    started = time.monotonic()
    with (
        private_redis(tmp_path) as redis,
        county(make_settings, db_url, tmp_path, 5, REDIS_URL=redis.url, **SHORT_LEASE) as rig,
    ):
        client = Redis.from_url(redis.url)
        for name in queue_names(rig.settings):  # as RQ leaves them when killed while cleaning: 15 minutes
            client.set(f"rq:clean_registries:{name}", 1, ex=899)
        client.close()
        with two_workers(redis.url) as workers:
            with writes_held(db_url):
                rig.post("gm0002", "你好")
                _, died = kill_the_one_running(rig, workers)
            took = answered_within(rig, ["gm0002"], died, 60)
            assert took < 4 + 1 + 10
            quiet(rig.live)
            report("worker killed, maintenance locks held", reply_tally(rig.fake, ["gm0002"]), started)
