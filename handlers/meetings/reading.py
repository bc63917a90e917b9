"""Reading a meeting record: the evidence that a message reports a meeting held, and its fields (the kind,
the day, how many were expected and came, who was absent)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers.nlu import lexicon as lx
from handlers.nlu.evidence import Evidence
from handlers.nlu.people import absentees
from handlers.nlu.readers import event_day, meeting_type

Fields = dict[str, Any]

# -- evidence --------------------------------------------------------------------------------------------

OPENS = re.compile(r"开了|召开")  # 上午开了支委会…: a new meeting record, not an answer to the open form
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


def evidence(text: str, ev: Evidence, future: bool = False) -> None:
    # weighed after the leave evidence: a leave from a meeting already held is an absence, and a meeting
    # still to come (or rescheduled) is an announcement
    meeting = lx.MEETING_WORD.search(text)
    if meeting:
        ev.add("meeting", 1.0, f"meeting word '{meeting.group(0)}'")
        if m := HELD.search(text):
            ev.add("meeting", 2.0, f"held '{m.group(0)}'")
            if ev.scores["leave"] > 0:
                ev.add("leave", -2.5, "leave in a meeting already held is an absence")
        elif future:
            ev.add("meeting", -2.5, "a meeting still to come")
            if ev.scores["leave"] <= 0:  # 明天的支委会去不了: a leave from it, not an announcement
                ev.add("other", 2.0, "announces a coming meeting")
        if m := SCHEDULE.search(text):
            ev.add("meeting", -2.5, f"schedule/change '{m.group(0)}'")
            ev.add("other", 2.0, f"an announcement '{m.group(0)}'")
    if m := ATTENDANCE.search(text):
        ev.add("meeting", 3.0 if m.group(0)[:2] in ("应到", "实到") else 2.5, f"attendance '{m.group(0)}'")
    if re.search(r"议题|会议内容|学习了|传达了|讨论了|研究了|决定", text) and meeting:
        ev.add("meeting", 1.0, "topics")


# -- fields ----------------------------------------------------------------------------------------------

FILLER = r"(?:那个|这个|就是|嗯|啊|呃|\s)*"
EXPECTED = re.compile(
    rf"应(?:到|参会|出席|参加)(?:会)?(?:人数)?(?:党员|委员|人员)?[:：]?{FILLER}(?P<n>\d+)"
    r"|(?P<n3>\d+)个(?:委员|支委|党员|人)(?=.{0,3}(?:到了|来了|只到|只来))"
)
PRESENT = re.compile(
    rf"(?:实(?:到|际到会|参会|出席|际参加)|(?<!应)到会|(?<!应)出席|(?<!应)参会|参加人数|出席人数)(?:人数)?(?:党员|委员|人员)?[:：]?{FILLER}(?P<n>\d+)"
    r"|(?P<n2>\d+)\s*(?:人|名)(?:党员)?(?:参加|参会|到会|出席|到场)|(?:到了|来了|只到|只来)(?P<n4>\d+)"
)
TOTAL = re.compile(
    r"(?:共|一共|总共|全体)(?P<n>\d+)\s*(?:人|名)|(?P<n2>\d+)\s*(?:个|名|位)?(?:人|委员|党员|支委)?(?:都|全|全部|均)"
    r"|(?:都在|全在|到齐了?|全到了?)[\s,，]*(?P<n3>\d+)\s*(?:个|人|名)"
)
BOTH_NUMBERS = re.compile(r"应到(?:和)?实到(?:都是|均为|都|均)?(?P<n>\d+)")
AFTER_ALL = re.compile(r"(?:到齐了?|全到了?|都到了|都来了)[\s,，]*(?:共|一共)?(?P<n>\d+)\s*(?:个|人|名)")
ABSENT_COUNT = re.compile(r"缺(?:席)?(?P<n>\d+)\s*(?:人|名|个)|(?P<n2>\d+)\s*个?(?:人|名)?(?:没来|没到|缺席|请假)")
ALL_CAME = re.compile(
    r"全体\S{0,3}(?:到会|到齐|参加|出席)|缺席[:：]?\s*无|无人缺席|都在|全在|全到|都到了|都来了|全部到会|全部参加|全员参加|全员到会|到齐|一个不少|无缺席|没有缺席|无人缺席|全部出席|全体参加|都参加了"
)


def meeting_fields(text: str, original: str, now: datetime) -> Fields:
    out: Fields = {}
    kind = meeting_type(text)
    if kind:
        out["meeting_type"] = kind
    day = event_day(text, now, "past")
    if day:
        out["date"] = day.isoformat()
    expected = EXPECTED.search(text)
    present = PRESENT.search(text)
    if both := BOTH_NUMBERS.search(text):
        out["expected"] = out["present"] = int(both.group("n"))
        expected = present = None
    if expected:
        out["expected"] = int(expected.group("n") or expected.group("n3"))
    if present:
        out["present"] = int(present.group("n") or present.group("n2") or present.group("n4"))
    names = absentees(text)
    everyone = ALL_CAME.search(text)
    if names:
        out["absent"] = names
    elif everyone:
        out["absent"] = []
        total = TOTAL.search(text)
        after = AFTER_ALL.search(text)
        if after and "expected" not in out:
            out["expected"] = int(after.group("n"))
        elif total and "expected" not in out:
            out["expected"] = int(total.group("n") or total.group("n2") or total.group("n3"))
        if "expected" in out and "present" not in out:
            out["present"] = out["expected"]
        elif "present" in out and "expected" not in out:
            out["expected"] = out["present"]
    missing_count = ABSENT_COUNT.search(text)
    if "expected" not in out and "present" in out and (names or missing_count):
        out["expected"] = out["present"] + (
            int(missing_count.group("n") or missing_count.group("n2")) if missing_count else len(names)
        )
    if not names and "absent" not in out and "expected" in out and out.get("present") == out["expected"]:
        out["absent"] = []  # 应到5人 实到5人: nobody missing
    return out
