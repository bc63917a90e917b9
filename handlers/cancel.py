"""撤回 / 取消: drop the draft being filled, or withdraw the sender's last filed report within the window."""

from __future__ import annotations

from handlers.context import Context
from handlers.forms import engine
from handlers.registry import handles

NOTHING = "您目前没有可以撤回的上报。"


@handles("cancel")
def withdraw(ctx: Context) -> None:
    from handlers.withdraw import offer_withdraw

    draft = ctx.forms.current
    if draft is not None:
        engine.cancel(ctx, draft)
        return
    if not offer_withdraw(ctx):
        ctx.reply(NOTHING)
