"""The scheduler's jobs, run by RQ workers: plan what will be due, fire what is due, each fired reminder in its
own transaction with its outbox rows, then queue the deliveries. Any number of ticks may overlap: the
reminder rows' conditional claim keeps every push to one."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError

from bot.config import Settings, get_settings
from bot.queue import DELIVERY_CHUNK, enqueue_delivery
from bot.store.db import get_engine, session_scope
from knowledge.rules import rules_from
from scheduler.reminders import Clock, due_ids, fire_many, fire_one, plan

CHUNK = 100  # reminders fired per transaction in a fan-out

log = logging.getLogger("cadrebot.scheduler")


def plan_all(now: datetime | None = None, settings: Settings | None = None) -> int:
    settings = settings or get_settings()
    clock = Clock(now or datetime.now(UTC), ZoneInfo(settings.timezone))
    with session_scope(get_engine(settings.database_url)) as s:
        return plan(s, rules_from(settings.rules_file), clock)


def fire_due(now: datetime | None = None, settings: Settings | None = None, limit: int = 1000) -> dict[str, int]:
    settings = settings or get_settings()
    clock = Clock(now or datetime.now(UTC), ZoneInfo(settings.timezone))
    rules = rules_from(settings.rules_file)
    engine = get_engine(settings.database_url)
    with session_scope(engine) as s:
        ids = due_ids(s, clock.now, limit)
    sent = 0
    outbox_ids: list[int] = []
    for reminder_id in ids:
        with session_scope(engine) as s:
            made = fire_one(s, rules, clock, reminder_id, batch_limit=settings.broadcast_batch)
        if made:
            sent += 1
            outbox_ids += made
        if len(outbox_ids) >= 200:
            _queue(settings, outbox_ids)
            outbox_ids = []
    _queue(settings, outbox_ids)
    return {"due": len(ids), "sent": sent}


def _queue(settings: Settings, ids: list[int]) -> None:
    for start in range(0, len(ids), DELIVERY_CHUNK):
        try:
            enqueue_delivery(settings, ids[start : start + DELIVERY_CHUNK])
        except RedisError:
            log.warning("could not queue deliveries now; the outbox sweeper will", extra={"count": len(ids)})
            return


def tick(now: datetime | None = None) -> dict[str, int]:
    """Every minute: plan, then fire."""
    planned = plan_all(now)
    fired = fire_due(now)
    return {"planned": planned, **fired}


def fire_batch(reminder_ids: list[int], now_iso: str | None = None) -> dict[str, int]:
    """Fire a given set of due reminders (a big fan-out split across workers)."""
    settings = get_settings()
    clock = Clock(datetime.fromisoformat(now_iso) if now_iso else datetime.now(UTC), ZoneInfo(settings.timezone))
    rules = rules_from(settings.rules_file)
    engine = get_engine(settings.database_url)
    sent = 0
    for start in range(0, len(reminder_ids), CHUNK):
        with session_scope(engine) as s:
            made = fire_many(s, rules, clock, reminder_ids[start : start + CHUNK], batch_limit=settings.broadcast_batch)
        sent += len(made)
        _queue(settings, made)  # delivery starts while the next chunk is fired
    return {"sent": sent}
