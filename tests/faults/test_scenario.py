"""The week's black-box run, as a test: 240 people each send one message over WeCom while a worker is
SIGKILLed twice, Redis (AOF, fsync always) crashes and comes back with people still talking (their callbacks
answered 503 and sent again, as WeCom does), and the WeCom API answers every 7th send with a 502. Everyone
gets exactly one reply, the last within 90 s of the last message — on the production lease and with the real
scheduler process, no time made to pass."""

from __future__ import annotations

import subprocess
import threading
import time

import httpx
import pytest

from bot.queue import queue_names
from faults.helpers import (
    PrivateRedis,
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
    start_scheduler,
    start_worker,
    stop_worker,
    wait_until,
)

from conftest import DATABASE

# The database plays no part here beyond what test_worker_recovery's tests check on both: one run is enough.
pytestmark = [
    needs("redis-server"),
    pytest.mark.skipif(DATABASE == "postgresql", reason="run on SQLite only, to keep CI short"),
]
PEOPLE = 240


def say(rig: Rig, person: str, words: str) -> int:
    """One message, sent again until it is taken (WeCom retries a callback that got no 200). Returns how
    many times it was refused."""
    callback = rig.factory.envelope(rig.factory.text(person, words))
    refused = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            r = rig.http.post("/wecom/callback", params=callback.params, content=callback.body)
            if r.status_code == 200:
                return refused
            assert r.status_code == 503, r.text  # Redis away: not taken, try again
        except httpx.TransportError:
            pass
        refused += 1
        time.sleep(0.2)
    raise AssertionError(f"{person}'s message was never taken")


def back_again(redis: PrivateRedis, restarted: threading.Event) -> None:
    redis.start()
    restarted.set()


def test_240_people_two_worker_kills_a_redis_crash_and_api_502s(make_settings, db_url, tmp_path) -> None:
    started = time.monotonic()
    people = grid_members(PEOPLE)
    workers: dict[str, subprocess.Popen[bytes]] = {}
    procs: list[subprocess.Popen[bytes]] = []
    with private_redis(tmp_path) as redis, county(make_settings, db_url, tmp_path, PEOPLE, REDIS_URL=redis.url) as rig:
        try:
            procs.append(start_scheduler())
            for name in ("w1", "w2"):
                workers[name] = start_worker(name=name)
            rig.fake.set_fault("send", 10**6, http_status=502, every=7)
            rig.fake.set_latency(0.02)
            inbound = queue_names(rig.settings)[0]
            kills, refused = 0, 0
            restarted = threading.Event()
            for n, person in enumerate(people):
                if n in (60, 180):  # SIGKILL the worker inside a message's job; a supervisor starts another
                    wait_until(lambda: bool(running_on(redis.url, inbound)), 30, "a job running")
                    victim = next(iter(running_on(redis.url, inbound).values()))
                    workers[victim].kill()
                    workers[f"w{3 + kills}"] = start_worker(name=f"w{3 + kills}")
                    kills += 1
                if n == 120:  # Redis crashes; it is back 1.5 s later, people talking all the while
                    redis.stop(kill=True)
                    threading.Timer(1.5, back_again, args=(redis, restarted)).start()
                refused += say(rig, person, "你好")
                time.sleep(0.02)
            last_message = time.monotonic()
            assert restarted.wait(10)
            for name, worker in list(workers.items()):  # a worker that lost Redis may have exited: restarted
                if worker.poll() is not None:
                    workers[name] = start_worker(name=f"{name}-again")
            wait_until(lambda: all(rig.fake.inbox(p) for p in people), 90, "an answer for everyone")
            took = time.monotonic() - last_message
            print(f"\nlast reply {took:.1f} s after the last message; {refused} callbacks refused and sent again")
            assert took < 90
            assert kills == 2 and refused > 0
            quiet(rig.live)
            assert no_repeats(rig.fake) == 0
            report("240 people, 2 worker kills, Redis crash, 502s", reply_tally(rig.fake, people), started)
        finally:
            for worker in [*workers.values(), *procs]:
                stop_worker(worker)
