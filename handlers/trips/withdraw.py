"""What 撤回 means for a trip: it leaves the ledger and any claim waiting for approval is taken back (the
approver is told, the card retired); an approved claim stays."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.tables import CardRecord, Trip
from cards.content import phrase
from handlers.context import Context
from handlers.trips.subsidy import approvers, yuan
from handlers.withdraw import Withdrawable, finder

OPEN = ("planned", "recorded", "pending", "returned", "approved")


@finder("trip")
def trip_withdrawable(ctx: Context, record_id: int | None) -> Withdrawable | None:
    query = select(Trip).where(Trip.person_id == ctx.actor.person_id, Trip.status.in_(OPEN))
    if record_id is not None:
        query = query.where(Trip.id == record_id)
    trip = ctx.session.scalar(query.order_by(Trip.filed_at.desc(), Trip.id.desc()).limit(1))
    if trip is None:
        return None
    day = f"{trip.trip_date.month}月{trip.trip_date.day}日"

    def withdraw(ctx: Context) -> None:
        was_pending = trip.status == "pending"
        trip.status = "withdrawn"
        if not was_pending:
            return
        for person in approvers(ctx.session, ctx.policy.rules.subsidy, trip.person):
            ctx.tell(person.id, f"{ctx.actor.name}撤回了{day}的交通补助申请（{trip.receipt_no}），无需再审批。")
        for record in ctx.session.scalars(
            select(CardRecord).where(CardRecord.flow == "trip", CardRecord.state == "open")
        ):
            if (record.card.get("data") or {}).get("trip") == trip.id:
                ctx.retire_card(record.task_id, phrase("withdrawn"))

    return Withdrawable(
        kind="trip",
        record_id=trip.id,
        receipt=trip.receipt_no,
        filed_at=trip.filed_at,
        title="走访记录",
        rows=[("编号", trip.receipt_no), ("日期", day), ("走访村", trip.village)]
        + ([("补助", yuan(trip.amount))] if trip.amount is not None else []),
        note="撤回后不计入走访台账" + ("，补助申请一并撤回。" if trip.status == "pending" else "。"),
        withdraw=withdraw,
        blocked="的交通补助已审批通过" if trip.status == "approved" else None,
    )
