"""Answers to questions about the plan, the rules and the FAQ: short, with the source quoted and the next
useful thing to say; "I don't know" when nothing matches well.

Three kinds of question are told apart before any search:
- "6月底前要完成什么" / "第三季度有哪些任务": the plan's tasks due in that period, by deadline;
- "应到23实到11 能不能开": the quorum worked out, not just the rule;
- everything else: the best document by BM25, trusted only when it covers enough of the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from knowledge.kb import Doc, KnowledgeBase
from knowledge.plan.model import Section
from knowledge.quorum import meets, needed_for
from knowledge.rules import Rules
from knowledge.search import Hit

# Trusted when the best document matched this share of the question's information (idf-weighted) …
# Calibrated on tests/data/qa-dev.jsonl: right answers cover ≥ 0.27, off-topic questions ≤ 0.16.
MIN_COVERAGE = 0.22
# … and scored at least this (a single common word is not an answer).
MIN_SCORE = 4.0
# A match this weak is trusted only if the documents speak of every topic word of the question (低保, 首诗).
WEAK_SCORE = 15.0
SUMMARY_CHARS = 90
PLAN_NEXT = "查看本村任务进度，发「我们村还有哪些任务没完成」。"

NOT_FOUND = (
    "抱歉，这个问题我没有找到可靠的答案。我能回答工作方案里的任务和完成时限、三会一课、交通补助、网格巡查、"
    "督办和约谈等问题，例如「6月底前要完成什么？」「交通补助怎么算？」。其他问题请咨询镇里的联系干部。"
)


@dataclass(frozen=True)
class Source:
    title: str
    kind: str  # plan | faq | policy | records

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "kind": self.kind}


@dataclass
class Answer:
    text: str
    sources: list[Source] = field(default_factory=list)
    confident: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"answer": self.text, "sources": [s.as_dict() for s in self.sources], "confident": self.confident}


@dataclass(frozen=True)
class DueWindow:
    """A "what is due" question's period, read by the caller (handlers/ask_window.py): the tasks due from
    `first` to `last`, all of them or only the earliest / latest (ties kept)."""

    first: date
    last: date
    said: str  # how the question named it: "9月底前", "第三季度", "" when it named none
    pick: str = "all"  # all | earliest | latest


# -- periods (read by the caller: handlers/ask_window.py) --------------------------------------------


def due_in(tasks: list[Section], first: date, last: date) -> list[tuple[Section, str]]:
    found = []
    for task in tasks:
        for d in task.deadlines:
            if first <= d.due <= last:
                found.append((task, d.label))
                break
    return sorted(found, key=lambda pair: min(d.due for d in pair[0].deadlines if first <= d.due <= last))


# -- formatting ---------------------------------------------------------------------------------------

LIMIT_NOTE = re.compile(r"[（(]完成时限[:：][^）)]*[）)]")


def summary(section: Section) -> str:
    text = LIMIT_NOTE.sub("", section.text).strip()
    if text.startswith(section.title):
        text = text[len(section.title) :].lstrip("。．. ")
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text[:SUMMARY_CHARS]
    end = max(cut.rfind("。"), cut.rfind("；"))
    return cut[: end + 1] if end > 30 else cut + "……"


def deadline_text(section: Section) -> str:
    if not section.deadlines:
        return ""
    parts = [
        f"{d.due.year}年{d.due.month}月{d.due.day}日前" + (f"{d.label}" if d.label else "") for d in section.deadlines
    ]
    return "完成时限：" + "；".join(parts) + "。"


def plan_answer(doc: Doc, kb: KnowledgeBase) -> str:
    section = doc.section
    assert section is not None
    if section.kind == "action":
        tasks = [t for t in kb.tasks if t.parent == section.title]
        lines = [f"【{section.title}】包括{len(tasks)}项任务："] + [
            f"· {t.title}" + (f"（{t.deadlines[-1].due.month}月底前）" if t.deadlines else "") for t in tasks
        ]
        return "\n".join([*lines, f"出处：{doc.source}"])
    body = summary(section)
    lines = [f"【{section.title}】{body}"]
    if when := deadline_text(section):
        lines.append(when)
    lines.append(f"出处：{doc.source}")
    if section.kind == "task":
        lines.append(PLAN_NEXT)
    return "\n".join(lines)


def doc_answer(doc: Doc, kb: KnowledgeBase) -> str:
    if doc.kind == "plan":
        return plan_answer(doc, kb)
    lines = [f"【{doc.title}】{doc.answer}", f"依据：{doc.source}"]
    if doc.next:
        lines.append(doc.next)
    return "\n".join(lines)


# -- quorum, worked out --------------------------------------------------------------------------------

COUNTS = re.compile(
    r"应到\s*(\d{1,6})(?!\d)\s*人?.{0,4}?实到\s*(\d{1,6})(?!\d)"
)  # bounded: int() refuses 4,300+ digits


def quorum_answer(question: str, rules: Rules) -> Answer | None:
    m = COUNTS.search(question)
    if not m:
        return None
    expected, present = int(m.group(1)), int(m.group(2))
    election = "选举" in question
    committee = "支委" in question or "委员会" in question
    reading = (
        "four_fifths"
        if election
        else (rules.organisation.quorum.branch_committee if committee else rules.organisation.quorum.branch_general)
    )
    need = needed_for(expected, reading)
    ok = meets(present, expected, reading)
    kind = "选举" if election else ("支委会" if committee else "党员大会表决")
    verdict = "可以" if ok else "不能"
    text = (
        f"【会议法定人数】{verdict}。应到{expected}人、实到{present}人，{kind}至少需要{need}人到会"
        + ("。" if ok else f"，还差{need - present}人。")
        + "只算有表决权的正式党员；议案通过也要赞成票超过应到会人数的一半。\n"
        "依据：《中国共产党支部工作条例（试行）》第十一、十二条"
    )
    return Answer(text, [Source("会议法定人数", "policy")])


# -- the entry point ------------------------------------------------------------------------------------


def answer(
    question: str, kb: KnowledgeBase, rules: Rules, today: date | None = None, window: DueWindow | None = None
) -> Answer:
    question = question.strip()
    if not question:
        return Answer(NOT_FOUND, [], False)
    if worked := quorum_answer(question, rules):
        return worked
    if window is not None:
        return due_answer(kb.tasks, window)
    hits = kb.search(question, limit=10)
    if not hits:
        return Answer(NOT_FOUND, [], False)
    doc, hit = _prefer_plan(question, hits)
    if hit.coverage >= MIN_COVERAGE and hit.score >= MIN_SCORE:
        weak = hit.coverage < 1.5 * MIN_COVERAGE and hit.score < WEAK_SCORE
        if weak and (missing := kb.key_term_missing(question)):
            return Answer(declined(missing), [], False)
        return Answer(doc_answer(doc, kb), [Source(doc.title, doc.kind)])
    guess = (
        f"没有找到确切的答案。您问的是不是「{doc.title}」？发送这几个字我会详细说明。\n" + NOT_FOUND.split("。", 1)[1]
    )
    return Answer(guess if hit.coverage >= MIN_COVERAGE / 2 else NOT_FOUND, [Source(doc.title, doc.kind)], False)


def due_answer(tasks: list[Section], window: DueWindow) -> Answer:
    """The plan's tasks due in the window, by date: the whole list, or the first / last of them."""
    due = due_in(tasks, window.first, window.last)
    if due and window.pick != "all":
        days = {id(t): min(d.due for d in t.deadlines if window.first <= d.due <= window.last) for t, _ in due}
        target = min(days.values()) if window.pick == "earliest" else max(days.values())
        due = [(t, label) for t, label in due if days[id(t)] == target]
    span = f"{window.first.month}月{window.first.day}日至{window.last.month}月{window.last.day}日"
    said = window.said or span
    if not due:
        text = f"工作方案中没有在{said}（{span}）到期的任务。问我「还有哪些任务没到期」，可以看接下来的任务。"
        return Answer(text, [])
    head = {
        "all": f"工作方案中{said}到期的任务，共{len(due)}项（{window.first.year}年）：",
        "earliest": f"工作方案中{'（' + said + '）' if window.said else ''}最先到期的任务：",
        "latest": f"工作方案中{'（' + said + '）' if window.said else ''}最晚到期的任务，共{len(due)}项：",
    }[window.pick]
    lines = [head] + [
        f"· {t.title}" + (f"（{label}）" if label else "") + f" — {_due_on(t, window.first, window.last)}"
        for t, label in due
    ]
    lines.append("问我某项任务的名称，可以看具体要求。")
    return Answer("\n".join(lines), [Source(t.title, "plan") for t, _ in due])


# "how does the plan arrange X": the plan's own section, when one is nearly as good as the best document
PLAN_ASK = re.compile(r"方案|按照?计划|计划里|文件里|文件上")
PLAN_NEAR = 0.6


def _prefer_plan(question: str, hits: list[tuple[Doc, Hit]]) -> tuple[Doc, Hit]:
    best = hits[0]
    if best[0].kind == "plan" or not PLAN_ASK.search(question):
        return best
    plan = next(((d, h) for d, h in hits if d.kind == "plan" and d.section and d.section.kind == "task"), None)
    return plan if plan and plan[1].score >= PLAN_NEAR * best[1].score else best


def declined(term: str) -> str:
    return f"抱歉，「{term}」方面的问题不在我能回答的范围内。" + NOT_FOUND.split("。", 1)[1]


def _due_on(task: Section, first: date, last: date) -> str:
    d = next(d for d in task.deadlines if first <= d.due <= last)
    return f"{d.due.month}月{d.due.day}日前"
