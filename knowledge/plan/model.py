"""The shape of a work plan once parsed (knowledge/plan/parser.py): the document's own headings kept as
written, so an answer can quote "完善村党组织设置" and a supervisor can check the import against the text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Deadline:
    due: date  # the last day: "2021年6月底前" → 2021-06-30
    raw: str  # as written: "2021年6月底前"
    label: str = ""  # what is due then, when one sentence gives two milestones: "完成乡镇党委换届"


@dataclass(frozen=True)
class Target:
    text: str  # as written: "90%以上"
    value: float  # 90.0
    unit: str  # "%", "名", "万元" …
    qualifier: str  # "以上", "左右", "以下", "" …
    context: str = ""  # the clause it sits in, shortened


@dataclass
class Section:
    """One piece of the plan. kind: preamble (the lines between the title and the first part), goal (一、总体目标),
    part (二、重点任务), action ((一)实施“…行动”), task (a paragraph under an action, with its 完成时限),
    guarantee ((七)压实工作责任 …)."""

    kind: str
    title: str  # the heading as written, without numbering: "完善村党组织设置"
    text: str  # the whole paragraph, as written (including the 完成时限 note)
    number: str = ""  # "二", "（一）", "3" — the numbering the plan gives, if any
    parent: str = ""  # the title of the section it sits under
    deadlines: list[Deadline] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    level: str | None = None  # the responsible level where the text says it: 市, 县, 乡镇, 村 …
    code: str = ""  # a stable id for a task: action number + position, e.g. "2-1" (second action, first task)
    deadline_text: str = ""  # the 完成时限 note as written, without its brackets: "2021年6月底前"
    open_ended: bool = False  # the note says 长期坚持 / 持续推进 / 每季度 …: on purpose no single date
    owner: str = ""  # 责任单位 / 责任主体 / 牵头单位 as written: "县委组织部、各乡镇"
    recurrence: str = ""  # "", "weekly", "monthly", "quarterly", "yearly" (每周 / 每月 / 每季度 / 每年)
    start: date | None = None  # the first day of a stage's date range ("4月10日至4月20日" → 04-10), if any


@dataclass
class Plan:
    title: str
    year: int | None
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what the parser could not read, for the importer to see
    # A task with no deadlines that is not open_ended is "undated": its title is named in warnings, never dropped.

    @property
    def tasks(self) -> list[Section]:
        return [s for s in self.sections if s.kind == "task"]

    def of_kind(self, kind: str) -> list[Section]:
        return [s for s in self.sections if s.kind == kind]
