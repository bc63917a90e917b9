"""A work plan's text → Plan: its parts, actions, tasks and guarantees, each with its full text, deadlines
(完成时限), owner (责任单位), recurrence, quantified targets and responsible level.

Plans come in many shapes; the parser reads the numbering, not one layout:

    title line, preamble                          → preamble
    一、总体目标 / 指导思想                          → goal (its items are goal items)
    二、重点任务 (any part that is not a goal, guarantee) → part; the items under it, at any depth, are read by
        their marks — （一） 第一阶段 · 1、 1. · （1） · ① — nested in the order the marks appear ("1.（1）" too);
        an item with items under it is an action, an item without is a task, and paragraphs under a bare heading
        are tasks of their own when they carry their own 完成时限 (the shipped plan's shape), else its body
    三、时间安排 / 方法步骤 / 实施步骤 …                → stages: each item, or each line led by a date
        ("2025年3月至4月：项目申报"), is a task due when its date range ends (its start kept)
    四、保障措施 / 工作要求                          → guarantee

A task's time and owner come from a bracketed note anywhere in it — （完成时限：…；责任单位：…）, a bare date
（2024年7月底前）, (6月底前完成), （长期坚持） — or from 责任单位： / 牵头单位： / 完成时限： lines of their own under it,
or from a heading above it; the notes are taken out of its title. A date the body sets ("2021年底前，90%以上…") is
kept too: as the deadline when there is no note, as an extra labelled milestone when its date is not the note's.
每周 / 每月 / 每季度 / 每年 … with no date is recurring work: open-ended, with its period. A task with neither a date
nor an open-ended note is named in the warnings, never dropped.

A month without a year takes the year written before it in the same note, else the plan's year: the `year`
given, else the one year the title names, else the year most of the deadlines are written with, else the year
the issue date (the 落款 date) and 明年 give: a plan issued in December whose months are mostly before December
is for the next year.
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


GOAL_RE = re.compile(r"目标|指导思想|总体要求|基本原则")

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

# Item numbering, outermost kinds first; plans mix them freely, so nesting is read from the order they appear in.
_ITEM_MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("cn", re.compile(rf"^(?P<num>[（(]\s*(?P<n>[{_CN_NUM}]+)\s*[）)])\s*(?P<rest>.*)$")),
    ("stage", re.compile(rf"^(?P<num>第(?P<n>[{_CN_NUM}]+)(?:阶段|步))\s*[：:，,、.．]?\s*(?P<rest>.*)$")),
    ("arabic", re.compile(r"^(?P<num>(?P<n>\d{1,2})\s*[.．、](?!\d))\s*(?P<rest>.*)$")),
    ("paren", re.compile(r"^(?P<num>[（(]?\s*(?P<n>\d{1,2})\s*[）)])\s*(?P<rest>.*)$")),
    ("circled", re.compile(r"^(?P<num>(?P<n>[①-⑳]))\s*(?P<rest>.*)$")),
    ("bullet", re.compile(r"^(?P<num>(?P<n>[•●○◆◇■□▪▶★☆√]))\s*(?P<rest>.+)$")),
]
_KEY = r"责任单位|责任主体|牵头单位|责任部门|负责单位|主责单位|实施主体|配合单位|协办单位|责任领导|责任人|完成时限|完成时间|时间节点|时限要求|时限|时间"
ATTR_RE = re.compile(rf"^[（(]?\s*(?:{_KEY})\s*[：:]")
_FIELD_RE = re.compile(rf"(?P<key>{_KEY})\s*[：:]")
_OWNER_KEYS = ("责任单位", "责任主体", "牵头单位", "责任部门", "负责单位", "主责单位", "实施主体")
_TIME_KEYS = ("完成时限", "完成时间", "时间节点", "时限要求", "时限", "时间")
STAGE_PART_RE = re.compile(
    r"时间安排|方法步骤|实施步骤|工作步骤|步骤安排|进度安排|时间节点|推进步骤|阶段安排|实施阶段|时间进度|工作进度|实施时间"
    r"|进度要求|时间要求|推进计划|工作流程|实施程序|步骤|阶段"
)
GUARANTEE_RE = re.compile(r"保障|工作要求|有关要求|要求$|组织领导|加强领导|纪律|组织实施|督查考核|监督考核|考核督导")
_ACTION_HEAD_RE = re.compile(r"行动|着力")
# What a bracketed date note may say besides its dates: （2024年7月底前）, (6月底前完成), （4月10日至4月20日）
_NOT_TASKS_RE = re.compile(
    r"责任分工|职责分工|组织机构|领导小组|工作机构|基本情况|现状|存在问题|工作背景|适用范围|实施范围|参加人员"
)
_DATE_NOTE_FILLER = re.compile(
    r"[\s，,、；;。.]|以前|之前|前|完成|全面|基本|开始|启动|截止|止|至|到|—|－|-|~|～|以内|内|起"
)
_SIGNATURE_RE = re.compile(
    r"(?:人民政府|委员会|办公室|党委|党支部|总支部|支部|指挥部|领导小组|工作组|办事处|政府|村委|居委)$"
)
_ISSUE_RE = re.compile(
    r"^[（(]?(?P<y>\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*日\s*(?:印发|发布|制定|制发)?[）)]?$"
)
_OPEN_NOTE_MAX = 10


class _Note:
    """A bracketed note or a line of its own that says when, and who: （责任单位：…；完成时限：…）, （2024年7月底前）."""

    def __init__(self, raw: str, when: str | None, owner: str) -> None:
        self.raw, self.when, self.owner = raw, when, owner


def _fields(text: str) -> tuple[str | None, str]:
    """(time, owner) from "责任单位：X；完成时限：Y" — a value runs to the next key."""
    found = list(_FIELD_RE.finditer(text))
    when: str | None = None
    owner = ""
    for i, m in enumerate(found):
        value = text[m.end() : found[i + 1].start() if i + 1 < len(found) else len(text)]
        value = value.strip(" \t，,；;。.")
        while value.endswith(("）", ")")) and value.count("）") + value.count(")") > value.count("（") + value.count(
            "("
        ):
            value = value[:-1].rstrip(" \t，,；;。.")
        if m.group("key") in _TIME_KEYS and when is None:
            when = value
        elif m.group("key") in _OWNER_KEYS and not owner:
            owner = value
    return when, owner


def _brackets(text: str) -> list[tuple[int, int]]:
    """Spans of top-level brackets, one level of nesting allowed: （责任单位：各村（社区）；完成时限：…）."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in "（(":
            if depth == 0:
                start = i
            depth += 1
        elif ch in "）)" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def _as_note(inner: str) -> _Note | None:
    if _FIELD_RE.search(inner):
        when, owner = _fields(inner)
        return _Note(inner.strip(), when, owner)
    if dl.has_date(inner):
        rest = inner
        for a, b in reversed(dl.date_spans(inner)):
            rest = rest[:a] + rest[b:]
        left = _DATE_NOTE_FILLER.sub("", rest)
        spans = dl.date_spans(inner)
        deadline_like = any(
            re.search(r"(前|内|底|末|旬|季度|半年|年中)\s*$", inner[a:b]) or re.search(r"至|到|—|－|-|~|～", inner[a:b])
            for a, b in spans
        )
        # （2024年7月底前）、(6月底前完成)、（4月10日至4月20日）、（2024年12月） — not （2023年12月8日会议）
        if not left or (len(left) <= 2 and deadline_like):
            return _Note(inner.strip(), inner.strip(), "")
        return None
    if len(inner) <= _OPEN_NOTE_MAX and dl.OPEN_RE.search(inner):
        return _Note(inner.strip(), inner.strip(), "")
    return None


def _notes(text: str) -> tuple[list[_Note], str]:
    """The notes in a text, and the text without them."""
    notes: list[_Note] = []
    out = text
    for a, b in reversed(_brackets(text)):
        note = _as_note(text[a + 1 : b - 1])
        if note is not None:
            notes.insert(0, note)
            out = out[:a] + out[b:]
    return notes, out


@dataclass
class _Para:
    text: str
    attrs: list[str]


@dataclass
class _Node:
    kind: str  # "part" or an item marker kind
    number: str
    n: int | None
    head: str
    paras: list[_Para]
    attrs: list[str]
    children: list[_Node]


def _lines(text: str) -> list[str]:
    return [ln for ln in (raw.strip().strip("\u3000").strip() for raw in text.splitlines()) if ln]


def _first_sentence(text: str) -> str:
    head = re.split(r"[。！？!?；;]", text, maxsplit=1)[0]
    colon = re.search(r"[：:]", head)
    if colon is not None and colon.start() >= 2:
        head = head[: colon.start()]
    return head.strip().rstrip("：:，,；;、 ")


def _append(section: Section, line: str) -> None:
    section.text = f"{section.text}\n{line}" if section.text else line


def _item_match(line: str) -> tuple[str, re.Match[str]] | None:
    for kind, pattern in _ITEM_MARKERS:
        if (m := pattern.match(line)) is not None:
            return kind, m
    return None


def _number_of(kind: str, m: re.Match[str]) -> tuple[str, int | None]:
    raw = m.group("n")
    number = m.group("num").replace("(", "（").replace(")", "）").replace(" ", "")
    if kind == "circled":
        return number, ord(raw) - ord("①") + 1
    if kind == "bullet":
        return "", None
    if kind in ("arabic", "paren"):
        return (raw if kind == "arabic" else number), int(raw)
    return number, dl.cn_int(raw)


def _trailer(lines: list[str]) -> tuple[list[str], tuple[int, int] | None]:
    """Drop the closing signature block (the issuing body, the date) and read the issue date from it."""
    issued: tuple[int, int] | None = None
    while lines:
        last = lines[-1]
        if (m := _ISSUE_RE.match(last)) is not None:
            y, mo = dl.cn_int(m.group("y")), dl.cn_int(m.group("m"))
            if y is not None and mo is not None and issued is None:
                issued = (y, mo)
        elif not (len(last) <= 25 and _SIGNATURE_RE.search(last) and not re.search(r"[。，；：:、]", last)):
            break
        lines.pop()
    if issued is None:
        for line in lines[:3] + lines[-3:]:
            if (
                (m := _ISSUE_RE.match(line)) is not None
                and (y := dl.cn_int(m.group("y")))
                and (mo := dl.cn_int(m.group("m")))
            ):
                issued = (y, mo)
    return lines, issued


def _tree(lines: list[str]) -> tuple[list[str], list[_Node]]:
    """The preamble lines and the numbered nodes (parts, and items nested in the order their marks appear)."""
    preamble: list[str] = []
    roots: list[_Node] = []
    stack: list[_Node] = []  # the open nodes, outermost first
    annex = False
    for line in lines:
        if _ANNEX_RE.match(line) or re.fullmatch(r"附件\s*\d*", line):
            stack, annex = [], True  # 附件：1．任务清单 — the list of attachments is no task
            continue
        if _SKIP_RE.fullmatch(line):
            continue
        if m := PART_RE.match(line):
            n = dl.cn_int(m.group("n"))
            node = _Node("part", m.group("n"), n, m.group("rest").strip(), [], [], [])
            roots.append(node)
            stack = [node]
            continue
        found = _item_match(line)
        if annex and found is not None and _ANNEX_ITEM_RE.search(line):
            continue
        in_stages = bool(stack) and stack[0].kind == "part" and bool(STAGE_PART_RE.search(stack[0].head))
        if found is None and in_stages and stack[-1].kind in ("part", "dated") and _starts_with_date(line):
            # 2025年3月至4月：项目申报。 / 3月底前，完成摸底；6月底前，完成整改。 — each dated clause a stage
            for clause in _dated_clauses(line):
                node = _Node("dated", "", None, clause, [], [], [])
                if stack[-1].kind == "dated":
                    stack.pop()
                stack[-1].children.append(node)
                stack.append(node)
            continue
        if found is not None:
            while True:  # "1.（1）扩种油茶": an untitled item 1 holding item （1）
                kind, m = found
                number, n = _number_of(kind, m) if kind != "dated" else ("", None)
                node = _Node(kind, number, n, m.group("rest").strip(), [], [], [])
                at = next((i for i, open_ in enumerate(stack) if open_.kind == kind), None)
                if at is None:  # a mark not open yet: it cannot sit inside marks that are by custom deeper
                    at = next((i for i, o in enumerate(stack) if _RANK.get(o.kind, 0) >= _RANK[kind]), None)
                if at is not None:
                    del stack[at:]
                if stack:
                    stack[-1].children.append(node)
                else:
                    roots.append(node)
                stack.append(node)
                inner = _item_match(node.head) if kind == "arabic" else None
                if inner is None or inner[0] == kind:
                    break
                node.head = ""
                found = inner
            continue
        if not stack:
            preamble.append(line)
        elif ATTR_RE.match(line):
            top = stack[-1]
            (top.paras[-1].attrs if top.paras else top.attrs).append(line)
        else:
            stack[-1].paras.append(_Para(line, []))
    return preamble, roots


_RANK = {"cn": 1, "stage": 1, "arabic": 2, "paren": 3, "circled": 4, "bullet": 4, "dated": 5}
_ANNEX_RE = re.compile(r"^附件\s*\d*\s*[：:]")
_ANNEX_ITEM_RE = re.compile(r"(?:表|清单|名单|一览表|方案|办法|细则|台账)\s*[》]?$")


def _dated_clauses(line: str) -> list[str]:
    """A line of dated steps, cut where each new date starts a clause."""
    clauses: list[str] = []
    for part in re.split(r"(?<=[；;。])", line):
        if not part.strip():
            continue
        if clauses and not _starts_with_date(part.strip()):
            clauses[-1] += part
        else:
            clauses.append(part.strip())
    return clauses


def _starts_with_date(line: str) -> bool:
    spans = dl.date_spans(line)
    return bool(spans) and spans[0][0] == 0


@dataclass
class _Task:
    """A task being built: its section, the time note (None: none written) and the text read for dates."""

    section: Section
    when: str | None
    body: str
    stage: bool


def parse_plan(text: str, year: int | None = None) -> Plan:
    lines = _lines(text)
    while lines and _SKIP_RE.fullmatch(lines[0]):
        lines.pop(0)
    title = ""
    if lines and not PART_RE.match(lines[0]) and _item_match(lines[0]) is None:
        title = lines.pop(0)
        if wrapped := re.fullmatch(r"关于印发\s*《(?P<inner>.+)》\s*的通知", title):
            title = wrapped.group("inner")  # 关于印发《…工作方案》的通知: the plan's own title
    lines, issued = _trailer(lines)
    plan = Plan(title=title, year=year)
    preamble_lines, roots = _tree(lines)
    if preamble_lines:
        plan.sections.append(Section(kind="preamble", title=title, text="\n".join(preamble_lines)))
    built: list[_Task] = []
    for root in roots:
        if root.kind == "part":
            _part(plan, root, built)
        else:
            _items(plan, [root], "", "", built, stage=False)
    if not built:
        _paragraph_tasks(plan, built)
    _codes(plan)
    _resolve(plan, year, built, issued, text)
    return plan


def _part(plan: Plan, node: _Node, built: list[_Task]) -> None:
    head = node.head
    kind = "goal" if GOAL_RE.search(head) and "任务" not in head else "part"  # 二、目标任务 holds tasks
    stage = bool(STAGE_PART_RE.search(head))
    guarantees = bool(GUARANTEE_RE.search(head)) and "任务" not in head and not stage
    if _NOT_TASKS_RE.search(head) and "任务" not in head:  # 四、责任分工 / 一、基本情况: text, not tasks
        text = "\n".join(_all_text(node, skip_head=True))
        plan.sections.append(
            Section(kind="part", title=head, text=text or f"{node.number}、{head}", number=node.number)
        )
        return
    notes, clean = _notes(head)
    own_body = "。" in clean.rstrip("。") or bool(notes)
    if kind == "part" and not guarantees and not node.children and own_body:
        # 一、开展隐患大排查。……（完成时限：…）: a part that is itself a task
        built.append(_make_task(node, "", "", stage))
        plan.sections.append(built[-1].section)
        return
    part = Section(kind=kind, title=head, text="", number=node.number)
    plan.sections.append(part)
    paras = node.paras
    if kind == "part" and not guarantees and _split(node, bare_heading=True):
        for i, para in enumerate(paras, 1):
            built.append(_para_task(para, part.title, "", i, stage))
            plan.sections.append(built[-1].section)
    else:
        part.text = "\n".join([p.text for p in paras] + node.attrs)
    if not part.text:
        part.text = f"{node.number}、{head}"  # a bare heading keeps itself as its text
    if guarantees:  # an item with its own dated 完成时限 is a task, wherever it sits (a task table put last)
        dated = [c for c in node.children if not c.children and _dated_note(c)]
        if dated:
            _items(plan, dated, head, "", built, stage)
            node = _Node(node.kind, node.number, node.n, head, [], [], [c for c in node.children if c not in dated])
    if kind == "goal" or guarantees:
        for child in node.children:
            sec_kind = "goal" if kind == "goal" else "guarantee"
            rest = child.head
            sec = Section(
                kind=sec_kind,
                title=rest.partition("。")[0].strip(),
                text="\n".join([rest, *_all_text(child, skip_head=True)]),
                number=child.number,
                parent=head,
            )
            plan.sections.append(sec)
        return
    _items(plan, node.children, head, "", built, stage)


def _paragraph_tasks(plan: Plan, built: list[_Task]) -> None:
    """No numbered task anywhere: the paragraphs of the parts that are not goal or guarantee are its tasks."""
    sections: list[Section] = []
    for section in plan.sections:
        sections.append(section)
        if section.kind != "part" or section.text == f"{section.number}、{section.title}":
            continue
        if (GUARANTEE_RE.search(section.title) or _NOT_TASKS_RE.search(section.title)) and "任务" not in section.title:
            continue
        for i, line in enumerate(section.text.split("\n"), 1):
            if ATTR_RE.match(line) and built:
                built[-1].section.text += "\n" + line
                when, owner = _fields(line)
                built[-1].when = built[-1].when or when
                built[-1].section.owner = built[-1].section.owner or owner
                continue
            task = _task_from(line, [], [], "", section.title, f"{section.number}-{i}", False)
            built.append(task)
            sections.append(task.section)
    plan.sections[:] = sections


def _dated_note(node: _Node) -> bool:
    when, _ = _node_note(node)
    for para in node.paras:
        for attr in para.attrs:
            when = when or _fields(attr)[0]
    return bool(when) and dl.has_date(when or "")


def _all_text(node: _Node, skip_head: bool = False) -> list[str]:
    out = [] if skip_head or not node.head else [node.head]
    for para in node.paras:
        out += [para.text, *para.attrs]
    out += node.attrs
    for child in node.children:
        out += _all_text(child)
    return out


def _has_note(text: str, attrs: list[str]) -> bool:
    return any(n.when for n in _notes(text)[0]) or any(_fields(a)[0] for a in attrs)


def _split(node: _Node, bare_heading: bool) -> bool:
    """Are the paragraphs under a heading tasks of their own (each with its 完成时限), or the heading's body?"""
    paras = node.paras
    if not paras or node.children:
        return False
    noted = sum(_has_note(p.text, p.attrs) for p in paras)
    if len(paras) >= 2 and 2 * noted >= len(paras):
        return True
    # one paragraph of the shipped shape ("完善村党组织设置。在全市……（完成时限：…）") under an action heading
    lead, dot, more = paras[0].text.partition("。")
    return (
        bare_heading
        and noted == len(paras)
        and bool(_ACTION_HEAD_RE.search(node.head))
        and bool(dot and more.strip())
        and len(lead) <= 25
    )


def _items(plan: Plan, nodes: list[_Node], parent: str, prefix: str, built: list[_Task], stage: bool) -> None:
    for position, node in enumerate(nodes, 1):
        n = node.n if node.n is not None else position
        code = f"{prefix}-{n}" if prefix else str(n)
        notes, clean = _notes(node.head)
        bare = not notes and not re.search(r"[。：:].+", clean)
        if node.children:
            action = Section(
                kind="action", title=node.head, text=node.head, number=node.number, parent=parent, code=code
            )
            plan.sections.append(action)
            start = len(built)
            _items(plan, node.children, node.head or parent, code, built, stage)
            when, owner = _node_note(node)
            for task in built[start:]:  # a heading's 时限 / 责任单位 hold for the items under it that say none
                if task.when is None and when is not None:
                    task.when = when
                if not task.section.owner and owner:
                    task.section.owner = owner
        elif bare and _split(node, bare_heading=True):
            action = Section(
                kind="action", title=node.head, text=node.head, number=node.number, parent=parent, code=code
            )
            plan.sections.append(action)
            for i, para in enumerate(node.paras, 1):
                built.append(_para_task(para, node.head, code, i, stage))
                plan.sections.append(built[-1].section)
        else:
            built.append(_make_task(node, parent, code, stage or bool(_STAGE_HEAD_RE.search(clean))))
            plan.sections.append(built[-1].section)


_STAGE_HEAD_RE = re.compile(r"阶段|第[一二三四五六七八九十]步")


def _node_note(node: _Node) -> tuple[str | None, str]:
    when, owner = None, ""
    for note in _notes(node.head)[0]:
        when = when if when is not None else (note.when or None)
        owner = owner or note.owner
    for attr in node.attrs:
        w, o = _fields(attr)
        when = when if when is not None else (w or None)
        owner = owner or o
    return when, owner


def _task_from(
    head: str, body_lines: list[str], attrs: list[str], number: str, parent: str, code: str, stage: bool
) -> _Task:
    text = "\n".join([head, *body_lines, *attrs]).strip()
    notes_head, clean_head = _notes(head)
    notes_body: list[_Note] = []
    clean_body: list[str] = []
    for line in body_lines:
        found, rest = _notes(line)
        notes_body += found
        clean_body.append(rest)
    when: str | None = None
    owner = ""
    raw_note = ""
    for note in notes_head + notes_body:
        if note.when and when is None:
            when, raw_note = note.when, note.raw
        owner = owner or note.owner
        raw_note = raw_note or (note.raw if note.owner else "")
    for attr in attrs:
        w, o = _fields(attr)
        if w and when is None:
            when = w
        owner = owner or o
    if when is None or not owner:  # 内容……。完成时限：6月底前 — the keys written inline, without brackets
        inline_when, inline_owner = _fields(clean_head)
        when = when if when is not None else inline_when
        owner = owner or inline_owner
        if (key := _FIELD_RE.search(clean_head)) is not None:
            clean_head = clean_head[: key.start()].rstrip("（(，,；; ")
    if when and not raw_note:
        raw_note = when
    if attrs and not raw_note:
        raw_note = "；".join(a.strip("（()）") for a in attrs)
    title_src = clean_head
    if _starts_with_date(clean_head):  # 2025年3月至4月：项目申报和前期准备
        a, b = dl.date_spans(clean_head)[0]
        if when is None:
            when = clean_head[a:b]
        title_src = clean_head[b:].lstrip("：:，, 　")
    elif stage and when is None:
        segment = re.split(r"[。；;]", clean_head, maxsplit=1)[0]
        if spans := dl.date_spans(segment):
            a, b = spans[0]
            when = segment[a:b]
            title_src = (segment[:a] + segment[b:]).strip() + clean_head[len(segment) :]
    if stage and when is None and clean_body and _starts_with_date(clean_body[0]):
        a, b = dl.date_spans(clean_body[0])[0]  # （一）动员部署阶段 / 2024年4月10日至20日。……
        when = clean_body[0][a:b]
    if title_src is clean_head:
        title_src = _before_note(head, notes_head) or title_src
    title = _clause_before_date(_first_sentence(title_src))
    if not title and clean_body:
        title = _first_sentence(clean_body[0])
    body = "\n".join([clean_head, *clean_body])
    section = Section(
        kind="task",
        title=title,
        text=text,
        number=number,
        parent=parent,
        code=code,
        deadline_text=raw_note,
        owner=owner,
    )
    return _Task(section, when, body, stage)


def _before_note(head: str, notes: list[_Note]) -> str:
    """（四）推行党员积分制管理（2024年9月底前）各村全面推行…: the heading is what comes before its note."""
    for note in notes:
        at = head.find(note.raw)
        if at > 0 and head[at + len(note.raw) :].strip(" 。；;，,"):
            return head[:at].rstrip("（(〔[ ")
    return ""


def _clause_before_date(title: str) -> str:
    """组织全体党员学习…精神，4月30日前完成第一轮集中学习: the task, not the deadline clause after it."""
    head, comma, rest = title.partition("，")
    if comma and len(head) >= 4 and dl.date_spans(rest):
        return head
    return title


def _make_task(node: _Node, parent: str, code: str, stage: bool) -> _Task:
    body: list[str] = []
    attrs = list(node.attrs)
    for para in node.paras:
        body.append(para.text)
        attrs += para.attrs
    return _task_from(node.head, body, attrs, node.number, parent, code, stage)


def _para_task(para: _Para, parent: str, prefix: str, i: int, stage: bool) -> _Task:
    return _task_from(para.text, [], para.attrs, "", parent, f"{prefix}-{i}" if prefix else str(i), stage)


def _codes(plan: Plan) -> None:
    """Task codes unique within the plan: numbering that starts again in each part gets the part's number."""
    tasks = plan.tasks
    if len({t.code for t in tasks}) == len(tasks):
        return
    part_n = 0
    for section in plan.sections:
        if section.kind in ("part", "goal"):
            part_n = dl.cn_int(section.number) or part_n + 1
        elif section.kind in ("task", "action") and part_n:
            section.code = f"{part_n}.{section.code}"
    seen: Counter[str] = Counter()
    for task in tasks:
        seen[task.code] += 1
        if seen[task.code] > 1:
            task.code = f"{task.code}.{seen[task.code]}"


_RECURRENCE: list[tuple[str, re.Pattern[str]]] = [
    ("weekly", re.compile(r"每周|每星期|每个星期|每一周")),
    ("monthly", re.compile(r"每月|每个月|每一个月|按月")),
    ("quarterly", re.compile(r"每季度|每个季度|每季|按季度?|季度末")),
    ("", re.compile(r"每半年|每日|每天")),
    ("yearly", re.compile(r"每年|每一年|每个年度|一年一次")),
]


def recurrence_of(text: str) -> tuple[str, bool]:
    """("monthly", True) for 每月…; ("", True) for 每半年 / 每天 (open-ended, no period the reminders know);
    ("", False) when the text names no period."""
    hits = [(m.start(), period) for period, pattern in _RECURRENCE if (m := pattern.search(text)) is not None]
    if not hits:
        return "", False
    return min(hits)[1], True


def _relative_years(text: str, this: int | None, nxt: int | None) -> str:
    if nxt is not None:
        text = re.sub(r"明年|次年|来年", f"{nxt}年", text)
    if this is not None:
        text = re.sub(r"今年|当年|本年度?", f"{this}年", text)
    return text


def infer_year(plan: Plan, whens: list[str] | None = None, issued: tuple[int, int] | None = None) -> int | None:
    """The plan's year: the one year its title names (2024年…工作方案); else the year most of its deadlines are
    written with (ties: the first written); else, from the date it was issued, the year that puts its deadlines
    after that date (a plan issued in December for the next year), or the next year when it says 明年."""
    in_title = sorted({int(y) for y in re.findall(r"(\d{4})\s*年", plan.title)})
    if len(in_title) == 1:
        return in_title[0]
    if whens is None:
        whens = []
    years: list[int] = []
    for when in whens:
        years += dl.explicit_years(when)
    if years:
        return Counter(years).most_common(1)[0][0]
    if issued is not None:
        y, month = issued
        if any(re.search(r"明年|次年|来年", w) for w in whens) or re.search(r"明年", plan.title):
            return y + 1
        months = [dl.cn_int(m) for w in whens for m in re.findall(r"(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月", w)]
        known = [m for m in months if m is not None]
        if known and 2 * sum(m < month for m in known) > len(known):
            return y + 1
        return y
    return in_title[-1] if in_title else None


def _resolve(plan: Plan, year: int | None, built: list[_Task], issued: tuple[int, int] | None, text: str) -> None:
    body_whens = []
    for task in built:
        found, _ = dl.in_body(task.body, None)
        body_whens += [d.raw for d in found]
    whens = [t.when for t in built if t.when] + body_whens
    if not built:
        for section in plan.sections:
            whens += [d.raw for d in dl.in_body(section.text, None)[0]]
    plan.year = year if year is not None else infer_year(plan, whens, issued)
    nxt = issued[0] + 1 if issued is not None else plan.year
    this = issued[0] if issued is not None else plan.year
    for section in plan.sections:
        section.targets = find_targets(_clean(section.text))
        section.level = level_of(section.title, section.text)
    for task in built:
        section = task.section
        note = _relative_years(task.when, this, nxt) if task.when else None
        reading = dl.read(note, plan.year) if note is not None else dl.Reading()
        if note is not None:
            section.start = dl.range_start(note, plan.year)
        after = task.body.split(section.title, 1)[-1].lstrip("。；;：:，, \n") if section.title else task.body
        lead = section.title + "\n" + re.split(r"[。；;]", after, maxsplit=1)[0]
        period, recurring = recurrence_of(note or "")
        if not recurring and not reading.deadlines:
            period, recurring = recurrence_of(lead if note is None else note)
        section.recurrence = period
        if recurring and not reading.deadlines:
            section.open_ended = True
            continue
        extra, unread_body = dl.in_body(_relative_years(task.body, this, nxt), plan.year)
        section.open_ended = reading.open_ended and not reading.deadlines
        section.deadlines = _merge(reading.deadlines, extra)
        for raw in reading.unread + unread_body:
            plan.warnings.append(f"「{section.title}」的时限「{raw}」无法确定日期（没有年份时请用 --year 指定）")
        if note is not None and note and not reading.deadlines and not reading.open_ended and not reading.unread:
            plan.warnings.append(f"「{section.title}」的完成时限「{note}」看不懂，未设期限")
        elif not section.deadlines and not section.open_ended and not reading.unread and not unread_body:
            plan.warnings.append(f"「{section.title}」没有写完成时限")
    tasks = plan.tasks
    if tasks and not any(t.deadlines for t in tasks):
        plan.warnings.append(
            f"方案中没有读出任何完成时限：{len(tasks)} 项任务都按长期或未定期限导入，不会发提醒，请核对。"
        )


def _clean(text: str) -> str:
    """A section's text without its notes and 责任单位 / 完成时限 lines."""
    kept = [ln for ln in text.split("\n") if not ATTR_RE.match(ln)]
    return "\n".join(_notes(ln)[1] for ln in kept)


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
