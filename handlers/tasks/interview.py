"""约谈通知: drafted by the ladder, decided by a supervisor (批准发送 / 修改 / 不发), confirmed by its recipient
(收到). Only an approved notice ever reaches the person, and never with less than the rules' notice period
(default two working days); every step is recorded (DOMAIN.md §4.3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.store.tables import AuditLog, InterviewNotice
from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers.context import Context
from handlers.forms import engine
from handlers.forms.spec import FieldSpec, Filed, FormSpec, Invalid, register
from handlers.forms.state import FormState
from handlers.nlu.chinese_time import extract
from handlers.nlu.normalize import normalize
from handlers.registry import handles
from handlers.tasks.people import nearest_supervisors
from knowledge.calendar import add_workdays

FLOW = "interview"


def when_text(when: datetime, tz: ZoneInfo) -> str:
    t = when.astimezone(tz)
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def fields(notice: InterviewNotice, tz: ZoneInfo) -> dict[str, str]:
    who = notice.target_org.name + (f" {notice.target_person.name}" if notice.target_person else "")
    return {
        "who": who,
        "reason": notice.reason,
        "when": when_text(notice.meet_at, tz),
        "place": notice.place,
        "interviewers": notice.interviewers,
        "materials": notice.materials,
        "contact": notice.contact or "",
    }


def approval_card(notice: InterviewNotice, tz: ZoneInfo) -> Card:
    return build_card(
        "interview_approve", flow=FLOW, data={"stage": "approve", "notice": notice.id}, **fields(notice, tz)
    )


def _audit(ctx: Context, action: str, notice: InterviewNotice, **detail: object) -> None:
    ctx.session.add(
        AuditLog(
            actor_person_id=ctx.actor.person_id,
            actor=ctx.actor.name,
            action=f"interview.{action}",
            target=f"interview:{notice.id}",
            detail=dict(detail),
        )
    )


def may_decide(ctx: Context, notice: InterviewNotice) -> bool:
    return any(p.id == ctx.actor.person_id for p in nearest_supervisors(ctx.session, notice.target_org))


def too_soon(ctx: Context, notice: InterviewNotice) -> bool:
    earliest = add_workdays(ctx.local_now.date(), ctx.policy.rules.interview.notice_workdays)
    return notice.meet_at.astimezone(ctx.tz).date() < earliest


@handles("card:interview")
def tapped(ctx: Context) -> None:
    action, card = ctx.tap()
    notice = ctx.session.get(InterviewNotice, int(card.data.get("notice", 0)))
    if notice is None:
        ctx.update_card(card.finished(phrase("expired")))
        return
    stage = card.data.get("stage")
    if stage == "confirm":
        if notice.target_person_id != ctx.actor.person_id:
            ctx.reply("这份通知不是发给您的。")
            return
        if notice.confirmed_at is None:
            notice.confirmed_at, notice.status = ctx.now, "confirmed"
            _audit(ctx, "confirmed", notice)
            if notice.approver_id:
                ctx.tell(
                    notice.approver_id, f"{ctx.actor.name}已确认收到约谈通知（{when_text(notice.meet_at, ctx.tz)}）。"
                )
        ctx.update_card(card.finished(phrase("answered", text="收到")))
        ctx.reply("已确认收到。请按时参加，并带齐材料。")
        return
    if not may_decide(ctx, notice):
        ctx.reply("您没有审批这份约谈通知的权限。")
        return
    if notice.status != "draft":
        ctx.update_card(card.finished(phrase("expired")))
        ctx.reply("这份约谈通知已处理，或已有修改后的新卡片。")
        return
    if action.key == "reject":
        notice.status, notice.approver_id, notice.decided_at = "rejected", ctx.actor.person_id, ctx.now
        _audit(ctx, "rejected", notice)
        ctx.update_card(card.finished(phrase("chosen", text="不发")))
        ctx.reply("好的，这份约谈通知不发，已记录。")
        return
    if action.key == "edit":
        ctx.update_card(card.finished(phrase("editing")))
        values = {
            "notice_id": notice.id,
            "when": notice.meet_at.isoformat(),
            "place": notice.place,
            "interviewers": notice.interviewers,
            "materials": notice.materials,
        }
        engine.begin(ctx, "interview", values, "")
        return
    if too_soon(ctx, notice):
        ctx.reply(
            f"约谈时间距今不足{ctx.policy.rules.interview.notice_workdays}个工作日，请点「修改」调整时间后再发送。"
        )
        return
    notice.status, notice.approver_id = "sent", ctx.actor.person_id
    notice.decided_at = notice.sent_at = ctx.now
    _audit(ctx, "approved", notice)
    ctx.update_card(card.finished(phrase("chosen", text="批准发送")))
    if notice.target_person_id is None:
        ctx.reply("已批准，但被约谈单位没有负责人账号，请电话通知。")
        return
    ctx.card(
        build_card(
            "interview_notice", flow=FLOW, data={"stage": "confirm", "notice": notice.id}, **fields(notice, ctx.tz)
        ),
        person_id=notice.target_person_id,
    )
    ctx.reply("约谈通知已发出，对方确认收到后会告诉您。")


# -- 修改: the supervisor edits the draft as a form, then approves the new card -------------------------


def parse_when(text: str, ctx: Context) -> str | None:
    for span in extract(normalize(text), ctx.local_now, "future"):
        if not span.deadline:
            start = span.start
            if span.grain == "day":
                start = start.replace(
                    hour=ctx.policy.rules.interview.at.hour, minute=ctx.policy.rules.interview.at.minute
                )
            return start.isoformat()
    return None


def show_when(value: str) -> str:
    t = datetime.fromisoformat(value)
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def parse_text(limit: int) -> Callable[[str, Context], str | None]:
    def parse(text: str, _ctx: Context) -> str | None:
        text = text.strip()
        if len(text) > limit:
            raise Invalid(f"请控制在{limit}字以内。")
        return text or None

    return parse


def file_edit(ctx: Context, form: FormState) -> Filed:
    values: dict[str, Any] = form.values
    notice = ctx.session.get(InterviewNotice, int(values["notice_id"]))
    if notice is None or notice.status != "draft":
        raise Invalid("这份约谈通知已处理，不能再修改。")
    notice.meet_at = datetime.fromisoformat(values["when"])
    notice.place, notice.interviewers, notice.materials = values["place"], values["interviewers"], values["materials"]
    _audit(ctx, "edited", notice, when=values["when"], place=notice.place)
    ctx.card(approval_card(notice, ctx.tz))
    return Filed(receipt=f"YT-{notice.id}", message="已修改。请在新的审批卡片上点「批准发送」。")


INTERVIEW = register(
    FormSpec(
        kind="interview",
        title="约谈通知",
        fields=(
            FieldSpec(
                name="when",
                label="时间",
                question="约谈时间改为？",
                hint="例如「下周一上午9点半」",
                parse=parse_when,
                show=show_when,
                aliases=("约谈时间", "日期"),
            ),
            FieldSpec(
                name="place",
                label="地点",
                question="约谈地点改为？",
                hint="例如「镇党委会议室」",
                parse=parse_text(100),
                aliases=("约谈地点",),
            ),
            FieldSpec(
                name="interviewers",
                label="约谈人",
                question="约谈人改为？",
                hint="例如「镇党委副书记 王某」",
                parse=parse_text(100),
                aliases=("谈话人",),
            ),
            FieldSpec(
                name="materials",
                label="材料",
                question="需携带哪些材料？",
                hint="例如「整改方案」",
                parse=parse_text(200),
                aliases=("需携带材料", "携带材料"),
            ),
        ),
        file=file_edit,
    )
)
