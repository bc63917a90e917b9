"""The chat's still-open cards about one record (a 约谈 draft, a 交通补助 claim), for when it is decided or changed
somewhere else than on them — the 工作台 — so that no card offers a decision that has already been made."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import CardUpdate, Outgoing
from bot.store.tables import CardRecord
from cards.model import Card
from handlers.context import Context


def naming(session: Session, flow: str, key: str, record_id: int, stage: str = "approve") -> list[CardRecord]:
    """Open cards of `flow` whose data names the record (data[key] == record_id) at `stage`. The card's data is
    JSON, read here rather than in SQL: a flow has few open cards, and JSON paths differ between databases."""
    found = session.scalars(
        select(CardRecord).where(CardRecord.flow == flow, CardRecord.state == "open").order_by(CardRecord.created_at)
    )
    return [
        r
        for r in found
        if (r.card.get("data") or {}).get(key) == record_id and (r.card.get("data") or {}).get("stage") == stage
    ]


def close(ctx: Context, cards: list[CardRecord], text: str) -> list[str]:
    """Finish each card on the platform with `text` (if its code from sending is unused) and stop its taps.
    Addressed to the card's own person, so the update goes out from the 工作台 too (no message to answer);
    the outbox takes the card's platform and recipient from its record. Returns the cards' task ids."""
    for record in cards:
        # the record shows the end state even when there is nobody to send it to (the person has left)
        record.card = Card.model_validate(record.card).finished(text).model_dump(mode="json")
        stub = Card(flow=record.flow, title="", task_id=record.task_id, done_text=text)
        ctx.out.append(Outgoing(reply=CardUpdate(card=stub, retire=True), person_id=record.person_id))
    return [r.task_id for r in cards]


def closed_in_console(ctx: Context, flow: str, key: str, record_id: int, verb: str, in_console: bool) -> list[str]:
    """A decision made in the 工作台: the record's open cards show 「<verb> · <who>（已在工作台处理）」. On a card
    nothing more: the card itself shows the decision, as it always has."""
    if not in_console:
        return []
    return close(ctx, naming(ctx.session, flow, key, record_id), f"{verb} · {ctx.actor.name}（已在工作台处理）")


def handled(session: Session, task_ids: list[str]) -> None:
    """After the outbox wrote the closings (which mark a card replaced): these cards were decided, so a later
    tap on one hears it was already handled, not that a newer card replaced it."""
    for task_id in task_ids:
        record = session.get(CardRecord, task_id)
        if record is not None:
            record.state = "done"
