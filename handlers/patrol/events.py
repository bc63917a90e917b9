"""An event the grid member could not settle goes to the village's 网格长 (or, where there is none, the
村党组织书记) as a card, and is walked through its life-cycle by taps (DOMAIN.md §2.3):

    reported ─受理→ accepted ─转派→ dispatched ─已处理→ handled ─办结→ closed
        │  └────────转派───────────┘      └无法处理→ accepted    └退回重办→ dispatched
        ├─办结→ closed (the village handled it itself)
        └─退回→ rejected           withdrawn: the reporter took it back before anyone acted

Every step is appended to the phase log, and the reporter hears about each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from bot.roles import Role
from bot.store.receipts import next_receipt
from bot.store.tables import EventPhase, GridEvent, Org, PatrolReport, Person, PersonRole
from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers.context import Context
from handlers.registry import handles
from handlers.taps import small_index

FLOW = "event"
STATUS_LABELS = {
    "reported": "待受理",
    "accepted": "已受理",
    "dispatched": "已转派",
    "handled": "已处理待核查",
    "closed": "已办结",
    "rejected": "已退回",
    "withdrawn": "已撤回",
}
HANDLER_ROLES = (Role.GRID_LEADER.value, Role.VILLAGE_SECRETARY.value)
ASSIGNABLE_ROLES = (
    Role.GRID_LEADER.value,
    Role.VILLAGE_SECRETARY.value,
    Role.VILLAGE_COMMITTEE.value,
    Role.GRID_MEMBER.value,
)


def village_handlers(ctx: Context, village: Org) -> list[Person]:
    """The village's 网格长; its 书记 where it has none."""
    for role in HANDLER_ROLES:
        people = list(
            ctx.session.scalars(
                select(Person)
                .join(PersonRole)
                .join(Org, Person.org_id == Org.id)
                .where(
                    PersonRole.role == role,
                    Person.active.is_(True),
                    (Org.id == village.id) | Org.path.like(village.path + "/%"),
                )
                .order_by(Person.id)
            )
        )
        if people:
            return people
    return []


def assignable(ctx: Context, village: Org, exclude: int | None = None) -> list[Person]:
    people = ctx.session.scalars(
        select(Person)
        .join(PersonRole)
        .join(Org, Person.org_id == Org.id)
        .where(
            PersonRole.role.in_(ASSIGNABLE_ROLES),
            Person.active.is_(True),
            (Org.id == village.id) | Org.path.like(village.path + "/%"),
        )
        .order_by(Person.id)
        .distinct()
    )
    return [p for p in people if p.id != exclude][:10]


def log_phase(ctx: Context, event: GridEvent, step: str, to: str, target: Person | None = None) -> None:
    ctx.session.add(
        EventPhase(
            event_id=event.id,
            step=step,
            from_status=event.status if event.id else None,
            to_status=to,
            actor_id=ctx.actor.person_id,
            actor_name=ctx.actor.name,
            target_id=target.id if target else None,
            at=ctx.now,
        )
    )
    event.status = to
    event.updated_at = ctx.now
    if to in ("closed", "rejected", "withdrawn"):
        event.closed_at = ctx.now


def local_text(ctx: Context, when: object) -> str:
    from datetime import datetime

    assert isinstance(when, datetime)
    t = when.astimezone(ctx.tz)
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def event_card(ctx: Context, event: GridEvent, stage: str) -> Card:
    report = event.report
    village = ctx.session.get(Org, event.village_id)
    assert village is not None
    values = {
        "receipt": event.receipt_no,
        "category": event.category or "其他",
        "grid": event.location_text or (report.grid if report else ""),
        "reporter": event.reporter.name,
        "note": event.description or "",
        "due": local_text(ctx, event.due_at) if event.due_at else "",
        "status": event.status,
        "assignee": event.assignee.name if event.assignee else "",
    }
    people = assignable(ctx, village, exclude=None) if stage == "handle" else []
    return build_card(
        f"event_{stage}",
        flow=FLOW,
        data={"event": event.id, "stage": stage},
        people=[{"id": str(p.id), "name": p.name} for p in people],
        **values,
    )


def open_event(ctx: Context, report: PatrolReport, village: Org) -> tuple[GridEvent, list[Person]]:
    event = GridEvent(
        receipt_no=next_receipt(ctx.session, "SJ", ctx.local_now.date()),
        report_id=report.id,
        village_id=village.id,
        reporter_id=ctx.actor.person_id,
        category=report.category,
        description=report.description,
        location_text=report.grid,
        status="reported",
        due_at=ctx.now + timedelta(hours=ctx.policy.event_limit_hours),
        created_at=ctx.now,
    )
    ctx.session.add(event)
    ctx.session.flush()
    ctx.session.add(
        EventPhase(
            event_id=event.id,
            step="上报",
            from_status=None,
            to_status="reported",
            actor_id=ctx.actor.person_id,
            actor_name=ctx.actor.name,
            at=ctx.now,
        )
    )
    ctx.session.refresh(event)
    handlers = village_handlers(ctx, village)
    for person in handlers:
        ctx.card(event_card(ctx, event, "handle"), person_id=person.id)
    return event, handlers


# -- taps -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    label: str  # the verb, as the phase log and the reporter read it
    allowed_from: tuple[str, ...]
    to: str


STEPS: dict[tuple[str, str], Step] = {
    ("handle", "accept"): Step("受理", ("reported",), "accepted"),
    ("handle", "dispatch"): Step("转派", ("reported", "accepted"), "dispatched"),
    ("handle", "close"): Step("办结", ("reported", "accepted"), "closed"),
    ("handle", "reject"): Step("退回", ("reported",), "rejected"),
    ("assigned", "done"): Step("处理完毕", ("dispatched",), "handled"),
    ("assigned", "cannot"): Step("无法处理", ("dispatched",), "accepted"),
    ("verify", "close"): Step("核查办结", ("handled",), "closed"),
    ("verify", "redo"): Step("退回重办", ("handled",), "dispatched"),
}


def may_handle(ctx: Context, event: GridEvent) -> bool:
    village = ctx.session.get(Org, event.village_id)
    if village is None or not ctx.actor.has_role(*HANDLER_ROLES):
        return False
    return ctx.actor.org_path == village.path or ctx.actor.org_path.startswith(village.path + "/")


@handles("card:event")
def event_tapped(ctx: Context) -> None:
    action, card = ctx.tap()
    event = ctx.session.get(GridEvent, int(card.data.get("event", 0)))
    if event is None:
        ctx.update_card(card.finished(phrase("expired")))
        ctx.reply("这件事已不存在，无需处理。")
        return
    stage = str(card.data.get("stage"))
    step = STEPS.get((stage, action.key))
    if step is None:
        ctx.reply("这个按钮已失效，请在最新的卡片上操作。")
        return
    allowed = event.assignee_id == ctx.actor.person_id if stage == "assigned" else may_handle(ctx, event)
    if not allowed:
        ctx.reply("您现在没有处理这件事的权限。如有疑问，请联系村里的网格长或书记。")
        return
    if event.status not in step.allowed_from:
        ctx.update_card(card.finished(phrase("event_step", step=STATUS_LABELS[event.status], who="")))
        ctx.reply(f"事件 {event.receipt_no} 现在是「{STATUS_LABELS[event.status]}」，这一步无需再操作。")
        return
    reporter_id = event.reporter_id
    no = event.receipt_no
    if action.key == "dispatch" or (stage == "verify" and action.key == "redo"):
        target = _assignee(ctx, event, card, action.selections) if action.key == "dispatch" else event.assignee
        if target is None:
            ctx.reply("请先在「转派给」里选择人员，再点「转派」。")
            return
        event.assignee_id = target.id
        log_phase(ctx, event, step.label, step.to, target)
        ctx.session.flush()
        ctx.session.refresh(event)
        ctx.update_card(card.finished(phrase("event_step", step=step.label, who=target.name)))
        ctx.card(event_card(ctx, event, "assigned"), person_id=target.id)
        if action.key == "dispatch":
            ctx.tell(reporter_id, f"您上报的事件 {no} 已由{ctx.actor.name}转派给{target.name}处理。")
        return
    log_phase(ctx, event, step.label, step.to)
    ctx.session.flush()
    if action.key == "accept":
        ctx.session.refresh(event)
        ctx.update_card(event_card(ctx, event, "handle"))  # the same card, now offering 转派 and 办结
        ctx.tell(reporter_id, f"您上报的事件 {no} 已由{ctx.actor.name}受理。")
    elif action.key == "close":
        ctx.update_card(card.finished(phrase("event_step", step="已办结", who=ctx.actor.name)))
        ctx.tell(reporter_id, f"您上报的事件 {no} 已办结（{ctx.actor.name}）。感谢您的上报！")
    elif action.key == "reject":
        ctx.update_card(card.finished(phrase("event_step", step="已退回", who="")))
        ctx.tell(
            reporter_id, f"您上报的事件 {no} 被{ctx.actor.name}退回，不需要村里处理。如有疑问请联系{ctx.actor.name}。"
        )
    elif action.key == "done":
        ctx.update_card(card.finished(phrase("event_step", step="已处理", who="待核查")))
        ctx.session.refresh(event)
        village = ctx.session.get(Org, event.village_id)
        assert village is not None
        for person in village_handlers(ctx, village):
            ctx.card(event_card(ctx, event, "verify"), person_id=person.id)
        ctx.tell(reporter_id, f"您上报的事件 {no} 已由{ctx.actor.name}处理完毕，等待村里核查。")
    elif action.key == "cannot":
        event.assignee_id = None
        ctx.update_card(card.finished(phrase("event_step", step="已退回村里", who="")))
        ctx.session.flush()
        ctx.session.refresh(event)
        village = ctx.session.get(Org, event.village_id)
        assert village is not None
        for person in village_handlers(ctx, village):
            ctx.card(event_card(ctx, event, "handle"), person_id=person.id)


def _assignee(ctx: Context, event: GridEvent, card: Card, selections: dict[str, list[str]]) -> Person | None:
    chosen = next(iter(selections.get("assignee") or []), None)
    if chosen is None and card.selection is not None:
        chosen = card.selection.selected
    if not chosen or not small_index(chosen):
        return None
    village = ctx.session.get(Org, event.village_id)
    if village is None:
        return None
    allowed = {p.id: p for p in assignable(ctx, village)}
    return allowed.get(int(chosen))
