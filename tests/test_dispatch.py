"""The dispatcher's guarantees beyond Redis: once per message even after Redis forgets, no silence when a
handler breaks, and no reply lost when queuing the delivery fails; and its pure core, `respond`, which
routes a message to its handler (a tap to its card's flow, for the card's recipient) and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from bot.dispatch import handle_inbound
from bot.models import CardAction, CardReply, CardUpdate, Inbound, Kind, TextReply
from bot.platforms.wecom.wire import parse
from bot.respond import CARD_NOT_YOURS, context_for, respond
from bot.store.db import get_engine, session_scope
from bot.store.tables import InboundLog, Outbox
from scheduler.sweeper import sweep_outbox

pytestmark = pytest.mark.dated


def inbound_payload(factory, user: str = "wangxh", text: str = "帮助", msg_id: str = "1001") -> dict:
    inbound = parse(factory.text(user, text, msg_id=msg_id, create_time=1_800_000_000).encode())
    assert inbound is not None
    return inbound.model_dump(mode="json")


def counts(settings) -> tuple[int, int]:
    with session_scope(get_engine(settings.database_url)) as s:
        return (
            s.execute(select(func.count()).select_from(InboundLog)).scalar_one(),
            s.execute(select(func.count()).select_from(Outbox)).scalar_one(),
        )


def test_once_even_after_redis_lost_its_dedup_keys(server, factory, redis) -> None:
    payload = inbound_payload(factory)
    assert handle_inbound(payload) == "processed"
    redis.flushdb()  # Redis restarted without persistence: the unique job id is gone
    assert handle_inbound(payload) == "duplicate"
    assert counts(server.settings) == (1, 1)


def test_a_broken_handler_is_recorded_and_the_person_hears_back(server, factory, fake, work, monkeypatch) -> None:
    import handlers.registry

    real = handlers.registry.handler_for
    assert real("help") is not None  # 帮助 has a handler of its own, which is what breaks here

    def broken(ctx):
        ctx.reply("half an answer")
        raise RuntimeError("bug in the handler")

    monkeypatch.setattr(handlers.registry, "handler_for", lambda key: broken if key == "help" else real(key))
    assert handle_inbound(inbound_payload(factory)) == "failed"
    work()
    texts = [e["content"] for e in fake.inbox("wangxh")]
    assert texts == ["抱歉，处理您的消息时出了问题，已记录。请稍后再试，或联系管理员。"]  # not the half answer
    with session_scope(get_engine(server.settings.database_url)) as s:
        entry = s.scalar(select(InboundLog))
        assert entry is not None
        assert entry.status == "failed" and "bug in the handler" in entry.error and entry.text == "帮助"
        assert s.scalar(select(func.count()).select_from(Outbox)) == 1  # the apology only: the half answer rolled back


def test_transient_database_errors_are_left_to_rq_to_retry(server, factory, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    import bot.dispatch

    def flaky(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(bot.dispatch, "process", flaky)
    with pytest.raises(OperationalError):
        handle_inbound(inbound_payload(factory))
    assert counts(server.settings) == (0, 0)  # nothing half-written; the retry starts clean


def test_the_reply_goes_in_the_message_job_itself(server, factory, fake, monkeypatch) -> None:
    import bot.dispatch

    queued: list[list[int]] = []
    monkeypatch.setattr(bot.dispatch, "enqueue_delivery", lambda settings, ids, delay=None: queued.append(ids))
    assert handle_inbound(inbound_payload(factory)) == "processed"
    assert [e["msgtype"] for e in fake.inbox("wangxh")] == ["template_card"]  # no worker ran a delivery job
    assert queued == []
    with session_scope(get_engine(server.settings.database_url)) as s:
        row = s.scalar(select(Outbox))
        assert row is not None and row.status == "delivered" and row.attempts == 1


def test_a_worker_killed_after_the_commit_the_job_run_again_sends_the_reply_once(
    server, factory, fake, monkeypatch
) -> None:
    import bot.dispatch

    payload = inbound_payload(factory)
    monkeypatch.setattr(bot.dispatch, "send_now", lambda settings, rows: None)  # killed right after the commit
    assert handle_inbound(payload) == "processed"
    monkeypatch.undo()
    assert fake.inbox("wangxh") == []
    with session_scope(get_engine(server.settings.database_url)) as s:
        assert s.scalar(select(Outbox.status)) == "sending"
    assert handle_inbound(payload) == "duplicate"  # the same job, queued again when its lease ran out
    assert handle_inbound(payload) == "duplicate"
    assert [e["msgtype"] for e in fake.inbox("wangxh")] == ["template_card"]


def test_a_reply_claimed_by_another_job_is_left_to_it(server, factory, fake, monkeypatch) -> None:
    from sqlalchemy import update

    import bot.dispatch

    payload = inbound_payload(factory)
    monkeypatch.setattr(bot.dispatch, "send_now", lambda settings, rows: None)
    handle_inbound(payload)
    monkeypatch.undo()
    with session_scope(get_engine(server.settings.database_url)) as s:
        s.execute(update(Outbox).values(claimed_by="a-delivery-job-still-running"))
    assert handle_inbound(payload) == "duplicate"  # a redelivery that slipped past Redis
    assert fake.inbox("wangxh") == []


def test_a_failed_send_leaves_the_reply_for_a_redelivery_or_the_sweeper(
    server, factory, fake, work, monkeypatch
) -> None:
    import bot.dispatch

    def broken(*args, **kwargs):
        raise RuntimeError("bug in the sender")

    payload = inbound_payload(factory)
    monkeypatch.setattr(bot.dispatch, "send_claimed", broken)
    monkeypatch.setattr(bot.dispatch, "enqueue_delivery", lambda *a, **k: None)
    assert handle_inbound(payload) == "processed"
    monkeypatch.undo()
    assert fake.inbox("wangxh") == []
    with session_scope(get_engine(server.settings.database_url)) as s:
        assert s.scalar(select(Outbox.status)) == "pending"  # given back, not stuck in sending
    assert handle_inbound(payload) == "duplicate"  # a redelivery queues it
    work()
    assert len(fake.inbox("wangxh")) == 1
    assert sweep_outbox(now=datetime.now(UTC) + timedelta(minutes=10)) == {"requeued": 0, "unstuck": 0}


def test_sweeper_returns_rows_stuck_in_sending(server, factory, fake, work, monkeypatch) -> None:
    import bot.dispatch

    monkeypatch.setattr(bot.dispatch, "send_now", lambda settings, rows: None)  # the worker "dies", its job lost
    handle_inbound(inbound_payload(factory))
    monkeypatch.undo()
    assert sweep_outbox(now=datetime.now(UTC) + timedelta(minutes=1)) == {"requeued": 0, "unstuck": 0}
    assert sweep_outbox(now=datetime.now(UTC) + timedelta(minutes=10)) == {"requeued": 1, "unstuck": 1}
    work()
    assert len(fake.inbox("wangxh")) == 1
    assert sweep_outbox(now=datetime.now(UTC) + timedelta(minutes=20)) == {"requeued": 0, "unstuck": 0}


# -- the pure core: respond(ctx), without the job around it ---------------------------------------------


def context(db_url: str, session, user: str, inbound: Inbound):
    from bot.config import Settings
    from bot.dispatch import actor_of, find_person

    person = find_person(session, "wecom", user)
    assert person is not None
    settings = Settings(database_url=db_url)
    return context_for(
        settings, session, actor_of(person, "wecom", user), inbound, datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    )


def text_from(user: str, text: str) -> Inbound:
    when = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    return Inbound(
        platform="wecom",
        tenant="t",
        sender=user,
        message_id="1",
        dedup_key="k",
        created_at=when,
        kind=Kind.TEXT,
        text=text,
    )


def tap_from(user: str, task_id: str, key: str) -> Inbound:
    when = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    action = CardAction(task_id=task_id, key=key)
    return Inbound(
        platform="wecom",
        tenant="t",
        sender=user,
        message_id="2",
        dedup_key="k2",
        created_at=when,
        kind=Kind.CARD_ACTION,
        card_action=action,
    )


def test_respond_routes_a_text_to_its_handler_and_returns_the_replies(db_url: str, roster: None) -> None:
    with session_scope(get_engine(db_url)) as s:
        ctx = context(db_url, s, "wangxh", text_from("wangxh", "帮助"))
        out = respond(ctx)
        assert ctx.intent == "help" and out is ctx.out
        [reply] = out
        assert isinstance(reply.reply, CardReply) and reply.reply.card.flow == "help" and reply.person_id is None
        assert s.scalar(select(func.count()).select_from(Outbox)) == 0  # nothing written: that is the job's part


def test_respond_runs_the_tapped_cards_flow_for_its_recipient_only(db_url: str, roster: None) -> None:
    from bot import outbox
    from bot.dispatch import find_person

    with session_scope(get_engine(db_url)) as s:
        person = find_person(s, "wecom", "wangxh")
        [reply] = respond(context(db_url, s, "wangxh", text_from("wangxh", "帮助")))
        assert isinstance(reply.reply, CardReply)
        when = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
        outbox.write(s, [reply], when, inbound=text_from("wangxh", "帮助"), sender=person)  # the card record
        task_id = reply.reply.card.task_id
        assert task_id

        other = context(db_url, s, "zhangwei", tap_from("zhangwei", task_id, "help:patrol"))
        assert [o.reply for o in respond(other)] == [TextReply(text=CARD_NOT_YOURS)]
        assert other.intent == "card:help"

        mine = context(db_url, s, "wangxh", tap_from("wangxh", task_id, "help:patrol"))
        out = respond(mine)
        assert mine.intent == "card:help" and mine.tapped is not None and mine.tapped.task_id == task_id
        assert isinstance(out[0].reply, TextReply) and out[0].reply.text.startswith("网格巡查：")
        assert isinstance(out[1].reply, CardUpdate) and out[1].reply.card.task_id == task_id


def test_a_message_whose_job_kept_killing_workers_is_answered_with_an_apology(
    server, factory, fake, work, redis
) -> None:
    from rq import Queue

    from bot.dispatch import give_up
    from bot.leases import MAX_ABANDONS, lease_expired_jobs
    from bot.queue import enqueue_inbound, inbound_queue
    from bot.worker import LeasedWorker

    payload = inbound_payload(factory, text="本周巡查情况")
    assert enqueue_inbound(server.settings, Inbound.model_validate(payload)) is True
    queue = inbound_queue(server.settings)
    moved = []
    started = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)
    with time_machine.travel(started, tick=True):  # the leases are stamped on this clock
        for attempt in range(MAX_ABANDONS + 1):  # taken and started, then its worker dies, each time
            taken = Queue.dequeue_any([queue], None, connection=redis)
            assert taken is not None
            job = taken[0]
            worker = LeasedWorker([queue], connection=redis, name=f"dies-{attempt}")
            worker.prepare_execution(job)
            worker.prepare_job_execution(job)
            moved.append(lease_expired_jobs(redis, [queue], now=started.timestamp() + 3600))
    assert moved[-1] == {"requeued": 0, "failed": 1}
    assert queue.job_ids == [f"{job.id}-gave-up"]  # the handler is not run a fifth time: an apology is queued

    work()
    assert [e["content"] for e in fake.inbox("wangxh")] == [
        "抱歉，处理您的消息时出了问题，已记录。请稍后再试，或联系管理员。"
    ]
    with session_scope(get_engine(server.settings.database_url)) as s:
        entry = s.scalar(select(InboundLog))
        assert entry is not None and entry.status == "failed" and "abandoned" in (entry.error or "")
    assert give_up(payload) == "duplicate"  # once, however often it is asked
    assert counts(server.settings) == (1, 1)


def test_no_apology_for_a_message_whose_transaction_had_committed(server, factory) -> None:
    from bot.dispatch import give_up

    payload = inbound_payload(factory)
    assert handle_inbound(payload) == "processed"  # its worker died after this, three times, while sending
    assert give_up(payload) == "duplicate"
    assert counts(server.settings) == (1, 1)  # the reply it had; no apology on top
