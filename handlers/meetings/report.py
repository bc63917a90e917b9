"""A meeting message opens the meeting form; 请假 is recorded against the branch's next meeting."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.store.tables import AttendanceAnswer, AttendanceCall, LeaveRequest, Person
from handlers.context import Context
from handlers.forms import engine
from handlers.meetings import branch as br
from handlers.meetings import form as meeting_form  # registers the form
from handlers.meetings.filing import may_record
from handlers.registry import handles

assert meeting_form.MEETING


@handles("meeting")
def meeting(ctx: Context) -> None:
    u = ctx.understood
    assert u is not None
    reason = may_record(ctx)
    if reason:
        ctx.reply(reason)
        return
    engine.begin(ctx, "meeting", {**u.fields, "text": u.text}, u.text)


@handles("leave")
def leave(ctx: Context) -> None:
    u = ctx.understood
    assert u is not None
    branch = br.branch_of(ctx.session, ctx.actor.org_id)
    if branch is None:
        ctx.reply("请假记入党支部的组织生活，您在名册中不属于任何党支部。如有疑问，请联系支部书记。")
        return
    roster = br.members(ctx.session, branch)
    names: list[str] = list(u.fields.get("names") or []) or [ctx.actor.name]
    reason = u.fields.get("reason")
    kind = u.fields.get("meeting_type")
    day = date.fromisoformat(u.fields["date"]) if u.fields.get("date") else None
    recorded = []
    for name in names:
        person = ctx.session.get(Person, ctx.actor.person_id) if name == ctx.actor.name else br.find(roster, name)
        existing = ctx.session.scalar(
            select(LeaveRequest).where(
                LeaveRequest.branch_id == branch.id,
                LeaveRequest.name == name,
                LeaveRequest.status == "open",
                LeaveRequest.for_date == day if day else LeaveRequest.for_date.is_(None),
            )
        )
        if existing is None:
            existing = LeaveRequest(
                branch_id=branch.id,
                person_id=person.id if person else None,
                name=name,
                recorded_by=ctx.actor.person_id,
                created_at=ctx.now,
            )
            ctx.session.add(existing)
        existing.reason, existing.meeting_type, existing.for_date = reason or existing.reason, kind, day
        if person is not None:
            pending_answer(ctx, branch.id, person.id, existing.reason)
        recorded.append(name)
    who = "您" if recorded == [ctx.actor.name] else "、".join(recorded)
    which = (f"{day.month}月{day.day}日的" if day else "下次") + (kind or "支部会议")
    why = f"（{reason}）" if reason else "（未说明事由，可补发「请假，事由：…」）"
    ctx.reply(f"已登记{who}的请假{why}，记入{which}。")
    if not ctx.actor.has_role(*br.LEADERS):
        told = f"{ctx.actor.name}请假" if who == "您" else f"{ctx.actor.name}为{who}请假"
        for secretary in br.secretaries(ctx.session, branch):
            ctx.tell(secretary.id, f"{told}{why}，记入{which}。")


def pending_answer(ctx: Context, branch_id: int, person_id: int, reason: str | None) -> None:
    """A leave message answers an open 参会通知 too."""
    from handlers.meetings.attendance import answered

    answer = ctx.session.scalar(
        select(AttendanceAnswer)
        .join(AttendanceCall)
        .where(
            AttendanceCall.branch_id == branch_id,
            AttendanceCall.meeting_id.is_(None),
            AttendanceCall.held_on >= ctx.local_now.date(),
            AttendanceAnswer.person_id == person_id,
        )
        .order_by(AttendanceCall.id.desc())
        .limit(1)
    )
    if answer is not None:
        answer.answer, answer.reason, answer.answered_at = "leave", reason, ctx.now
        ctx.session.flush()
        answered(ctx, answer.call)
