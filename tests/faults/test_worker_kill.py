"""A worker process SIGKILLed in the middle of a fan-out: the rows it held are picked up again by the
sweeper, and what it had already handed to WeCom is not shown twice."""

from __future__ import annotations

import time

from faults.helpers import (
    NOTICE,
    county,
    grid_members,
    needs,
    no_repeats,
    notice_tally,
    private_redis,
    quiet,
    report,
    start_worker,
    statuses,
    stop_worker,
    unfinished,
    wait_until,
)

PEOPLE = 1000
pytestmark = needs("redis-server")


def batches_sent(rig_fake) -> int:
    return sum(1 for e in rig_fake.sent() if e.get("status") == "delivered" and len(e.get("touser") or []) > 1)


def test_worker_killed_mid_fanout_every_member_gets_the_notice_once(make_settings, db_url, tmp_path) -> None:
    started = time.monotonic()
    worker = None
    with private_redis(tmp_path) as redis, county(make_settings, db_url, tmp_path, PEOPLE, REDIS_URL=redis.url) as rig:
        try:
            worker = start_worker()
            rig.post("dudao", NOTICE)
            preview = rig.preview()
            rig.fake.set_latency(0.1)  # WeCom is far away: the fan-out takes long enough to be interrupted
            rig.tap_send(preview)
            wait_until(
                lambda: batches_sent(rig.fake) >= 8 and bool(statuses(db_url).get("sending")),
                60,
                "a few batches sent and more being sent",
            )
            worker.kill()  # SIGKILL, mid-job: its claimed rows stay in `sending`
            worker.wait(timeout=10)
            assert unfinished(db_url) > 0, "the fan-out finished before the worker was killed"

            rig.fake.set_latency(0)
            worker = start_worker()  # a supervisor starts another; the sweeper returns the held rows
            wait_until(lambda: unfinished(db_url) == 0, 90, "every row finished", db_url)
            stop_worker(worker)
            worker = None
            quiet(rig.live)
            assert set(statuses(db_url)) == {"delivered"}, statuses(db_url)
            assert no_repeats(rig.fake) == 0
            report("worker SIGKILL mid-fan-out", notice_tally(rig.fake, grid_members(PEOPLE)), started)
        finally:
            stop_worker(worker)
