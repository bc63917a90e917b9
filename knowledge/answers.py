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

import cn2an

from knowledge.kb import Doc, KnowledgeBase
from knowledge.plan.model import Section
from knowledge.quorum import meets, needed_for
from knowledge.rules import Rules

# Trusted when the best document matched this share of the question's information (idf-weighted) …
# Calibrated on tests/data/qa-dev.jsonl: right answers cover ≥ 0.27, off-topic questions ≤ 0.16.
MIN_COVERAGE = 0.22
# … and scored at least this (a single common word is not an answer).
MIN_SCORE = 4.0
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


# -- periods -----------------------------------------------------------------------------------------

NUM = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
MONTH = re.compile(NUM + r"\s*月(?:份)?(?:底|末|份)?(?:前|之前|以前)?")
QUARTER = re.compile(r"第?([一二三四1-4])季度")
HALF = re.compile(r"(上|下)半年")
YEAR_END = re.compile(r"年底|年末|年终|今年(?:内|要完成)")
LIST_ASK = re.compile(
    r"(?:要|需要|得|该)?完成(?:什么|哪些|啥)|(?:有|是)(?:什么|哪些|啥)(?:任务|工作|事)|任务|哪些工作|要做(?:什么|哪些|啥)"
)
YEAR = re.compile(r"(20\d\d)\s*年")


def _int(text: str) -> int:
    return int(text) if text.isdigit() else int(cn2an.cn2an(text, "smart"))


def period_asked(question: str, default_year: int) -> tuple[date, date, str] | None:
    """The period a "what is due" question names: (first day, last day, how to say it)."""
    if not LIST_ASK.search(question):
        return None
    year = int(m.group(1)) if (m := YEAR.search(question)) else default_year
    if m := QUARTER.search(question):
        q = _int(m.group(1))
        first = date(year, 3 * q - 2, 1)
        return first, _month_end(year, 3 * q), f"第{'一二三四'[q - 1]}季度"
    if m := HALF.search(question):
        return (
            (date(year, 1, 1), date(year, 6, 30), "上半年")
            if m.group(1) == "上"
            else (
                date(year, 7, 1),
                date(year, 12, 31),
                "下半年",
            )
        )
    if m := MONTH.search(question):
        month = _int(m.group(1))
        if 1 <= month <= 12:
            return date(year, month, 1), _month_end(year, month), f"{month}月"
    if YEAR_END.search(question):
        return date(year, 12, 1), date(year, 12, 31), "年底"
    return None


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


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


def answer(question: str, kb: KnowledgeBase, rules: Rules, today: date | None = None) -> Answer:
    question = question.strip()
    if not question:
        return Answer(NOT_FOUND, [], False)
    if worked := quorum_answer(question, rules):
        return worked
    plan_year = kb.plan.year or (today or date.today()).year
    if period := period_asked(question, plan_year):
        first, last, said = period
        due = due_in(kb.tasks, first, last)
        if due:
            lines = [f"工作方案中{said}到期的任务（{first.year}年）："] + [
                f"· {t.title}" + (f"（{label}）" if label else "") + f" — {_due_on(t, first, last)}" for t, label in due
            ]
            lines.append("问我某项任务的名称，可以看具体要求。")
            return Answer("\n".join(lines), [Source(t.title, "plan") for t, _ in due])
    hits = kb.search(question)
    if not hits:
        return Answer(NOT_FOUND, [], False)
    doc, hit = hits[0]
    if hit.coverage >= MIN_COVERAGE and hit.score >= MIN_SCORE:
        return Answer(doc_answer(doc, kb), [Source(doc.title, doc.kind)])
    guess = (
        f"没有找到确切的答案。您问的是不是「{doc.title}」？发送这几个字我会详细说明。\n" + NOT_FOUND.split("。", 1)[1]
    )
    return Answer(guess if hit.coverage >= MIN_COVERAGE / 2 else NOT_FOUND, [Source(doc.title, doc.kind)], False)


def _due_on(task: Section, first: date, last: date) -> str:
    d = next(d for d in task.deadlines if first <= d.due <= last)
    return f"{d.due.month}月{d.due.day}日前"
