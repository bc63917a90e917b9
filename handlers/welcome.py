"""Events: a greeting when someone opens the app (at most once a day) or starts following it."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import func, select

from bot.store.tables import InboundLog
from handlers.context import Context
from handlers.help import show_help
from handlers.registry import handles


def greeting(name: str) -> str:
    return f"{name}您好，我是村务助手。巡查、会议、走访直接发消息给我就行，发送「帮助」查看说明。"


@handles("event:subscribe")
def subscribed(ctx: Context) -> None:
    ctx.reply(greeting(ctx.actor.name))


@handles("event:enter_agent")
def entered(ctx: Context) -> None:
    # WeCom sends enter_agent every time the app is opened: greet once per local day, not every time.
    midnight = datetime.combine(ctx.local_now.date(), time(0), ctx.tz)
    earlier = ctx.session.scalar(
        select(func.count())
        .select_from(InboundLog)
        .where(
            InboundLog.person_id == ctx.actor.person_id,
            InboundLog.intent == "event:enter_agent",
            InboundLog.received_at >= midnight,
        )
    )
    if not earlier:
        ctx.reply(greeting(ctx.actor.name))


@handles("event:click")
def menu_clicked(ctx: Context) -> None:
    key = (ctx.inbound.event.key if ctx.inbound.event else "") or ""
    if key.lower() in ("help", "帮助", "menu_help"):
        show_help(ctx)
