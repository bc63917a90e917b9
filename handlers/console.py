"""工作台: the chat hands out a one-time sign-in link to the web console, to the people who manage an area."""

from __future__ import annotations

from bot.store.logins import LINK_MINUTES, make_link
from handlers.context import Context
from handlers.orgs import scope_of
from handlers.registry import handles


@handles("console")
def console_link(ctx: Context) -> None:
    if not ctx.policy.console_on or not ctx.policy.public_url:
        ctx.reply("工作台暂未开通，请联系管理员。")
        return
    if scope_of(ctx.session, ctx.actor.org_id, ctx.actor.roles) is None:
        ctx.reply("工作台供督导、乡镇干部、村书记和管理员使用。您的记录可以直接问我，例如「本周巡查情况」。")
        return
    token = make_link(ctx.session, ctx.actor.person_id, ctx.now)
    ctx.notice(
        "工作台登录",
        f"点击进入工作台。链接{LINK_MINUTES}分钟内有效，只能用一次，请勿转发。",
        url=f"{ctx.policy.public_url.rstrip('/')}/console/link/{token}",
        button="进入",
    )
