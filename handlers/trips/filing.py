"""Filing a trip: a plan, a trip without a claim (with the reason), or a claim sent to the township's approver
as a card (通过 / 退回 with a reason). A returned claim can be corrected and sent again; the cadre hears each
decision. A trip that fulfils a plan takes the plan's place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select, update

from bot.store.db import rows_changed
from bot.store.receipts import next_receipt
from bot.store.tables import AuditLog, Org, Person, Trip
from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers import open_cards
from handlers.context import Context
from handlers.forms import engine
from handlers.forms.spec import Filed, Invalid
from handlers.forms.state import FormState
from handlers.orgs import my_villages
from handlers.patrol.filing import add_attachment
from handlers.registry import handles
from handlers.taps import small_index
from handlers.trips.subsidy import approvers, yuan

FLOW = "trip"
STATUS_LABELS = {
    "planned": "计划",
    "recorded": "不申报",
    "pending": "待审批",
    "approved": "已通过",
    "returned": "已退回",
    "withdrawn": "已撤回",
}


def _audit(ctx: Context, action: str, trip: Trip, **detail: object) -> None:
    ctx.session.add(
        AuditLog(
            actor_person_id=ctx.actor.person_id,
            actor=ctx.actor.name,
            action=action,
            target=trip.receipt_no,
            detail={k: (str(v) if isinstance(v, Decimal) else v) for k, v in detail.items()},
        )
    )


def _village_id(ctx: Context, name: str) -> int | None:
    if name not in my_villages(ctx.session, ctx.actor.org_id):
        return None
    return ctx.session.scalar(select(Org.id).where(Org.name == name).order_by(Org.id).limit(1))


def approval_card(ctx: Context, trip: Trip) -> Card:
    org = ctx.session.get(Org, trip.person.org_id)
    return build_card(
        "trip_approval",
        flow=FLOW,
        data={"stage": "approve", "trip": trip.id},
        person=trip.person.name,
        unit=org.name if org else "",
        day=f"{trip.trip_date.month}月{trip.trip_date.day}日",
        village=trip.village,
        households=f"{trip.households}户" if trip.households is not None else "—",
        amount=yuan(trip.amount),
        note=trip.rule_note or "",
        purpose=trip.purpose or "未填写",
        reasons=ctx.policy.rules.subsidy.return_reasons.reasons,
    )


def send_for_approval(ctx: Context, trip: Trip) -> list[Person]:
    rules = ctx.policy.rules.subsidy
    people = approvers(ctx.session, rules, trip.person)
    for approver in people:
        ctx.card(approval_card(ctx, trip), person_id=approver.id)
    return people


def file_trip(ctx: Context, form: FormState) -> Filed:
    values: dict[str, Any] = form.values
    session = ctx.session
    day = date.fromisoformat(str(values["date"]))
    planned = day > ctx.local_now.date()
    trip: Trip | None = None
    if values.get("trip_id"):  # a returned claim, corrected
        trip = session.get(Trip, int(values["trip_id"]))
        if trip is None or trip.person_id != ctx.actor.person_id or trip.status != "returned":
            raise Invalid("这份补助申请已处理过，不能再修改。如需申报，请重新发送走访情况。")
    if trip is None and not planned:  # the plan for this day and village, now done
        trip = session.scalar(
            select(Trip).where(
                Trip.person_id == ctx.actor.person_id,
                Trip.trip_date == day,
                Trip.village == values["village"],
                Trip.status == "planned",
            )
        )
    village_id = _village_id(ctx, str(values["village"]))
    if trip is None:
        trip = Trip(
            receipt_no=next_receipt(session, "ZF", ctx.local_now.date()),
            person_id=ctx.actor.person_id,
            filed_at=ctx.now,
            status="planned",
            village=str(values["village"]),
            trip_date=day,
        )
        session.add(trip)
    trip.village = str(values["village"])
    trip.village_id = village_id
    trip.trip_date = day
    trip.households = values.get("households")
    trip.purpose = values.get("purpose")
    trip.unit_car = bool(values.get("unit_car"))
    trip.planned = planned
    trip.source_text = form.source_text or trip.source_text
    trip.return_reason, trip.decided_at, trip.approver_id = None, None, None
    session.flush()
    session.refresh(trip)
    for item in form.attachments:
        add_attachment(ctx, trip, item, owner_kind="trip")

    if planned:
        trip.status, trip.amount, trip.rule_note = "planned", None, None
        _audit(ctx, "trip.planned", trip)
        return Filed(
            trip.receipt_no,
            f"已记录走访计划，编号 {trip.receipt_no}。走访后发「今天去{trip.village}走访了5户」即可登记。",
        )
    if values.get("claim"):
        trip.status, trip.amount, trip.rule_note = "pending", Decimal(str(values["amount"])), values.get("claim_note")
        people = send_for_approval(ctx, trip)
        _audit(ctx, "trip.claimed", trip, amount=trip.amount, approvers=[p.name for p in people])
        who = "、".join(p.name for p in people) or "镇里"
        return Filed(
            trip.receipt_no,
            f"走访已登记，编号 {trip.receipt_no}。交通补助{yuan(trip.amount)}（{trip.rule_note}）已提交{who}审批，结果会通知您。",
        )
    trip.status, trip.amount, trip.rule_note = "recorded", None, values.get("claim_note")
    _audit(ctx, "trip.recorded", trip, reason=trip.rule_note)
    why = f"本次不计交通补助：{trip.rule_note}。" if trip.rule_note else ""
    return Filed(trip.receipt_no, f"走访已登记，编号 {trip.receipt_no}。{why}")


# -- the approver's decision, on the card or in the 工作台, and the cadre's answer ------------------------


def may_approve(ctx: Context, trip: Trip) -> bool:
    return any(p.id == ctx.actor.person_id for p in approvers(ctx.session, ctx.policy.rules.subsidy, trip.person))


@dataclass(frozen=True)
class Decision:
    """What deciding did: whether the claim was decided now, what the card it was decided on shows (None:
    unchanged), and the other open cards closed because the decision was made in the 工作台."""

    decided: bool
    card_text: str | None = None
    closed: list[str] = field(default_factory=list)


def return_reasons(ctx: Context) -> list[str]:
    return ctx.policy.rules.subsidy.return_reasons.reasons


def _claim(ctx: Context, trip: Trip, **values: object) -> bool:
    """Decide the claim only if it is still waiting: two approvers (or two tabs) at once decide it once."""
    changed = rows_changed(
        ctx.session, update(Trip).where(Trip.id == trip.id, Trip.status == "pending").values(**values)
    )
    ctx.session.refresh(trip)
    return changed == 1


def decide_trip(
    ctx: Context,
    trip: Trip,
    choice: Literal["approve", "return"],
    reason: str | None = None,
    *,
    in_console: bool = False,
) -> Decision:
    """通过, or 退回 with one of the rules' return reasons, by one of the claim's approvers, once; the cadre hears
    it. From the 工作台 (`in_console`), the claim's approval cards still open in the chat are closed, saying who
    decided it there."""
    if not may_approve(ctx, trip):
        ctx.reply("您现在没有审批这笔补助的权限。")
        return Decision(False)
    if trip.status != "pending":
        return _already(ctx, trip)
    day = f"{trip.trip_date.month}月{trip.trip_date.day}日"
    if choice == "approve":
        if not _claim(ctx, trip, status="approved", approver_id=ctx.actor.person_id, decided_at=ctx.now):
            return _already(ctx, trip)
        _audit(ctx, "trip.approved", trip, amount=trip.amount)
        ctx.tell(
            trip.person_id, f"您{day}去{trip.village}的交通补助{yuan(trip.amount)}已审批通过（{ctx.actor.name}）。"
        )
        return Decision(
            True,
            phrase("approved", who=ctx.actor.name),
            open_cards.closed_in_console(ctx, FLOW, "trip", trip.id, "已通过", in_console),
        )
    if reason is None or reason not in return_reasons(ctx):
        ctx.reply("请先在「退回原因」里选择原因，再点「退回」。")
        return Decision(False)
    if not _claim(
        ctx, trip, status="returned", approver_id=ctx.actor.person_id, decided_at=ctx.now, return_reason=reason
    ):
        return _already(ctx, trip)
    _audit(ctx, "trip.returned", trip, reason=reason)
    closed = open_cards.closed_in_console(ctx, FLOW, "trip", trip.id, "已退回", in_console)
    ctx.card(
        build_card(
            "trip_returned",
            flow=FLOW,
            data={"stage": "returned", "trip": trip.id},
            day=day,
            village=trip.village,
            amount=yuan(trip.amount),
            reason=reason,
            approver=ctx.actor.name,
        ),
        person_id=trip.person_id,
    )
    return Decision(True, phrase("returned", reason=reason), closed)


def _already(ctx: Context, trip: Trip) -> Decision:
    ctx.reply(f"{trip.receipt_no} 现在是「{STATUS_LABELS[trip.status]}」，无需再审批。")
    return Decision(False, phrase("event_step", step=STATUS_LABELS[trip.status], who=""))


@handles("card:trip")
def trip_tapped(ctx: Context) -> None:
    action, card = ctx.tap()
    trip = ctx.session.get(Trip, int(card.data.get("trip", 0)))
    stage = card.data.get("stage")
    if trip is None:
        ctx.update_card(card.finished(phrase("expired")))
        return
    day = f"{trip.trip_date.month}月{trip.trip_date.day}日"
    if stage == "approve":
        reason = None
        if action.key != "approve":
            picked = next(iter(action.selections.get("reason") or []), None)
            reasons = return_reasons(ctx)
            if picked is not None and small_index(picked) and int(picked) < len(reasons):
                reason = reasons[int(picked)]
        start = len(ctx.out)
        decision = decide_trip(ctx, trip, "approve" if action.key == "approve" else "return", reason)
        if decision.card_text:
            ctx.update_card(card.finished(decision.card_text))
            ctx.out.insert(start, ctx.out.pop())  # the tapped card changes first, then what is said and sent
        return
    if stage == "returned":
        if trip.person_id != ctx.actor.person_id or trip.status != "returned":
            ctx.update_card(card.finished(phrase("expired")))
            ctx.reply("这份补助申请已处理过。")
            return
        if action.key == "resubmit":
            ctx.update_card(card.finished(phrase("editing")))
            values = {
                "date": trip.trip_date.isoformat(),
                "village": trip.village,
                "households": trip.households,
                "purpose": trip.purpose,
                "unit_car": trip.unit_car,
                "trip_id": trip.id,
            }
            ctx.reply(f"请核对后重新提交（退回原因：{trip.return_reason}）。要改哪一项可直接说，例如「户数改为6」。")
            engine.begin(ctx, "trip", values, trip.source_text or "")
            return
        trip.status, trip.amount = "recorded", None
        trip.rule_note = f"退回后不再申请（{trip.return_reason}）"
        _audit(ctx, "trip.claim_dropped", trip)
        ctx.update_card(card.finished(phrase("chosen", text="不再申请")))
        ctx.reply(f"好的，{day}的走访记录保留，不再申请交通补助。")
