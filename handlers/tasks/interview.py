"""约谈通知: drafted by the ladder, decided by a supervisor (批准发送 / 修改 / 不发), confirmed by its recipient
(收到). Only an approved notice ever reaches the person, and never with less than the rules' notice period
(default two working days); every step is recorded (DOMAIN.md §4.3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.store.db import rows_changed
from bot.store.tables import AuditLog, InterviewNotice
from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers import open_cards
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


def earliest_day(ctx: Context) -> date:
    """The first day a 约谈 may be held if the notice went out today: the rules' notice period in working days."""
    return add_workdays(ctx.local_now.date(), ctx.policy.rules.interview.notice_workdays)


def too_soon(ctx: Context, notice: InterviewNotice) -> bool:
    return notice.meet_at.astimezone(ctx.tz).date() < earliest_day(ctx)


@dataclass(frozen=True)
class Decision:
    """What deciding did: whether the draft was decided now, what the card it was decided on shows (None:
    unchanged), and the other open cards closed because the decision was made in the 工作台."""

    decided: bool
    card_text: str | None = None
    closed: list[str] = field(default_factory=list)


def _claim(ctx: Context, notice: InterviewNotice, **values: object) -> bool:
    """Move the draft on only if it is still a draft: two supervisors (or two tabs) deciding at once decide once."""
    changed = rows_changed(
        ctx.session,
        update(InterviewNotice)
        .where(InterviewNotice.id == notice.id, InterviewNotice.status == "draft")
        .values(**values),
    )
    ctx.session.refresh(notice)
    return changed == 1


def decide_interview(
    ctx: Context, notice: InterviewNotice, choice: Literal["approve", "reject"], *, in_console: bool = False
) -> Decision:
    """批准发送 (the notice goes to the person, never with less than the notice period) or 不发, by one of the
    nearest supervisors, once. What is said to the decider goes on ctx; from the 工作台 (`in_console`), the
    draft's approval cards still open in the chat are closed, saying who decided it there."""
    handled = "这份约谈通知已处理，或已有修改后的新卡片。"
    if not may_decide(ctx, notice):
        ctx.reply("您没有审批这份约谈通知的权限。")
        return Decision(False)
    if notice.status != "draft":
        ctx.reply(handled)
        return Decision(False, phrase("expired"))
    if choice == "reject":
        if not _claim(ctx, notice, status="rejected", approver_id=ctx.actor.person_id, decided_at=ctx.now):
            ctx.reply(handled)
            return Decision(False, phrase("expired"))
        _audit(ctx, "rejected", notice)
        ctx.reply("好的，这份约谈通知不发，已记录。")
        return Decision(
            True,
            phrase("chosen", text="不发"),
            open_cards.closed_in_console(ctx, FLOW, "notice", notice.id, "已决定不发", in_console),
        )
    if too_soon(ctx, notice):
        ctx.reply(
            f"约谈时间距今不足{ctx.policy.rules.interview.notice_workdays}个工作日，请点「修改」调整时间后再发送。"
        )
        return Decision(False)
    if not _claim(ctx, notice, status="sent", approver_id=ctx.actor.person_id, decided_at=ctx.now, sent_at=ctx.now):
        ctx.reply(handled)
        return Decision(False, phrase("expired"))
    _audit(ctx, "approved", notice)
    closed = open_cards.closed_in_console(ctx, FLOW, "notice", notice.id, "已批准发送", in_console)
    if notice.target_person_id is None:
        ctx.reply("已批准，但被约谈单位没有负责人账号，请电话通知。")
        return Decision(True, phrase("chosen", text="批准发送"), closed)
    ctx.card(
        build_card(
            "interview_notice", flow=FLOW, data={"stage": "confirm", "notice": notice.id}, **fields(notice, ctx.tz)
        ),
        person_id=notice.target_person_id,
    )
    ctx.reply("约谈通知已发出，对方确认收到后会告诉您。")
    return Decision(True, phrase("chosen", text="批准发送"), closed)


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
    if action.key == "edit":
        if not may_decide(ctx, notice):
            ctx.reply("您没有审批这份约谈通知的权限。")
            return
        if notice.status != "draft":
            ctx.update_card(card.finished(phrase("expired")))
            ctx.reply("这份约谈通知已处理，或已有修改后的新卡片。")
            return
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
    start = len(ctx.out)
    decision = decide_interview(ctx, notice, "reject" if action.key == "reject" else "approve")
    if decision.card_text:
        ctx.update_card(card.finished(decision.card_text))
        ctx.out.insert(start, ctx.out.pop())  # the tapped card changes first, then what is said and sent


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


def edit_interview(
    ctx: Context, notice: InterviewNotice, when: datetime, place: str, interviewers: str, materials: str
) -> None:
    """修改 a draft's time, place, interviewers and materials; Invalid once it has been decided."""
    changed = rows_changed(
        ctx.session,
        update(InterviewNotice)
        .where(InterviewNotice.id == notice.id, InterviewNotice.status == "draft")
        .values(meet_at=when, place=place, interviewers=interviewers, materials=materials),
    )
    ctx.session.refresh(notice)
    if not changed:
        raise Invalid("这份约谈通知已处理，不能再修改。")
    _audit(ctx, "edited", notice, when=when.isoformat(), place=place)


def file_edit(ctx: Context, form: FormState) -> Filed:
    values: dict[str, Any] = form.values
    notice = ctx.session.get(InterviewNotice, int(values["notice_id"]))
    if notice is None:
        raise Invalid("这份约谈通知已处理，不能再修改。")
    edit_interview(
        ctx,
        notice,
        datetime.fromisoformat(values["when"]),
        values["place"],
        values["interviewers"],
        values["materials"],
    )
    ctx.card(approval_card(notice, ctx.tz))
    return Filed(receipt=f"YT-{notice.id}", message="已修改。请在新的审批卡片上点「批准发送」。")


def revise_interview(
    ctx: Context, notice: InterviewNotice, when: datetime, place: str, interviewers: str, materials: str
) -> None:
    """修改 from the 工作台: the same edit; the approval cards still open in the chat give way to new ones with
    the new time and place, so whoever decides in the chat decides on what will be sent."""
    edit_interview(ctx, notice, when, place, interviewers, materials)
    old = open_cards.naming(ctx.session, FLOW, "notice", notice.id)
    open_cards.close(ctx, old, phrase("replaced"))
    for person_id in dict.fromkeys(r.person_id for r in old if r.person_id is not None):
        ctx.card(approval_card(notice, ctx.tz), person_id=person_id)
    ctx.reply(f"已修改约谈通知：{when_text(notice.meet_at, ctx.tz)}，{notice.place}。")


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


def edit_problems(ctx: Context, when: datetime | None, texts: dict[str, str]) -> dict[str, str]:
    """The 工作台's 修改 form, checked as the chat's form checks each answer (the same parsers: every field
    given, within its length), and the time against the notice period the approval will be held to — said at
    once rather than when 批准发送 is refused. Field name → what to fix, in polite Chinese."""
    problems: dict[str, str] = {}
    if when is None:
        problems["when"] = "请填写约谈时间。"
    elif when <= ctx.now:
        problems["when"] = "约谈时间须晚于现在。"
    elif when.astimezone(ctx.tz).date() < earliest_day(ctx):
        first = earliest_day(ctx)
        problems["when"] = (
            f"约谈时间距今不足{ctx.policy.rules.interview.notice_workdays}个工作日，"
            f"最早可定在{first.month}月{first.day}日。"
        )
    for spec in INTERVIEW.fields:
        if spec.name == "when":
            continue
        try:
            value = spec.parse(texts.get(spec.name, ""), ctx)
        except Invalid as exc:
            problems[spec.name] = f"{spec.label}：{exc}"
            continue
        if value is None:
            problems[spec.name] = f"请填写{spec.label}。"
    return problems
