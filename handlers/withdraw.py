"""撤回: the sender's most recent record — a patrol, a meeting record or a trip — within
CADREBOT_WITHDRAW_MINUTES of filing, and only while nobody has acted on it. The sender confirms with one tap
(a withdrawal takes a record out of the ledgers, so it is never done on a stray word); the rules are checked
again at the tap. Every withdrawal and every refusal leaves an audit entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.store.tables import AuditLog
from cards.content import card as build_card
from cards.content import phrase
from handlers.catalogue import catalogue
from handlers.context import Context
from handlers.registry import handles

FLOW = "withdraw"


@dataclass
class Withdrawable:
    kind: str  # patrol | meeting | trip: the audit action's prefix
    record_id: int
    receipt: str
    filed_at: datetime
    title: str  # 巡查记录
    rows: list[tuple[str, str]]
    note: str  # what else goes with it
    withdraw: Callable[[Context], None]
    blocked: str | None = None  # why it cannot be withdrawn although the window is open
    detail: dict[str, object] = field(default_factory=dict)


Finder = Callable[[Context, int | None], Withdrawable | None]
FINDERS: dict[str, Finder] = {}


def finder(kind: str) -> Callable[[Finder], Finder]:
    def register(fn: Finder) -> Finder:
        FINDERS[kind] = fn
        return fn

    return register


def _audit(ctx: Context, action: str, item: Withdrawable, **detail: object) -> None:
    ctx.session.add(
        AuditLog(
            actor_person_id=ctx.actor.person_id,
            actor=ctx.actor.name,
            action=f"{item.kind}.{action}",
            target=item.receipt,
            detail={**item.detail, **detail},
        )
    )


def refusal(ctx: Context, item: Withdrawable) -> str | None:
    age = ctx.now - item.filed_at
    if age > timedelta(minutes=ctx.policy.withdraw_minutes):
        _audit(ctx, "withdraw_refused", item, reason="window", minutes=int(age.total_seconds() // 60))
        return (
            f"{item.title} {item.receipt} 提交已超过{ctx.policy.withdraw_minutes}分钟，不能撤回了。"
            "如需更正，请联系村里的书记或镇里的联系干部。"
        )
    if item.blocked:
        _audit(ctx, "withdraw_refused", item, reason=item.blocked)
        return f"{item.title} {item.receipt} {item.blocked}，不能撤回了。如需更正，请联系相关负责人。"
    return None


def in_rank_order() -> list[Finder]:
    """The finders in their intents' declared order (patrol, meeting, trip), not the order their modules
    happened to load in: of two records filed at the same moment, the earlier intent's is the latest."""
    names = catalogue().names
    return [FINDERS[k] for k in sorted(FINDERS, key=lambda k: names.index(k) if k in names else len(names))]


def latest(ctx: Context) -> Withdrawable | None:
    found = [item for find in in_rank_order() if (item := find(ctx, None)) is not None]
    return max(found, key=lambda item: item.filed_at, default=None)


def offer_withdraw(ctx: Context) -> bool:
    """True when there was a record to speak of (a confirmation card, or the reason it cannot go)."""
    item = latest(ctx)
    if item is None:
        return False
    reason = refusal(ctx, item)
    if reason:
        ctx.reply(reason)
        return True
    ctx.card(
        build_card(
            "withdraw_confirm",
            flow=FLOW,
            data={"kind": item.kind, "id": item.record_id},
            title=item.title,
            note=item.note,
            rows=[{"label": label, "value": value} for label, value in item.rows],
        )
    )
    return True


@handles("card:withdraw")
def withdraw_tapped(ctx: Context) -> None:
    action, card = ctx.tap()
    if action.key != "withdraw":
        ctx.update_card(card.finished(phrase("kept")))
        ctx.reply("好的，记录保留不变。")
        return
    find = FINDERS.get(str(card.data.get("kind")))
    item = find(ctx, int(card.data.get("id", 0))) if find else None
    if item is None:
        ctx.update_card(card.finished(phrase("expired")))
        ctx.reply("这条记录已撤回或不存在。")
        return
    reason = refusal(ctx, item)
    if reason:
        ctx.update_card(card.finished(phrase("refused")))
        ctx.reply(reason)
        return
    item.withdraw(ctx)
    _audit(ctx, "withdrawn", item)
    ctx.update_card(card.finished(phrase("withdrawn")))
    ctx.reply(f"已撤回{item.title} {item.receipt}。")
