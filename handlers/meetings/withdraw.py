"""What 撤回 means for a meeting record: it leaves the ledger; the leave it used and the 参会通知 it answered
are free again for the record that replaces it."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.tables import AttendanceCall, LeaveRequest, Meeting
from handlers.context import Context
from handlers.withdraw import Withdrawable, finder


@finder("meeting")
def meeting_withdrawable(ctx: Context, record_id: int | None) -> Withdrawable | None:
    query = select(Meeting).where(Meeting.recorder_id == ctx.actor.person_id, Meeting.status == "filed")
    if record_id is not None:
        query = query.where(Meeting.id == record_id)
    meeting = ctx.session.scalar(query.order_by(Meeting.filed_at.desc(), Meeting.id.desc()).limit(1))
    if meeting is None:
        return None

    def withdraw(ctx: Context) -> None:
        meeting.status, meeting.withdrawn_at = "withdrawn", ctx.now
        for leave in ctx.session.scalars(select(LeaveRequest).where(LeaveRequest.meeting_id == meeting.id)):
            leave.status, leave.meeting_id = "open", None
        for call in ctx.session.scalars(select(AttendanceCall).where(AttendanceCall.meeting_id == meeting.id)):
            call.meeting_id = None

    return Withdrawable(
        kind="meeting",
        record_id=meeting.id,
        receipt=meeting.receipt_no,
        filed_at=meeting.filed_at,
        title="会议记录",
        rows=[
            ("编号", meeting.receipt_no),
            ("类型", meeting.meeting_type),
            ("日期", f"{meeting.held_on.month}月{meeting.held_on.day}日"),
            ("人数", f"应到{meeting.expected}人，实到{meeting.present}人"),
        ],
        note="撤回后不计入三会一课台账，可重新登记。",
        withdraw=withdraw,
    )
