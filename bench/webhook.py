"""Benchmark the full WeCom callback path — timestamp check, envelope parse, signature, AES decrypt,
message parse, RQ enqueue with the unique-id check, ack — against a bare endpoint that only reads the
body, with the same uvicorn settings and the same client, on this machine.

    python bench/webhook.py [--requests 20000] [--concurrency 32] [--rate 500] [--client wrk|asyncio] [--runs N]

Throughput is measured in a closed loop by wrk when it is installed (Debian: apt-get install -y wrk), each
request a distinct signed callback read from a file by a Lua script; else by the asyncio client in
bench/common.py, which costs more CPU on this machine and so lowers both figures. Latency is measured at a
fixed request rate (open loop, asyncio client: wrk cannot hold a rate). Prints last:
    webhook: full=R1 rps bare=R2 rps ratio=X p99_ms=Y      (p99 at --rate on the full path)
and, with --runs N, each run's line and then the spread of the ratio and of p99 over the runs.
Needs Redis (CADREBOT_BENCH_REDIS_URL, default redis://127.0.0.1:6379/14, which it flushes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis

from bench.common import (
    AES_KEY,
    AGENT_ID,
    CORP_ID,
    TOKEN,
    Result,
    bench_env,
    closed_loop,
    free_port,
    open_loop,
    server,
    spread,
    temp_database,
    uvicorn_cmd,
    wrk_closed_loop,
    wrk_path,
)
from bot.sim.callbacks import CallbackFactory

MESSAGES = [
    "今天巡查3组，河道垃圾一处，已清理",
    "今天上午开了支委会，应到5人实到5人",
    "收到",
    "帮助",
    "今天去李家村走访了5户，协调用水纠纷",
]


def make_callbacks(n: int) -> list[tuple[dict[str, str], bytes]]:
    factory = CallbackFactory(TOKEN, AES_KEY, CORP_ID, AGENT_ID)
    out = []
    for i in range(n):
        plain = factory.text(f"user{i % 500}", MESSAGES[i % len(MESSAGES)], msg_id=str(secrets.randbits(63)))
        cb = factory.envelope(plain)
        out.append((cb.params, cb.body))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000, help="requests per closed-loop run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=500.0, help="requests per second for the latency run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the fixed-rate run")
    parser.add_argument(
        "--client", choices=("wrk", "asyncio"), help="closed-loop generator (default: wrk if installed)"
    )
    parser.add_argument("--runs", type=int, default=1, help="measure this many times; the spread is printed last")
    args = parser.parse_args()
    ratios: list[float] = []
    p99s: list[float] = []
    healthy = True
    for number in range(args.runs):
        if args.runs > 1:
            print(f"-- run {number + 1} of {args.runs}", flush=True)
        ratio, p99, ok = measure(args)
        ratios.append(ratio)
        p99s.append(p99)
        healthy = healthy and ok
    if args.runs > 1:
        print(f"webhook ratio over {args.runs} runs: {spread(ratios)}")
        print(f"webhook p99_ms at {args.rate:.0f}/s over {args.runs} runs: {spread(p99s, '{:.1f}')}")
    if not healthy:
        sys.exit(1)


def measure(args: argparse.Namespace) -> tuple[float, float, bool]:
    """One run: the ratio, p99 at the fixed rate, and whether every callback was taken."""
    client = args.client or ("wrk" if wrk_path() else "asyncio")
    if client == "wrk" and not wrk_path():
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk)")

    def throughput(url: str, batch: list[tuple[dict[str, str], bytes]], name: str) -> Result:
        if client == "wrk":
            return wrk_closed_loop(url, batch, args.concurrency, name)
        return asyncio.run(closed_loop(url, batch, args.concurrency, name))

    redis_url = os.environ.get("CADREBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    redis = Redis.from_url(redis_url)
    redis.flushdb()

    rate_n = int(args.rate * args.seconds)
    print(f"making {args.requests * 2 + rate_n * 2 + 1000} signed, encrypted callbacks …", flush=True)
    warm = make_callbacks(1000)
    full_batch, bare_batch = make_callbacks(args.requests), make_callbacks(args.requests)
    full_rate, bare_rate = make_callbacks(rate_n), make_callbacks(rate_n)
    results = {}

    with temp_database() as db:
        env = bench_env(redis_url, db)
        full_port, bare_port = free_port(), free_port()
        from bot.store.migrate import upgrade

        upgrade(db)
        with (
            server(uvicorn_cmd("bot.app:app_from_env", full_port, factory=True), env, full_port),
            server(uvicorn_cmd("bench.bare_app:app", bare_port), env, bare_port),
        ):
            full, bare = f"http://127.0.0.1:{full_port}", f"http://127.0.0.1:{bare_port}"
            asyncio.run(closed_loop(full, warm[:500], 16, "warm-up"))
            asyncio.run(closed_loop(bare, warm[500:], 16, "warm-up"))
            time.sleep(0.5)
            results["full"] = throughput(full, full_batch, "full path (closed loop)")
            results["bare"] = throughput(bare, bare_batch, "bare endpoint (closed loop)")
            results["full_rate"] = asyncio.run(open_loop(full, full_rate, args.rate, f"full path @ {args.rate:.0f}/s"))
            results["bare_rate"] = asyncio.run(
                open_loop(bare, bare_rate, args.rate, f"bare endpoint @ {args.rate:.0f}/s")
            )

    queued = redis.llen("rq:queue:cadrebot-bench-inbound")
    expected = 500 + args.requests + rate_n
    print(f"\nmachine: {os.cpu_count()} cores; server: 1 uvicorn process; closed loop: {client}, same machine")
    print(f"concurrency {args.concurrency} (closed loop), {args.rate:.0f} req/s for {args.seconds:.0f} s (open loop)\n")
    for r in results.values():
        print(r.line())
    print(f"\njobs queued by the full path: {queued} of {expected} callbacks (each a distinct message)")
    redis.flushdb()
    full_path, bare_path = results["full"], results["bare"]
    ratio = full_path.rps / bare_path.rps if bare_path.rps else 0
    p99 = results["full_rate"].pct(99)
    print(
        f"webhook: full={full_path.rps:.0f} rps bare={bare_path.rps:.0f} rps ratio={ratio:.2f} p99_ms={p99:.1f}",
        flush=True,
    )
    return ratio, p99, not (queued != expected or full_path.errors or results["full_rate"].errors)


if __name__ == "__main__":
    main()
