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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table

# What a header label says, by the words it is made of (a label may join two header rows: 责任+牵头单位). Each
# kind ranks its words: the column with the best-ranked word is that kind's (the leftmost among equals).
NUMBER_WORDS = {"序号": 2, "编号": 2, "序": 1}
HELPER_WORDS = {"配合": 2, "协办": 2, "协助": 2, "参与": 1}  # read before 责任单位: 配合单位 is not the owner
OWNER_WORDS = {
    "责任单位": 4,
    "责任主体": 4,
    "牵头单位": 4,
    "责任部门": 4,
    "牵头部门": 4,
    "主责单位": 4,
    "责任科室": 4,
    "单位": 3,
    "部门": 3,
    "主体": 3,
    "科室": 3,
    "责任人": 2,
    "负责人": 2,
    "领导": 1,
    "责任": 1,
    "牵头": 1,
}
TIME_WORDS = {
    "完成时限": 3,
    "时间节点": 3,
    "完成时间": 3,
    "完成期限": 3,
    "时限": 2,
    "期限": 2,
    "时间": 2,
    "日期": 2,
    "节点": 1,
    "进度": 1,
    "时段": 1,
}
TASK_WORDS = {"任务": 4, "事项": 4, "项目": 4, "阶段": 4, "名称": 3, "工作": 2, "举措": 2, "措施": 1, "内容": 1}
DETAIL_WORDS = {"内容": 3, "措施": 3, "举措": 3, "要求": 2, "目标": 2, "标准": 1, "安排": 1}
NOT_TASK = ("备注", "分值", "评分", "得分", "姓名", "职务", "电话", "联系")  # labels that are never the task
HEADER_ROWS = 3  # a table may start with a title row merged across it; the header is within its first rows
# a cell that gives a time: a date, a month, a part of the year, a rhythm or 长期
DATE_LIKE = re.compile(r"\d{1,2}\s*月|\d{4}\s*年|[上中下]旬|年[底初中]|月[底初中]|季度|每[周月季年日]|长期|常态|持续")

_CN_DIGITS = "零一二三四五六七八九"
_SPACE = re.compile(r"[\s\u3000]+")
_END_PUNCT = "。；;，,、：:"


@dataclass(frozen=True)
class Columns:
    """Which column holds what in a task table (indexes into a row's cells)."""

    task: int
    time: int
    owner: int | None = None
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
    if found is None or not _task_table(rows[found[1] + 1 :], found[2]):
        return [line for row in rows if (line := _plain(row))], numbered
    top, at, columns = found
    lines = [line for row in rows[:top] if (line := _plain(row))]  # a title row above the header
    previous: Sequence[list[str]] | None = None
    for row in rows[at + 1 :]:
        task_line = _task_line(row, columns, previous, numbered + 1)
        if task_line is None:
            if plain := _group(row, columns):
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


def _best(headers: list[str], words: dict[str, int], taken: set[int]) -> int | None:
    """The column whose label has the best-ranked of these words (the leftmost among equals), not yet taken."""
    best: tuple[int, int] | None = None
    for i, header in enumerate(headers):
        if i in taken or not header:
            continue
        rank = max((r for w, r in words.items() if w in header), default=0)
        if rank and (best is None or rank > best[0]):
            best = (rank, i)
    return None if best is None else best[1]


def _labels(row: Sequence[list[str]]) -> list[str]:
    """A row's cells as header labels: short, and no date in them ("" where a cell cannot be a label)."""
    return ["" if len(k := _key(cell)) > 12 or DATE_LIKE.search(k) else k for cell in row]


def _columns(headers: list[str]) -> Columns | None:
    taken: set[int] = {i for i, h in enumerate(headers) if any(w in h for w in NOT_TASK)}

    def take(words: dict[str, int]) -> int | None:
        found = _best(headers, words, taken)
        if found is not None:
            taken.add(found)
        return found

    number, helper, owner, time = take(NUMBER_WORDS), take(HELPER_WORDS), take(OWNER_WORDS), take(TIME_WORDS)
    task = take(TASK_WORDS) if time is not None else None
    if time is None or task is None:
        return None
    return Columns(task=task, time=time, owner=owner, detail=take(DETAIL_WORDS), helper=helper, number=number)


def _header(rows: Sequence[Sequence[list[str]]]) -> tuple[int, int, Columns] | None:
    """Where the header starts and ends (its rows) and what its columns are. A header spread over two rows
    (责任 above 牵头单位 and 配合单位) is read as one; a title merged across the table is no header row."""
    for at, row in enumerate(rows[:HEADER_ROWS]):
        headers = _labels(row)
        below = _labels(rows[at + 1]) if at + 1 < len(rows) else []
        if len(set(headers) - {""}) > 1 and below and all(below) and _columns(below) is not None:
            joined = [h if h == b else h + b for h, b in zip(headers, below, strict=False)]
            columns = _columns(joined)
            if columns is not None:
                return at, at + 1, columns
        columns = _columns(headers)
        if columns is not None:
            return at, at, columns
    return None


def _task_table(rows: Sequence[Sequence[list[str]]], columns: Columns) -> bool:
    """A table with a task column, a time column and someone responsible is a task table; without anyone
    responsible it is one only when most of its time cells do give a time (a work schedule, not a roster)."""
    if columns.owner is not None:
        return True
    times = [_key(_cell(row, columns.time)) for row in rows if len({_key(c) for c in row}) > 1]
    dated = sum(1 for t in times if t and re.search(r"\d{1,2}\s*月|[上中下]旬|季度|每[周月季年]", t))
    return bool(times) and dated * 2 > len(times)


def _cell(row: Sequence[list[str]], i: int | None) -> list[str]:
    return list(row[i]) if i is not None and i < len(row) else []


def _note_text(lines: list[str], joiner: str) -> str:
    """A 责任单位 or 完成时限 cell as one clause: no brackets or semicolons that would end the note early."""
    text = joiner.join(s.strip(_END_PUNCT + " ") for s in lines)
    return text.replace("（", "〔").replace("）", "〕").replace("(", "〔").replace(")", "〕").replace("；", "，")


def _task_line(row: Sequence[list[str]], columns: Columns, previous: Sequence[list[str]] | None, n: int) -> str | None:
    if len({_key(cell) for i, cell in enumerate(row) if i != columns.number}) <= 1:
        return None  # empty, or one cell merged across the row (beside its number): a group label
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


def _group(row: Sequence[list[str]], columns: Columns) -> str:
    """A group row of a task table: "一、组织建设" (its number kept as a heading's), else the plain line."""
    number = _key(_cell(row, columns.number))
    rest = {_key(c) for i, c in enumerate(row) if i != columns.number} - {""}
    if number and len(rest) == 1 and re.fullmatch(r"[一二三四五六七八九十]+|\d{1,2}", number):
        return f"{number}、{rest.pop()}"
    return _plain(row)


def _plain(row: Sequence[list[str]]) -> str:
    cells: list[str] = []
    for cell in row:
        text = "；".join(cell)
        if text and (not cells or cells[-1] != text):  # a cell merged across columns is read once
            cells.append(text)
    return "，".join(cells)
