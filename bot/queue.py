"""Redis connections and the RQ queues.

Three queues, in the order workers take them: inbound (what people said), outbound (deliveries) and
background (sweeps, summaries). An inbound job's id is derived from the message's dedup key and enqueued
with RQ's atomic `unique` check, so a redelivered callback finds its job already there and is dropped —
across API replicas, because the check happens in Redis.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from threading import Lock

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

from bot.config import Settings
from bot.models import Inbound

_clients: dict[str, Redis] = {}
_lock = Lock()

INBOUND_RETRY = Retry(max=3, interval=[5, 30, 120])
FAILED_TTL = 14 * 24 * 3600


class QueueUnavailable(Exception):
    """Redis could not take the job: the caller must not acknowledge the callback."""


def redis_client(url: str) -> Redis:
    """One pooled client per URL per process. Short timeouts: a webhook must answer 503 fast."""
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = Redis.from_url(
                url, socket_connect_timeout=1.0, socket_timeout=3.0, health_check_interval=30
            )
        return client


def reset_clients() -> None:
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def queue_names(settings: Settings) -> list[str]:
    base = settings.queue_name
    return [f"{base}-inbound", f"{base}-outbound", f"{base}-background"]


def queues(settings: Settings, connection: Redis | None = None) -> list[Queue]:
    conn = connection or redis_client(settings.redis_url)
    return [Queue(name, connection=conn) for name in queue_names(settings)]


def inbound_queue(settings: Settings) -> Queue:
    return queues(settings)[0]


def outbound_queue(settings: Settings) -> Queue:
    return queues(settings)[1]


def background_queue(settings: Settings) -> Queue:
    return queues(settings)[2]


def inbound_job_id(inbound: Inbound) -> str:
    return "in-" + hashlib.sha256(inbound.dedup_key.encode()).hexdigest()[:40]


def enqueue_inbound(settings: Settings, inbound: Inbound) -> bool:
    """Queue a message for the dispatcher. True if queued now, False if it was already queued.

    Raises QueueUnavailable when Redis cannot take it (the webhook then answers 503 and WeCom retries).
    """
    try:
        inbound_queue(settings).enqueue(
            "bot.dispatch.handle_inbound",
            inbound.model_dump(mode="json"),
            job_id=inbound_job_id(inbound),
            unique=True,
            result_ttl=settings.dedup_ttl_seconds,
            failure_ttl=FAILED_TTL,
            job_timeout=120,
            retry=INBOUND_RETRY,
            description=f"{inbound.platform} {inbound.kind} from {inbound.sender}",
        )
    except DuplicateJobError:
        return False
    except RedisError as exc:
        raise QueueUnavailable(str(exc)) from exc
    return True


def enqueue_delivery(settings: Settings, outbox_ids: list[int], delay: float | None = None) -> None:
    """Queue delivery of outbox rows, in order. Idempotent: delivering a delivered row does nothing."""
    if not outbox_ids:
        return
    q = outbound_queue(settings)
    kwargs = {"job_timeout": 300, "result_ttl": 3600, "failure_ttl": FAILED_TTL}
    if delay and delay > 0:
        q.enqueue_in(timedelta(seconds=delay), "bot.delivery.deliver", outbox_ids, **kwargs)
    else:
        q.enqueue("bot.delivery.deliver", outbox_ids, **kwargs)
