"""Questions: answered from the work plan, the policy settings and the sender's own records once the
knowledge base is loaded; until then, the question is acknowledged honestly."""

from __future__ import annotations

from handlers.context import Context
from handlers.registry import handles


@handles("ask")
def question(ctx: Context) -> None:
    ctx.reply("您的问题已收到。政策和任务问答正在接入，暂时请咨询镇里的联系干部；发送「帮助」查看现在能办的事。")
