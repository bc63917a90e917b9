"""Queuing inbound messages: the job is the dedup marker, and the batcher answers each request only
when its batch is in Redis."""

from __future__ import annotations

import asyncio

import pytest
from redis import Redis

from bot.platforms.wecom.wire import parse
from bot.queue import InboundBatcher, QueueUnavailable, enqueue_inbound, enqueue_inbound_batch
from bot.sim.callbacks import CallbackFactory

from conftest import REDIS_URL


@pytest.fixture
def settings(make_settings, redis: Redis):
    return make_settings()


def message(factory: CallbackFactory, msg_id: str, user: str = "wangxh"):
    return parse(factory.text(user, "帮助", msg_id=msg_id, create_time=1_800_000_000).encode())


def test_a_redelivery_finds_its_job(settings, factory, redis) -> None:
    first = message(factory, "1")
    assert enqueue_inbound(settings, first) is True
    assert enqueue_inbound(settings, message(factory, "1")) is False
    assert enqueue_inbound(settings, message(factory, "1", user="zhangwei")) is True  # same MsgId, other sender
    assert redis.llen("rq:queue:cadrebot-test-inbound") == 2


def test_a_batch_with_the_same_message_twice(settings, factory, redis) -> None:
    batch = [message(factory, "7"), message(factory, "8"), message(factory, "7")]
    assert enqueue_inbound_batch(settings, batch) == [True, True, False]
    assert redis.llen("rq:queue:cadrebot-test-inbound") == 2


def test_the_job_is_rqs_own(settings, factory, redis) -> None:
    from rq import Queue
    from rq.job import Job, JobStatus

    assert enqueue_inbound_batch(settings, [message(factory, "21"), message(factory, "22")]) == [True, True]
    queue = Queue("cadrebot-test-inbound", connection=redis)
    assert queue.count == 2 and b"rq:queue:cadrebot-test-inbound" in redis.smembers("rq:queues")
    job = Job.fetch(queue.job_ids[0], connection=redis)
    assert job.func_name == "bot.dispatch.handle_inbound" and job.args[0]["text"] == "帮助"
    assert job.get_status() == JobStatus.QUEUED and job.origin == "cadrebot-test-inbound"
    assert job.retries_left == 3 and job.timeout == 30 and job.result_ttl == settings.dedup_ttl_seconds


def test_the_batcher_under_concurrent_requests(settings, factory, redis) -> None:
    messages = [message(factory, str(i)) for i in range(300)] + [message(factory, "5")] * 3

    async def burst() -> list[bool]:
        batcher = InboundBatcher(settings, max_batch=64)
        return await asyncio.gather(*(batcher.submit(m) for m in messages))

    results = asyncio.run(burst())
    assert results.count(True) == 300 and results.count(False) == 3
    assert redis.llen("rq:queue:cadrebot-test-inbound") == 300


def test_the_batcher_fails_every_request_of_a_batch_redis_refused(make_settings, factory) -> None:
    from conftest import free_port

    settings = make_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    async def burst() -> list[object]:
        batcher = InboundBatcher(settings)
        return await asyncio.gather(
            *(batcher.submit(message(factory, str(i))) for i in range(5)), return_exceptions=True
        )

    results = asyncio.run(burst())
    assert all(isinstance(r, QueueUnavailable) for r in results)
    assert REDIS_URL not in settings.redis_url


def test_the_stamped_template_gives_rqs_own_hash(settings, factory) -> None:
    from bot.queue import _inbound_job, _unique_job_args, inbound_queue, inbound_template

    inbound = message(factory, "31", user="zhangwei")
    template = inbound_template(settings, message(factory, "30"))  # built from another message
    rq_job = _inbound_job(inbound_queue(settings), settings, inbound)
    stamp = rq_job.to_dict()["enqueued_at"]
    rq_args = _unique_job_args(rq_job)
    key, stamped = template.args(inbound, stamp)

    assert key == rq_job.key
    assert stamped[:3] == rq_args[:3]  # job id, the "R" marker, the result TTL
    ours = dict(zip(stamped[3::2], stamped[4::2], strict=True))
    theirs = dict(zip(rq_args[3::2], rq_args[4::2], strict=True))
    theirs["created_at"] = stamp  # RQ stamps created_at a moment before enqueued_at
    assert ours == theirs
    assert ours["description"] == "wecom text from zhangwei"
