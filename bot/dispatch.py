"""The RQ job that handles one inbound message, exactly once.

One transaction: the inbound log row (unique per dedup key, so a redelivery that slipped past Redis —
after a Redis restart, say — stops here), who is speaking, the handler's own rows, and its replies as
outbox rows. Only after the commit are deliveries queued; if that fails, the outbox sweeper picks the
rows up, so nothing is lost. What the answer is — routing, the tapped card, the handler — is
bot/respond.py's `respond`; this module is the job around it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload

from bot import metrics, outbox
from bot.config import Settings, get_settings
from bot.delivery import Claimed, claimed, deliver, send_claimed
from bot.formstore import FormStore
from bot.models import Actor, Inbound, Outgoing, TextReply
from bot.queue import DELIVERY_CHUNK, enqueue_delivery, redis_client
from bot.respond import (  # noqa: F401 - the card texts, NEVER_CLARIFY and policy() are also read from here
    CARD_DONE,
    CARD_GONE,
    CARD_NOT_YOURS,
    CARD_STALE,
    NEVER_CLARIFY,
    context_for,
    policy,
    respond,
)
from bot.roles import Role
from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, InboundLog, Outbox, Person, PersonRole

log = logging.getLogger("cadrebot.dispatch")

STRANGER_REPLY = "您好，您还不在村务助手的名册中，暂时无法使用。已通知管理员为您开通，请稍候。"
FAILURE_REPLY = "抱歉，处理您的消息时出了问题，已记录。请稍后再试，或联系管理员。"


def dedup_hash(inbound: Inbound) -> str:
    return hashlib.sha256(inbound.dedup_key.encode()).hexdigest()


# -- people -------------------------------------------------------------------------------------------


def find_person(session: Session, platform: str, user: str) -> Person | None:
    column = Person.wecom_userid if platform == "wecom" else Person.dingtalk_userid
    key = user.lower() if platform == "wecom" else user
    # the person with their org and roles in one query: every message needs all three
    found = session.scalars(
        select(Person).options(joinedload(Person.org), joinedload(Person.role_rows)).where(column == key)
    )
    return found.unique().one_or_none()


def actor_of(person: Person, platform: str, user: str) -> Actor:
    return Actor(
        person_id=person.id,
        name=person.name,
        roles=person.roles,
        org_id=person.org_id,
        org_path=person.org.path,
        platform=platform,
        platform_user=user,
    )


# -- the job ------------------------------------------------------------------------------------------


def handle_inbound(payload: dict) -> str:
    """RQ entry point. Returns what happened: processed, duplicate, stranger or failed.

    One job and two transactions for a message: the first writes everything and claims the replies for
    this job, the second records how their sending went. If the worker dies after the first, the job runs
    again (bot/leases.py), finds its inbound row, and sends what it had claimed and not finished."""
    settings = get_settings()
    inbound = Inbound.model_validate(payload)
    engine = get_engine(settings.database_url)
    key = dedup_hash(inbound)
    claimer = job_claimer(key)

    try:
        with session_scope(engine) as s:
            status, outbox_ids, now_rows = process(s, settings, inbound, key, claimer)
    except IntegrityError:
        with session_scope(engine) as s:
            existing = s.scalar(select(InboundLog.id).where(InboundLog.dedup_hash == key))
            waiting = unfinished(s, existing) if existing is not None else None
        if waiting is not None:
            metrics.DISPATCHED.labels(status="duplicate").inc()
            finish_earlier(settings, waiting, claimer)
            return "duplicate"
        status, outbox_ids = record_failure(settings, inbound, key, "integrity error")
        now_rows = []
    except (OperationalError, RedisError):
        raise  # transient: RQ retries the job, and nothing was committed
    except Exception as exc:
        log.exception("handler failed", extra={"sender": inbound.sender, "kind": inbound.kind.value})
        status, outbox_ids = record_failure(settings, inbound, key, f"{type(exc).__name__}: {exc}")
        now_rows = []

    metrics.DISPATCHED.labels(status=status).inc()
    send_now(settings, now_rows)
    try:
        queue_deliveries(settings, outbox_ids)
    except RedisError:
        log.warning("could not queue delivery now; the sweeper will", extra={"outbox": outbox_ids})
    return status


def give_up(payload: dict) -> str:
    """RQ entry point for a message whose job killed its worker again and again (bot/leases.py): recorded as
    failed, with an apology, unless its transaction had committed (then its replies are already on the way)."""
    settings = get_settings()
    inbound = Inbound.model_validate(payload)
    key = dedup_hash(inbound)
    with session_scope(get_engine(settings.database_url)) as s:
        if s.scalar(select(InboundLog.id).where(InboundLog.dedup_hash == key)) is not None:
            return "duplicate"
    try:
        _, outbox_ids = record_failure(settings, inbound, key, "abandoned: its job stopped the worker repeatedly")
    except IntegrityError:
        return "duplicate"
    metrics.DISPATCHED.labels(status="failed").inc()
    queue_deliveries(settings, outbox_ids)
    return "failed"


def warm_up(settings: Settings) -> None:
    """Before a worker's first job: the understanding's tables and the knowledge index, built now so that the
    first person to write does not wait a second or two for them."""
    from handlers.ask import knowledge_for
    from handlers.nlu import understand

    try:
        understand("今天巡查3组，发现一处垃圾，已处理")
        with session_scope(get_engine(settings.database_url)) as s:
            knowledge_for(s, policy(settings))
    except Exception:  # a database not migrated yet, a rules file being fixed: the first job will say so
        log.warning("warm-up incomplete; the first message will be slower", exc_info=True)


def job_claimer(key: str) -> str:
    """The message's job id (bot.queue.inbound_job_id): what its outbox claims are made in the name of."""
    return "in-" + key[:40]


def send_now(settings: Settings, rows: list[Claimed]) -> None:
    """The replies this job claimed, sent right after its commit. Whatever goes wrong, they are not lost:
    rows still `sending` go back to pending for the sweeper."""
    if not rows:
        return
    try:
        send_claimed(settings, rows, datetime.now(UTC))
    except Exception:
        log.exception("sending the replies failed; the sweeper will", extra={"outbox": [r.id for r in rows]})
        with contextlib.suppress(Exception), session_scope(get_engine(settings.database_url)) as s:
            s.execute(
                update(Outbox)
                .where(Outbox.id.in_([r.id for r in rows]), Outbox.status == "sending")
                .values(status="pending", claimed_by=None, updated_at=datetime.now(UTC) - timedelta(minutes=5))
            )


@dataclass
class Unfinished:
    pending: list[int]  # due or not: queued as they are due
    mine: list[int]  # claimed by this message's job, whose worker died while sending them


def unfinished(session: Session, inbound_id: int) -> Unfinished:
    rows = session.execute(
        select(Outbox.id, Outbox.status, Outbox.claimed_by)
        .where(Outbox.inbound_id == inbound_id, Outbox.status.in_(("pending", "sending")))
        .order_by(Outbox.id)
    ).all()
    return Unfinished(
        pending=[r.id for r in rows if r.status == "pending"], mine=[r.id for r in rows if r.status == "sending"]
    )


def finish_earlier(settings: Settings, waiting: Unfinished, claimer: str) -> None:
    """A message seen before: this job again after its worker died, or a redelivery that slipped past Redis
    (after a Redis restart). Its replies that never went are sent: those claimed by this job (its earlier run
    died sending them) now, the pending ones queued. Rows claimed by another job are left to it."""
    if waiting.mine:
        deliver_inline(settings, waiting.mine, claimer)
    if waiting.pending:
        with contextlib.suppress(RedisError):
            enqueue_delivery(settings, waiting.pending)


def deliver_inline(settings: Settings, outbox_ids: list[int], claimer: str) -> None:
    try:
        deliver(outbox_ids, claimer=claimer)
    except Exception:
        log.exception("sending the replies failed; the sweeper will", extra={"outbox": outbox_ids})


def queue_deliveries(settings: Settings, outbox_ids: list[int]) -> None:
    """Now, or — for replies held back (a notice written in quiet hours) — when they may go."""
    if not outbox_ids:
        return
    with session_scope(get_engine(settings.database_url)) as s:
        rows = s.execute(
            select(Outbox.id, Outbox.not_before).where(Outbox.id.in_(outbox_ids), Outbox.not_before.is_not(None))
        )
        held = {outbox_id: when for outbox_id, when in rows if when is not None}  # restates is_not(None) for mypy
    now = datetime.now(UTC)
    ready = [i for i in outbox_ids if i not in held or held[i] <= now]
    for start in range(0, len(ready), DELIVERY_CHUNK):  # several jobs: several workers share a big fan-out
        enqueue_delivery(settings, ready[start : start + DELIVERY_CHUNK])
    for outbox_id, when in held.items():
        if when > now:
            enqueue_delivery(settings, [outbox_id], delay=(when - now).total_seconds())


def clock() -> datetime:
    """The time the handlers see; one place, so tests can set it."""
    return datetime.now(UTC)


def process(
    session: Session, settings: Settings, inbound: Inbound, key: str, claimer: str | None = None
) -> tuple[str, list[int], list[Claimed]]:
    """The message's rows, in the caller's transaction. Returns the status, the outbox rows to queue, and
    the replies claimed for `claimer` to send right after the commit."""
    now = clock()
    person = find_person(session, inbound.platform, inbound.sender)
    known = person is not None and person.active
    entry = InboundLog(
        platform=inbound.platform,
        dedup_hash=key,
        message_id=inbound.message_id[:128],
        sender=inbound.sender[:64],
        person_id=person.id if person is not None and known else None,
        kind=inbound.kind.value,
        text=inbound.text,
        payload=inbound.model_dump(mode="json"),
        sent_at=inbound.created_at,
        received_at=now,
        status="processed" if known else "stranger",
    )
    session.add(entry)
    session.flush()  # a concurrent duplicate fails here, before any work

    if person is None or not known:
        return ("stranger", *claim_replies(stranger(session, settings, inbound, entry, now, claimer), claimer))

    store = form_store(settings)
    desk, before = store.load(person.id, key, now)
    ctx = context_for(settings, session, actor_of(person, inbound.platform, inbound.sender), inbound, now, desk)
    out = respond(ctx)
    entry.intent = ctx.intent
    rows = outbox.write_rows(
        session,
        out,
        now,
        inbound=inbound,
        inbound_id=entry.id,
        sender=person,
        batch_limit=settings.broadcast_batch,
        claim_for=claimer,
        claim_limit=DELIVERY_CHUNK,
    )
    if desk.changed:
        session.flush()  # SQL problems surface before the drafts are written
        store.save(person.id, desk, key, before)
    return ("processed", *claim_replies(rows, claimer))


def claim_replies(rows: list[Outbox], claimer: str | None) -> tuple[list[int], list[Claimed]]:
    """The rows written claimed for this job (outbox.write_rows) and the rest, which go through the queue (a
    broadcast's batches, replies held for later)."""
    mine = [r for r in rows if claimer is not None and r.status == "sending" and r.claimed_by == claimer]
    taken = {r.id for r in mine}
    return [r.id for r in rows if r.id not in taken], [claimed(r) for r in mine]


def form_store(settings: Settings) -> FormStore:
    return FormStore(redis_client(settings.redis_url), settings.form_ttl_hours * 3600)


def stranger(
    session: Session, settings: Settings, inbound: Inbound, entry: InboundLog, now: datetime, claimer: str | None
) -> list[Outbox]:
    """Someone not on the roster: a polite answer, and the administrators told once a day at most."""
    out = [Outgoing(reply=TextReply(text=STRANGER_REPLY))]
    since = now - timedelta(seconds=settings.stranger_notice_seconds)
    told_recently = session.scalar(
        select(func.count())
        .select_from(InboundLog)
        .where(
            InboundLog.sender == entry.sender,
            InboundLog.status == "stranger",
            InboundLog.received_at >= since,
            InboundLog.id != entry.id,
        )
    )
    if not told_recently:
        account = "企业微信" if inbound.platform == "wecom" else "钉钉"
        notice = (
            f"有未登记的人员（{account}账号 {inbound.sender}）给村务助手发了消息。如需开通，请把他加入名册后重新导入。"
        )
        admins = session.scalars(
            select(Person)
            .join(PersonRole)
            .where(PersonRole.role == Role.ADMIN.value, Person.active.is_(True))
            .order_by(Person.id)
        ).all()
        out += [Outgoing(reply=TextReply(text=notice), person_id=a.id) for a in admins]
        session.add(
            AuditLog(
                actor="system",
                action="stranger.message",
                target=f"{inbound.platform}:{inbound.sender}",
                detail={"admins_told": len(admins)},
            )
        )
    return outbox.write_rows(
        session, out, now, inbound=inbound, inbound_id=entry.id, claim_for=claimer, claim_limit=DELIVERY_CHUNK
    )


def record_failure(settings: Settings, inbound: Inbound, key: str, error: str) -> tuple[str, list[int]]:
    """The handler broke: keep the message, mark it failed, and apologise instead of staying silent."""
    engine = get_engine(settings.database_url)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        person = find_person(s, inbound.platform, inbound.sender)
        entry = InboundLog(
            platform=inbound.platform,
            dedup_hash=key,
            message_id=inbound.message_id[:128],
            sender=inbound.sender[:64],
            person_id=person.id if person else None,
            kind=inbound.kind.value,
            text=inbound.text,
            payload=inbound.model_dump(mode="json"),
            status="failed",
            error=error[:2000],
            sent_at=inbound.created_at,
            received_at=now,
        )
        s.add(entry)
        s.flush()
        ids = outbox.write(
            s, [Outgoing(reply=TextReply(text=FAILURE_REPLY))], now, inbound=inbound, inbound_id=entry.id, sender=person
        )
    return "failed", ids


def requeue_pending(settings: Settings, session: Session, inbound_id: int) -> None:
    """A redelivered message whose replies never got queued (Redis was down after the commit)."""
    ids = list(
        session.scalars(
            select(Outbox.id).where(Outbox.inbound_id == inbound_id, Outbox.status == "pending").order_by(Outbox.id)
        )
    )
    if ids:
        with contextlib.suppress(RedisError):
            enqueue_delivery(settings, ids)
