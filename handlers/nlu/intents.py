"""Which of the eleven intents a message is, with a score per intent and the reasons behind it.

Deterministic and explainable: a few decisive rules first (empty, emoji, ack, forwarded, cancel, help,
broadcast, question), then weighted evidence for the report intents (patrol, meeting, leave, trip,
task_progress) against 'other'. The confidence is the winner's share of the evidence; below the
threshold the bot asks back with the likeliest readings instead of guessing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from handlers.nlu import lexicon as lx
from handlers.nlu.fields import villages

INTENTS = ("patrol", "meeting", "leave", "trip", "task_progress", "ask", "ack", "help", "cancel", "broadcast", "other")
REPORTS = ("patrol", "meeting", "leave", "trip", "task_progress")


@dataclass
class Verdict:
    intent: str
    confidence: float
    scores: dict[str, float]
    reasons: list[str] = field(default_factory=list)

    def ranking(self) -> list[tuple[str, float]]:
        return sorted(self.scores.items(), key=lambda kv: -kv[1])


@dataclass
class Evidence:
    scores: dict[str, float] = field(default_factory=lambda: dict.fromkeys(INTENTS, 0.0))
    reasons: list[str] = field(default_factory=list)

    def add(self, intent: str, weight: float, why: str) -> None:
        self.scores[intent] += weight
        self.reasons.append(f"{intent} {weight:+.1f}: {why}")


def _hit(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(text)
    return m.group(0) if m else None


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

LEAVE = re.compile(r"请假|请个假|请一?天假|请.{1,3}天假|请半天假|告假|假条|请病假|请事假|销假")
CANT_ATTEND = re.compile(
    r"去不了|来不了|参加不了|不能参加|无法参加|没法参加|参加不成|不参加了|到不了|赶不回|回不来|来不成|"
    r"去不成|请不了|出席不了|缺席|不能到会|不能出席|不能去|没法去|去不成"
)
HELD = re.compile(
    r"开了|开完|开过|开的(?=.{0,6}(?:会|党课|党日))|召开的|召开了|已召开|已经召开|召开|举行了|举办了|组织了|开展了|上了|讲了|学习了|开得|过了|结束|"
    r"完成了|会上|上完|讲完|已开|已经开"
)
ATTENDANCE = re.compile(
    r"应到|实到|应参会|实参会|到会|出席|参会|参加了?\d|\d+人参加|缺席|全到|都到了|都来了|全部到|到齐|全员参加|"
    r"到了\d+|\d+个(?:委员|党员|人)?到了|来了\d+|\d+(?:人|个)没来|人都在|都在|全在"
)
SCHEDULE = re.compile(
    r"定在|定于|改到|改在|改为|推迟|延期|延后|提前到|顺延|将于|拟于|准备开|计划开|要开|要召开|将召开|安排在|"
    r"时间是|时间定|暂定|取消了?|不开了|照常"
)
PATROL = re.compile(
    r"巡查|巡逻|巡河|巡山|巡林|巡了|巡一遍|巡完|巡检|网格员|网格巡|排查|发现|看到|隐患|报告[:：]|上报[:：]?"
)
NOT_A_LEAVE = re.compile(
    r"(?:没|没有|未|不)请假|请假.{0,3}(?:吗|么|呢|\?|？|怎么|找谁|要)|怎么请假|请假(?:条|制度|规定|流程|手续)"
)
GRID = re.compile(r"\d+组|[一二三四五六七八九十]+组|第[一二三四五六七八九十\d]+组|网格")
NEGATED_TRIP = lx.NO_TRIP


def report_evidence(text: str, ev: Evidence, future: bool = False) -> None:
    # leave
    if (m := LEAVE.search(text)) and not re.search(
        r"(?:没|没有|未|不)请假|请假.{0,3}(?:吗|么|呢|\?|？|怎么|找谁|要)|怎么请假|请假(?:条|制度|规定|流程|手续)",
        text,
    ):
        ev.add("leave", 3.5, f"'{m.group(0)}'")
    if m := CANT_ATTEND.search(text):
        ev.add("leave", 2.5 if lx.MEETING_WORD.search(text) else 1.5, f"cannot attend '{m.group(0)}'")

    # meeting
    meeting = lx.MEETING_WORD.search(text)
    if meeting:
        ev.add("meeting", 1.0, f"meeting word '{meeting.group(0)}'")
        if m := HELD.search(text):
            ev.add("meeting", 2.0, f"held '{m.group(0)}'")
            if ev.scores["leave"] > 0:
                ev.add("leave", -2.5, "leave in a meeting already held is an absence")
        elif future:
            ev.add("meeting", -2.5, "a meeting still to come")
            ev.add("other", 2.0, "announces a coming meeting")
        if m := SCHEDULE.search(text):
            ev.add("meeting", -2.5, f"schedule/change '{m.group(0)}'")
            ev.add("other", 2.0, f"an announcement '{m.group(0)}'")
    if m := ATTENDANCE.search(text):
        ev.add("meeting", 3.0 if m.group(0)[:2] in ("应到", "实到") else 2.5, f"attendance '{m.group(0)}'")
    if re.search(r"议题|会议内容|学习了|传达了|讨论了|研究了|决定", text) and meeting:
        ev.add("meeting", 1.0, "topics")

    # trip
    if m := lx.TRIP_WORDS.search(text):
        ev.add("trip", 2.5, f"trip word '{m.group(0)}'")
        if re.search(r"走访.{0,8}\d+户|\d+户", text):
            ev.add("trip", 1.0, "households")
    if (m := re.search(r"(?:去|到|赴|在|前往|跑了)(?:了)?(?:趟|一趟)?[\u4e00-\u9fa5]{1,4}村", text)) and villages(text):
        ev.add("trip", 2.0, f"to a village '{m.group(0)}'")
    if (m := NEGATED_TRIP.search(text)) and not villages(text):
        ev.add("trip", -6.0, f"no trip '{m.group(0)}'")
        ev.add("other", 3.0, "says no trip happened")

    # patrol
    if m := PATROL.search(text):
        ev.add("patrol", 2.5 if m.group(0).startswith("巡") else 1.5, f"patrol word '{m.group(0)}'")
    if m := lx.NOTHING_FOUND.search(text):
        ev.add("patrol", 2.0, f"nothing found '{m.group(0)}'")
    categories = 0
    strong_problem = False
    for name, patterns in lx.CATEGORY_RES.items():
        for pattern, weight in patterns:
            if m := pattern.search(text):
                categories += 1
                strong_problem = strong_problem or weight >= 2.0
                ev.add("patrol", min(weight, 1.5), f"{name} '{m.group(0)}'")
                break
    if m := lx.RESOLVED_TRUE.search(text):
        ev.add("patrol", 1.0 if categories else 0.8, f"handled '{m.group(0)}'")
    if categories and GRID.search(text):
        ev.add("patrol", 0.8, "in a grid")

    # task progress
    if m := lx.TASK_NOUNS.search(text):
        status = _hit(lx.STATUS_DONE, text) or _hit(lx.STATUS_BLOCKED, text) or _hit(lx.STATUS_PROGRESS, text)
        if status:
            ev.add("task_progress", 3.0, f"task '{m.group(0)}' with status '{status}'")
    elif m := lx.STATUS_DONE.search(text):
        ev.add("task_progress", 1.5, f"done '{m.group(0)}'")
    elif (m := (lx.STATUS_BLOCKED.search(text) or lx.STATUS_PROGRESS.search(text))) and re.search(
        r"工作|任务|项目|进度|推进", text
    ):
        ev.add("task_progress", 1.5, f"status '{m.group(0)}'")
    if strong_problem and ev.scores["task_progress"] > 0:
        ev.add("task_progress", -1.5, "a problem was found: a patrol, not a task")

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
    ev = Evidence()
    report_evidence(body, ev, future)

    if question:
        ev.add("ask", 3.0, f"a question '{question}'")
        # A report with a question tacked on (…走访十二户，交通补助怎么报) is still the report.
        clauses = [c for c in re.split(r"[,，。;；!！\s]+", body) if c.strip()]
        head = " ".join(clauses[:-1])
        report_head = Evidence()
        if len(clauses) > 1 and not is_question(head):
            report_evidence(head, report_head)
        head_best = max(REPORTS, key=lambda k: report_head.scores[k])
        done_head = re.search(r"了|已|完|过|共", head)
        # a trip or a task report needs less to stand on its own than a meeting or a leave, whose
        # numbers and names are as often the subject of a question (应到40人来了19个 算不算数)
        threshold = 3.0 if done_head and head_best in ("trip", "task_progress", "patrol") else 4.5
        if head_best == "leave" and re.search(r"[。!！]", body) and not re.search(r"上次|之前|以前|没请|未请", head):
            threshold = 3.0  # 孙红请假，去新疆摘棉花。出去半年要办活动证吗？: the leave stands, the question follows
        if re.search(r"顺便问|顺便说|另外问|再问一下|还有个事", body):
            threshold = 3.0  # 刚开完支委会…顺便问下…: the report comes first, the question is an aside
        if len(clauses) > 1 and not is_question(head) and report_head.scores[head_best] >= threshold:
            ev.add(head_best, 3.5, "a complete report before the question")
        else:
            ev.add("ask", 3.0, "the message asks")
    elif lx.HEARSAY.search(body):
        ev.add("other", 3.0, "hearsay")

    scores = ev.scores
    winner = max(INTENTS, key=lambda k: scores[k])
    if scores[winner] <= 0.8:
        winner = "other"
    confidence = softmax_confidence({k: v for k, v in scores.items() if v > 0} | {winner: scores[winner]}, winner)
    return Verdict(winner, round(confidence, 3), {k: round(v, 2) for k, v in scores.items() if v}, ev.reasons)
