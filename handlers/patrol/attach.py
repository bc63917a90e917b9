"""Photos and a location sent around a patrol report attach to it: to the open draft, or to the report
filed in the last few minutes (CADREBOT_ATTACH_MINUTES). Never required."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.models import Kind
from bot.store.tables import Attachment, PatrolReport
from handlers.context import Context
from handlers.forms import engine
from handlers.patrol.filing import add_attachment

WHAT = {"image": "照片", "location": "位置", "video": "视频", "file": "文件"}


def item_of(ctx: Context) -> dict[str, Any] | None:
    inbound = ctx.inbound
    if inbound.kind == Kind.LOCATION and inbound.location:
        loc = inbound.location
        return {"kind": "location", "latitude": loc.latitude, "longitude": loc.longitude, "label": loc.label}
    if inbound.kind in (Kind.IMAGE, Kind.VIDEO, Kind.FILE) and inbound.media:
        return {
            "kind": inbound.kind.value,
            "media_id": inbound.media.media_id,
            "url": inbound.media.url,
            "label": inbound.media.file_name or inbound.media.title,
        }
    return None


def recent_report(ctx: Context) -> PatrolReport | None:
    since = ctx.now - timedelta(minutes=ctx.policy.attach_minutes)
    return ctx.session.scalar(
        select(PatrolReport)
        .where(
            PatrolReport.reporter_id == ctx.actor.person_id,
            PatrolReport.status == "filed",
            PatrolReport.filed_at >= since,
        )
        .order_by(PatrolReport.filed_at.desc(), PatrolReport.id.desc())
        .limit(1)
    )


def try_attach(ctx: Context) -> bool:
    """True when the photo or location was kept with a draft or a just-filed report."""
    item = item_of(ctx)
    if item is None:
        return False
    what = WHAT.get(str(item["kind"]), "附件")
    draft = ctx.forms.current
    if draft is not None and engine.spec_of(draft).attachments:
        engine.attach(ctx, item)
        count = sum(1 for a in draft.attachments if a["kind"] == item["kind"])
        ctx.reply(f"已收到{what}（第{count}个），提交{engine.spec_of(draft).title}时一并登记。")
        return True
    report = recent_report(ctx)
    if report is None:
        return False
    row = add_attachment(ctx, report, item)
    ctx.session.flush()
    kept = ctx.session.scalar(
        select(func.count())
        .select_from(Attachment)
        .where(Attachment.owner_kind == "patrol", Attachment.owner_id == report.id, Attachment.kind == row.kind)
    )
    ctx.reply(f"{what}已附到巡查记录 {report.receipt_no}（共{kept}个）。")
    return True
