"""A text the bot does not understand yet: say so politely, quote it back, and point to 帮助."""

from __future__ import annotations

from handlers.context import Context
from handlers.registry import handles

SNIPPET = 30


@handles("unknown")
def not_understood(ctx: Context) -> None:
    text = " ".join((ctx.inbound.text or "").split())
    if not text:
        ctx.reply("没看懂您的消息，发送「帮助」查看我能做什么。")
        return
    snippet = text if len(text) <= SNIPPET else text[:SNIPPET] + "…"
    ctx.reply(f"收到您的消息：「{snippet}」。这类事项我还不会办理，发送「帮助」查看我能做什么。")
