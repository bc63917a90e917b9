"""Questions. Some are about the sender's own records and are answered from them (本周巡查情况, 巡查台账,
我这个月下村几次, 我们村还有哪些任务没完成); the rest from the knowledge base — the work plan, the FAQ and the
rules file — with the source quoted, or an honest "I don't know"."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.orm import Session

from handlers.ask_window import due_window
from handlers.context import Context, Policy
from handlers.registry import handles
from knowledge.answers import Answer, answer
from knowledge.faq import load_faq
from knowledge.kb import KnowledgeBase, knowledge_base

LEDGER = re.compile(
    r"台账|发放(?:明细|表)|(?:导出|下载).{0,8}(?:巡查|会议|走访|补助|三会一课)|巡查.{0,4}(?:表格|excel|Excel|报表)"
)
CADENCE = re.compile(
    r"三会一课(?:情况|开展情况|开得怎么样|开了(?:没|吗))|^三会一课[?？]?$|组织生活(?:情况|开展)|(?:支部)?会议(?:开展)?情况"
    r"|支委会开了没|会开了没"
)
SUBSIDY = re.compile(
    r"补助(?:多少|情况|明细|是多少|有多少|怎么样)|(?:月|我)的?(?:交通)?补助[?？。]*$|补助(?:发了|到账)"
)
TALLY = re.compile(r"参会情况|回复情况|谁没回复|参会统计|谁(?:还)?没回")


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
    ctx.reply(answer_for(ctx, text).text)


def answer_for(ctx: Context, text: str) -> Answer:
    """What the bot answers to a question, with its sources (`cadrebot ask --json` prints this)."""
    from handlers.ask_records import records_answer

    found = records_answer(ctx, text)
    if found is not None:
        return found
    kb = knowledge_for(ctx.session, ctx.policy)
    window = due_window(text, ctx.local_now, kb.plan.year)
    return answer(text, kb, ctx.policy.rules, ctx.local_now.date(), window)


def knowledge_for(session: Session, policy: Policy) -> KnowledgeBase:
    from knowledge.plan.store import current_plan, current_plan_key

    faq = load_faq(Path(policy.faq_file)) if policy.faq_file else load_faq()
    return knowledge_base(current_plan_key(session), lambda: current_plan(session), faq, policy.rules)
