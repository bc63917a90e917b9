"""Filing a confirmed 三会一课 record: the meeting, its absentees with the reasons recorded as leave, the 参会通知
it answers, the quorum said plainly, and a private word to the secretary about anyone absent for months."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from bot.store.receipts import next_receipt
from bot.store.tables import AttendanceCall, AuditLog, LeaveRequest, Meeting, MeetingAbsence, Org, Person
from handlers.context import Context
from handlers.forms.spec import Filed, Invalid
from handlers.forms.state import FormState
from handlers.meetings import branch as br
from knowledge.calendar import add_months, month_last

NOT_A_LEADER = "会议记录由支部书记或支委登记。如需请假，请发「我请假，事由…」。"
NO_BRANCH = "您在名册中不属于任何党支部，暂时无法登记会议记录，请联系管理员。"


def may_record(ctx: Context) -> str | None:
    """Why the sender cannot file meeting records, or None."""
    if br.branch_of(ctx.session, ctx.actor.org_id) is None:
        return NO_BRANCH
    if not ctx.actor.has_role(*br.LEADERS):
        return NOT_A_LEADER
    return None


def _leaves_for(ctx: Context, branch: Org, kind: str, day: date) -> list[LeaveRequest]:
    leaves = ctx.session.scalars(
        select(LeaveRequest).where(LeaveRequest.branch_id == branch.id, LeaveRequest.status == "open")
    )
    return [
        leave
        for leave in leaves
        if (leave.meeting_type in (None, kind)) and (leave.for_date is None or leave.for_date == day)
    ]


def file_meeting(ctx: Context, form: FormState) -> Filed:
    reason = may_record(ctx)
    if reason:
        raise Invalid(reason)
    session = ctx.session
    branch = br.branch_of(session, ctx.actor.org_id)
    assert branch is not None
    values: dict[str, Any] = form.values
    kind = str(values["meeting_type"])
    day = date.fromisoformat(str(values["date"]))
    starts_at = None
    if values.get("time"):
        hour, minute = (int(x) for x in str(values["time"]).split(":"))
        starts_at = datetime.combine(day, time(hour, minute), ctx.tz)
    group = br.group_of(session, ctx.actor.org_id) if kind == "党小组会" else None
    meeting = Meeting(
        receipt_no=next_receipt(session, "HY", ctx.local_now.date()),
        branch_id=branch.id,
        group_id=group.id if group else None,
        meeting_type=kind,
        held_on=day,
        starts_at=starts_at,
        topic=values.get("topic"),
        expected=values.get("expected"),
        present=values.get("present"),
        expected_voting=values.get("expected_voting"),
        present_voting=values.get("present_voting"),
        election=bool(values.get("election")),
        quorum_ok=values.get("quorum_ok"),
        quorum_text=values.get("quorum_text"),
        recorder_id=ctx.actor.person_id,
        source_text=form.source_text or None,
        filed_at=ctx.now,
    )
    session.add(meeting)
    session.flush()

    roster = br.members(session, branch)
    call = session.get(AttendanceCall, values["call_id"]) if values.get("call_id") else None
    answered = {a.person.name: a for a in call.answers} if call else {}
    leaves = {leave.name: leave for leave in _leaves_for(ctx, branch, kind, day)}
    for name in values.get("absent") or []:
        person = br.find(roster, name)
        leave = leaves.pop(name, None)
        answer = answered.get(name)
        why = (leave.reason if leave else None) or (answer.reason if answer and answer.answer == "leave" else None)
        on_leave = leave is not None or (answer is not None and answer.answer == "leave")
        session.add(
            MeetingAbsence(
                meeting_id=meeting.id,
                person_id=person.id if person else (leave.person_id if leave else None),
                name=name,
                reason=why,
                on_leave=on_leave,
            )
        )
        if leave is not None:
            leave.status, leave.meeting_id = "used", meeting.id
    for leave in leaves.values():
        if leave.for_date == day:  # asked leave for this very meeting, came after all
            leave.status, leave.meeting_id = "used", meeting.id
    if call is not None:
        call.meeting_id = meeting.id
    session.add(
        AuditLog(
            actor_person_id=ctx.actor.person_id,
            actor=ctx.actor.name,
            action="meeting.filed",
            target=meeting.receipt_no,
            detail={"type": kind, "date": day.isoformat(), "quorum_ok": meeting.quorum_ok},
        )
    )
    session.flush()
    lines = [f"会议记录已提交，编号 {meeting.receipt_no}。"]
    if meeting.quorum_text:
        lines.append(meeting.quorum_text)
    if meeting.quorum_ok is False:
        lines.append("到会人数不足，本次会议不能作出决定，请另行召开；记录照常保存。")
    flagged = absence_flags(ctx, branch, meeting, roster)
    if flagged:
        lines.append(flagged)
    return Filed(receipt=meeting.receipt_no, message="\n".join(lines))


def month_of(day: date, back: int) -> tuple[int, int]:
    return add_months(day.year, day.month, -back)


def absent_months(ctx: Context, branch: Org, person: Person, day: date, months: int) -> bool:
    """True when the person missed every meeting of the branch in each of the last `months` months
    (counting the month of `day`), and each of those months had a meeting."""
    on_committee = any(c.id == person.id for c in br.committee(ctx.session, branch))
    group = br.group_of(ctx.session, person.org_id)

    def expected_at(meeting: Meeting) -> bool:
        if meeting.meeting_type == "支部委员会":
            return on_committee
        if meeting.meeting_type == "党小组会":
            return group is not None and meeting.group_id == group.id
        return True

    for back in range(months):
        y, m = month_of(day, back)
        held = ctx.session.scalars(
            select(Meeting).where(
                Meeting.branch_id == branch.id,
                Meeting.status == "filed",
                Meeting.held_on >= date(y, m, 1),
                Meeting.held_on <= date(y, m, month_last(y, m)),
            )
        ).all()
        held = [h for h in held if expected_at(h)]
        if not held:
            return False
        for meeting in held:
            if not any(a.person_id == person.id or a.name == person.name for a in meeting.absences):
                return False
    return True


def absence_flags(ctx: Context, branch: Org, meeting: Meeting, roster: list[Person]) -> str | None:
    """Tell the secretary, and only the secretary, who has now been absent N months running (§1.4)."""
    months = ctx.policy.rules.organisation.absence.warn_after_months
    ctx.session.refresh(meeting)
    flagged = []
    for absence in meeting.absences:
        person = ctx.session.get(Person, absence.person_id) if absence.person_id else br.find(roster, absence.name)
        if person is None or not absent_months(ctx, branch, person, meeting.held_on, months):
            continue
        key = f"{person.id}:{meeting.held_on:%Y-%m}"
        seen = ctx.session.scalar(
            select(AuditLog.id).where(AuditLog.action == "member.absence_flag", AuditLog.target == key)
        )
        if seen is None:
            ctx.session.add(
                AuditLog(actor="system", action="member.absence_flag", target=key, detail={"months": months})
            )
            flagged.append(person.name)
    if not flagged:
        return None
    names = "、".join(flagged)
    note = f"提醒（仅您可见）：{names}已连续{months}个月未参加组织生活，建议找其谈心谈话、了解原因。"
    secretaries = br.secretaries(ctx.session, branch)
    for secretary in secretaries:
        if secretary.id != ctx.actor.person_id:
            ctx.tell(secretary.id, note)
    return note if any(s.id == ctx.actor.person_id for s in secretaries) else None
