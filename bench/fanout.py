"""Benchmark a fan-out of personalised reminders through the real path: reminder rows → fired by RQ workers
(claim, card, outbox row, a transaction per 100) → delivery jobs → the WeCom API (the simulator's fake, in its
own uvicorn process) → the fake's record, which is then checked for duplicates and losses — compared, in the
same run and on the same Redis, with RQ's own ceiling: no-op jobs through the same number of the product's
workers (bench/e2e.py's run_noop).

    python bench/fanout.py [--messages 10000] [--workers 1 2] [--noop-jobs 3000] [--database sqlite|URL] [--runs N]

Prints, per worker count:
    fanout: workers=W R msg/s, rq_noop=Q jobs/s, ratio=X, duplicates=D, lost=L
and, with more than one worker count, what the last one adds over the first (scaling=+P%).
Needs Redis (CADREBOT_BENCH_REDIS_URL, default redis://127.0.0.1:6379/13, which it flushes).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis
from rq import Queue
from sqlalchemy import insert, select

from bench.common import bench_env, free_port, server, spread, uvicorn_cmd
from bench.e2e import run_noop
from bot.store.db import dispose_engines, get_engine, normalise_url, session_scope
from bot.store.migrate import upgrade
from bot.store.tables import Org, Person, PersonRole, Reminder, Task

REDIS_URL = os.environ.get("CADREBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
FIRE_CHUNK = 250


def seed(database_url: str, n: int) -> list[int]:
    """n people in one village, each owning a task with one reminder due now."""
    upgrade(database_url)
    engine = get_engine(database_url)
    with session_scope(engine) as s:
        county = Org(name="清河县", kind="县", path="清河县")
        township = Org(name="石桥镇", kind="乡镇", path="清河县/石桥镇", parent=county)
        village = Org(name="李家村", kind="村", path="清河县/石桥镇/李家村", parent=township)
        s.add_all([county, township, village])
        s.flush()
        now = datetime.now(UTC)
        people = [
            {
                "name": f"书记{i:05d}",
                "wecom_userid": f"u{i:05d}",
                "org_id": village.id,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n)
        ]
        s.execute(insert(Person), people)
        ids = list(s.scalars(select(Person.id).order_by(Person.id)))
        s.execute(insert(PersonRole), [{"person_id": pid, "role": "village_secretary"} for pid in ids])
        deadline = date.today() + timedelta(days=7)
        s.execute(
            insert(Task),
            [
                {
                    "code": f"B{i:05d}",
                    "title": "活动阵地提升",
                    "deadline": deadline,
                    "org_id": village.id,
                    "owner_id": pid,
                    "status": "open",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, pid in enumerate(ids)
            ],
        )
        task_ids = list(s.scalars(select(Task.id).order_by(Task.id)))
        s.execute(
            insert(Reminder),
            [
                {
                    "key": f"task:{tid}:T-7",
                    "kind": "remind",
                    "step": "T-7",
                    "task_id": tid,
                    "due_at": now - timedelta(minutes=1),
                    "status": "scheduled",
                }
                for tid in task_ids
            ],
        )
        return list(s.scalars(select(Reminder.id).order_by(Reminder.id)))


def delivered_counts(redis: Redis) -> dict[str, int]:
    import json

    counts: dict[str, int] = {}
    for raw in redis.lrange("sim:wecom:log", 0, -1):
        entry = json.loads(raw)
        if entry.get("status") == "delivered" and entry.get("msgtype") == "template_card":
            for user in entry["touser"]:
                counts[user] = counts.get(user, 0) + 1
    return counts


def run(n: int, workers: int, database: str, noop_jobs: int) -> tuple[float, float, int, int]:
    """One fan-out and one no-op drain with `workers` workers: (fan-out seconds, no-op seconds, duplicates, lost)."""
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    folder = tempfile.mkdtemp(prefix="cadrebot-fanout-")
    database_url = f"sqlite:///{folder}/fanout.db" if database == "sqlite" else database
    if database != "sqlite":
        from sqlalchemy import create_engine, text

        from bot.store.tables import Base

        eng = create_engine(normalise_url(database_url))
        with eng.begin() as conn:
            names = [t.name for t in reversed(Base.metadata.sorted_tables)]
            conn.execute(text("DROP TABLE IF EXISTS " + ", ".join([*names, "alembic_version"]) + " CASCADE"))
        eng.dispose()
    reminder_ids = seed(database_url, n)
    dispose_engines()
    port = free_port()
    env = bench_env(
        REDIS_URL,
        database_url,
        CADREBOT_SIM="1",
        CADREBOT_WECOM_API_BASE=f"http://127.0.0.1:{port}/sim/wecom",
        CADREBOT_PER_USER_PER_MINUTE="30",
        CADREBOT_RULES_FILE=str(quiet_free_rules(folder)),
    )
    with server(uvicorn_cmd("bot.app:app_from_env", port, factory=True), env, port):
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "worker", "--name", f"fanout-{w}"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for w in range(workers)
        ]
        try:
            time.sleep(1.5)  # workers up
            queue = Queue("cadrebot-bench-background", connection=redis)
            start = time.perf_counter()
            for i in range(0, len(reminder_ids), FIRE_CHUNK):
                queue.enqueue("scheduler.jobs.fire_batch", reminder_ids[i : i + FIRE_CHUNK], job_timeout=600)
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                if redis.llen("sim:wecom:log") >= n:
                    counts = delivered_counts(redis)
                    if len(counts) >= n:
                        break
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
            time.sleep(2)  # anything sent twice would show up now
            counts = delivered_counts(redis)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
        noop_elapsed = run_noop(redis, env, noop_jobs, workers, timeout=600)
    duplicates = sum(c - 1 for c in counts.values())
    lost = n - len(counts)
    return elapsed, noop_elapsed, duplicates, lost


def quiet_free_rules(folder: str) -> Path:
    from knowledge.rules import write_rules

    return write_rules(Path(folder) / "rules.yaml", {"reminders.quiet_start": "08:00"})  # start = end: none


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--noop-jobs", type=int, default=3000, help="no-op jobs for RQ's ceiling")
    parser.add_argument("--database", default="sqlite", help="sqlite, or a postgresql:// URL (its tables are dropped)")
    parser.add_argument("--runs", type=int, default=1, help="measure this many times; the spread is printed last")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; {args.messages} personalised reminders; database {args.database.split('@')[-1]}")
    ratios: dict[int, list[float]] = {w: [] for w in args.workers}
    scalings: list[float] = []
    healthy = True
    for number in range(args.runs):
        if args.runs > 1:
            print(f"-- run {number + 1} of {args.runs}", flush=True)
        rates: dict[int, float] = {}
        for workers in args.workers:
            elapsed, noop_elapsed, duplicates, lost = run(args.messages, workers, args.database, args.noop_jobs)
            rates[workers] = args.messages / elapsed
            noop_rate = args.noop_jobs / noop_elapsed
            ratio = rates[workers] / noop_rate
            ratios[workers].append(ratio)
            healthy = healthy and not (duplicates or lost)
            print(
                f"fanout: workers={workers} {rates[workers]:.0f} msg/s, rq_noop={noop_rate:.0f} jobs/s, "
                f"ratio={ratio:.2f}, duplicates={duplicates}, lost={lost}",
                flush=True,
            )
        first, last = args.workers[0], args.workers[-1]
        if last != first:
            scalings.append(rates[last] / rates[first] - 1)
            print(f"fanout: {last} workers over {first}: scaling={scalings[-1]:+.0%}", flush=True)
    if args.runs > 1:
        for workers, values in ratios.items():
            print(f"fanout ratio, {workers} worker(s), over {args.runs} runs: {spread(values)}")
        if scalings:
            print(f"fanout scaling over {args.runs} runs: {spread([100 * s for s in scalings], '{:+.0f}%')}")
    if not healthy:
        sys.exit(1)


if __name__ == "__main__":
    main()
