"""Shared fixtures: real Redis (database 15, flushed per test), a real SQL database (SQLite, or PostgreSQL
when CADREBOT_TEST_DATABASE=postgresql), the app served over HTTP by uvicorn on a free port, and an
in-process RQ worker to drain the queues."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
import uvicorn
from redis import Redis
from sqlalchemy import create_engine, text

from bot.config import Settings, get_settings, reset_settings_cache
from bot.queue import reset_clients
from bot.sim.callbacks import CallbackFactory
from bot.sim.fake_wecom import FakeWeCom
from bot.store.db import dispose_engines, normalise_url
from bot.store.migrate import upgrade
from bot.store.tables import Base

from clock import configured_instant

REDIS_URL = os.environ.get("CADREBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DATABASE = os.environ.get("CADREBOT_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get(
    "CADREBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/cadrebot_test"
)

CORP_ID = "wwcadrebottest0001"
AGENT_ID = 1000002
TOKEN = "cadrebotTestToken2026"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SECRET = "test-secret-value"
DINGTALK_CLIENT_ID = "dingcadrebottest01"
DINGTALK_SECRET = "dingtalk-test-app-secret"
DINGTALK_CORP_ID = "dingcadrebotcorp01"

TABLES = [t.name for t in reversed(Base.metadata.sorted_tables)]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def pytest_report_header() -> str:
    when = configured_instant()
    return f"clock: dated tests pinned to {when.isoformat()}" if when else "clock: real time (CADREBOT_TEST_NOW unset)"


@pytest.fixture(autouse=True)
def _pinned_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """A `dated` test runs at CADREBOT_TEST_NOW (see tests/clock.py); the clock ticks on from there."""
    when = configured_instant()
    if when is None or request.node.get_closest_marker("dated") is None:
        yield
        return
    with time_machine.travel(when, tick=True):
        yield


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- Redis ----------------------------------------------------------------------------------------------


@pytest.fixture
def redis() -> Iterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except Exception as exc:  # pragma: no cover - environment problem
        pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


# -- SQL ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    dispose_engines()
    return path


@pytest.fixture(scope="session")
def _postgres_ready() -> str:
    engine = create_engine(normalise_url(POSTGRES_URL))
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS " + ", ".join([*TABLES, "alembic_version"]) + " CASCADE"))
    engine.dispose()
    upgrade(POSTGRES_URL)
    dispose_engines()
    return POSTGRES_URL


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for this test."""
    if DATABASE == "postgresql":
        url = request.getfixturevalue("_postgres_ready")
        engine = create_engine(normalise_url(url))
        with engine.begin() as conn:
            # DELETE, children first, and the sequences set back: as empty as TRUNCATE … RESTART IDENTITY, but
            # ~10 ms instead of ~270 ms a test (TRUNCATE makes new files for every table and index)
            for table in TABLES:
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(
                text(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c"
                    " WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
                )
            )
        engine.dispose()
    else:
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "cadrebot.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
    yield url
    dispose_engines()


# -- settings -------------------------------------------------------------------------------------------


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch, db_url: str):
    """Put settings in the environment (as workers read them) and return the Settings object."""

    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "DATABASE_URL": db_url,
            "REDIS_URL": REDIS_URL,
            "QUEUE_NAME": "cadrebot-test",
            "WECOM_CORP_ID": CORP_ID,
            "WECOM_AGENT_ID": AGENT_ID,
            "WECOM_SECRET": SECRET,
            "WECOM_TOKEN": TOKEN,
            "WECOM_AES_KEY": AES_KEY,
            "SIM": "1",
            "LOG_FORMAT": "text",
        }
        values.update({k.upper(): v for k, v in overrides.items()})
        for key in list(os.environ):
            if key.startswith("CADREBOT_") and not key.startswith("CADREBOT_TEST"):
                monkeypatch.delenv(key)
        for key, value in values.items():
            monkeypatch.setenv(f"CADREBOT_{key}", str(value))
        reset_settings_cache()
        reset_clients()
        return get_settings()

    yield make
    reset_settings_cache()
    reset_clients()


@pytest.fixture
def roster(db_url: str) -> None:
    """The demo organisation and roster."""
    from bot.store.db import get_engine, session_scope
    from bot.store.roster import DEMO_ROSTER, import_roster

    with session_scope(get_engine(db_url)) as s:
        import_roster(s, DEMO_ROSTER, actor="test")


# -- the server -----------------------------------------------------------------------------------------


def simulated(port: int) -> dict[str, object]:
    """Both platforms' APIs pointed at the simulator on `port`."""
    sim = f"http://127.0.0.1:{port}/sim"
    return {
        "WECOM_API_BASE": f"{sim}/wecom",
        "WECOM_OAUTH_BASE": f"{sim}/wecom",
        "WECOM_LOGIN_BASE": f"{sim}/wecom",
        "CONSOLE_SECRET": "console-test-secret-0123456789",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DINGTALK_CLIENT_ID": DINGTALK_CLIENT_ID,
        "DINGTALK_CLIENT_SECRET": DINGTALK_SECRET,
        "DINGTALK_API_BASE": f"{sim}/dingtalk",
        "DINGTALK_OAPI_BASE": f"{sim}/dingtalk",
        "DINGTALK_LOGIN_BASE": f"{sim}/dingtalk",
        "DINGTALK_JSAPI_URL": "/sim/dingtalk/jsapi.js",
        "DINGTALK_CORP_ID": DINGTALK_CORP_ID,
        "DINGTALK_CARD_TEMPLATE_ID": "cadrebot-generic.schema",
        "DINGTALK_CARD_ROUTE_KEY": "cadrebot",
    }


class LiveServer:
    def __init__(self, settings: Settings, port: int) -> None:
        from bot.app import create_app

        self.settings = settings
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def server(request: pytest.FixtureRequest, make_settings, redis: Redis, roster: None) -> Iterator[LiveServer]:
    """The app over HTTP; in a module marked `in_process`, the in-process bot (it has `.settings` too)."""
    if request.node.get_closest_marker("in_process"):
        yield request.getfixturevalue("inproc")
        return
    port = free_port()
    settings = make_settings(**simulated(port))
    with LiveServer(settings, port) as live:
        yield live


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
def factory() -> CallbackFactory:
    return CallbackFactory(TOKEN, AES_KEY, CORP_ID, AGENT_ID)


@pytest.fixture
def fake(server: LiveServer) -> FakeWeCom:
    return FakeWeCom(server.settings)


# -- the worker -----------------------------------------------------------------------------------------


def drain(settings: Settings, *, scheduled: bool = False) -> None:
    """Run every queued job to completion in this process, as a worker would. With scheduled=True, jobs
    waiting for a later time (retries, paced deliveries) are released first, as if that time had come."""
    from rq import SimpleWorker

    from bot.queue import queues
    from bot.worker import worker_connection

    conn = worker_connection(settings)
    qs = queues(settings, conn)
    for _ in range(50):
        if scheduled:
            time_travel(settings)
            for q in qs:
                for job_id in q.scheduled_job_registry.get_job_ids():
                    q.scheduled_job_registry.requeue(job_id)
        worker = SimpleWorker(qs, connection=conn)
        worker.work(burst=True, logging_level="WARNING")
        if not any(q.count for q in qs) and (not scheduled or not any(q.scheduled_job_registry.count for q in qs)):
            break
    conn.close()


def time_travel(settings: Settings) -> None:
    """Make every deferred outbox row due now (the counterpart of releasing scheduled jobs early)."""
    from sqlalchemy import update

    from bot.store.db import get_engine, session_scope
    from bot.store.tables import Outbox

    with session_scope(get_engine(settings.database_url)) as s:
        s.execute(update(Outbox).where(Outbox.status == "pending").values(not_before=None))


@pytest.fixture
def work(server: LiveServer):
    return lambda scheduled=False: drain(server.settings, scheduled=scheduled)


@pytest.fixture
def platform() -> str:
    """Where the people of a transcript talk to the bot; parametrize it to run a transcript on both."""
    return "wecom"


def dingtalk_phone(live: LiveServer, http: httpx.Client):
    from sqlalchemy import select

    from bot.sim.dingtalk_callbacks import DingTalkCallbackFactory
    from bot.sim.fake_dingtalk import FakeDingTalk
    from bot.store.db import get_engine, session_scope
    from bot.store.tables import Person

    from transcript import DingTalkPhone

    with session_scope(get_engine(live.settings.database_url)) as s:
        accounts = {w.lower(): d for w, d in s.execute(select(Person.wecom_userid, Person.dingtalk_userid)) if w and d}
    factory = DingTalkCallbackFactory(DINGTALK_CLIENT_ID, DINGTALK_SECRET)
    return DingTalkPhone(http, factory, FakeDingTalk(live.settings), accounts)


@pytest.fixture
def chat(request: pytest.FixtureRequest, factory: CallbackFactory, platform: str):
    """A transcript's chat: over HTTP through the simulator, or — in a module marked `in_process` — over the bot
    in this process (tests/inproc.py), read the same way."""
    from transcript import Chat

    if request.node.get_closest_marker("in_process"):
        return request.getfixturevalue("inproc_chat")
    http, fake, work, server = (request.getfixturevalue(name) for name in ("http", "fake", "work", "server"))
    ding = dingtalk_phone(server, http) if platform == "dingtalk" else None
    return Chat(http, factory, fake, work, ding)


@pytest.fixture
def server_with(make_settings, redis: Redis, roster: None):
    """Start the app with extra settings (CADREBOT_ names without the prefix): server_with(LINK_SECRET="…")."""
    started: list[LiveServer] = []

    def start(**overrides: object) -> LiveServer:
        port = free_port()
        settings = make_settings(**{**simulated(port), **overrides})
        live = LiveServer(settings, port).__enter__()
        started.append(live)
        return live

    yield start
    for live in started:
        live.__exit__(None, None, None)


def chat_on(live: LiveServer, factory: CallbackFactory, platform: str = "wecom"):
    from transcript import Chat

    client = httpx.Client(base_url=live.url, timeout=10)
    ding = dingtalk_phone(live, client) if platform == "dingtalk" else None
    return Chat(
        client,
        factory,
        FakeWeCom(live.settings),
        lambda scheduled=False: drain(live.settings, scheduled=scheduled),
        ding,
    )


@pytest.fixture
def daytime(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Handlers see 10:00 Shanghai today, whatever the hour the tests run at (quiet hours hold notices back)."""
    import bot.dispatch

    when = datetime.now(ZoneInfo("Asia/Shanghai")).replace(hour=10, minute=0, second=0, microsecond=0).astimezone(UTC)
    monkeypatch.setattr(bot.dispatch, "clock", lambda: when)
    return when


# -- the bot in this process (tests/inproc.py) ----------------------------------------------------------


@pytest.fixture
def inproc(make_settings, redis: Redis, roster: None, monkeypatch: pytest.MonkeyPatch):
    """The dispatcher and delivery jobs run in the test's process: no server, no RQ worker. Has `.settings`
    like `server`, so `rows(server, …)`-style helpers take it as they are."""
    from inproc import DINGTALK_API, WECOM_API, InProcessBot

    apis = {"WECOM_API_BASE": WECOM_API, "DINGTALK_API_BASE": DINGTALK_API, "DINGTALK_OAPI_BASE": DINGTALK_API}
    settings = make_settings(**{**simulated(0), **apis, "PUBLIC_URL": "http://cadrebot.inproc"})
    return InProcessBot(settings, monkeypatch)


@pytest.fixture
def inproc_chat(inproc, factory: CallbackFactory, platform: str):
    """`chat` without the wire: the same transcript methods, over the bot in this process (on `platform`)."""
    from sqlalchemy import select

    from bot.sim.dingtalk_callbacks import DingTalkCallbackFactory
    from bot.store.db import get_engine, session_scope
    from bot.store.tables import Person

    from inproc import InProcessChat, InProcessPhone

    if platform != "dingtalk":
        return InProcessChat(inproc, factory)
    with session_scope(get_engine(inproc.settings.database_url)) as s:
        accounts = {w.lower(): d for w, d in s.execute(select(Person.wecom_userid, Person.dingtalk_userid)) if w and d}
    phone = InProcessPhone(inproc, DingTalkCallbackFactory(DINGTALK_CLIENT_ID, DINGTALK_SECRET), accounts)
    return InProcessChat(inproc, factory, phone)


@pytest.fixture
def console_as(server: LiveServer) -> Iterator[object]:
    """console_as("liming") → an httpx client signed in to the 工作台 as 李明 (tests/signed.py)."""
    from signed import Signed, sign_in

    opened: list[Signed] = []

    def open_as(user: str) -> Signed:
        client = sign_in(server.url, user)
        opened.append(client)
        return client

    yield open_as
    for client in opened:
        client.close()
