"""Filing a confirmed patrol: the record, its attachments, a receipt number, and, when the grid member
could not settle a problem alone, the event that goes to the village."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from bot.roles import OrgKind
from bot.store.receipts import next_receipt
from bot.store.tables import Attachment, AuditLog, Org, PatrolReport
from handlers.context import Context
from handlers.forms.spec import Filed, Invalid
from handlers.forms.state import FormState
from handlers.orgs import ancestor

NOT_IN_A_VILLAGE = "网格巡查由村里的网格员登记。您在名册中不属于任何村，暂时无法提交，请联系管理员。"


def add_attachment(ctx: Context, report: Any, item: dict[str, object], owner_kind: str = "patrol") -> Attachment:
    """Keep a photo or location with a record; the first location also becomes the record's place."""
    row = Attachment(
        owner_kind=owner_kind,
        owner_id=report.id,
        kind=str(item.get("kind")),
        media_id=item.get("media_id"),
        url=item.get("url"),
        latitude=item.get("latitude"),
        longitude=item.get("longitude"),
        label=item.get("label"),
        inbound_id=item.get("inbound_id"),
        added_at=ctx.now,
    )
    ctx.session.add(row)
    if row.kind == "location" and getattr(report, "latitude", "n/a") is None:
        report.latitude, report.longitude = row.latitude, row.longitude
        report.location_text = (row.label or report.location_text or "")[:200] or None
    return row


def file_patrol(ctx: Context, form: FormState) -> Filed:
    from handlers.patrol.events import open_event  # the event flow imports the form's helpers

    session = ctx.session
    village = ancestor(session, ctx.actor.org_id, OrgKind.VILLAGE)
    if village is None:
        raise Invalid(NOT_IN_A_VILLAGE)
    values = form.values
    issues = int(values.get("issues") or 0)
    grid_name = str(values["grid"])
    grid_org = session.scalar(select(Org).where(Org.path == f"{village.path}/{grid_name}"))
    receipt = next_receipt(session, "XC", ctx.local_now.date())
    report = PatrolReport(
        receipt_no=receipt,
        reporter_id=ctx.actor.person_id,
        org_id=(grid_org or village).id,
        village_id=village.id,
        grid=grid_name,
        patrol_date=date.fromisoformat(str(values["date"])),
        issues=issues,
        category=values.get("category") if issues else None,
        description=(values.get("note") or None) if issues else None,
        resolved=values.get("resolved") if issues else None,
        source_text=form.source_text or None,
        status="filed",
        filed_at=ctx.now,
    )
    session.add(report)
    session.flush()
    for item in form.attachments:
        add_attachment(ctx, report, item)
    session.add(
        AuditLog(
            actor_person_id=ctx.actor.person_id,
            actor=ctx.actor.name,
            action="patrol.filed",
            target=receipt,
            detail={"issues": issues, "grid": grid_name, "date": str(values["date"])},
        )
    )
    lines = [f"巡查记录已提交，编号 {receipt}。"]
    if issues and values.get("resolved") is False:
        event, handlers = open_event(ctx, report, village)
        if handlers:
            who = "、".join(h.name for h in handlers)
            lines.append(f"问题已转{who}处理（事件编号 {event.receipt_no}），进展会通知您。")
        else:
            lines.append(f"问题已登记为事件 {event.receipt_no}，但本村还没有设置网格长或书记，请电话联系村里。")
    lines.append(f"{ctx.policy.attach_minutes}分钟内发来的照片、位置会附在这条记录上。")
    return Filed(receipt=receipt, message="\n".join(lines))
