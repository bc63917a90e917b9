"""A patrol message opens the patrol form with everything the message said."""

from __future__ import annotations

from handlers.context import Context
from handlers.forms import engine
from handlers.patrol import form as patrol_form
from handlers.patrol.filing import NOT_IN_A_VILLAGE
from handlers.registry import handles


@handles("patrol")
def patrol(ctx: Context) -> None:
    u = ctx.understood
    assert u is not None
    if not patrol_form.may_patrol(ctx):
        ctx.reply(NOT_IN_A_VILLAGE)
        return
    values = dict(u.fields)
    if values.get("issues"):
        values["note"] = u.text.strip()[:200]
    engine.begin(ctx, "patrol", values, u.text)
