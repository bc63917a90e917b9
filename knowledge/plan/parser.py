"""A work plan's text → Plan: its parts, actions, tasks and guarantees, each with its full text, deadlines
(完成时限), quantified targets and responsible level.

The shape read is the usual one of a 工作方案:

    title line
    preamble (按照…，现制定如下工作方案。)
    一、总体目标                       → goal: the paragraphs under it
    二、重点任务                       → part
    （一）实施“…行动”，着力…           → action (a numbered heading with no sentence of its own)
    完善村党组织设置。……（完成时限：…） → task: its first sentence is its title; code "1-1", "1-2", …
    三、组织保障                       → part
    （七）压实工作责任。……             → guarantee (a numbered heading with its text on the same line)

Deadlines come from the 完成时限 note. A date the body sets ("2021年底前，90%以上…") is kept too: as the task's
deadline when it has no note, as an extra labelled milestone when its date is not already in the note, and not
at all when the note gives the same date (one reminder for one date). A month without a year takes the year
written before it in the same note, else the plan's year: the `year` given, else the year most of the document's
dates are written with, else one in the title.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from knowledge.plan import deadlines as dl
from knowledge.plan.levels import level_of
from knowledge.plan.model import Deadline, Plan, Section
from knowledge.plan.targets import find_targets

SUPPORTED = (".txt", ".md", ".markdown", ".docx")

_CN_NUM = "一二三四五六七八九十"
PART_RE = re.compile(rf"^(?P<n>[{_CN_NUM}]+)\s*[、．.]\s*(?P<rest>.+)$")
ITEM_RE = re.compile(rf"^(?P<num>[（(]\s*(?P<n>[{_CN_NUM}]+)\s*[）)])\s*(?P<rest>.+)$")
TASK_NUM_RE = re.compile(r"^(?P<n>\d{1,2})\s*[.．、]\s*(?P<rest>.+)$")
# The note at the end of a task: （完成时限：2021年6月底前）, also (牵头单位：…；完成时限：…)
TAIL_RE = re.compile(r"[（(](?P<inner>[^（）()]*)[）)][。．.\s]*$")
TIME_KEY_RE = re.compile(r"(?:完成时限|完成时间|时间节点|时限要求|时限)\s*[：:]\s*(?P<when>[^；;]*)")
GOAL_RE = re.compile(r"目标|指导思想|总体要求|基本原则")
GUARANTEE_RE = re.compile(r"保障|要求|领导|措施|纪律|组织实施")
_SKIP_RE = re.compile(r"附件\s*\d*|[-—\s\d]+")  # attachment labels and page numbers left by a conversion


class PlanFileError(ValueError):
    """A document that cannot be read as text."""


# -- reading documents ------------------------------------------------------------------------------------


def read_document(path: Path) -> str:
    """The text of a plan document: .txt (UTF-8, or GB18030 as saved by Chinese Windows), .md (heading marks
    and emphasis removed), .docx (its paragraphs and tables in document order, via python-docx: a task table's rows
    become task lines, knowledge/plan/word.py)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise PlanFileError(
            f"不支持的文件类型「{path.suffix or '无扩展名'}」：请用 .txt、.md 或 .docx（.doc 请另存为 .docx）"
        )
    if suffix == ".docx":
        return _docx_text(path)
    text = decode(path.read_bytes())
    return strip_markdown(text) if suffix in (".md", ".markdown") else text


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlanFileError("无法识别文件编码：请保存为 UTF-8 或 GB18030（GBK）文本")


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_MD_STRONG = re.compile(r"(\*\*|__|~~)(.+?)\1")
_MD_EM = re.compile(r"(?<![\\*])\*(?!\s)(.+?)(?<![\s\\])\*")


def strip_markdown(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if _MD_RULE.match(line):
            continue
        line = _MD_QUOTE.sub("", _MD_HEADING.sub("", line)).rstrip().removesuffix("#").rstrip()
        line = _MD_EM.sub(r"\1", _MD_STRONG.sub(r"\2", line))
        lines.append(line.replace("\\*", "*").replace("\\_", "_"))
    return "\n".join(lines)


def _docx_text(path: Path) -> str:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise PlanFileError(f"无法打开 Word 文件：{exc}") from None
    from knowledge.plan.word import document_lines

    return "\n".join(document_lines(document))


# -- parsing ----------------------------------------------------------------------------------------------


@dataclass
class _Open:
    """Where the next paragraph goes while reading."""

    part: Section | None = None
    action: Section | None = None
    action_n: int = 0
    tasks_in_action: int = 0
    item: Section | None = None  # a guarantee or goal item that further paragraphs continue


def _lines(text: str) -> list[str]:
    return [ln for ln in (raw.strip().strip("\u3000").strip() for raw in text.splitlines()) if ln]


def _first_sentence(text: str) -> str:
    head = re.split(r"[。！？]", text, maxsplit=1)[0]
    return TAIL_RE.sub("", head).strip().rstrip("：:，,；;")


def _append(section: Section, line: str) -> None:
    section.text = f"{section.text}\n{line}" if section.text else line


def parse_plan(text: str, year: int | None = None) -> Plan:
    lines = _lines(text)
    while lines and _SKIP_RE.fullmatch(lines[0]):
        lines.pop(0)
    title = ""
    if lines and not PART_RE.match(lines[0]) and not ITEM_RE.match(lines[0]):
        title = lines.pop(0)
    plan = Plan(title=title, year=year)
    state = _Open()
    preamble: Section | None = None

    for line in lines:
        if _SKIP_RE.fullmatch(line):
            continue
        if m := PART_RE.match(line):
            rest = m.group("rest").strip()
            kind = "goal" if GOAL_RE.search(rest) else "part"
            part = Section(kind=kind, title=rest, text="", number=m.group("n"))
            state = _Open(part=part)
            plan.sections.append(part)
            continue
        if (m := ITEM_RE.match(line)) and state.part is not None:
            _item(plan, state, m)
            continue
        if state.action is not None:
            _task(plan, state, line)
        elif state.item is not None:
            _append(state.item, line)
        elif state.part is not None:
            _append(state.part, line)
        else:
            if preamble is None:
                preamble = Section(kind="preamble", title=title, text="")
                plan.sections.insert(0, preamble)
            _append(preamble, line)

    for section in plan.sections:
        if section.kind in ("part", "goal") and not section.text:
            section.text = f"{section.number}、{section.title}"  # a bare heading keeps itself as its text
    _resolve(plan, year)
    return plan


def _item(plan: Plan, state: _Open, m: re.Match[str]) -> None:
    """A numbered item under a part: under 总体目标 a goal item, under 组织保障 a guarantee, elsewhere an action
    heading — or, when it carries its own sentence ("（五）xxx。yyy"), a task straight under the part."""
    assert state.part is not None
    rest = m.group("rest").strip()
    number = m.group("num").replace("(", "（").replace(")", "）").replace(" ", "")
    head, dot, body = rest.partition("。")
    guarantees = bool(GUARANTEE_RE.search(state.part.title)) and "任务" not in state.part.title
    if state.part.kind == "goal" or guarantees or (dot and body.strip()):
        kind = "goal" if state.part.kind == "goal" else "guarantee" if guarantees else "task"
        section = Section(kind=kind, title=head.strip(), text=rest, number=number, parent=state.part.title)
        if kind == "task":
            section.code = str(dl.cn_int(m.group("n")) or len(plan.of_kind("action")) + 1)
            _take_note(section)
        plan.sections.append(section)
        state.action, state.item = None, section
        return
    n = dl.cn_int(m.group("n")) or len(plan.of_kind("action")) + 1
    action = Section(kind="action", title=rest, text=rest, number=number, parent=state.part.title)
    plan.sections.append(action)
    state.action, state.action_n, state.tasks_in_action, state.item = action, n, 0, None


def _task(plan: Plan, state: _Open, line: str) -> None:
    assert state.action is not None
    number = ""
    if m := TASK_NUM_RE.match(line):
        number, line = m.group("n"), m.group("rest").strip()
    state.tasks_in_action += 1
    section = Section(
        kind="task",
        title=_first_sentence(line),
        text=line,
        number=number,
        parent=state.action.title,
        code=f"{state.action_n}-{state.tasks_in_action}",
    )
    _take_note(section)
    plan.sections.append(section)


def _take_note(section: Section) -> None:
    """Keep a closing （完成时限：…） note, with whatever else the brackets say (牵头单位：…), as deadline_text."""
    tail = TAIL_RE.search(section.text)
    if tail is not None and TIME_KEY_RE.search(tail.group("inner")):
        section.deadline_text = tail.group("inner").strip()


def _when(section: Section) -> str | None:
    """The time part of a task's note: "完成时限：2021年6月底前" → "2021年6月底前"."""
    found = TIME_KEY_RE.search(section.deadline_text)
    return found.group("when").strip() if found else None


def infer_year(plan: Plan) -> int | None:
    """The year most of the document's dates are written with (ties: the first written), else one in the title."""
    years: list[int] = []
    for section in plan.sections:
        years += dl.explicit_years(_when(section) or "") + dl.explicit_years(_body(section))
    if years:
        return Counter(years).most_common(1)[0][0]
    in_title = re.search(r"(\d{4})\s*年", plan.title)
    return int(in_title.group(1)) if in_title else None


def _body(section: Section) -> str:
    """The text without its 完成时限 note."""
    return TAIL_RE.sub("", section.text) if section.deadline_text else section.text


def _resolve(plan: Plan, year: int | None) -> None:
    plan.year = year if year is not None else infer_year(plan)
    for section in plan.sections:
        body = _body(section)
        section.targets = find_targets(body)
        section.level = level_of(section.title, section.text)
        if section.kind != "task":
            continue
        note = _when(section)
        reading = dl.read(note, plan.year) if note is not None else dl.Reading()
        extra, unread_body = dl.in_body(body, plan.year)
        section.open_ended = reading.open_ended
        section.deadlines = _merge(reading.deadlines, extra)
        for raw in reading.unread + unread_body:
            plan.warnings.append(f"「{section.title}」的时限「{raw}」无法确定日期（没有年份时请用 --year 指定）")
        if note is not None and not reading.deadlines and not reading.open_ended and not reading.unread:
            plan.warnings.append(f"「{section.title}」的完成时限「{note}」看不懂，未设期限")
        if note is None and not section.deadlines:
            plan.warnings.append(f"「{section.title}」没有写完成时限")


def _merge(noted: list[Deadline], in_body: list[Deadline]) -> list[Deadline]:
    """The note's deadlines, plus body deadlines on dates the note does not have; milestones in date order."""
    dates = {d.due for d in noted}
    merged = list(noted)
    for extra in in_body:
        if extra.due not in dates:
            merged.append(extra)
            dates.add(extra.due)
    if len(merged) == 1:
        return [Deadline(due=merged[0].due, raw=merged[0].raw)]
    return sorted(merged, key=lambda d: d.due)
