"""DingTalk Stream mode against the fake gateway (real WebSocket, real HTTP register, real Redis queue):
ACK before processing, de-dup of re-pushed frames, ping, reconnects with fresh tickets, nothing lost around
a drop or while Redis is away, bounded jittered backoff, refused credentials, the CLI command."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.platforms.dingtalk.sessions import session_key
from bot.platforms.dingtalk.stream import (
    CALLBACK_ACK_DATA,
    CARD_TOPIC,
    Backoff,
    Handoff,
    StreamClient,
    _Seen,
    _ticket_url,
    make_handoff,
)
from bot.queue import QueueUnavailable, inbound_job_id, queue_names
from bot.sim.fake_dingtalk_stream import FakeStreamGateway

FAST = Backoff(0.01, 0.05)


def robot(msg_id: str, text: str = "今日巡查无异常", staff: str = "zhangsan") -> dict[str, Any]:
    now = int(time.time() * 1000)
    return {
        "msgtype": "text",
        "text": {"content": f" {text}"},
        "msgId": msg_id,
        "createAt": now,
        "conversationType": "1",
        "conversationId": "cidTEST==",
        "senderId": "$:LWCP_v1:$abc",
        "senderNick": "张三",
        "senderCorpId": "dingcorp",
        "senderStaffId": staff,
        "chatbotCorpId": "dingcorp",
        "chatbotUserId": "$:LWCP_v1:$bot",
        "robotCode": "dingfakeappkey",
        "isInAtList": True,
        "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=s3cr3t",
        "sessionWebhookExpiredTime": now + 5_400_000,
    }


class Running:
    """The client's own event loop on a thread, as `cadrebot dingtalk-stream` runs it."""

    def __init__(self, client: StreamClient) -> None:
        self.client = client
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(self.client.run())
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.client.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the client did not stop"
        assert self.error is None, self.error

    def __exit__(self, *exc: object) -> None:
        if self.thread.is_alive():
            self.stop()


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


@pytest.fixture
def settings(make_settings, redis: Redis) -> Settings:
    return make_settings()


@pytest.fixture
def gateway() -> Iterator[FakeStreamGateway]:
    with FakeStreamGateway() as fake:
        yield fake


@pytest.fixture
def make_client(settings: Settings, gateway: FakeStreamGateway):
    def make(**kwargs: Any) -> StreamClient:
        values: dict[str, Any] = {
            "client_id": gateway.client_id,
            "client_secret": gateway.client_secret,
            "endpoint": gateway.open_url,
            "handoff": make_handoff(settings),
            "backoff": FAST,
            "queue_backoff": FAST,
        }
        values.update(kwargs)
        return StreamClient(**values)

    return make


def jobs(settings: Settings, redis: Redis) -> list[str]:
    return Queue(queue_names(settings)[0], connection=redis).job_ids


def job_of(msg_id: str) -> str:
    from bot.models import Inbound, Kind

    probe = Inbound(
        platform="dingtalk",
        tenant="",
        sender="x",
        message_id=msg_id,
        dedup_key=f"dingtalk:msg:{msg_id}",
        created_at=datetime.now(UTC),
        kind=Kind.TEXT,
    )
    return inbound_job_id(probe)


def queued(settings: Settings, redis: Redis, *msg_ids: str) -> Callable[[], bool]:
    wanted = {job_of(m) for m in msg_ids}
    return lambda: wanted <= set(jobs(settings, redis))


# -- the tests -------------------------------------------------------------------------------------------


def test_ack_is_sent_before_the_message_is_processed(make_client, gateway, settings, redis) -> None:
    real = make_handoff(settings)
    entered, release = threading.Event(), threading.Event()

    def blocking(items: list[Handoff]) -> list[bool]:
        entered.set()
        assert release.wait(5), "the test never saw the ACK"
        return real(items)

    with Running(make_client(handoff=blocking)):
        gateway.wait_connected()
        mid = gateway.push_robot(robot("msgA"))
        assert entered.wait(5)
        ack = gateway.wait_acked(mid)  # arrives while the message is stuck on its way to Redis
        assert jobs(settings, redis) == []
        release.set()
        wait_until(queued(settings, redis, "msgA"), what="msgA queued")
    assert ack.code == 200 and ack.data == CALLBACK_ACK_DATA
    # the session is remembered for replies
    assert json.loads(redis.get(session_key("zhangsan")))["conversation_id"] == "cidTEST=="
    assert gateway.registrations[0].subscriptions == [
        {"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"},
        {"type": "CALLBACK", "topic": CARD_TOPIC},
    ]


def test_a_message_pushed_again_is_queued_once(make_client, gateway, settings, redis) -> None:
    with Running(make_client()):
        gateway.wait_connected()
        first = gateway.push_robot(robot("msgA"))
        gateway.wait_acked(first)
        gateway.redeliver(first)  # same messageId
        again = gateway.push_robot(robot("msgA"))  # same msgId, new messageId
        gateway.push_robot(robot("msgB"))
        wait_until(queued(settings, redis, "msgA", "msgB"), what="msgA and msgB queued")
        wait_until(lambda: len(gateway.acked(again)) == 1, what="every frame ACKed")
        # a re-push is ACKed again, or DingTalk keeps pushing it
        wait_until(lambda: len(gateway.acked(first)) == 2, what="the re-push ACKed")
    assert sorted(jobs(settings, redis)) == sorted([job_of("msgA"), job_of("msgB")])

    # A restarted client has forgotten everything in memory: the queue's job id still knows msgA.
    with Running(make_client()):
        gateway.wait_connected(2)
        gateway.push_robot(robot("msgA"))
        gateway.push_robot(robot("msgC"))
        wait_until(queued(settings, redis, "msgC"), what="msgC queued")
    assert len(jobs(settings, redis)) == 3


def test_ping_is_echoed(make_client, gateway) -> None:
    with Running(make_client()):
        gateway.wait_connected()
        mid = gateway.ping()
        ack = gateway.wait_acked(mid)
    assert ack.code == 200
    sent = gateway._frames[mid]
    assert ack.data == sent["data"]  # the opaque value comes back


def test_reconnects_after_a_dropped_socket_and_loses_nothing(make_client, gateway, settings, redis) -> None:
    with Running(make_client()):
        gateway.wait_connected()
        before = gateway.push_robot(robot("msg1"))
        gateway.wait_acked(before)
        lost_ack = gateway.push_robot(robot("msg2"), lose_ack=True)  # processed, but its ACK never arrives
        wait_until(queued(settings, redis, "msg2"), what="msg2 queued")
        gateway.drop()
        during = gateway.push_robot(robot("msg3"))  # pushed while nobody is connected
        gateway.wait_connected(2)
        after = gateway.push_robot(robot("msg4"))
        for mid in (lost_ack, during, after):
            gateway.wait_acked(mid)
        wait_until(queued(settings, redis, "msg1", "msg2", "msg3", "msg4"), what="all four queued")
    assert len(jobs(settings, redis)) == 4
    assert gateway.acked(lost_ack)[0].connection == 2  # pushed again on the new connection
    assert [r.ticket for r in gateway.registrations] == gateway.connections  # a fresh ticket each time
    assert len(set(gateway.connections)) == 2


def test_disconnect_frame_means_a_new_ticket_at_once(make_client, gateway, settings, redis) -> None:
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        await asyncio.sleep(seconds)

    with Running(make_client(backoff=Backoff(0.2, 60.0), sleep=sleep, draw=lambda: 0.5)):
        gateway.wait_connected()
        gateway.disconnect(close_after=30)  # the client must not wait for the gateway to close
        gateway.wait_connected(2, timeout=3)
        mid = gateway.push_robot(robot("msgD"))
        gateway.wait_acked(mid)
        wait_until(queued(settings, redis, "msgD"), what="msgD queued")
    assert delays == pytest.approx([0.15])  # a planned disconnect starts the backoff afresh: 0.2 × (½ + ½·0.5)
    assert gateway.connections == [r.ticket for r in gateway.registrations]
    assert len(set(gateway.connections)) == 2


def test_backoff_is_bounded_and_jittered() -> None:
    b = Backoff(1.0, 60.0)
    assert [b.delay(n, 0.0) for n in range(9)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
    assert [b.delay(n, 0.999999) for n in range(9)] == pytest.approx([1, 2, 4, 8, 16, 32, 60, 60, 60], rel=1e-5)
    assert b.delay(10_000, 0.5) == 45.0  # no overflow, still capped


def test_refused_credentials_are_retried_with_backoff_and_said_plainly(
    make_client, gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cadrebot.dingtalk.stream")
    delays: list[float] = []
    draws = iter([0.0, 0.5, 0.25, 0.999, 0.0, 0.5, 0.1, 0.9, 0.0, 0.5])
    client: StreamClient | None = None

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 9:
            assert client is not None
            client.stop()
        await asyncio.sleep(0)

    client = make_client(
        client_secret="wrong-secret", backoff=Backoff(1.0, 60.0), sleep=sleep, draw=lambda: next(draws)
    )
    with Running(client) as running:
        running.thread.join(5)
    assert gateway.refused_registrations == 9 and gateway.connections == []
    ceilings = [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True)), delays
    assert delays[:4] == pytest.approx([0.5, 1.5, 2.5, 7.996])
    refused = [r for r in caplog.records if "register refused" in r.getMessage()]
    assert len(refused) == 9
    assert "CADREBOT_DINGTALK_CLIENT_SECRET" in refused[0].getMessage()
    assert vars(refused[0])["status"] == 401  # logged with extra=
    for record in caplog.records:
        assert "wrong-secret" not in str(vars(record))


def test_messages_wait_in_the_buffer_while_redis_is_away(make_client, gateway, settings, redis) -> None:
    real = make_handoff(settings)
    down = threading.Event()
    down.set()
    calls: list[int] = []

    def flaky(items: list[Handoff]) -> list[bool]:
        calls.append(len(items))
        if down.is_set():
            raise QueueUnavailable("connection refused")
        return real(items)

    client = make_client(handoff=flaky)
    with Running(client):
        gateway.wait_connected()
        mids = [gateway.push_robot(robot(f"msg{i}")) for i in range(3)]
        for mid in mids:
            gateway.wait_acked(mid)  # ACKed although Redis cannot take them
        wait_until(lambda: client.buffered == 3 and len(calls) >= 3, what="all three held, retried")
        assert jobs(settings, redis) == []
        down.clear()
        wait_until(queued(settings, redis, "msg0", "msg1", "msg2"), what="the buffer drained")
        wait_until(lambda: client.buffered == 0, what="the buffer emptied")
    assert len(jobs(settings, redis)) == 3


def test_a_full_buffer_stops_acking_until_redis_is_back(make_client, gateway, settings, redis) -> None:
    real = make_handoff(settings)
    down = threading.Event()
    down.set()

    def flaky(items: list[Handoff]) -> list[bool]:
        if down.is_set():
            raise QueueUnavailable("connection refused")
        return real(items)

    client = make_client(handoff=flaky, buffer_limit=2)
    with Running(client):
        gateway.wait_connected()
        first, second = gateway.push_robot(robot("msg0")), gateway.push_robot(robot("msg1"))
        third = gateway.push_robot(robot("msg2"))
        gateway.wait_acked(first)
        gateway.wait_acked(second)
        gateway.wait_for(lambda: not gateway.connected, what="the client to leave")
        assert gateway.acked(third) == [] and third in gateway.unacked
        down.clear()
        gateway.wait_connected(2)  # back once the buffer has drained; the gateway pushes msg2 again
        gateway.wait_acked(third)
        wait_until(queued(settings, redis, "msg0", "msg1", "msg2"), what="all three queued")
    assert len(jobs(settings, redis)) == 3


def card_tap(key: str = "submit") -> dict[str, Any]:
    content = {"cardPrivateData": {"actionIds": [key], "params": {"action": key}}}
    return {
        "type": "actionCallback",
        "outTrackId": "patrol-20260305101500-0123456789ab",
        "corpId": "dingcorp",
        "userId": "zhangsan",
        "content": json.dumps(content),
    }


def test_card_taps_are_queued_once(make_client, gateway, settings, redis) -> None:
    with Running(make_client()):
        gateway.wait_connected()
        first = gateway.push_robot(card_tap(), topic=CARD_TOPIC)
        gateway.push_robot(card_tap(), topic=CARD_TOPIC)  # pushed again under a new messageId
        gateway.redeliver(first)
        gateway.push_robot(robot("msgAfter"))
        assert gateway.wait_acked(first).data == CALLBACK_ACK_DATA
        wait_until(queued(settings, redis, "msgAfter"), what="msgAfter queued")
    queue = Queue(queue_names(settings)[0], connection=redis)
    kinds = sorted(job.args[0]["kind"] for job in queue.jobs)
    assert kinds == ["card_action", "text"]


def test_bad_frames_do_not_stop_the_stream(make_client, gateway, settings, redis) -> None:
    with Running(make_client()):
        gateway.wait_connected()
        bad = robot("msgX")
        del bad["msgId"]
        unreadable = gateway.push_robot(bad)
        card = gateway.push_robot({"outTrackId": "card-1", "content": "{}"}, topic=CARD_TOPIC)
        other = gateway.push_robot({"x": 1}, topic="/v1.0/graph/api/invoke")
        good = gateway.push_robot(robot("msgOK"))
        for mid in (unreadable, card, other, good):
            assert gateway.wait_acked(mid).code == 200
        wait_until(queued(settings, redis, "msgOK"), what="msgOK queued")
    assert jobs(settings, redis) == [job_of("msgOK")]


def test_stop_closes_the_socket_and_reports_what_redis_never_took(
    make_client, gateway, caplog: pytest.LogCaptureFixture
) -> None:
    def down(items: list[Handoff]) -> list[bool]:
        raise QueueUnavailable("connection refused")

    client = make_client(handoff=down, shutdown_grace=0.2)
    running = Running(client).__enter__()
    gateway.wait_connected()
    gateway.wait_acked(gateway.push_robot(robot("msgLost")))
    running.stop()
    gateway.wait_for(lambda: not gateway.connected, what="the socket to close")
    lost = [r for r in caplog.records if "not queued" in r.getMessage()]
    assert lost and vars(lost[0])["dedup_keys"] == ["dingtalk:msg:msgLost"]  # logged with extra=


def test_make_handoff_says_queue_unavailable_when_redis_is_unreachable(make_settings, redis) -> None:
    from bot.platforms.dingtalk.wire import conversation_of, inbound_from_robot

    settings = make_settings(REDIS_URL="redis://127.0.0.1:1/9")
    payload = robot("msgR")
    item = Handoff("m", inbound_from_robot(payload, received_at=datetime.now(UTC)), conversation_of(payload))
    with pytest.raises(QueueUnavailable):
        make_handoff(settings)([item])


def test_small_parts() -> None:
    seen = _Seen(2)
    for key in ("a", "b", "a", "c"):
        seen.add(key)
    assert "a" in seen and "c" in seen and "b" not in seen
    assert _ticket_url("wss://h/connect", "a+b/c=") == "wss://h/connect?ticket=a%2Bb%2Fc%3D"
    assert _ticket_url("wss://h/connect?x=1", "t") == "wss://h/connect?x=1&ticket=t"


def test_cli_names_the_missing_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from bot.config import reset_settings_cache

    for key in list(os.environ):
        if key.startswith("CADREBOT_") and not key.startswith("CADREBOT_TEST"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("CADREBOT_DINGTALK_CLIENT_ID", "dingabc")
    reset_settings_cache()
    try:
        result = CliRunner().invoke(app, ["dingtalk-stream"])
    finally:
        reset_settings_cache()
    assert result.exit_code == 2
    assert "CADREBOT_DINGTALK_CLIENT_SECRET" in result.output
    assert "CADREBOT_DINGTALK_CLIENT_ID" not in result.output
