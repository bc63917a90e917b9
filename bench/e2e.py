"""Benchmark messages end to end, per worker process: signed, encrypted callbacks into the webhook → RQ →
the dispatcher (bot/dispatch.py) → outbox → the reply sent by the same job → the WeCom API (the simulator's fake, served by the
same app in its own uvicorn process) → the fake's record — compared, in the same run and on the same Redis,
with RQ's own ceiling: a no-op job through the same worker class and settings (bot/worker.py).

    python bench/e2e.py [--messages 2000] [--workers 1] [--noop-jobs 5000] [--database sqlite|URL] [--runs N]

Every message comes from its own roster member (copies of the demo roster's members with the same roles,
each copy of the roster in a county of its own), so each one must produce exactly one reply and a missing or
doubled reply is visible.
The callbacks are all queued first and held back; the workers are started and left idle; then the jobs are
released at once and the clock runs until the fake API has recorded every reply. The no-op jobs are timed the
same way. Prints last:
    e2e: R msg/s per worker, rq_noop=Q jobs/s, ratio=X       (both per worker process; X = R / Q)
Needs Redis (CADREBOT_BENCH_REDIS_URL, default redis://127.0.0.1:6379/13, which it flushes).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis

from bench.common import (
    AES_KEY,
    AGENT_ID,
    CORP_ID,
    TOKEN,
    bench_env,
    closed_loop,
    free_port,
    server,
    spread,
    uvicorn_cmd,
)

REDIS_URL = os.environ.get("CADREBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
QUEUE = "cadrebot-bench"  # bench_env's CADREBOT_QUEUE_NAME
HELD = "bench:e2e:held"
LOG = "sim:wecom:log"
# Each gets exactly one reply from any roster member: a card, a summary of one's own records, a polite text.
MESSAGES = ("帮助", "本周巡查情况", "哈哈哈 今天天气不错")


def noop() -> None:
    """The job RQ's ceiling is measured with."""


def roster_file(folder: Path, n: int) -> tuple[Path, list[str]]:
    """The demo roster plus copies of its members (same roles, same kinds of places), one per message."""
    from bot.store.roster import DEMO_ROSTER

    with DEMO_ROSTER.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, demo = rows[0], rows[1:]
    users = []
    out = [header, *demo]
    for i in range(n):
        name, userid, dingtalk, _mobile, roles, org = demo[i % len(demo)]
        # each copy of the roster in a county of its own, so summaries stay the size of the demo's
        county = org.split("/")[0]
        org = county.removesuffix("县") + f"{i // len(demo):04d}县" + org.removeprefix(county)
        user = f"{userid}{i:05d}"
        users.append(user)
        out.append([f"{name}{i:05d}", user, f"{dingtalk}{i:05d}", f"138{i:08d}", roles, org])
    path = folder / "roster.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(out)
    return path, users


def prepare_database(database: str, folder: Path, n: int) -> tuple[str, list[str]]:
    from bot.store.db import dispose_engines, get_engine, normalise_url, session_scope
    from bot.store.migrate import upgrade
    from bot.store.roster import import_roster

    database_url = f"sqlite:///{folder}/e2e.db" if database == "sqlite" else database
    if database != "sqlite":
        from sqlalchemy import create_engine, text

        from bot.store.tables import Base

        eng = create_engine(normalise_url(database_url))
        with eng.begin() as conn:
            names = [t.name for t in reversed(Base.metadata.sorted_tables)]
            conn.execute(text("DROP TABLE IF EXISTS " + ", ".join([*names, "alembic_version"]) + " CASCADE"))
        eng.dispose()
    upgrade(database_url)
    path, users = roster_file(folder, n)
    with session_scope(get_engine(database_url)) as s:
        import_roster(s, path, actor="bench")
    dispose_engines()
    return database_url, users


def make_callbacks(users: list[str]) -> list[tuple[dict[str, str], bytes]]:
    from bot.sim.callbacks import CallbackFactory

    factory = CallbackFactory(TOKEN, AES_KEY, CORP_ID, AGENT_ID)
    out = []
    for i, user in enumerate(users):
        plain = factory.text(user, MESSAGES[i % len(MESSAGES)], msg_id=str(secrets.randbits(63)))
        cb = factory.envelope(plain)
        out.append((cb.params, cb.body))
    return out


def hold(redis: Redis) -> int:
    """Take the queued inbound jobs off their queue, so that no worker starts before the clock does."""
    key = f"rq:queue:{QUEUE}-inbound"
    if not redis.exists(key):
        return 0
    redis.rename(key, HELD)
    return int(redis.llen(HELD))


def release(redis: Redis) -> None:
    """Put the held jobs back in their order; the first push wakes the workers blocked on the queue."""
    ids = redis.lrange(HELD, 0, -1)
    pipe = redis.pipeline(transaction=False)
    for i in range(0, len(ids), 1000):
        pipe.rpush(f"rq:queue:{QUEUE}-inbound", *ids[i : i + 1000])
    pipe.delete(HELD)
    pipe.execute()


def start_workers(env: dict[str, str], count: int, tag: str, redis: Redis) -> list[subprocess.Popen[bytes]]:
    """`count` workers (bot.cli worker: the product's worker class and settings), returned once all are idle."""
    from rq import Worker

    names = {f"e2e-{tag}-{w}-{secrets.token_hex(3)}" for w in range(count)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker", "--name", name],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in sorted(names)
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        idle = {w.name for w in Worker.all(connection=redis) if w.name in names and w.get_state() == "idle"}
        if idle == names:
            time.sleep(0.5)  # from idle to blocked on the queue
            return procs
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.1)
    stop(procs)
    raise RuntimeError("workers did not start")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def replies(redis: Redis) -> Counter[str]:
    counts: Counter[str] = Counter()
    for raw in redis.lrange(LOG, 0, -1):
        entry = json.loads(raw)
        if entry.get("api") == "send" and entry.get("status") == "delivered":
            counts.update(entry["touser"])
    return counts


def run_messages(
    redis: Redis, env: dict[str, str], url: str, users: list[str], workers: int, timeout: float
) -> tuple[float, Counter[str], dict[str, int]]:
    n = len(users)
    callbacks = make_callbacks(users)
    posted = asyncio.run(closed_loop(url, callbacks, 16, "post"))
    if posted.errors:
        raise RuntimeError(f"{posted.errors} of {n} callbacks were refused")
    held = hold(redis)
    if held != n:
        raise RuntimeError(f"{held} jobs queued for {n} callbacks")
    procs = start_workers(env, workers, "msg", redis)
    try:
        start = time.perf_counter()
        release(redis)
        deadline = time.monotonic() + timeout
        counts: Counter[str] = Counter()
        while time.monotonic() < deadline:
            if redis.llen(LOG) >= n:
                counts = replies(redis)
                if len(counts) >= n:
                    break
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        time.sleep(2)  # anything sent twice would show up now
        counts = replies(redis)
        entries = [json.loads(raw) for raw in redis.lrange(LOG, 0, -1)]
        kinds = Counter(e.get("msgtype", "?") for e in entries)
        for user in [u for u, c in counts.items() if c > 1][:3]:  # what was doubled, to see why
            print(
                f"  twice to {user}:",
                [str(e.get("content") or e.get("msgtype"))[:60] for e in entries if user in e.get("touser", [])],
            )
    finally:
        stop(procs)
    return elapsed, counts, dict(kinds)


def run_noop(redis: Redis, env: dict[str, str], jobs: int, workers: int, timeout: float) -> float:
    """RQ's ceiling: `jobs` no-op jobs on the inbound queue, kept as long as inbound jobs are, drained by
    the same workers."""
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    queue = Queue(f"{QUEUE}-inbound", connection=redis)
    finished = FinishedJobRegistry(queue=queue)
    before = finished.count
    for i in range(0, jobs, 1000):
        queue.enqueue_many(
            [
                Queue.prepare_data("bench.e2e.noop", result_ttl=2 * 24 * 3600, timeout=120)
                for _ in range(min(1000, jobs - i))
            ]
        )
    if hold(redis) != jobs:
        raise RuntimeError("no-op jobs were not all queued")
    procs = start_workers(env, workers, "noop", redis)
    try:
        start = time.perf_counter()
        release(redis)
        deadline = time.monotonic() + timeout
        while finished.count < before + jobs and time.monotonic() < deadline:
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        done = finished.count - before
    finally:
        stop(procs)
    if done != jobs:
        raise RuntimeError(f"only {done} of {jobs} no-op jobs finished")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--noop-jobs", type=int, default=5000, help="no-op jobs for RQ's ceiling")
    parser.add_argument("--database", default="sqlite", help="sqlite, or a postgresql:// URL (its tables are dropped)")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--runs", type=int, default=1, help="measure this many times; the spread is printed last")
    args = parser.parse_args()

    redis = Redis.from_url(REDIS_URL)
    ratios: list[float] = []
    healthy = True
    for run in range(args.runs):
        if args.runs > 1:
            print(f"-- run {run + 1} of {args.runs}", flush=True)
        redis.flushdb()
        folder = Path(tempfile.mkdtemp(prefix="cadrebot-e2e-"))
        try:
            ratio, ok = measure(args, redis, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        ratios.append(ratio)
        healthy = healthy and ok
    if args.runs > 1:
        print(f"e2e ratio over {args.runs} runs: {spread(ratios)}")
    if not healthy:
        sys.exit(1)


def measure(args: argparse.Namespace, redis: Redis, folder: Path) -> tuple[float, bool]:
    """One run; returns the ratio and whether every message got exactly one reply."""
    n, w = args.messages, args.workers
    database_url, users = prepare_database(args.database, folder, n)
    port = free_port()
    env = bench_env(
        REDIS_URL, database_url, CADREBOT_SIM="1", CADREBOT_WECOM_API_BASE=f"http://127.0.0.1:{port}/sim/wecom"
    )
    print(
        f"{os.cpu_count()} CPUs; {n} messages from {n} roster members ({', '.join(MESSAGES)}), {w} worker(s), "
        f"database {args.database.split('@')[-1]}",
        flush=True,
    )
    with server(uvicorn_cmd("bot.app:app_from_env", port, factory=True), env, port):
        elapsed, counts, kinds = run_messages(redis, env, f"http://127.0.0.1:{port}", users, w, args.timeout)
        noop_elapsed = run_noop(redis, env, args.noop_jobs, w, args.timeout)
    from rq import Queue
    from rq.registry import FailedJobRegistry

    failed = sum(
        FailedJobRegistry(queue=Queue(f"{QUEUE}-{kind}", connection=redis)).count for kind in ("inbound", "outbound")
    )
    redis.flushdb()
    duplicates = sum(c - 1 for c in counts.values())
    lost = sum(1 for u in users if u not in counts)
    strays = sum(c for u, c in counts.items() if u not in set(users))
    rate = n / elapsed / w if elapsed else 0.0
    noop_rate = args.noop_jobs / noop_elapsed / w if noop_elapsed else 0.0
    print(f"messages: {n} in {elapsed:.2f} s with {w} worker(s); fake API record by type {kinds}")
    print(
        f"replies: {sum(counts.values())}, duplicates={duplicates}, lost={lost}, strays={strays}, failed jobs={failed}"
    )
    print(f"rq no-op: {args.noop_jobs} jobs in {noop_elapsed:.2f} s with {w} worker(s)")
    ratio = rate / noop_rate if noop_rate else 0.0
    print(f"e2e: {rate:.0f} msg/s per worker, rq_noop={noop_rate:.0f} jobs/s, ratio={ratio:.2f}", flush=True)
    return ratio, not (duplicates or lost or strays or failed)


if __name__ == "__main__":
    main()
