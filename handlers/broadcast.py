"""通知: a supervisor's or secretary's notice to a group within their scope."""

from __future__ import annotations

from bot.roles import Role
from handlers.context import Context
from handlers.describe import summary
from handlers.registry import handles

MAY_BROADCAST = (Role.SUPERVISOR.value, Role.VILLAGE_SECRETARY.value, Role.BRANCH_COMMITTEE.value, Role.ADMIN.value)


@handles("broadcast")
def notify(ctx: Context) -> None:
    if not ctx.actor.has_role(*MAY_BROADCAST):
        ctx.reply("发通知需要督导或书记权限。如需通知大家，请联系村党组织书记。")
        return
    u = ctx.understood
    assert u is not None
    from handlers.meetings.attendance import offer

    if "content" in u.fields and offer(ctx, str(u.fields.get("audience", "")), str(u.fields["content"])):
        return
    if "content" not in u.fields:
        ctx.reply(
            f"我理解为：{summary('broadcast', u.fields)}。请按「通知{u.fields.get('audience', '全体网格员')}：内容」发送，我会先给您预览再发出。"
        )
        return
    ctx.reply(f"我理解为：{summary('broadcast', u.fields)}。通知群发功能开通后会先给您预览人数，确认后再发出。")
