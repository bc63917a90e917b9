"""参会通知: before a meeting the secretary sends each member a card (参加 / 请假 with a reason, one tap);
the answers are tallied for the secretary and pre-fill the meeting record afterwards.

通知全体党员：明天下午3点在村委会开支部党员大会 → a preview card for the secretary (who, how many) →
发送 → one card per member → each tap recorded → when all have answered, the tally with 会后登记记录.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from bot.models import CardAction
from bot.store.tables import AttendanceAnswer, AttendanceCall, Org, Person
from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers.context import Context
from handlers.forms import engine
from handlers.meetings import branch as br
from handlers.nlu.chinese_time import extract
from handlers.nlu.normalize import normalize
from handlers.nlu.readers import meeting_type
from handlers.previews import Preview
from handlers.registry import handles

FLOW = "attendance"
PARTY_AUDIENCE = re.compile(r"党员|支部|党小组|支委|委员")
MEETING_WORDS = re.compile(r"开会|会议|党员大会|支委会|支部委员会|党小组会|党课|主题党日|组织生活会")
LEAVE_REASONS = ("外出务工", "生病", "家中有事", "其他")


def wants_attendance(audience: str, content: str) -> bool:
    return bool(PARTY_AUDIENCE.search(audience)) and bool(MEETING_WORDS.search(content))


def when_of(ctx: Context, content: str) -> datetime | None:
    for span in extract(normalize(content), ctx.local_now, "future"):
        if not span.deadline:
            return span.start
    return None


def invitees(ctx: Context, branch: Org, audience: str) -> tuple[str, list[Person]]:
    """Who the notice goes to: a 党小组 when named, the 支委 for a 支委会, else the whole branch."""
    group = None
    for g in ctx.session.scalars(select(Org).where(Org.path.like(branch.path + "/%"))):
        if g.name in audience:
            group = g
    if group is not None:
        return group.name, br.group_members(ctx.session, group)
    if re.search(r"支委|委员", audience):
        return f"{branch.name}支委", br.committee(ctx.session, branch)
    return branch.name, br.members(ctx.session, branch)


def offer(ctx: Context, audience: str, content: str) -> bool:
    """The preview card; False when this notice is not a meeting call the sender may send."""
    branch = br.branch_of(ctx.session, ctx.actor.org_id)
    if branch is None or not ctx.actor.has_role(*br.LEADERS) or not wants_attendance(audience, content):
        return False
    kind = meeting_type(normalize(content)) or ("支部委员会" if re.search(r"支委|委员", audience) else "支部党员大会")
    who, people = invitees(ctx, branch, audience)
    others = [p for p in people if p.id != ctx.actor.person_id]
    if not others:
        ctx.reply(f"名册中{who}没有其他党员，通知无人可发。请先更新名册。")
        return True
    when = when_of(ctx, content)
    PREVIEW.offer(
        ctx,
        {
            "branch": branch.id,
            "kind": kind,
            "content": content,
            "people": [p.id for p in others],
            "when": when.isoformat() if when else None,
        },
        kind=kind,
        who=who,
        count=len(others),
        when=f"{when.month}月{when.day}日 {when:%H:%M}" if when else "见通知内容",
        content=content,
    )
    return True


def send(ctx: Context, data: dict[str, Any]) -> AttendanceCall:
    when = datetime.fromisoformat(str(data["when"])) if data.get("when") else None
    call = AttendanceCall(
        branch_id=int(data["branch"]),
        meeting_type=str(data["kind"]),
        held_on=when.astimezone(ctx.tz).date() if when else ctx.local_now.date(),
        starts_at=when,
        content=str(data["content"]),
        created_by=ctx.actor.person_id,
        created_at=ctx.now,
    )
    ctx.session.add(call)
    ctx.session.flush()
    for person_id in data["people"]:
        ctx.session.add(AttendanceAnswer(call_id=call.id, person_id=int(person_id)))
        ctx.card(member_card(ctx, call), person_id=int(person_id))
    return call


def held_on(call: AttendanceCall) -> date:
    """The meeting's day. send() always sets it; the column allows NULL only because its migration did."""
    assert call.held_on is not None
    return call.held_on


def member_card(ctx: Context, call: AttendanceCall) -> Card:
    when = call.starts_at.astimezone(ctx.tz) if call.starts_at else None
    day = held_on(call)
    return build_card(
        "attendance_call",
        flow=FLOW,
        data={"stage": "answer", "call": call.id},
        kind=call.meeting_type,
        when=f"{when.month}月{when.day}日 {when:%H:%M}" if when else f"{day.month}月{day.day}日",
        content=call.content,
        sender=ctx.actor.name,
        reasons=list(LEAVE_REASONS),
    )


def tally_text(ctx: Context, call: AttendanceCall) -> str:
    answers = call.answers
    attend = [a for a in answers if a.answer == "attend"]
    leave = [a for a in answers if a.answer == "leave"]
    silent = [a for a in answers if a.answer is None]
    day = held_on(call)
    when = f"{day.month}月{day.day}日"
    lines = [
        f"{call.meeting_type}（{when}）参会回复：应到{len(answers) + 1}人（含您），"
        f"参加{len(attend) + 1}人，请假{len(leave)}人，未回复{len(silent)}人。"
    ]
    if leave:
        lines.append("请假：" + "；".join(f"{a.person.name}（{a.reason or '未说明'}）" for a in leave))
    if silent:
        lines.append("未回复：" + "、".join(a.person.name for a in silent))
    return "\n".join(lines)


def latest_call(ctx: Context) -> AttendanceCall | None:
    return ctx.session.scalar(
        select(AttendanceCall)
        .where(AttendanceCall.created_by == ctx.actor.person_id)
        .order_by(AttendanceCall.id.desc())
        .limit(1)
    )


def tally_reply(ctx: Context) -> None:
    call = latest_call(ctx)
    if call is None:
        ctx.reply("您还没有发过参会通知。发「通知全体党员：明天下午3点开支部党员大会」即可发送。")
        return
    ctx.reply(tally_text(ctx, call))


def answered(ctx: Context, call: AttendanceCall) -> None:
    """After each answer: when nobody is left to answer, the secretary gets the tally once."""
    if any(a.answer is None for a in call.answers) or call.tally_sent_at is not None:
        return
    call.tally_sent_at = ctx.now
    attend = sum(1 for a in call.answers if a.answer == "attend") + 1
    ctx.card(
        build_card(
            "attendance_tally",
            flow=FLOW,
            data={"stage": "tally", "call": call.id},
            kind=call.meeting_type,
            expected=len(call.answers) + 1,
            attend=attend,
            leave=[f"{a.person.name}（{a.reason or '未说明'}）" for a in call.answers if a.answer == "leave"],
        ),
        person_id=call.created_by,
    )


PREVIEW = Preview(
    flow=FLOW,
    template="attendance_preview",
    send=lambda ctx, data: len(send(ctx, data).answers),  # one answer awaited per person invited
    sent="已向{n}名党员发出参会通知，回复齐了会把统计发给您；随时可发「参会情况」查看。",
    cancelled="好的，参会通知没有发出。",
)


@handles("card:attendance")
@PREVIEW.taps
def tapped(ctx: Context, action: CardAction, card: Card) -> None:
    stage = card.data.get("stage")
    call = ctx.session.get(AttendanceCall, int(card.data.get("call", 0)))
    if call is None:
        ctx.update_card(card.finished(phrase("expired")))
        return
    if stage == "tally":
        if call.meeting_id is not None:
            ctx.update_card(card.finished(phrase("expired")))
            ctx.reply("这次会议已经登记过了。")
            return
        ctx.update_card(card.finished(phrase("chosen", text="登记会议记录")))
        engine.begin(
            ctx,
            "meeting",
            {
                "meeting_type": call.meeting_type,
                "date": held_on(call).isoformat(),
                "call_id": call.id,
                "text": call.content,
            },
            call.content,
        )
        return
    answer = next((a for a in call.answers if a.person_id == ctx.actor.person_id), None)
    if answer is None:
        ctx.reply("这份参会通知不是发给您的。")
        return
    if action.key == "attend":
        answer.answer, answer.reason = "attend", None
        shown = "参加"
    else:
        reason = action.key.removeprefix("leave:")
        answer.answer, answer.reason = "leave", reason if reason in LEAVE_REASONS else None
        shown = f"请假（{answer.reason or '其他'}）"
    answer.answered_at = ctx.now
    ctx.update_card(card.finished(phrase("answered", text=shown)))
    ctx.reply(
        f"已回复：{shown}。" + ("如需补充请假事由，可直接发「请假，事由…」。" if answer.answer == "leave" else "")
    )
    ctx.session.flush()
    answered(ctx, call)
