"""All the faults in one run: a 2,000-person notice (batches of 10) delivered by a worker process that is
killed mid-way, through a Redis restart (AOF on), while the fake WeCom API answers 502s, times out, says
the token expired (42001) and the rate limit is hit (45009). Afterwards the fake API's own record shows
every recipient got the notice exactly once. (Each fault on its own, with its own tally: the other files
in this folder.)"""

from __future__ import annotations

import time

from bot.queue import reset_clients
from bot.sim.fake_wecom import FakeWeCom
from faults.helpers import (
    NOTICE,
    county,
    delivered_rows,
    finish,
    grid_members,
    needs,
    no_repeats,
    notice_tally,
    private_redis,
    quiet,
    report,
    start_worker,
    stop_worker,
    unfinished,
    wait_until,
)

PEOPLE = 2000
pytestmark = needs("redis-server")


def notices_sent(fake: FakeWeCom) -> int:
    return sum(1 for e in fake.sent() if e.get("status") == "delivered" and len(e.get("touser") or []) > 1)


def test_a_2000_person_notice_arrives_exactly_once_through_faults(make_settings, db_url, tmp_path) -> None:
    started = time.monotonic()
    worker = None
    with (
        private_redis(tmp_path) as redis,
        county(make_settings, db_url, tmp_path, PEOPLE, REDIS_URL=redis.url, HTTP_TIMEOUT_SECONDS=0.5) as rig,
    ):
        try:
            # the preview and the tap are handled by a worker like any message
            worker = start_worker()
            rig.post("dudao", NOTICE)
            preview = rig.preview()
            assert {f["keyname"]: f["value"] for f in preview["template_card"]["horizontal_content_list"]}[
                "人数"
            ] == "2000人"

            rig.fake.set_latency(0.1)  # WeCom is far away: the fan-out takes long enough to be interrupted
            rig.fake.set_fault("send", 3, http_status=502)  # the first three calls fail outright
            rig.tap_send(preview)
            wait_until(lambda: notices_sent(rig.fake) >= 8, 60, "a few batches sent")
            worker.kill()  # killed in the middle of the fan-out, mid-job
            worker.wait(timeout=10)
            assert unfinished(db_url) > 0  # the fan-out was not finished

            redis.restart()  # Redis goes down and comes back from its append-only file
            reset_clients()
            fake = FakeWeCom(rig.settings)
            assert fake.redis.get("sim:wecom:latency")  # the fake's record survived the restart too

            fake.set_fault("send", 3, delay=1.0)  # three slow answers: timeouts, though WeCom may have delivered
            worker = start_worker()
            wait_until(lambda: delivered_rows(db_url) >= 16, 90, "more batches after the restart", db_url)
            fake.set_fault("send", 2, errcode=42001)  # the access token expired
            wait_until(lambda: delivered_rows(db_url) >= 24, 90, "batches after the token refresh", db_url)
            fake.set_fault("send", 2, errcode=45009)  # the rate limit
            wait_until(lambda: not fake.redis.exists("sim:wecom:fault:send"), 30, "the rate limit met")
            worker.terminate()
            worker.wait(timeout=30)
            worker = None
            fake.set_latency(0)

            # what is left: rows a killed worker held, retries waiting for their time — let time pass
            left = finish(rig.settings)
            quiet(rig.live)
            assert set(left) == {"delivered"}, left
            assert no_repeats(fake) == 0
            report("all faults, one run", notice_tally(fake, grid_members(PEOPLE)), started)
            pipe = fake.redis.pipeline()
            for n in range(PEOPLE):
                pipe.llen(f"sim:wecom:inbox:gm{n:04d}")
            assert set(pipe.execute()) == {1}  # and each phone shows exactly one message
        finally:
            stop_worker(worker)
