"""Delivery through the WeCom client against the fake API: token refresh, retries, permanent failures,
pacing and long texts. Each test ends with what the fake API recorded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.delivery import deliver
from bot.models import TextReply
from bot.platforms.wecom.sender import WeComSender
from bot.queue import redis_client
from bot.store.db import get_engine, session_scope
from bot.store.tables import Outbox


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep tenacity's in-call backoff short in tests; the behaviour is the same."""
    import bot.platforms.wecom.client as client_module

    original = client_module.WeComClient.__init__

    def init(self, *args, **kwargs):
        kwargs.setdefault("backoff", 0.01)
        original(self, *args, **kwargs)

    monkeypatch.setattr(client_module.WeComClient, "__init__", init)
    WeComSender._shared.clear()
    yield
    WeComSender._shared.clear()


def queue_texts(settings, recipient: str, texts: list[str]) -> list[int]:
    with session_scope(get_engine(settings.database_url)) as s:
        rows = [
            Outbox(
                platform="wecom",
                recipient=recipient,
                kind="text",
                payload=TextReply(text=t).model_dump(),
                status="pending",
                created_at=datetime.now(UTC),
            )
            for t in texts
        ]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def queue_card(settings, recipient: str) -> list[int]:
    from bot.models import CardReply
    from cards.ids import new_task_id
    from handlers.help import help_card

    card = help_card()
    card = card.model_copy(update={"task_id": new_task_id(card.flow, datetime.now(UTC))})
    reply = CardReply(card=card)
    with session_scope(get_engine(settings.database_url)) as s:
        row = Outbox(
            platform="wecom",
            recipient=recipient,
            kind=reply.kind,
            payload=reply.model_dump(mode="json"),
            task_id=card.task_id,
            status="pending",
            created_at=datetime.now(UTC),
        )
        s.add(row)
        s.flush()
        return [row.id]


def rows(settings) -> list[Outbox]:
    with session_scope(get_engine(settings.database_url)) as s:
        return list(s.scalars(select(Outbox).order_by(Outbox.id)))


def delivered_texts(fake, user: str) -> list[str]:
    return [e["content"] for e in fake.inbox(user) if e.get("msgtype") == "text"]


def test_token_is_fetched_once_and_shared(server, fake) -> None:
    ids = queue_texts(server.settings, "wangxh", ["一", "二", "三"])
    assert deliver(ids) == {"delivered": 3}
    assert int(fake.redis.get("sim:wecom:stats:gettoken")) == 1
    assert delivered_texts(fake, "wangxh") == ["一", "二", "三"]


def test_expired_token_is_refreshed_once(server, fake) -> None:
    deliver(queue_texts(server.settings, "wangxh", ["先发一条"]))
    fake.expire_tokens()  # WeCom answers 42001 to the cached token now
    assert deliver(queue_texts(server.settings, "wangxh", ["再发一条"])) == {"delivered": 1}
    assert int(fake.redis.get("sim:wecom:stats:gettoken")) == 2
    assert delivered_texts(fake, "wangxh") == ["先发一条", "再发一条"]


def test_5xx_and_system_busy_are_retried_quickly(server, fake) -> None:
    fake.set_fault("send", 1, http_status=502)
    fake.set_fault("any", 1, errcode=-1)
    assert deliver(queue_texts(server.settings, "wangxh", ["稍后到达"])) == {"delivered": 1}
    assert delivered_texts(fake, "wangxh") == ["稍后到达"]


def test_rate_limit_defers_the_message_then_it_arrives_once(server, fake, work) -> None:
    fake.set_fault("send", 1, errcode=45009)
    ids = queue_texts(server.settings, "wangxh", ["限流之后"])
    assert deliver(ids) == {"retry": 1}
    row = rows(server.settings)[0]
    assert row.status == "pending" and row.not_before is not None and "45009" in (row.last_error or "")
    assert delivered_texts(fake, "wangxh") == []
    work(scheduled=True)  # the minute has passed
    assert delivered_texts(fake, "wangxh") == ["限流之后"]
    assert rows(server.settings)[0].status == "delivered"


def test_untrusted_ip_is_a_permanent_failure_with_the_fix_in_the_reason(server, fake) -> None:
    fake.set_fault("send", 1, errcode=60020)
    assert deliver(queue_texts(server.settings, "wangxh", ["x"])) == {"failed": 1}
    row = rows(server.settings)[0]
    assert row.status == "failed" and "企业可信IP" in (row.last_error or "") and "60020" in (row.last_error or "")


def test_wrong_secret_is_a_configuration_failure(server, fake, make_settings) -> None:
    settings = make_settings(WECOM_SECRET="wrong", WECOM_API_BASE=server.settings.wecom_api_base)
    assert deliver(queue_texts(settings, "wangxh", ["x"])) == {"failed": 1}
    assert "CADREBOT_WECOM_SECRET" in (rows(settings)[0].last_error or "")


def test_timeouts_are_retried_later_not_lost(server, fake, work, monkeypatch) -> None:
    monkeypatch.setenv("CADREBOT_HTTP_TIMEOUT_SECONDS", "0.3")
    from bot.config import reset_settings_cache

    reset_settings_cache()
    WeComSender._shared.clear()
    fake.set_fault("send", 3, delay=1.0)  # three slow answers: the quick retries all time out
    assert deliver(queue_texts(server.settings, "wangxh", ["慢一点也要到"])) == {"retry": 1}
    # "WeCom" finishes the three slow requests (one delivered, two dropped as repeats) before the retry
    deadline = time.monotonic() + 10
    while len(fake.sent()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    work(scheduled=True)
    texts = delivered_texts(fake, "wangxh")
    # a timed-out request may still have been delivered by "WeCom": duplicate check keeps it to one
    assert texts == ["慢一点也要到"]


def test_long_text_is_split_within_2048_bytes(server, fake) -> None:
    text = "\n".join(f"第{i}条：村级活动阵地提升工作已经完成，台账已上传。" for i in range(120))
    assert len(text.encode()) > 2048 * 3
    deliver(queue_texts(server.settings, "wangxh", [text]))
    parts = [e for e in fake.inbox("wangxh")]
    assert len(parts) >= 4
    assert all(len(p["content"].encode()) <= 2048 and not p.get("truncated") for p in parts)
    assert "\n".join(p["content"] for p in parts) == text
    assert rows(server.settings)[0].parts_sent == len(parts)


def test_no_person_gets_more_than_30_a_minute(server, fake, redis) -> None:
    ids = queue_texts(server.settings, "wangxh", [f"提醒{i}" for i in range(35)])
    tally = deliver(ids)
    assert tally == {"delivered": 30, "paced": 1, "held": 4}  # the rest wait behind the paced one, in order
    got = delivered_texts(fake, "wangxh")
    assert got == [f"提醒{i}" for i in range(30)]  # in order, none dropped by WeCom's limit
    statuses = [r.status for r in rows(server.settings)]
    assert statuses.count("delivered") == 30 and statuses.count("pending") == 5
    assert not [e for e in fake.sent() if e.get("status") == "dropped_rate_limit"]
    # a minute later (for our pacer and for WeCom's own limit) the rest go out
    redis_client(server.settings.redis_url).delete("cadrebot:pace:wecom:wangxh", "sim:wecom:rate:wangxh")
    from conftest import drain

    drain(server.settings, scheduled=True)
    assert delivered_texts(fake, "wangxh") == [f"提醒{i}" for i in range(35)]
    assert not [e for e in fake.sent() if e.get("status") == "dropped_rate_limit"]


def test_delivering_twice_sends_once(server, fake) -> None:
    ids = queue_texts(server.settings, "wangxh", ["只一次"])
    deliver(ids)
    assert deliver(ids) == {"skipped": 1}
    assert delivered_texts(fake, "wangxh") == ["只一次"]


def test_recipient_outside_the_visible_range(server, fake) -> None:
    assert deliver(queue_texts(server.settings, "nobody-here", ["x"])) == {"failed": 1}
    assert "81013" in (rows(server.settings)[0].last_error or "")


def test_a_token_wecom_no_longer_knows_is_replaced(server, fake) -> None:
    client = WeComSender.shared(server.settings).client
    fake.redis.set(client.token_key, "revoked-token", ex=3600)  # 40014 invalid access_token
    assert deliver(queue_texts(server.settings, "wangxh", ["换了令牌"])) == {"delivered": 1}
    assert fake.redis.get(client.token_key).decode() != "revoked-token"


def test_one_refresh_for_many_concurrent_senders(server, fake) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from bot.platforms.wecom.client import WeComClient

    fake.set_fault("gettoken", 1, delay=0.5)  # a slow gettoken makes the stampede likely
    clients = [
        WeComClient(
            corp_id=server.settings.wecom_corp_id,
            agent_id=server.settings.wecom_agent_id,
            secret=server.settings.wecom_secret.get_secret_value(),
            api_base=server.settings.wecom_api_base,
            redis=redis_client(server.settings.redis_url),
        )
        for _ in range(12)
    ]
    with ThreadPoolExecutor(12) as pool:
        tokens = list(pool.map(lambda c: c.token(), clients))
    assert len(set(tokens)) == 1
    assert int(fake.redis.get("sim:wecom:stats:gettoken")) == 1


def test_notice_goes_out_as_a_textcard(server, fake) -> None:
    from bot.models import NoticeReply

    with session_scope(get_engine(server.settings.database_url)) as s:
        row = Outbox(
            platform="wecom",
            recipient="wangxh",
            kind="notice",
            status="pending",
            created_at=datetime.now(UTC),
            payload=NoticeReply(
                title="通知", text="明天上午9点到村委会开会 & 带上笔记本\n" + "请准时" * 200
            ).model_dump(),
        )
        s.add(row)
        s.flush()
        ids = [row.id]
    assert deliver(ids) == {"delivered": 1}
    card = fake.inbox("wangxh")[0]["textcard"]
    assert card["title"] == "通知" and card["btntxt"] == "详情"
    assert card["description"].startswith('<div class="normal">明天上午9点到村委会开会 &amp; 带上笔记本<br>')
    assert len(card["description"].encode()) <= 512
    assert card["url"] == server.settings.public_url


def test_a_card_whose_send_timed_out_but_arrived_is_not_sent_twice(server, fake, work, monkeypatch) -> None:
    """The slow first request reaches "WeCom" and takes the task id; the quick re-send is told 42014 — which
    means the card is there, not that it failed."""
    monkeypatch.setenv("CADREBOT_HTTP_TIMEOUT_SECONDS", "0.3")
    from bot.config import reset_settings_cache

    reset_settings_cache()
    import bot.platforms.wecom.client as client_module

    original = client_module.WeComClient.__init__

    def slower_retry(self, *args, **kwargs):
        original(self, *args, **{**kwargs, "backoff": 0.4})  # the re-send goes after the slow one landed

    monkeypatch.setattr(client_module.WeComClient, "__init__", slower_retry)
    WeComSender._shared.clear()
    fake.set_fault("send", 1, delay=0.4)  # the first request times out (0.3 s) but is accepted at 0.4 s
    ids = queue_card(server.settings, "wangxh")
    assert deliver(ids) == {"delivered": 1}
    assert rows(server.settings)[0].status == "delivered"
    cards = [e for e in fake.inbox("wangxh") if e.get("msgtype") == "template_card"]
    assert len(cards) == 1


def test_the_fakes_own_limit_survives_a_redis_restart(server, fake, redis) -> None:
    """The fake drops a member's 31st message in a minute, also once Redis has forgotten its scripts."""
    redis_client(server.settings.redis_url).script_flush()
    assert fake._within_rate(["wangxh"] * 31) == [True] * 30 + [False]
    redis_client(server.settings.redis_url).script_flush()
    assert fake._within_rate(["wangxh", "zhangwei"]) == [False, True]
