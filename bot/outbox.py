"""Writing replies to the outbox, in the caller's transaction: the one way anything leaves the bot.

A reply goes to the person who wrote (`person_id` None, with an inbound message), to one person, or — for
identical content to many people, a broadcast — to a batch: one row per platform call, up to the platform's
limit of recipients (WeCom touser ≤ 1000), so a 2,000-person notice is two API calls, not 2,000.
Cards get their task id here and a card record, so taps on them can be routed and checked.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import CardReply, CardUpdate, Inbound, Outgoing
from bot.store.tables import CardRecord, Outbox, Person
from cards.ids import new_task_id
from cards.model import Card

log = logging.getLogger("cadrebot.outbox")
BATCH_LIMIT = {"wecom": 1000, "dingtalk": 100}


def address_of(person: Person, platform: str) -> tuple[str, str] | None:
    """Where to reach a person: the platform in use if they are on it, else the other one."""
    wecom, ding = person.wecom_userid, person.dingtalk_userid
    order = [("wecom", wecom), ("dingtalk", ding)]
    if platform == "dingtalk":
        order.reverse()
    for name, user in order:
        if user:
            return name, user
    return None


def retire(session: Session, update: CardUpdate) -> tuple[tuple[str, str, int | None], CardUpdate] | None:
    """A card finished without being tapped: stop taking taps, and show its end state if the platform
    code from sending it is still unused."""
    record = session.get(CardRecord, update.card.task_id) if update.card.task_id else None
    if record is None:
        return None
    card = Card.model_validate(record.card).finished(update.card.done_text or "")
    record.card = card.model_dump(mode="json")
    record.state = "expired"
    code, record.response_code = record.response_code, None
    if not code or record.recipient == "*":
        return None
    return (record.platform, record.recipient, record.person_id), CardUpdate(card=card, response_code=code)


def _card(
    session: Session, reply: CardReply, platform: str, person_id: int | None, user: str, now: datetime
) -> tuple[CardReply, str]:
    card: Card = reply.card
    task_id = card.task_id or new_task_id(card.flow, now)
    if task_id != card.task_id:
        card = card.model_copy(update={"task_id": task_id})
        reply = CardReply(card=card)
    session.add(
        CardRecord(
            task_id=task_id,
            platform=platform,
            flow=card.flow,
            person_id=person_id,
            recipient=user,
            card=card.model_dump(mode="json"),
            state="open",
        )
    )
    return reply, task_id


class Addressing(TypedDict, total=False):
    """Whom `write`'s rows go to when an item names nobody, and how broadcasts are batched."""

    inbound: Inbound | None
    inbound_id: int | None
    sender: Person | None
    platform: str
    batch_limit: int | None


def write(session: Session, out: list[Outgoing], now: datetime, **addressing: Unpack[Addressing]) -> list[int]:
    """Outbox rows for `out`, in order; returns their ids for the delivery queue."""
    return [row.id for row in write_rows(session, out, now, **addressing)]


def write_rows(
    session: Session,
    out: list[Outgoing],
    now: datetime,
    *,
    inbound: Inbound | None = None,
    inbound_id: int | None = None,
    sender: Person | None = None,
    platform: str = "wecom",
    batch_limit: int | None = None,
    claim_for: str | None = None,
    claim_limit: int = 0,
) -> list[Outbox]:
    """As `write`, returning the rows. With `claim_for`, the first `claim_limit` rows to one person that may go
    now are written already claimed for that job (status sending), to be sent right after the commit."""
    platform = inbound.platform if inbound is not None else platform
    claims = claim_limit if claim_for else 0
    rows: list[Outbox] = []
    for item in out:
        if item.person_ids is not None:
            rows += _batch(session, item, now, platform, inbound_id, batch_limit)
            continue
        if item.person_id is None:
            if inbound is None:
                log.error("a reply with no recipient and no message to answer was dropped")
                continue
            where, user, person_id = inbound.platform, inbound.sender, sender.id if sender else None
        else:
            person = session.get(Person, item.person_id)
            address = address_of(person, platform) if person and person.active else None
            if person is None or address is None:
                log.warning("no address for person; reply dropped", extra={"person_id": item.person_id})
                continue
            (where, user), person_id = address, person.id
        reply = item.reply
        task_id = None
        if isinstance(reply, CardReply):
            reply, task_id = _card(session, reply, where, person_id, user, now)
        elif isinstance(reply, CardUpdate):
            task_id = reply.card.task_id
            if reply.retire:
                retired = retire(session, reply)
                if retired is None:
                    continue
                (where, user, person_id), reply = retired
        row = Outbox(
            platform=where,
            recipient=user,
            person_id=person_id,
            inbound_id=inbound_id,
            kind=reply.kind,
            payload=reply.model_dump(mode="json"),
            task_id=task_id,
            tag=item.tag,
            not_before=item.not_before,
            status="pending",
            created_at=now,
        )
        if claims and (item.not_before is None or item.not_before <= now):
            row.status, row.claimed_by, row.attempts, row.updated_at = "sending", claim_for, 1, now
            claims -= 1
        session.add(row)
        rows.append(row)
    session.flush()  # once for all: a fan-out of hundreds is one round trip, not hundreds
    return rows


def _batch(
    session: Session, item: Outgoing, now: datetime, platform: str, inbound_id: int | None, limit: int | None
) -> list[Outbox]:
    people = session.scalars(select(Person).where(Person.id.in_(item.person_ids or []), Person.active.is_(True))).all()
    by_platform: dict[str, list[tuple[int, str]]] = {}
    for person in sorted(people, key=lambda p: p.id):
        address = address_of(person, platform)
        if address is not None:
            by_platform.setdefault(address[0], []).append((person.id, address[1]))
    rows: list[Outbox] = []
    for where, members in by_platform.items():
        size = min(limit or BATCH_LIMIT.get(where, 100), BATCH_LIMIT.get(where, 100))
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            reply = item.reply
            task_id = None
            if isinstance(reply, CardReply):
                reply, task_id = _card(session, reply.model_copy(deep=True), where, None, "*", now)
            row = Outbox(
                platform=where,
                recipient="*",
                recipients=[user for _, user in chunk],
                person_id=None,
                inbound_id=inbound_id,
                kind=reply.kind,
                payload=reply.model_dump(mode="json"),
                task_id=task_id,
                tag=item.tag,
                not_before=item.not_before,
                status="pending",
                created_at=now,
            )
            session.add(row)
            rows.append(row)
    return rows
