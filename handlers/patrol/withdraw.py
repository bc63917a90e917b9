"""What 撤回 means for a patrol: the report leaves the ledger, and an event nobody has acted on yet is
withdrawn with it (the village is told, its cards retired); once accepted, it stays."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.tables import CardRecord, Org, PatrolReport
from cards.content import phrase
from handlers.context import Context
from handlers.patrol.events import STATUS_LABELS, log_phase, village_handlers
from handlers.patrol.form import show_date, show_issues
from handlers.withdraw import Withdrawable, finder


@finder("patrol")
def patrol_withdrawable(ctx: Context, record_id: int | None) -> Withdrawable | None:
    query = select(PatrolReport).where(PatrolReport.reporter_id == ctx.actor.person_id, PatrolReport.status == "filed")
    if record_id is not None:
        query = query.where(PatrolReport.id == record_id)
    report = ctx.session.scalar(query.order_by(PatrolReport.filed_at.desc(), PatrolReport.id.desc()).limit(1))
    if report is None:
        return None
    event = report.event
    blocked = None
    if event is not None and event.status != "reported":
        blocked = f"上报的事件已{STATUS_LABELS[event.status].removeprefix('已')}"

    def withdraw(ctx: Context) -> None:
        report.status, report.withdrawn_at = "withdrawn", ctx.now
        if event is None:
            return
        log_phase(ctx, event, "撤回", "withdrawn")
        village = ctx.session.get(Org, event.village_id)
        for person in village_handlers(ctx, village) if village else []:
            ctx.tell(person.id, f"{ctx.actor.name}撤回了事件 {event.receipt_no}，无需再处理。")
        for record in ctx.session.scalars(
            select(CardRecord).where(CardRecord.flow == "event", CardRecord.state == "open")
        ):
            if (record.card.get("data") or {}).get("event") == event.id:
                ctx.retire_card(record.task_id, phrase("withdrawn"))

    return Withdrawable(
        kind="patrol",
        record_id=report.id,
        receipt=report.receipt_no,
        filed_at=report.filed_at,
        title="巡查记录",
        rows=[
            ("编号", report.receipt_no),
            ("日期", show_date(report.patrol_date.isoformat())),
            ("网格", report.grid),
            ("情况", show_issues(report.issues)),
        ],
        note="撤回后不计入台账" + ("，已上报的事件一并撤回。" if event is not None else "。"),
        withdraw=withdraw,
        blocked=blocked,
        detail={"event": event.receipt_no if event else None},
    )
