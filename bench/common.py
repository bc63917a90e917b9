"""Shared pieces of the benchmarks: servers started as separate processes on loopback, callbacks made
in advance, and load generators that record every request's latency."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CORP_ID = "wwbenchcorp000001"
TOKEN = "benchToken2026"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SECRET = "bench-secret"
AGENT_ID = 1000002


def spread(values: list[float], form: str = "{:.2f}") -> str:
    """Several runs' figures as "lowest to highest (each run's)"."""
    return f"{form.format(min(values))} to {form.format(max(values))} ({', '.join(form.format(v) for v in values)})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(redis_url: str, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADREBOT_")}
    env.update(
        CADREBOT_REDIS_URL=redis_url,
        CADREBOT_DATABASE_URL=database_url,
        CADREBOT_WECOM_CORP_ID=CORP_ID,
        CADREBOT_WECOM_TOKEN=TOKEN,
        CADREBOT_WECOM_AES_KEY=AES_KEY,
        CADREBOT_WECOM_SECRET=SECRET,
        CADREBOT_WECOM_AGENT_ID=str(AGENT_ID),
        CADREBOT_LOG_LEVEL="WARNING",
        CADREBOT_QUEUE_NAME="cadrebot-bench",
        **extra,
    )
    return env


@contextlib.contextmanager
def temp_database() -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix="cadrebot-bench-")
    try:
        yield f"sqlite:///{folder}/bench.db"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def server(cmd: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def uvicorn_cmd(app: str, port: int, factory: bool = False) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return [*cmd, "--factory"] if factory else cmd


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    percentiles: dict[float, float] | None = None  # from a generator that reports only these (wrk)
    mean_ms: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if self.percentiles is not None:
            return self.percentiles.get(p, float("nan"))
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(int(len(data) * p / 100), len(data) - 1)]

    def mean(self) -> float:
        if self.mean_ms is not None:
            return self.mean_ms
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else 0.0

    def line(self) -> str:
        return (
            f"{self.name:<28} {self.requests:>7} req  {self.rps:>8.0f} req/s  "
            f"p50 {self.pct(50):6.2f} ms  p99 {self.pct(99):6.2f} ms  "
            f"mean {self.mean():6.2f} ms  errors {self.errors}"
        )


class Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams. httpx costs more CPU per request than
    the servers under test, so it would measure itself; this costs almost nothing."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, target: str, body: bytes) -> int:
        reused = self.writer is not None
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        if not status_line:
            self.writer.close()
            self.writer = None
            if reused:  # the server closed an idle keep-alive connection: resend on a new one, as browsers do
                return await self.post(target, body)
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def target(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return "/wecom/callback?" + urlencode(params)


async def closed_loop(url: str, requests: list[tuple[dict[str, str], bytes]], concurrency: int, name: str) -> Result:
    """`concurrency` connections, each sending its next request as soon as the last is answered."""
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = 0
    position = 0
    prepared = [(target(p), b) for p, b in requests]

    async def one() -> None:
        nonlocal position, errors
        conn = Connection(host, int(port))
        try:
            while position < len(prepared):
                path, body = prepared[position]
                position += 1
                start = time.perf_counter()
                try:
                    if await conn.post(path, body) != 200:
                        errors += 1
                except (OSError, ConnectionError, ValueError, IndexError):
                    errors += 1
                    conn = Connection(host, int(port))
                latencies.append((time.perf_counter() - start) * 1000)
        finally:
            conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return Result(name, len(latencies), errors, elapsed, latencies)


async def open_loop(url: str, requests: list[tuple[dict[str, str], bytes]], rate: float, name: str) -> Result:
    """Requests started on a fixed schedule; latency counts from the scheduled start, so a slow server
    cannot hide its queueing (no coordinated omission). Idle connections are reused."""
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = 0
    idle: list[Connection] = []
    kinds: dict[str, int] = {}
    prepared = [(target(p), b) for p, b in requests]

    async def one(path: str, body: bytes, due: float) -> None:
        nonlocal errors
        conn = idle.pop() if idle else Connection(host, int(port))
        try:
            status = await conn.post(path, body)
            if status != 200:
                errors += 1
                kinds[str(status)] = kinds.get(str(status), 0) + 1
            idle.append(conn)
        except (OSError, ConnectionError, ValueError, IndexError) as exc:
            errors += 1
            kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
            conn.close()
        latencies.append((time.perf_counter() - due) * 1000)

    began = time.perf_counter()
    tasks = []
    for i, (path, body) in enumerate(prepared):
        due = began + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(path, body, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    for conn in idle:
        conn.close()
    if kinds:
        print(f"  {name}: errors {kinds}")
    return Result(name, len(latencies), errors, elapsed, latencies)


# wrk (Debian: apt-get install -y wrk) sends each of its threads' share of the prepared requests once, in
# order: each callback must be distinct, or the dedup answers it cheaply. wrk itself runs for a fixed
# duration, so each thread times its own share (LuaJIT's ffi: a monotonic clock), says DONE on stdout when
# all of it is answered, and is interrupted (SIGINT, which ends wrk's run at once) when all threads are.
WRK_SCRIPT = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC, the clock of Python's time.monotonic
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  local f = assert(io.open(args[1] .. "." .. id, "rb"))
  local data = f:read("*a")
  f:close()
  reqs, pos = {}, 1
  while pos <= #data do
    local eol = data:find("\n", pos, true)
    local plen, blen = data:sub(pos, eol - 1):match("(%d+) (%d+)")
    plen, blen = tonumber(plen), tonumber(blen)
    local path = data:sub(eol + 1, eol + plen)
    local body = data:sub(eol + plen + 1, eol + plen + blen)
    reqs[#reqs + 1] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
    pos = eol + plen + blen + 1
  end
  extra = wrk.format("GET", "/bench-not-a-page")
  sent, answered, refused, started, primed = 0, 0, 0, nil, false
end
function request()
  if not primed then  -- wrk asks once per thread before connecting, and never sends that one
    primed = true
    return extra
  end
  if not started then started = now() end
  sent = sent + 1
  -- all sent: connections still waiting ask for a page neither server has (404), which is not counted
  return reqs[sent] or extra
end
function response(status, headers, body)
  if status == 404 then return end
  answered = answered + 1
  if status ~= 200 then refused = refused + 1 end
  if answered == #reqs then
    io.stdout:write(string.format("DONE %f %f %d %d\n", started, now(), answered, refused))
    io.stdout:flush()
    wrk.thread:stop()
  end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %f %f %f\n", e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000))
end
"""


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk_closed_loop(
    url: str, requests: list[tuple[dict[str, str], bytes]], connections: int, name: str, threads: int = 1
) -> Result:
    """Closed loop with wrk: `connections` keep-alive connections, each prepared request sent once; the
    time is from each thread's first request to the answer that completes its share."""
    with tempfile.TemporaryDirectory(prefix="cadrebot-wrk-") as folder:
        script = Path(folder) / "callbacks.lua"
        script.write_text(WRK_SCRIPT)
        data = Path(folder) / "requests"
        for t in range(threads):
            with open(f"{data}.{t}", "wb") as f:
                for params, body in requests[t::threads]:
                    path = target(params).encode()
                    f.write(b"%d %d\n" % (len(path), len(body)) + path + body)
        cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", "600s", "--timeout", "10s"]
        proc = subprocess.Popen([*cmd, "-s", str(script), url, "--", str(data)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        finished: list[list[str]] = []
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("DONE "):
                finished.append(line.split()[1:])
                if len(finished) == threads:
                    proc.send_signal(signal.SIGINT)
        proc.wait()
    if len(finished) != threads:
        raise RuntimeError("wrk did not finish: " + "".join(lines))
    summary = next(x for x in lines if x.startswith("WRK ")).split()[1:]
    seconds = max(float(f[1]) for f in finished) - min(float(f[0]) for f in finished)
    answered = sum(int(f[2]) for f in finished)
    errors = sum(int(f[3]) for f in finished) + int(summary[0])
    p50, p99, mean = (float(v) for v in summary[1:4])
    return Result(name, answered, errors, seconds, [], {50: p50, 99: p99}, mean)
