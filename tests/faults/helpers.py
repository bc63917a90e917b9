"""What the fault tests share: servers of our own that a test may stop and start (Redis with AOF, a
PostgreSQL cluster), the worker as a separate process that can be killed, the scheduler's sweep done by
hand with time made to pass, and the tally — from the fake WeCom API's own record — that ends every test:
expected = delivered, duplicates = 0."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from sqlalchemy import create_engine, func, select, text, update

from bot.config import Settings
from bot.sim.callbacks import CallbackFactory
from bot.sim.fake_wecom import FakeWeCom
from bot.store.db import get_engine, session_scope
from bot.store.roster import import_roster
from bot.store.tables import Outbox

from conftest import AES_KEY, AGENT_ID, CORP_ID, TOKEN, LiveServer, drain, free_port
from transcript import Chat

NOTICE = "通知全体网格员：本周六上午9点全员参加防汛演练"


# -- servers of our own ---------------------------------------------------------------------------------


def needs(*binaries: str) -> pytest.MarkDecorator:
    missing = [b for b in binaries if shutil.which(b) is None]
    return pytest.mark.skipif(bool(missing), reason=f"needs {', '.join(missing)} on PATH to stop and start a server")


class PrivateRedis:
    """A redis-server of our own, with AOF (fsync on every write), that the test can stop and start."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.cmd = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            str(directory),
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = Redis.from_url(self.url)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    if client.ping():
                        return
                except Exception:
                    time.sleep(0.05)
        finally:
            client.close()
        raise AssertionError("redis-server did not start")

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (a clean shutdown) or SIGKILL (a crash: only what the AOF holds comes back)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        self.proc.wait(timeout=10)

    def restart(self, *, kill: bool = False) -> None:
        self.stop(kill=kill)
        self.start()


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    return str(candidates[0]) if candidates else None


def postgres_missing() -> str | None:
    """Why a private PostgreSQL cannot be run here, or None."""
    if not all(_pg_bin(b) for b in ("initdb", "pg_ctl", "postgres")):
        return "needs PostgreSQL's initdb, pg_ctl and postgres (e.g. /usr/lib/postgresql/*/bin)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root: needs runuser to start PostgreSQL as another user"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root: needs a 'postgres' user to start PostgreSQL as"
    return None


class PrivatePostgres:
    """A throw-away PostgreSQL cluster (initdb into a temporary directory, trust auth, its own port and
    socket directory) that the test can stop — as a crash, `-m immediate` — and start again."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cadrebot-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(args[:2])} failed: {done.stdout}\n{done.stderr}")

    def init(self) -> None:
        initdb = _pg_bin("initdb")
        assert initdb
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        pg_ctl = _pg_bin("pg_ctl")
        assert pg_ctl
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} -c fsync=off"
        self._run(pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "-t", "30", "start")

    def stop(self, mode: str = "immediate") -> None:
        pg_ctl = _pg_bin("pg_ctl")
        assert pg_ctl
        if (self.data / "postmaster.pid").exists():
            self._run(pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def database(self, name: str = "cadrebot") -> str:
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


# -- the worker, and time passing -----------------------------------------------------------------------


def start_worker(log: Path | None = None, name: str | None = None) -> subprocess.Popen[bytes]:
    """`cadrebot worker` as its own process (settings from the environment make_settings filled); its
    output goes to `log` if given (or CADREBOT_TEST_WORKER_LOG), else nowhere."""
    return _cadrebot(["worker", "--name", name or f"fault-{time.monotonic_ns()}"], log)


def start_scheduler(log: Path | None = None) -> subprocess.Popen[bytes]:
    """`cadrebot scheduler`: the cron jobs (the outbox sweep every 30 s) and its watch on the leases."""
    return _cadrebot(["scheduler"], log)


def _cadrebot(args: list[str], log: Path | None) -> subprocess.Popen[bytes]:
    cli = Path(sys.executable).with_name("cadrebot")
    target = log or (
        Path(os.environ["CADREBOT_TEST_WORKER_LOG"]) if os.environ.get("CADREBOT_TEST_WORKER_LOG") else None
    )
    out = target.open("ab") if target else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [str(cli), *args],
            env=os.environ.copy(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    finally:
        if not isinstance(out, int):  # a file we opened, not subprocess.DEVNULL
            out.close()


def stop_worker(worker: subprocess.Popen[bytes] | None) -> None:
    if worker is not None and worker.poll() is None:
        worker.kill()
        worker.wait(timeout=10)


@contextmanager
def writes_held(db_url: str) -> Iterator[None]:
    """Another transaction holds the database's write lock: a handler that writes waits inside its own
    transaction (SQLite: up to its busy timeout; PostgreSQL: until this ends) — a slow handler."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql("LOCK TABLE inbound_log IN SHARE ROW EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.exec_driver_sql("ROLLBACK")
    engine.dispose()


def running_on(redis_url: str, queue: str) -> dict[str, str]:
    """The jobs started from `queue` and not finished, with the name of the worker running each."""
    from rq.registry import StartedJobRegistry

    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        found = {}
        for member in client.zrange(StartedJobRegistry(queue, connection=client).key, 0, -1):
            job_id, execution_id = str(member).split(":", 1)
            worker = client.hget(f"rq:execution:{job_id}:{execution_id}", "worker_name")
            if worker:
                found[job_id] = str(worker)
        return found
    finally:
        client.close()


def age_everything(db_url: str) -> None:
    """Let the sweeper's grace periods and the retry backoff pass: unfinished rows look untouched for long
    enough to be picked up again, and due now."""
    with session_scope(get_engine(db_url)) as s:
        s.execute(
            update(Outbox)
            .where(Outbox.status.in_(("pending", "sending")))
            .values(updated_at=datetime.now(UTC) - timedelta(minutes=10), not_before=None)
        )


def wait_until(check: Callable[[], bool], timeout: float, what: str, db_url: str | None = None) -> None:
    """Poll `check`; with `db_url`, also do the scheduler's part (these tests run no scheduler process): the
    outbox sweep, with its grace periods made to pass, so work a killed worker held is picked up again."""
    from scheduler.sweeper import sweep_outbox

    deadline = time.monotonic() + timeout
    last_sweep = time.monotonic()
    while time.monotonic() < deadline:
        if check():
            return
        if db_url and time.monotonic() - last_sweep > 3:
            age_everything(db_url)
            sweep_outbox()
            last_sweep = time.monotonic()
        time.sleep(0.1)
    raise AssertionError(f"timed out: {what}")


def statuses(db_url: str) -> dict[str, int]:
    with session_scope(get_engine(db_url)) as s:
        return dict(s.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all())


def unfinished(db_url: str) -> int:
    return sum(n for status, n in statuses(db_url).items() if status in ("pending", "sending"))


def delivered_rows(db_url: str) -> int:
    return statuses(db_url).get("delivered", 0)


def finish(settings: Settings, rounds: int = 8) -> dict[str, int]:
    """What the scheduler and the workers would do given time: sweep, run every job (retries made due),
    let the grace periods pass, again until no row is unfinished. Returns the outbox's statuses."""
    from scheduler.sweeper import sweep_outbox

    db_url = settings.database_url
    for _ in range(rounds):
        sweep_outbox()
        drain(settings, scheduled=True)
        if not unfinished(db_url):
            break
        age_everything(db_url)
    return statuses(db_url)


def quiet(live: LiveServer, timeout: float = 30) -> None:
    """Wait until the server has no request in progress: a call the bot gave up on (a timeout) may still
    be landing in the fake API's record."""
    state = live.server.server_state
    deadline = time.monotonic() + timeout
    while state.tasks:
        if time.monotonic() > deadline:
            raise AssertionError("requests still in progress")
        time.sleep(0.05)


# -- the tally ------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Per person, how many times the fake API delivered each distinct message."""

    expected: int
    delivered: int
    duplicates: int
    missing: list[str] = field(default_factory=list)
    twice: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"expected={self.expected} delivered={self.delivered} duplicates={self.duplicates}"

    def check(self) -> None:
        assert not self.missing, f"{len(self.missing)} got nothing, e.g. {self.missing[:5]}"
        assert not self.twice, f"delivered more than once: {dict(list(self.twice.items())[:5])}"
        assert self.delivered == self.expected and self.duplicates == 0, str(self)


def _content(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k not in ("seq", "at", "msgid", "touser", "status", "userids")}
    return json.dumps(body, sort_keys=True, ensure_ascii=False)


def delivered_entries(fake: FakeWeCom) -> list[dict[str, Any]]:
    return [e for e in fake.sent() if e.get("status") == "delivered" and e.get("api") == "send"]


def notice_tally(fake: FakeWeCom, people: list[str], title: str = "通知") -> Tally:
    """The notice card: each of `people` exactly once."""
    counts: Counter[str] = Counter()
    for entry in delivered_entries(fake):
        card = entry.get("template_card") or {}
        if card.get("main_title", {}).get("title") == title:
            counts.update(entry["touser"])
    return _tally(counts, people)


def reply_tally(fake: FakeWeCom, people: list[str], besides: str = "通知") -> Tally:
    """Each of `people` sent one message: exactly one answer each (the notice card, titled `besides`,
    is not an answer)."""
    counts: Counter[str] = Counter()
    wanted = set(people)
    for entry in delivered_entries(fake):
        if (entry.get("template_card") or {}).get("main_title", {}).get("title") == besides:
            continue
        counts.update(u for u in entry["touser"] if u in wanted)
    return _tally(counts, people)


def _tally(counts: Counter[str], people: list[str]) -> Tally:
    wanted = {p.lower() for p in people}
    got = {u: n for u, n in counts.items() if u in wanted}
    return Tally(
        expected=len(wanted),
        delivered=sum(got.values()),
        duplicates=sum(n - 1 for n in got.values() if n > 1),
        missing=sorted(wanted - set(got)),
        twice={u: n for u, n in got.items() if n > 1},
    )


def no_repeats(fake: FakeWeCom) -> int:
    """Across everything delivered to anyone: the same message shown to the same person more than once."""
    seen: Counter[tuple[str, str]] = Counter()
    for entry in delivered_entries(fake):
        content = _content(entry)
        seen.update((u, content) for u in entry["touser"])
    return sum(n - 1 for n in seen.values() if n > 1)


def report(name: str, tally: Tally, started: float) -> None:
    """Print the tally (shown with `pytest -s`), then hold the test to it."""
    print(f"\nTALLY {name}: {tally} in {time.monotonic() - started:.1f}s")
    tally.check()


@contextmanager
def private_redis(directory: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- a county of grid members, served --------------------------------------------------------------------


def grid_members(count: int) -> list[str]:
    return [f"gm{n:04d}" for n in range(count)]


def roster_file(path: Path, people: int) -> Path:
    lines = ["姓名,企业微信账号,钉钉账号,手机,角色,组织", "孙督导,dudao,,,督导,清河县/石桥镇"]
    for n in range(people):
        lines.append(f"网格员{n:04d},gm{n:04d},,,网格员,清河县/石桥镇/村{n // 200:02d}村/{n % 10 + 1}组")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Rig:
    settings: Settings
    live: LiveServer
    http: httpx.Client
    fake: FakeWeCom
    factory: CallbackFactory
    chat: Chat

    @property
    def db_url(self) -> str:
        return self.settings.database_url

    def work(self, scheduled: bool = False) -> None:
        drain(self.settings, scheduled=scheduled)

    def post(self, user: str, words: str) -> None:
        self.chat.as_(user).post(self.factory.text(user, words))

    def preview(self, timeout: float = 30) -> dict[str, Any]:
        """The notice's preview card on the supervisor's phone (run a worker, or drain, to get it)."""
        wait_until(
            lambda: any(e.get("msgtype") == "template_card" for e in self.fake.inbox("dudao")), timeout, "the preview"
        )
        return next(e for e in self.fake.inbox("dudao") if e.get("msgtype") == "template_card")

    def tap_send(self, preview: dict[str, Any]) -> None:
        task = preview["task_id"]
        self.chat.post(self.factory.card_tap("dudao", task, "send", self.fake.issue_response_code(task, ["dudao"])))


@contextmanager
def county(make_settings: Any, db_url: str, tmp_path: Path, people: int, **overrides: object) -> Iterator[Rig]:
    """`people` grid members and their supervisor in the roster, the app and the fake WeCom API served on
    a free port, no quiet hours (these tests must not wait for the morning)."""
    from knowledge.rules import write_rules

    with session_scope(get_engine(db_url)) as s:
        import_roster(s, roster_file(tmp_path / "roster.csv", people), actor="test")
    port = free_port()
    rules = write_rules(tmp_path / "rules.yaml", {"reminders.quiet_start": "08:00"})
    values: dict[str, object] = {
        "RULES_FILE": str(rules),
        "WECOM_API_BASE": f"http://127.0.0.1:{port}/sim/wecom",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BROADCAST_BATCH": 10,
    }
    values.update(overrides)
    settings = make_settings(**values)
    with LiveServer(settings, port) as live, httpx.Client(base_url=live.url, timeout=30) as http:
        fake = FakeWeCom(settings)
        fake.reset()
        factory = CallbackFactory(TOKEN, AES_KEY, CORP_ID, AGENT_ID)
        chat = Chat(http, factory, fake, lambda scheduled=False: None)  # jobs run when the test says so
        yield Rig(settings, live, http, fake, factory, chat)
