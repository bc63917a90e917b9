"""Reading a task's progress (工作进度): the evidence that a message reports on a work-plan task, and its
status (done, in progress, blocked)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers.nlu import lexicon as lx
from handlers.nlu.evidence import Evidence, hit

Fields = dict[str, Any]


def evidence(text: str, ev: Evidence, future: bool = False) -> None:
    if m := lx.TASK_NOUNS.search(text):
        status = hit(lx.STATUS_DONE, text) or hit(lx.STATUS_BLOCKED, text) or hit(lx.STATUS_PROGRESS, text)
        if status:
            ev.add("task_progress", 3.0, f"task '{m.group(0)}' with status '{status}'")
    elif m := lx.STATUS_DONE.search(text):
        ev.add("task_progress", 1.5, f"done '{m.group(0)}'")
    elif (m := (lx.STATUS_BLOCKED.search(text) or lx.STATUS_PROGRESS.search(text))) and re.search(
        r"工作|任务|项目|进度|推进", text
    ):
        ev.add("task_progress", 1.5, f"status '{m.group(0)}'")
    strong_problem = any(weight >= 2.0 for _, _, weight in lx.category_hits(text))
    if strong_problem and ev.scores["task_progress"] > 0:
        ev.add("task_progress", -1.5, "a problem was found: a patrol, not a task")


def head_threshold(body: str, head: str, done: bool) -> float:
    return 3.0 if done else 4.5  # a task reported done needs less to stand before a question


def task_fields(text: str, original: str, now: datetime) -> Fields:
    if lx.STATUS_BLOCKED.search(text) and not re.search(r"没有?(?:什么)?困难|不困难|无困难", text):
        return {"status": "blocked"}
    partial = re.search(
        r"(?<!100)%|基本|大部分|还差|剩下|剩余|一半|过半|部分|快要|即将|差不多|正在|在做|在弄|在搞|在整|在办|进行|"
        r"还没|未完成|其他.{0,3}(?:在|还|没)|其余.{0,3}(?:在|还|没)|还有\d+\S{0,3}(?:待|没|未)|待(?:发|办|完成|落实)|还剩|正在",
        text,
    )
    if lx.STATUS_DONE.search(text) and not partial:
        return {"status": "done"}
    return {"status": "in_progress"}
