"""The RQ job that sends outbox rows, in order, at least once and — with the platform's own duplicate
check and the parts counter — shown once.

A row is claimed by a conditional UPDATE (pending → sending), so two workers never send the same row at
the same time. Outcomes: delivered; pending again with `not_before` (paced, or a transient error, with
backoff); failed with a reason (permanent, or out of attempts). Rows left in `sending` by a killed
worker are returned to pending by the sweeper.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta

from pydantic import TypeAdapter
from sqlalchemy import or_, update

from bot import metrics
from bot.config import Settings, get_settings
from bot.models import Reply
from bot.pacing import Paced, Pacer
from bot.platforms import sender_for
from bot.platforms.base import OutboundMessage, Permanent, RetryLater
from bot.queue import enqueue_delivery, redis_client
from bot.store.db import get_engine, session_scope
from bot.store.tables import CardRecord, Outbox

log = logging.getLogger("cadrebot.delivery")
REPLY = TypeAdapter(Reply)


def backoff(attempts: int) -> float:
    """Seconds before attempt n+1: 10 s, 20 s, 40 s … capped at 30 minutes, with jitter."""
    return min(10 * 2 ** max(attempts - 1, 0), 1800) * random.uniform(0.8, 1.2)


def deliver(outbox_ids: list[int]) -> dict[str, int]:
    """RQ entry point: deliver these rows in order; a paced row defers itself and those after it."""
    settings = get_settings()
    tally: dict[str, int] = {}
    for position, outbox_id in enumerate(outbox_ids):
        outcome, delay = deliver_one(settings, outbox_id)
        tally[outcome] = tally.get(outcome, 0) + 1
        if outcome == "paced":
            enqueue_delivery(settings, outbox_ids[position:], delay=delay)
            break
    return tally


def _claim(settings: Settings, outbox_id: int, now: datetime) -> Outbox | None:
    engine = get_engine(settings.database_url)
    with session_scope(engine) as s:
        claimed = s.execute(
            update(Outbox)
            .where(
                Outbox.id == outbox_id,
                Outbox.status == "pending",
                or_(Outbox.not_before.is_(None), Outbox.not_before <= now),
            )
            .values(status="sending", attempts=Outbox.attempts + 1, updated_at=now)
        ).rowcount
        if not claimed:
            return None
        return s.get(Outbox, outbox_id)


def _save(settings: Settings, outbox_id: int, **values: object) -> None:
    with session_scope(get_engine(settings.database_url)) as s:
        s.execute(update(Outbox).where(Outbox.id == outbox_id).values(updated_at=datetime.now(UTC), **values))


def deliver_one(settings: Settings, outbox_id: int) -> tuple[str, float]:
    """Returns (outcome, delay): delivered, skipped, paced, retry or failed."""
    now = datetime.now(UTC)
    row = _claim(settings, outbox_id, now)
    if row is None:
        return "skipped", 0.0

    pacer = Pacer(redis_client(settings.redis_url), settings.per_user_per_minute)
    message = OutboundMessage(
        outbox_id=row.id,
        recipient=row.recipient,
        reply=REPLY.validate_python(row.payload),
        parts_sent=row.parts_sent,
        attempt=row.attempts,
        recipients=row.recipients,
    )

    def progress(parts: int) -> None:
        _save(settings, row.id, parts_sent=parts)

    def pace() -> None:
        if row.recipients is None:  # a batch adds one message per member: far inside the per-member limit
            pacer.acquire(row.platform, row.recipient)

    try:
        result = sender_for(row.platform, settings).send(message, progress, pace)
    except Paced as exc:
        # Pacing is not a failed attempt: give the attempt back.
        _save(
            settings, row.id, status="pending", attempts=row.attempts - 1, not_before=now + timedelta(seconds=exc.delay)
        )
        metrics.DELIVERIES.labels(platform=row.platform, result="paced").inc()
        return "paced", exc.delay
    except RetryLater as exc:
        if row.attempts >= settings.max_delivery_attempts:
            return _fail(settings, row, f"{exc} (after {row.attempts} attempts)")
        delay = max(exc.delay, backoff(row.attempts))
        _save(settings, row.id, status="pending", last_error=str(exc)[:1000], not_before=now + timedelta(seconds=delay))
        enqueue_delivery(settings, [row.id], delay=delay)
        metrics.DELIVERIES.labels(platform=row.platform, result="retry").inc()
        log.warning("delivery will be retried", extra={"outbox_id": row.id, "error": str(exc), "delay": round(delay)})
        return "retry", delay
    except Permanent as exc:
        return _fail(settings, row, str(exc))
    except Exception as exc:  # a bug or an unexpected answer: retry with backoff, up to the limit
        log.exception("unexpected delivery error", extra={"outbox_id": row.id})
        if row.attempts >= settings.max_delivery_attempts:
            return _fail(settings, row, f"{type(exc).__name__}: {exc}")
        delay = backoff(row.attempts)
        _save(
            settings,
            row.id,
            status="pending",
            last_error=f"{type(exc).__name__}: {exc}"[:1000],
            not_before=now + timedelta(seconds=delay),
        )
        enqueue_delivery(settings, [row.id], delay=delay)
        return "retry", delay

    with session_scope(get_engine(settings.database_url)) as s:
        s.execute(
            update(Outbox)
            .where(Outbox.id == row.id)
            .values(
                status="delivered",
                delivered_at=datetime.now(UTC),
                platform_msgid=result.msgid,
                failed_recipients=result.failed or None,
                last_error=f"未送达: {', '.join(result.failed)}"[:1000] if result.failed else None,
                updated_at=datetime.now(UTC),
            )
        )
        if result.response_code and row.task_id:
            s.execute(
                update(CardRecord).where(CardRecord.task_id == row.task_id).values(response_code=result.response_code)
            )
    metrics.DELIVERIES.labels(platform=row.platform, result="delivered").inc()
    return "delivered", 0.0


def _fail(settings: Settings, row: Outbox, reason: str) -> tuple[str, float]:
    _save(settings, row.id, status="failed", last_error=reason[:1000])
    metrics.DELIVERIES.labels(platform=row.platform, result="failed").inc()
    log.error("delivery failed for good", extra={"outbox_id": row.id, "reason": reason})
    return "failed", 0.0
