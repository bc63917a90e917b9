"""Which intent a message is, with a score per intent and the reasons behind it.

Deterministic and explainable: a few decisive rules first (empty, emoji, ack, forwarded, cancel, help,
broadcast, question), then weighted evidence for the report intents against 'other'. The intents, their
order and each report intent's evidence are declared with the intent, next to its handler
(handlers/catalogue.py); what stays here is shared by all of them. The confidence is the winner's share of the
evidence; below the threshold the bot asks back with the likeliest readings instead of guessing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.catalogue import catalogue
from handlers.nlu import lexicon as lx
from handlers.nlu.evidence import Evidence

QUESTION_HEAD = 4.5  # the evidence a report before a trailing question needs, unless its intent says less


def __getattr__(name: str) -> Any:
    # INTENTS / REPORTS are read from the declarations on first use, not at import (they import this package)
    if name == "INTENTS":
        return catalogue().names
    if name == "REPORTS":
        return catalogue().reports
    raise AttributeError(name)


@dataclass
class Verdict:
    intent: str
    confidence: float
    scores: dict[str, float]
    reasons: list[str] = field(default_factory=list)

    def ranking(self) -> list[tuple[str, float]]:
        return sorted(self.scores.items(), key=lambda kv: -kv[1])


def fresh_evidence() -> Evidence:
    return Evidence(dict.fromkeys(catalogue().names, 0.0))


# -- decisive rules --------------------------------------------------------------------------------------

NOTIFY = re.compile(
    r"(?:请|麻烦|帮我|帮忙|你|您|机器人|助手|给我)?(?:帮我|帮忙)?(?P<verb>通知|告诉|转告|提醒|告知|通告)(?:一下|下)?"
    r"(?P<audience>[^:：,，。!！?？\s]{1,20}?)(?:一下|下)?(?:[:：]|$|,|，|\s)"
    r"|(?P<verb2>通知|转告|告诉|告知)(?:一下|下)?(?P<audience2>[^:：,，。!！?？\s]{0,6}?(?:流动党员|党员|网格员|书记|支委|委员|干部|组长|村民|群众|"
    r"代表|成员|同志|大家|两委|村委|联系户))"
)
AUDIENCE = re.compile(
    r"全体|所有|各|全部|大家|每个|每位|们|网格员|网格长|党员|书记|支书|支委|委员|干部|组长|村民|群众|代表|成员|"
    r"同志|人员|两委|村委|班子|联系户|楼长|户主|小组|工作队|专班|队员|[一二三四五六七八九十\d]组|全村|全镇"
)
SELF_REMINDER = re.compile(r"提醒我|通知我|告诉我|提醒下我|提醒一下我")


def broadcast_match(text: str) -> re.Match[str] | None:
    """The sender asks the bot to notify a group: 通知全体网格员：…, 你通知一下大家 …"""
    if SELF_REMINDER.search(text):
        return None
    for m in NOTIFY.finditer(text):
        audience = m.group("audience") or m.group("audience2")
        if audience and AUDIENCE.search(audience) and not lx.QUESTION.search(audience):
            before = text[: m.start()]
            if re.search(r"(?:收到|接到|看到|没|没有|未|已经|已|谁|是否|要不要|需不需要|该不该)[^,，。]{0,3}$", before):
                continue  # 收到通知…, 没通知到…: not a request to notify
            return m
    return None


def is_question(text: str) -> str | None:
    for m in lx.QUESTION.finditer(text):
        clause_start = max(text.rfind(c, 0, m.start()) for c in ",，。;；!！ ") + 1
        if lx.EMBEDDED_QUESTION.search(text[clause_start : m.start()]):
            continue  # 不知道归哪类: wondering aloud, not asking
        return m.group(0)
    return None


REMIND_UNCONFIRMED = re.compile(
    r"^(?:请|帮我)?(?:再)?提醒(?:一下|下)?(?:未确认|没确认|没有确认|未回复|没回复)(?:的)?(?:人|同志)?[。.!！]*$"
)
BARE_CANCEL = re.compile(r"^(?:取消|取消登记|取消上报|不报了)[。.!！]*$")
# 本周巡查情况, 导出三月巡查台账, 谁还没巡查: a question about one's own records, though it asks nothing
OWN_RECORDS = re.compile(
    r"(?:巡查|巡逻|走访|下村|会议|三会一课)(?:的)?(?:情况|统计|汇总|记录|数据|次数|报表|进度)(?:呢|吧|啊)?[。.!！?？]*$"
    r"|(?:导出|下载|要|发我|给我).{0,8}(?:台账|发放表|明细表)|台账(?:导出|下载)|^(?:本月|上月|上个月|这个月|\d+月|[一二三四五六七八九十]+月)?(?:巡查|巡逻)?台账[。.!！?？]*$"
    r"|谁(?:还)?没(?:有)?(?:巡查|巡逻|走访)"
    r"|^(?:会议的?)?参会(?:情况|统计|回复)[。.!！?？]*$|^回复情况[。.!！?？]*$|^(?:通知|确认|回执)(?:的)?情况[。.!！?？]*$"
    r"|^(?:我的?)?(?:本月|这个月|上个?月|\d{1,2}月|[一二三四五六七八九十]{1,2}月)的?(?:交通)?补助(?:多少|情况|明细)?[。.!！?？]*$"
)


# -- evidence for the report intents ---------------------------------------------------------------------


def report_evidence(text: str, ev: Evidence, future: bool = False) -> None:
    for intent in catalogue().weighed:
        assert intent.evidence is not None
        intent.evidence(text, ev, future)
    ev.add("other", 0.8, "prior")


UNSURE = 1.0  # the weight of "none of these": a winner with little evidence is not a confident one


def softmax_confidence(scores: dict[str, float], winner: str) -> float:
    exps = {k: math.exp(v) for k, v in scores.items()}
    return exps[winner] / (sum(exps.values()) + math.exp(UNSURE))


def decide(text: str, original: str, now: datetime | None = None) -> Verdict:
    """`text` is the normalised message, `original` what was sent, `now` the moment it was sent."""
    stripped = text.strip()
    if not stripped:
        return Verdict("other", 1.0, {"other": 1.0}, ["empty message"])
    if lx.ACK_EMOJI.match(stripped):
        return Verdict("ack", 0.9, {"ack": 0.9, "other": 0.1}, ["acknowledging emoji"])
    if not re.search(r"[\u4e00-\u9fa5A-Za-z0-9]", stripped):
        return Verdict("other", 0.9, {"other": 0.9}, ["no words, only symbols"])
    if lx.is_ack(stripped):
        return Verdict("ack", 0.95, {"ack": 0.95, "other": 0.05}, [f"acknowledgement '{stripped}'"])
    if lx.GREETING.match(stripped):
        return Verdict("other", 0.9, {"other": 0.9, "ack": 0.1}, ["greeting or chit-chat"])
    if lx.FORWARDED.search(stripped):
        return Verdict("other", 0.9, {"other": 0.9, "broadcast": 0.1}, ["a forwarded notice"])

    # a 收到 / 好的 prefix does not make a report an acknowledgement
    body = re.sub(r"^(?:收到|好的|好|明白|嗯|ok)[\s,.!，。！]+", "", stripped, flags=re.I)

    question = is_question(body)
    money = re.search(r"交通补助|补助|补贴|报销|费用|钱", body) and not re.search(r"机器人|助手|怎么用|不会", body)
    if lx.CONSOLE.match(body.replace(" ", "")):
        return Verdict("console", 0.9, {"console": 0.9, "help": 0.1}, ["asks for the 工作台 sign-in link"])
    if m := lx.FEEDBACK.search(body):
        return Verdict("feedback", 0.9, {"feedback": 0.9, "other": 0.1}, [f"the sender's own label '{m.group(0)}'"])
    if (m := lx.HELP.search(body)) and not money:
        return Verdict("help", 0.9, {"help": 0.9, "ask": 0.1}, [f"how to use the bot '{m.group(0)}'"])

    # 明天的会取消了 is someone else's news, not the sender withdrawing a report
    others_news = re.search(r"(?:会|会议|活动|党日|党课|走访|下村)(?:也)?(?:取消|不开)了", body) and not re.search(
        r"撤回|作废|报错", body
    )
    if REMIND_UNCONFIRMED.match(body):
        return Verdict("broadcast", 0.9, {"broadcast": 0.9, "other": 0.1}, ["remind those who have not confirmed"])
    if BARE_CANCEL.match(body):
        return Verdict("cancel", 0.9, {"cancel": 0.9, "other": 0.1}, [f"cancelling '{body}'"])
    if (m := OWN_RECORDS.search(body)) and not broadcast_match(body):
        return Verdict("ask", 0.85, {"ask": 0.85, "patrol": 0.15}, [f"asks for own records '{m.group(0)}'"])
    if (m := lx.CANCEL.search(body)) and not others_news:
        return Verdict("cancel", 0.9, {"cancel": 0.9, "other": 0.1}, [f"withdrawing '{m.group(0)}'"])

    if (m := broadcast_match(body)) and not lx.HEARSAY.search(body):
        reasons = [
            f"asks to notify '{m.group('audience') or m.group('audience2')}' ('{m.group('verb') or m.group('verb2')}')"
        ]
        return Verdict("broadcast", 0.85, {"broadcast": 0.85, "other": 0.15}, reasons)

    future = False
    if now is not None:
        from handlers.nlu.chinese_time import extract

        future = any(not t.deadline and t.start.date() > now.date() for t in extract(body, now))
    ev = fresh_evidence()
    report_evidence(body, ev, future)

    if question:
        ev.add("ask", 3.0, f"a question '{question}'")
        # A report with a question tacked on (…走访十二户，交通补助怎么报) is still the report.
        clauses = [c for c in re.split(r"[,，。;；!！\s]+", body) if c.strip()]
        head = " ".join(clauses[:-1])
        report_head = fresh_evidence()
        if len(clauses) > 1 and not is_question(head):
            report_evidence(head, report_head)
        head_best = max(catalogue().reports, key=lambda k: report_head.scores[k])
        done_head = bool(re.search(r"了|已|完|过|共", head))
        # each report intent declares what its head needs: a trip, a task or a patrol said to be done needs less
        # than a meeting or a leave, whose numbers and names are as often the subject of a question (应到40人来了19个
        # 算不算数)
        best = catalogue().named(head_best)
        threshold = best.head_threshold(body, head, done_head) if best and best.head_threshold else QUESTION_HEAD
        if re.search(r"顺便问|顺便说|另外问|再问一下|还有个事", body):
            threshold = 3.0  # 刚开完支委会…顺便问下…: the report comes first, the question is an aside
        if len(clauses) > 1 and not is_question(head) and report_head.scores[head_best] >= threshold:
            ev.add(head_best, 3.5, "a complete report before the question")
        else:
            ev.add("ask", 3.0, "the message asks")
    elif lx.HEARSAY.search(body):
        ev.add("other", 3.0, "hearsay")

    scores = ev.scores
    winner = max(catalogue().names, key=lambda k: scores[k])
    if scores[winner] <= 0.8:
        winner = "other"
    confidence = softmax_confidence({k: v for k, v in scores.items() if v > 0} | {winner: scores[winner]}, winner)
    return Verdict(winner, round(confidence, 3), {k: round(v, 2) for k, v in scores.items() if v}, ev.reasons)
