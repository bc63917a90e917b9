"""Redis goes down and comes back from its append-only file (fsync always): under a fan-out in progress,
and with callbacks that were acknowledged but not yet handled. Nothing acknowledged is lost; nothing is
done twice — not even when WeCom redelivers the same callbacks after the restart."""

from __future__ import annotations

import time

from bot.queue import inbound_queue, reset_clients
from bot.sim.fake_wecom import FakeWeCom
from faults.helpers import (
    NOTICE,
    county,
    grid_members,
    needs,
    no_repeats,
    notice_tally,
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

pytestmark = needs("redis-server")


def test_redis_restart_mid_fanout_every_member_gets_the_notice_once(make_settings, db_url, tmp_path) -> None:
    people = 1000
    started = time.monotonic()
    worker = None
    with private_redis(tmp_path) as redis, county(make_settings, db_url, tmp_path, people, REDIS_URL=redis.url) as rig:
        try:
            worker = start_worker()
            rig.post("dudao", NOTICE)
            preview = rig.preview()
            rig.fake.set_latency(0.1)
            rig.tap_send(preview)
            wait_until(
                lambda: sum(1 for e in rig.fake.sent() if len(e.get("touser") or []) > 1) >= 8, 60, "a few batches"
            )
            redis.restart(kill=True)  # a crash: what comes back is what the AOF holds
            reset_clients()
            assert rig.fake.redis.get("sim:wecom:latency")  # the fake's record survived the restart too
            rig.fake.set_latency(0)
            if worker.poll() is not None:  # the worker died with its connection: a supervisor restarts it
                worker = start_worker()
            wait_until(lambda: unfinished(db_url) == 0, 90, "every row finished", db_url)
            stop_worker(worker)
            worker = None
            quiet(rig.live)
            assert set(statuses(db_url)) == {"delivered"}, statuses(db_url)
            assert no_repeats(rig.fake) == 0
            report("Redis restart mid-fan-out", notice_tally(rig.fake, grid_members(people)), started)
        finally:
            stop_worker(worker)


def test_callbacks_acknowledged_before_a_redis_restart_are_handled_once_after_it(
    make_settings, db_url, tmp_path
) -> None:
    people = 60
    started = time.monotonic()
    members = grid_members(people)
    worker = None
    with private_redis(tmp_path) as redis, county(make_settings, db_url, tmp_path, people, REDIS_URL=redis.url) as rig:
        try:
            # Every member says something; each callback is answered 200 only once its job is in Redis.
            # No worker yet: the jobs are all waiting when Redis goes down.
            callbacks = {m: rig.factory.text(m, "你好") for m in members}
            for member, callback in callbacks.items():
                rig.chat.as_(member).post(callback)
            assert inbound_queue(rig.settings).count == people

            redis.restart(kill=True)
            reset_clients()
            assert inbound_queue(rig.settings).count == people  # the AOF kept every acknowledged job

            worker = start_worker()
            # Half of the callbacks are redelivered (WeCom retries) while the worker is at work.
            for member in members[::2]:
                rig.chat.as_(member).post(callbacks[member])
            wait_until(lambda: all(rig.fake.inbox(m) for m in members), 60, "an answer for everyone")
            # and once more after everything was handled: the inbound log stops them
            for member in members[1::2]:
                rig.chat.as_(member).post(callbacks[member])
            wait_until(lambda: inbound_queue(rig.settings).count == 0, 30, "the redeliveries handled")
            wait_until(lambda: unfinished(db_url) == 0, 60, "every reply delivered", db_url)
            stop_worker(worker)
            worker = None
            quiet(rig.live)
            assert set(statuses(db_url)) == {"delivered"}, statuses(db_url)
            assert no_repeats(FakeWeCom(rig.settings)) == 0
            report("Redis restart, acknowledged callbacks", reply_tally(rig.fake, members), started)
        finally:
            stop_worker(worker)
