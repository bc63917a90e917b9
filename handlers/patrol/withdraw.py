"""撤回 a patrol report: allowed within CADREBOT_WITHDRAW_MINUTES of filing, and only while nobody has
acted on the event it raised. The sender confirms with one tap (a withdrawal removes a record from the
ledger, so it is never done on a stray word); the window is checked again at the tap. Every withdrawal
and every refusal leaves an audit entry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.store.tables import AuditLog, CardRecord, Org, PatrolReport
from cards.content import card as build_card
from cards.content import phrase
from handlers.context import Context
from handlers.patrol.events import STATUS_LABELS, log_phase, village_handlers
from handlers.patrol.form import show_date, show_issues
from handlers.registry import handles

FLOW = "withdraw"


def latest_report(ctx: Context) -> PatrolReport | None:
    return ctx.session.scalar(
        select(PatrolReport)
        .where(PatrolReport.reporter_id == ctx.actor.person_id, PatrolReport.status == "filed")
        .order_by(PatrolReport.filed_at.desc(), PatrolReport.id.desc())
        .limit(1)
    )


def _audit(ctx: Context, action: str, report: PatrolReport, **detail: object) -> None:
    ctx.session.add(
        AuditLog(
            actor_person_id=ctx.actor.person_id,
            actor=ctx.actor.name,
            action=action,
            target=report.receipt_no,
            detail=dict(detail),
        )
    )


def refusal(ctx: Context, report: PatrolReport) -> str | None:
    """Why this report can no longer be withdrawn (and the audit entry saying so), or None."""
    age = ctx.now - report.filed_at
    if age > timedelta(minutes=ctx.policy.withdraw_minutes):
        _audit(ctx, "patrol.withdraw_refused", report, reason="window", minutes=int(age.total_seconds() // 60))
        return (
            f"巡查记录 {report.receipt_no} 提交已超过{ctx.policy.withdraw_minutes}分钟，不能撤回了。"
            "如需更正，请联系村里的网格长或书记。"
        )
    event = report.event
    if event is not None and event.status != "reported":
        _audit(ctx, "patrol.withdraw_refused", report, reason="event", event_status=event.status)
        return (
            f"巡查记录 {report.receipt_no} 上报的事件已{STATUS_LABELS[event.status].removeprefix('已')}，"
            "不能撤回了。如需更正，请联系村里的网格长或书记。"
        )
    return None


def offer_withdraw(ctx: Context) -> bool:
    """True when there was a patrol report to speak of (a confirmation card, or the reason it cannot go)."""
    report = latest_report(ctx)
    if report is None:
        return False
    reason = refusal(ctx, report)
    if reason:
        ctx.reply(reason)
        return True
    ctx.card(
        build_card(
            "withdraw_confirm",
            flow=FLOW,
            data={"report": report.id},
            receipt=report.receipt_no,
            day=show_date(report.patrol_date.isoformat()),
            grid=report.grid,
            issues=show_issues(report.issues),
            has_event=report.event is not None,
        )
    )
    return True


@handles("card:withdraw")
def withdraw_tapped(ctx: Context) -> None:
    action, card = ctx.tap()
    report = ctx.session.get(PatrolReport, int(card.data.get("report", 0)))
    if action.key != "withdraw":
        ctx.update_card(card.finished(phrase("kept")))
        ctx.reply("好的，记录保留不变。")
        return
    if report is None or report.reporter_id != ctx.actor.person_id or report.status != "filed":
        ctx.update_card(card.finished(phrase("expired")))
        ctx.reply("这条记录已撤回或不存在。")
        return
    reason = refusal(ctx, report)
    if reason:
        ctx.update_card(card.finished(phrase("refused")))
        ctx.reply(reason)
        return
    withdraw(ctx, report)
    ctx.update_card(card.finished(phrase("withdrawn")))
    ctx.reply(f"已撤回巡查记录 {report.receipt_no}。")


def withdraw(ctx: Context, report: PatrolReport) -> None:
    report.status = "withdrawn"
    report.withdrawn_at = ctx.now
    event = report.event
    _audit(ctx, "patrol.withdrawn", report, event=event.receipt_no if event else None)
    if event is None:
        return
    log_phase(ctx, event, "撤回", "withdrawn")
    village = ctx.session.get(Org, event.village_id)
    for person in village_handlers(ctx, village) if village else []:
        ctx.tell(person.id, f"{ctx.actor.name}撤回了事件 {event.receipt_no}，无需再处理。")
    for record in ctx.session.scalars(select(CardRecord).where(CardRecord.flow == "event", CardRecord.state == "open")):
        if (record.card.get("data") or {}).get("event") == event.id:
            ctx.retire_card(record.task_id, phrase("withdrawn"))
