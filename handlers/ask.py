"""Questions. A few are about the sender's own records and are answered from them (本周巡查情况, 巡查台账);
policy and work-plan questions are answered once the knowledge base is loaded; until then, honestly."""

from __future__ import annotations

import re

from handlers.context import Context
from handlers.registry import handles

LEDGER = re.compile(r"(?:巡查|巡逻)?台账|导出.{0,6}巡查|下载.{0,6}巡查|巡查.{0,4}(?:表格|excel|Excel|报表)")
NOT_YET = "您的问题已收到。政策和任务问答正在接入，暂时请咨询镇里的联系干部；发送「帮助」查看现在能办的事。"


@handles("ask")
def question(ctx: Context) -> None:
    from handlers.patrol.summary import asks_for_summary, summary_text

    text = ctx.inbound.text or (ctx.understood.text if ctx.understood else "")
    if LEDGER.search(text):
        from handlers.patrol.ledger_request import send_ledger_link

        send_ledger_link(ctx, text)
        return
    if asks_for_summary(text):
        ctx.reply(summary_text(ctx, text))
        return
    ctx.reply(NOT_YET)
