"""Questions. A few are about the sender's own records and are answered from them (本周巡查情况, 巡查台账);
policy and work-plan questions are answered once the knowledge base is loaded; until then, honestly."""

from __future__ import annotations

import re

from handlers.context import Context
from handlers.registry import handles

LEDGER = re.compile(
    r"台账|发放(?:明细|表)|(?:导出|下载).{0,8}(?:巡查|会议|走访|补助|三会一课)|巡查.{0,4}(?:表格|excel|Excel|报表)"
)
CADENCE = re.compile(r"三会一课|组织生活(?:情况|开展)|(?:支部)?会议(?:开展)?情况|支委会开了没|会开了没")
SUBSIDY = re.compile(
    r"补助(?:多少|情况|明细|是多少|有多少|怎么样)|(?:月|我)的?(?:交通)?补助[?？。]*$|补助(?:发了|到账)"
)
TALLY = re.compile(r"参会情况|回复情况|谁没回复|参会统计|谁(?:还)?没回")
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
    if CADENCE.search(text):
        from handlers.meetings.cadence import cadence_text

        ctx.reply(cadence_text(ctx))
        return
    if SUBSIDY.search(text):
        from handlers.trips.report import subsidy_text

        ctx.reply(subsidy_text(ctx, text))
        return
    if re.search(r"^(?:通知|确认|回执)(?:的)?情况", text):
        from handlers.broadcast import status_reply

        status_reply(ctx)
        return
    if TALLY.search(text):
        from handlers.meetings.attendance import tally_reply

        tally_reply(ctx)
        return
    ctx.reply(NOT_YET)
