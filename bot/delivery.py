"""The RQ job that sends outbox rows, at least once and — with the platform's own duplicate check and the
parts counter — shown once.

A job's rows are claimed together by one conditional UPDATE (pending → sending), so two workers never send
the same row at the same time; they are sent concurrently, one thread per recipient so each person's
messages keep their order; the outcomes are written in one transaction. Outcomes: delivered; pending again
with `not_before` (paced, or a transient error, with backoff); failed with a reason (permanent, or out of
attempts). Rows left in `sending` by a killed worker are returned to pending by the sweeper.
"""

from __future__ import annotations

import logging
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import TypeAdapter
from rq import get_current_job
from sqlalchemy import Table, and_, bindparam, or_, select, update

from bot import metrics
from bot.config import Settings, get_settings
from bot.models import Reply
from bot.pacing import Paced, Pacer
from bot.platforms import sender_for
from bot.platforms.base import OutboundMessage, Permanent, RetryLater, SendResult
from bot.queue import enqueue_delivery, redis_client
from bot.store.db import get_engine, session_scope
from bot.store.tables import CardRecord, Outbox

log = logging.getLogger("cadrebot.delivery")
REPLY = TypeAdapter(Reply)
THREADS = 8  # concurrent sends per job: the platform call is the slow part, and it is I/O


def backoff(attempts: int) -> float:
    """Seconds before attempt n+1: 10 s, 20 s, 40 s … capped at 30 minutes, with jitter."""
    return min(10 * 2 ** max(attempts - 1, 0), 1800) * random.uniform(0.8, 1.2)


@dataclass
class Outcome:
    kind: str  # delivered | paced | retry | failed | held (after a paced row of the same person)
    result: SendResult | None = None
    delay: float = 0.0
    error: str | None = None


@dataclass
class Claimed:
    id: int
    platform: str
    recipient: str
    recipients: list[str] | None
    payload: dict[str, object]
    parts_sent: int
    attempts: int
    task_id: str | None


def deliver(outbox_ids: list[int], claimer: str | None = None) -> dict[str, int]:
    """RQ entry point: deliver these rows; each person's rows in order, different people concurrently.

    A row is taken if it is pending and due, or if it is being sent by `claimer` (the current job, by
    default): the same job run again after its worker died takes back what it had claimed."""
    settings = get_settings()
    now = datetime.now(UTC)
    if claimer is None:
        job = get_current_job()
        claimer = job.id if job is not None else None
    rows = _claim(settings, outbox_ids, now, claimer)
    tally = send_claimed(settings, rows, now)
    skipped = len(outbox_ids) - len(rows)
    return {**({"skipped": skipped} if skipped else {}), **tally}


def send_claimed(settings: Settings, rows: list[Claimed], now: datetime) -> dict[str, int]:
    """Send rows already claimed (status sending), record the outcomes in one transaction, queue what must
    wait. The message job calls this for its own replies right after its commit."""
    groups: dict[tuple[str, str], list[Claimed]] = {}
    for row in rows:
        groups.setdefault((row.platform, row.recipient), []).append(row)
    outcomes: dict[int, Outcome] = {}
    pacer = Pacer(redis_client(settings.redis_url), settings.per_user_per_minute)
    # Each person's first message takes its pacing slot here, all in one Redis round trip.
    firsts = [group[0] for group in groups.values() if group[0].recipients is None]
    prepaid = pacer.acquire_many([(row.platform, row.recipient) for row in firsts]) if firsts else {}

    def run(group: list[Claimed]) -> None:
        for position, row in enumerate(group):
            wait = prepaid.get((row.platform, row.recipient)) if position == 0 else None
            outcome = _send(settings, row, pacer, wait)
            outcomes[row.id] = outcome
            if outcome.kind == "paced":  # the person's later rows wait with it, in order
                for later in group[position + 1 :]:
                    outcomes[later.id] = Outcome("held", delay=outcome.delay)
                return

    if len(groups) <= 1:
        for group in groups.values():
            run(group)
    else:
        with ThreadPoolExecutor(max_workers=min(THREADS, len(groups))) as pool:
            list(pool.map(run, groups.values()))
    if rows:
        _record(settings, rows, outcomes, now)
    tally: dict[str, int] = {}
    for outcome in outcomes.values():
        tally[outcome.kind] = tally.get(outcome.kind, 0) + 1
    return tally


def claimed(row: Outbox) -> Claimed:
    return Claimed(
        row.id, row.platform, row.recipient, row.recipients, row.payload, row.parts_sent, row.attempts, row.task_id
    )


def _claim(settings: Settings, outbox_ids: list[int], now: datetime, claimer: str | None) -> list[Claimed]:
    if not outbox_ids:
        return []
    takeable = and_(Outbox.status == "pending", or_(Outbox.not_before.is_(None), Outbox.not_before <= now))
    if claimer is not None:
        takeable = or_(takeable, and_(Outbox.status == "sending", Outbox.claimed_by == claimer))
    with session_scope(get_engine(settings.database_url)) as s:
        ids = set(
            s.scalars(
                update(Outbox)
                .where(Outbox.id.in_(outbox_ids), takeable)
                .values(status="sending", claimed_by=claimer, attempts=Outbox.attempts + 1, updated_at=now)
                .returning(Outbox.id)
            )
        )
        if not ids:
            return []
        found = {r.id: claimed(r) for r in s.scalars(select(Outbox).where(Outbox.id.in_(ids)))}
    return [found[i] for i in outbox_ids if i in found]  # the order the job was given


def _save(settings: Settings, outbox_id: int, **values: object) -> None:
    with session_scope(get_engine(settings.database_url)) as s:
        s.execute(update(Outbox).where(Outbox.id == outbox_id).values(updated_at=datetime.now(UTC), **values))


def _send(settings: Settings, row: Claimed, pacer: Pacer, prepaid: float | None = None) -> Outcome:
    """Send one row. `prepaid` is the result of taking its first pacing slot in advance (0: taken)."""
    message = OutboundMessage(
        outbox_id=row.id,
        recipient=row.recipient,
        reply=REPLY.validate_python(row.payload),
        parts_sent=row.parts_sent,
        attempt=row.attempts,
        recipients=row.recipients,
    )

    def progress(parts: int) -> None:
        if parts > 1 or row.parts_sent:  # a long text sent in parts resumes where it stopped
            _save(settings, row.id, parts_sent=parts)

    def pace() -> None:
        nonlocal prepaid
        if row.recipients is not None:  # a batch adds one message per member: far inside the per-member limit
            return
        if prepaid is None:
            pacer.acquire(row.platform, row.recipient)
            return
        wait, prepaid = prepaid, None
        if wait > 0:
            raise Paced(wait)

    try:
        return Outcome("delivered", result=sender_for(row.platform, settings).send(message, progress, pace))
    except Paced as exc:
        return Outcome("paced", delay=exc.delay)
    except RetryLater as exc:
        if row.attempts >= settings.max_delivery_attempts:
            return Outcome("failed", error=f"{exc} (after {row.attempts} attempts)")
        return Outcome("retry", delay=max(exc.delay, backoff(row.attempts)), error=str(exc))
    except Permanent as exc:
        return Outcome("failed", error=str(exc))
    except Exception as exc:  # a bug or an unexpected answer: retry with backoff, up to the limit
        log.exception("unexpected delivery error", extra={"outbox_id": row.id})
        if row.attempts >= settings.max_delivery_attempts:
            return Outcome("failed", error=f"{type(exc).__name__}: {exc}")
        return Outcome("retry", delay=backoff(row.attempts), error=f"{type(exc).__name__}: {exc}")


def _record(settings: Settings, rows: list[Claimed], outcomes: dict[int, Outcome], now: datetime) -> None:
    """All of a job's outcomes in one transaction, then the retries queued."""
    later: dict[float, list[int]] = {}
    delivered: list[dict[str, object]] = []
    codes: list[dict[str, str]] = []
    done = datetime.now(UTC)
    with session_scope(get_engine(settings.database_url)) as s:
        for row in rows:
            outcome = outcomes.get(row.id, Outcome("held"))
            if outcome.kind == "delivered":
                result = outcome.result or SendResult()
                delivered.append(
                    {
                        "id": row.id,
                        "status": "delivered",
                        "delivered_at": done,
                        "platform_msgid": result.msgid,
                        "failed_recipients": result.failed or None,
                        "last_error": f"未送达: {', '.join(result.failed)}"[:1000] if result.failed else None,
                        "updated_at": done,
                    }
                )
                if result.response_code and row.task_id:
                    codes.append({"card_task": row.task_id, "code": result.response_code})
            elif outcome.kind in ("paced", "held"):
                # pacing is not a failed attempt: give the attempt back
                s.execute(
                    update(Outbox)
                    .where(Outbox.id == row.id)
                    .values(
                        status="pending",
                        attempts=row.attempts - 1,
                        not_before=now + timedelta(seconds=outcome.delay),
                        updated_at=done,
                    )
                )
                later.setdefault(round(outcome.delay, 1), []).append(row.id)
            elif outcome.kind == "retry":
                s.execute(
                    update(Outbox)
                    .where(Outbox.id == row.id)
                    .values(
                        status="pending",
                        last_error=(outcome.error or "")[:1000],
                        not_before=now + timedelta(seconds=outcome.delay),
                        updated_at=done,
                    )
                )
                later.setdefault(round(outcome.delay, 1), []).append(row.id)
                log.warning(
                    "delivery will be retried",
                    extra={"outbox_id": row.id, "error": outcome.error, "delay": round(outcome.delay)},
                )
            else:
                s.execute(
                    update(Outbox)
                    .where(Outbox.id == row.id)
                    .values(status="failed", last_error=(outcome.error or "")[:1000], updated_at=done)
                )
                log.error("delivery failed for good", extra={"outbox_id": row.id, "reason": outcome.error})
            metrics.DELIVERIES.labels(platform=row.platform, result=outcome.kind).inc()
        if delivered:  # the common case, as one statement executed for many rows
            s.execute(update(Outbox), delivered)
        if codes:
            cards = CardRecord.__table__
            assert isinstance(cards, Table)  # a mapped class's table is typed as any FromClause
            s.execute(
                update(cards).where(cards.c.task_id == bindparam("card_task")).values(response_code=bindparam("code")),
                codes,
            )
    for delay, ids in later.items():
        enqueue_delivery(settings, ids, delay=delay)
