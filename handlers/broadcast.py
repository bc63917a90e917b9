"""通知: a supervisor or secretary writes 「通知全体网格员：…」 → a preview card with who and how many →
发送 → one card to each (batched: WeCom takes up to 1,000 people a call) with a 收到 button → a summary to the
sender an hour and a day later (delivered, failed with the reason, confirmed, not yet) → 提醒未确认 sends again
to those who have not confirmed, and only to them. Only within the sender's own part of the organisation.

A notice about a meeting sent to party members becomes a 参会通知 instead (handlers/meetings/attendance.py).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import CardAction, CardReply, Outgoing
from bot.roles import OrgKind, Role
from bot.store.reminders import add_reminder
from bot.store.tables import Broadcast, BroadcastRecipient, Org, Outbox, Person, PersonRole
from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers.context import Context
from handlers.describe import summary
from handlers.orgs import scope_of
from handlers.previews import Preview
from handlers.registry import handles
from knowledge.calendar import in_quiet_hours, next_allowed

FLOW = "broadcast"
REMIND = re.compile(r"^(?:请|帮我)?(?:再)?提醒(?:一下|下)?(?:未确认|没确认|没有确认|未回复|没回复)")
MAY_BROADCAST = (Role.SUPERVISOR.value, Role.VILLAGE_SECRETARY.value, Role.BRANCH_COMMITTEE.value, Role.ADMIN.value)
# audience words → the roles they mean (全体/大家 alone: everyone in scope)
AUDIENCE_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"网格长", (Role.GRID_LEADER.value,)),
    (r"网格员", (Role.GRID_MEMBER.value, Role.GRID_LEADER.value)),
    (r"支委|支部委员", (Role.BRANCH_COMMITTEE.value, Role.VILLAGE_SECRETARY.value)),
    (r"书记|支书", (Role.VILLAGE_SECRETARY.value,)),
    (r"党员", (Role.PARTY_MEMBER.value,)),
    (r"两委|村干部|村委", (Role.VILLAGE_SECRETARY.value, Role.VILLAGE_COMMITTEE.value)),
    (r"乡镇干部|镇干部|乡干部", (Role.TOWNSHIP_CADRE.value,)),
    (r"督导", (Role.SUPERVISOR.value,)),
)


def sender_scope(ctx: Context) -> Org | None:
    if ctx.actor.has_role(Role.SUPERVISOR.value, Role.ADMIN.value):
        return scope_of(ctx.session, ctx.actor.org_id, ctx.actor.roles)
    from handlers.orgs import ancestor

    return ancestor(ctx.session, ctx.actor.org_id, OrgKind.VILLAGE)


def audience_of(session: Session, scope: Org, audience: str, sender_id: int) -> tuple[Org, list[Person]]:
    """Who 「全体网格员」「李家村党员」「3组网格员」 means inside `scope`, in roster order, without the sender."""
    target = scope
    for org in session.scalars(select(Org).where(Org.path.like(scope.path + "/%")).order_by(Org.path)):
        if org.name in audience and len(org.name) >= 2 and org.path.count("/") >= target.path.count("/"):
            target = org
    roles = sorted({r for pattern, rs in AUDIENCE_ROLES if re.search(pattern, audience) for r in rs})
    query = (
        select(Person)
        .join(Org, Person.org_id == Org.id)
        .where(Person.active.is_(True), (Org.id == target.id) | Org.path.like(target.path + "/%"))
    )
    if roles:
        query = query.join(PersonRole).where(PersonRole.role.in_(roles))
    people = session.scalars(query.order_by(Person.id).distinct()).all()
    return target, [p for p in people if p.id != sender_id]


@handles("broadcast")
def notify(ctx: Context) -> None:
    if not ctx.actor.has_role(*MAY_BROADCAST):
        ctx.reply("发通知需要督导或书记权限。如需通知大家，请联系村党组织书记。")
        return
    u = ctx.understood
    assert u is not None
    if REMIND.match(u.text.strip()):
        remind_unconfirmed(ctx)
        return
    audience, content = str(u.fields.get("audience", "")), u.fields.get("content")
    from handlers.meetings.attendance import offer

    if content and offer(ctx, audience, str(content)):
        return
    if not content:
        ctx.reply(
            f"我理解为：{summary('broadcast', u.fields)}。请按「通知{audience or '全体网格员'}：内容」发送，我会先给您预览再发出。"
        )
        return
    scope = sender_scope(ctx)
    if scope is None:
        ctx.reply("您在名册中没有可通知的范围，请联系管理员。")
        return
    target, people = audience_of(ctx.session, scope, audience, ctx.actor.person_id)
    if not people:
        ctx.reply(f"在{scope.name}范围内没有找到「{audience}」，请换个说法，例如「通知全体网格员：…」。")
        return
    quiet = ctx.policy.rules.reminders
    later = None
    if in_quiet_hours(ctx.now, ctx.tz, quiet.quiet_start, quiet.quiet_end):
        at = next_allowed(ctx.now, ctx.tz, quiet.quiet_start, quiet.quiet_end).astimezone(ctx.tz)
        later = f"现在是休息时间，确认后将于{at.month}月{at.day}日{at:%H:%M}发出"
    PREVIEW.offer(
        ctx,
        {"scope": target.id, "audience": audience, "content": content, "people": [p.id for p in people]},
        audience=audience,
        where=target.name,
        count=len(people),
        content=content,
        names="、".join(p.name for p in people[:5]) + ("等" if len(people) > 5 else ""),
        later=later,
    )


def notice_card(broadcast: Broadcast, sender: str, *, again: bool = False) -> CardReply:
    card = build_card(
        "broadcast_notice",
        flow=FLOW,
        data={"stage": "confirm", "broadcast": broadcast.id},
        sender=sender,
        content=broadcast.content,
        again=again,
    )
    return CardReply(card=card)


def send(ctx: Context, data: dict[str, Any]) -> Broadcast:
    scope = ctx.session.get(Org, int(data["scope"]))
    assert scope is not None
    people_ids = [int(p) for p in data["people"]]
    broadcast = Broadcast(
        sender_id=ctx.actor.person_id,
        scope_org_id=scope.id,
        audience=str(data["audience"])[:100],
        content=str(data["content"]),
        created_at=ctx.now,
    )
    ctx.session.add(broadcast)
    ctx.session.flush()
    for person_id in people_ids:
        ctx.session.add(BroadcastRecipient(broadcast_id=broadcast.id, person_id=person_id))
    quiet = ctx.policy.rules.reminders
    when = next_allowed(ctx.now, ctx.tz, quiet.quiet_start, quiet.quiet_end)  # held until morning in quiet hours
    broadcast.sent_at = when
    ctx.out.append(
        Outgoing(
            reply=notice_card(broadcast, ctx.actor.name),
            person_ids=people_ids,
            tag=f"broadcast:{broadcast.id}",
            not_before=when if when > ctx.now else None,
        )
    )
    plan_summaries(ctx.session, broadcast, when)
    return broadcast


def plan_summaries(session: Session, broadcast: Broadcast, sent_at: datetime) -> None:
    """The sender hears how it went an hour and a day after sending (the scheduler fires these)."""
    for label, delay in (("1h", timedelta(hours=1)), ("1d", timedelta(days=1))):
        add_reminder(
            session,
            key=f"broadcast:{broadcast.id}:{label}",
            kind="summary",
            step=label,
            broadcast_id=broadcast.id,
            due_at=sent_at + delay,
        )


def latest(session: Session, sender_id: int) -> Broadcast | None:
    return session.scalar(
        select(Broadcast).where(Broadcast.sender_id == sender_id).order_by(Broadcast.id.desc()).limit(1)
    )


def delivery_state(session: Session, broadcast: Broadcast) -> dict[str, tuple[str, str | None]]:
    """Per recipient user id: delivered / failed (reason) / sending, from the outbox rows of the broadcast."""
    state: dict[str, tuple[str, str | None]] = {}
    rows = session.scalars(select(Outbox).where(Outbox.tag == f"broadcast:{broadcast.id}").order_by(Outbox.id))
    for row in rows:
        failed = set(row.failed_recipients or [])
        for user in row.recipients or [row.recipient]:
            if row.status == "delivered":
                state[user.lower()] = (
                    ("failed", "账号无效或不在应用可见范围") if user in failed else ("delivered", None)
                )
            elif row.status == "failed":
                state[user.lower()] = ("failed", row.last_error)
            else:
                state.setdefault(user.lower(), ("sending", None))
    return state


def summary_for(session: Session, broadcast: Broadcast, tz: ZoneInfo) -> str:
    state = delivery_state(session, broadcast)
    recipients = broadcast.recipients
    delivered, failed, confirmed, silent = [], [], [], []
    for r in recipients:
        user = (r.person.wecom_userid or r.person.dingtalk_userid or "").lower()
        status, reason = state.get(user, ("sending", None))
        if status == "failed":
            failed.append(f"{r.person.name}（{reason or '发送失败'}）")
            continue
        if status == "delivered":
            delivered.append(r.person.name)
        if r.confirmed_at is not None:
            confirmed.append(r.person.name)
        elif status == "delivered":
            silent.append(r.person.name)
    sent = broadcast.sent_at.astimezone(tz) if broadcast.sent_at else None
    head = f"通知「{broadcast.content[:20]}{'…' if len(broadcast.content) > 20 else ''}」"
    if sent:
        head += f"（{sent.month}月{sent.day}日{sent:%H:%M}，{len(recipients)}人）"
    lines = [head, f"已送达{len(delivered)}人，已确认{len(confirmed)}人，未确认{len(silent)}人，失败{len(failed)}人。"]
    if silent:
        lines.append("未确认：" + "、".join(silent[:30]) + ("等" if len(silent) > 30 else ""))
    if failed:
        lines.append("失败：" + "；".join(failed[:10]) + ("等" if len(failed) > 10 else ""))
    if silent:
        lines.append("回复「提醒未确认」可只提醒未确认的人。")
    return "\n".join(lines)


def remind_unconfirmed(ctx: Context) -> None:
    broadcast = latest(ctx.session, ctx.actor.person_id)
    if broadcast is None:
        ctx.reply("您还没有发过通知。")
        return
    state = delivery_state(ctx.session, broadcast)
    missing = [
        r
        for r in broadcast.recipients
        if r.confirmed_at is None
        and state.get((r.person.wecom_userid or r.person.dingtalk_userid or "").lower(), ("",))[0] != "failed"
    ]
    if not missing:
        ctx.reply("这条通知大家都已确认收到，无需提醒。")
        return
    for r in missing:
        r.reminded_at = ctx.now
    ctx.out.append(
        Outgoing(
            reply=notice_card(broadcast, ctx.actor.name, again=True),
            person_ids=[r.person_id for r in missing],
            tag=f"broadcast:{broadcast.id}:again",
        )
    )
    ctx.reply(
        f"已再次提醒{len(missing)}位未确认的人："
        + "、".join(r.person.name for r in missing[:10])
        + ("等" if len(missing) > 10 else "")
        + "。"
    )


def status_reply(ctx: Context) -> None:
    broadcast = latest(ctx.session, ctx.actor.person_id)
    ctx.reply(summary_for(ctx.session, broadcast, ctx.tz) if broadcast else "您还没有发过通知。")


PREVIEW = Preview(
    flow=FLOW,
    template="broadcast_preview",
    send=lambda ctx, data: len(send(ctx, data).recipients),
    sent="通知已发给{n}人。1小时后和明天会把送达、确认情况发给您；随时可发「通知情况」查看。",
    cancelled="好的，通知没有发出。",
)


@handles("card:broadcast")
@PREVIEW.taps
def tapped(ctx: Context, action: CardAction, card: Card) -> None:
    broadcast = ctx.session.get(Broadcast, int(card.data.get("broadcast", 0)))
    if broadcast is None:
        ctx.update_card(card.finished(phrase("expired")))
        return
    recipient = next((r for r in broadcast.recipients if r.person_id == ctx.actor.person_id), None)
    if recipient is None:
        ctx.reply("这条通知不是发给您的。")
        return
    if recipient.confirmed_at is None:
        recipient.confirmed_at = ctx.now
    ctx.update_card(card.finished(phrase("answered", text="收到")))


def when_text(when: datetime, tz: ZoneInfo) -> str:
    t = when.astimezone(tz)
    return f"{t.month}月{t.day}日{t:%H:%M}"
