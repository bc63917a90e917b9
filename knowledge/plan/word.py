"""A Word (.docx) plan → the lines the plan parser reads, paragraphs and tables in document order.

A task table — a header row naming the task (任务 / 工作任务 / 重点任务 / 工作内容 …), who is responsible
(责任单位 / 责任主体 / 牵头单位 …) and when (完成时限 / 时间节点 / 完成时间 …), in any order, with or without a
序号 column — becomes one line per row in the shape the parser reads for a task under a part:

    （三）<任务>。<具体内容>（责任单位：<X>；完成时限：<Y>）

Rows are numbered on from the document's task tables before them (（一）, （二）, … across all tables), so two
tables never give two tasks the same number. A cell merged over several rows gives each row its value (one
责任单位 for a block of tasks); a cell of several paragraphs is joined: the task's first paragraph is its title, the
rest its body; several 责任单位 lines are joined with 、. A row that only spans the table (a group label such as
"一、基层组织建设") stays a line of its own. Any other table becomes one plain line per row, its cells joined
with "，".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table

# Header words, most specific first: the first column whose header contains one of a kind's words is that kind's.
TASK_WORDS = ("具体任务", "工作任务", "重点任务", "主要任务", "任务名称", "任务", "工作内容", "工作事项", "工作项目")
DETAIL_WORDS = ("具体内容", "具体措施", "工作措施", "主要内容", "工作要求", "目标要求", "任务要求", "工作内容", "措施")
OWNER_WORDS = ("责任单位", "责任主体", "牵头单位", "责任部门", "责任科室", "牵头部门", "责任人")
HELPER_WORDS = ("配合单位", "协办单位", "配合部门")
TIME_WORDS = ("完成时限", "时间节点", "完成时间", "时限要求", "时限", "时间安排", "进度安排", "完成期限")
NUMBER_WORDS = ("序号", "编号")
HEADER_ROWS = 3  # a table may start with a title row merged across it; the header is within its first rows

_CN_DIGITS = "零一二三四五六七八九"
_SPACE = re.compile(r"[\s\u3000]+")
_END_PUNCT = "。；;，,、：:"


@dataclass(frozen=True)
class Columns:
    """Which column holds what in a task table (indexes into a row's cells)."""

    task: int
    owner: int
    time: int
    detail: int | None = None
    helper: int | None = None
    number: int | None = None


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三, 105 → 一百零五 (the numbering the parser reads in （…）)."""
    if n < 10:
        return _CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        return _CN_DIGITS[hundreds] + "百"
    return _CN_DIGITS[hundreds] + "百" + ("零" + _CN_DIGITS[rest] if rest < 10 else cn_number(rest))


def document_lines(document: Document) -> list[str]:
    """Every paragraph's text and every table's lines, in the order the document has them."""
    from docx.table import Table

    lines: list[str] = []
    numbered = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            table_lines, numbered = table_lines_of(block, numbered)
            lines += table_lines
        else:
            lines.append(block.text)
    return lines


def table_lines_of(table: Table, numbered: int = 0) -> tuple[list[str], int]:
    """One table's lines, and how many task rows the document has numbered once it is read."""
    rows = [[_cell_lines(cell.text) for cell in row.cells] for row in table.rows]
    return rows_to_lines(rows, numbered)


def rows_to_lines(rows: Sequence[Sequence[list[str]]], numbered: int = 0) -> tuple[list[str], int]:
    """The table as rows of cells, each cell its non-empty lines (a merged cell repeated where it spans)."""
    found = _header(rows)
    if found is None:
        return [line for row in rows if (line := _plain(row))], numbered
    at, columns = found
    lines = [line for row in rows[:at] if (line := _plain(row))]  # a title row above the header
    previous: Sequence[list[str]] | None = None
    for row in rows[at + 1 :]:
        task_line = _task_line(row, columns, previous, numbered + 1)
        if task_line is None:
            if plain := _plain(row):
                lines.append(plain)
        else:
            numbered += 1
            lines.append(task_line)
        previous = row
    return lines, numbered


def _cell_lines(text: str) -> list[str]:
    return [s for s in (_SPACE.sub(" ", raw).strip() for raw in text.splitlines()) if s]


def _key(cell: list[str]) -> str:
    return _SPACE.sub("", "".join(cell))


def _find(headers: list[str], words: Iterable[str], taken: set[int]) -> int | None:
    for word in words:
        for i, header in enumerate(headers):
            if i not in taken and word in header:
                return i
    return None


def _header(rows: Sequence[Sequence[list[str]]]) -> tuple[int, Columns] | None:
    for at, row in enumerate(rows[:HEADER_ROWS]):
        headers = [_key(cell) if len(_key(cell)) <= 12 else "" for cell in row]  # a header cell is a short label
        taken: set[int] = set()
        number = _find(headers, NUMBER_WORDS, taken)
        if number is not None:
            taken.add(number)
        owner = _find(headers, OWNER_WORDS, taken)
        if owner is not None:
            taken.add(owner)
        helper = _find(headers, HELPER_WORDS, taken)
        if helper is not None:
            taken.add(helper)
        time = _find(headers, TIME_WORDS, taken)
        if time is not None:
            taken.add(time)
        task = _find(headers, TASK_WORDS, taken)
        if task is None or owner is None or time is None:
            continue
        taken.add(task)
        detail = _find(headers, DETAIL_WORDS, taken)
        return at, Columns(task=task, owner=owner, time=time, detail=detail, helper=helper, number=number)
    return None


def _cell(row: Sequence[list[str]], i: int | None) -> list[str]:
    return list(row[i]) if i is not None and i < len(row) else []


def _note_text(lines: list[str], joiner: str) -> str:
    """A 责任单位 or 完成时限 cell as one clause: no brackets or semicolons that would end the note early."""
    text = joiner.join(s.strip(_END_PUNCT + " ") for s in lines)
    return text.replace("（", "〔").replace("）", "〕").replace("(", "〔").replace(")", "〕").replace("；", "，")


def _task_line(row: Sequence[list[str]], columns: Columns, previous: Sequence[list[str]] | None, n: int) -> str | None:
    if len({_key(cell) for cell in row}) <= 1:
        return None  # empty, or one cell merged across the row: a group label
    task, detail = _cell(row, columns.task), _cell(row, columns.detail)
    if (
        detail
        and previous is not None
        and task
        and _key(task) == _key(_cell(previous, columns.task))
        and _key(detail) != _key(_cell(previous, columns.detail))
    ):
        task = []  # the task cell is merged over this row (a group of items): the item is in the detail column
    if not task:
        task, detail = detail, []
    if not task:
        return None
    title = task[0].strip(_END_PUNCT + " ")
    body = [s.strip() for s in task[1:] + detail if s.strip()]
    text = "".join(s if s[-1] in "。！？；;" else s + "。" for s in body)
    note = []
    if owner := _note_text(_cell(row, columns.owner), "、"):
        note.append(f"责任单位：{owner}")
    if helper := _note_text(_cell(row, columns.helper), "、"):
        note.append(f"配合单位：{helper}")
    if time := _note_text(_cell(row, columns.time), "，"):
        note.append(f"完成时限：{time}")
    tail = f"（{'；'.join(note)}）" if note else ""
    return f"（{cn_number(n)}）{title}。{text}{tail}"


def _plain(row: Sequence[list[str]]) -> str:
    cells: list[str] = []
    for cell in row:
        text = "；".join(cell)
        if text and (not cells or cells[-1] != text):  # a cell merged across columns is read once
            cells.append(text)
    return "，".join(cells)
