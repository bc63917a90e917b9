"""撤回: withdraw the sender's own last report, within the allowed window."""

from __future__ import annotations

from handlers.context import Context
from handlers.registry import handles


@handles("cancel")
def withdraw(ctx: Context) -> None:
    ctx.reply("您目前没有可以撤回的上报。")
