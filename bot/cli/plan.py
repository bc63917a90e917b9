"""`cadrebot plan …`: the work plan (工作方案) as data — import a plan document, show the current plan."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from bot.cli.common import err, out, settings_or_exit

if TYPE_CHECKING:
    from knowledge.plan.model import Plan, Section

app = typer.Typer(
    help="The work plan (工作方案) as data: import a plan document as tasks with deadlines; show the current plan.",
    no_args_is_help=True,
)


@app.command("import")
def plan_import(
    file: Annotated[Path, typer.Argument(help="The plan document: .txt (UTF-8 or GB18030), .md or .docx.")],
    year: Annotated[
        int | None,
        typer.Option("--year", help="The year of dates written without one (default: the year most of its dates use)."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Import without asking for confirmation.")] = False,
    as_user: Annotated[
        str | None, typer.Option("--as", help="The WeCom account of the person importing, recorded with the plan.")
    ] = None,
) -> None:
    """Read a plan, show its tasks for review, then store it and make its tasks, one per organisation of each
    task's level. Importing the same title and year again replaces it and updates the tasks, never duplicates."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from click.exceptions import Abort
    from sqlalchemy import select

    from bot.store.db import get_engine, session_scope
    from bot.store.migrate import upgrade
    from bot.store.tables import Person
    from knowledge.plan.parser import SUPPORTED, PlanFileError, parse_plan, read_document
    from knowledge.plan.tasks import import_plan

    if not file.is_file():
        err.print(f"找不到文件 {file}", markup=False, highlight=False)
        raise typer.Exit(2)
    if file.suffix.lower() not in SUPPORTED:
        err.print(f"不支持的文件类型「{file.suffix or '无扩展名'}」：请用 .txt、.md 或 .docx", markup=False)
        raise typer.Exit(2)
    if year is not None and not 2000 <= year <= 2100:
        err.print(f"--year 应为四位年份，例如 2026（收到 {year}）", markup=False, highlight=False)
        raise typer.Exit(2)
    try:
        text = read_document(file)
    except (PlanFileError, OSError) as exc:
        err.print(f"无法读取 {file.name}：{exc}。未导入任何数据。", markup=False, highlight=False)
        raise typer.Exit(1) from None
    plan = parse_plan(text, year)
    plan.title = plan.title or file.stem
    if not plan.tasks:
        err.print(
            f"{file.name} 中没有找到任务（应有“一、”“（一）”或“1、”编号的任务段落，或任务表格）。未导入任何数据。",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    if year_unknown(plan):
        err.print(
            f"{file.name} 的完成时限没有写年份，标题和落款也看不出是哪一年：请用 --year 指定年份后重新导入，"
            "例如 --year 2026。未导入任何数据。",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        for warning in plan.warnings:
            err.print(f"  {warning}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    _print_plan(plan)
    settings = settings_or_exit()
    upgrade(settings.database_url)
    engine = get_engine(settings.database_url)
    imported_by, person_id = "cli", None
    if as_user:
        with session_scope(engine) as s:
            person = s.scalar(select(Person).where(Person.wecom_userid == as_user.strip().lower()))
            if person is None or not person.active:
                err.print(f"名册中没有在用的企业微信账号「{as_user}」", markup=False, highlight=False)
                raise typer.Exit(2)
            imported_by, person_id = f"{person.name}（{person.wecom_userid}）", person.id
    if not yes:
        try:
            confirmed = typer.confirm("确认导入以上计划并生成任务？", default=False)
        except Abort:
            confirmed = False
        if not confirmed:
            err.print("已取消，未导入任何数据。")
            raise typer.Exit(1)
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    with session_scope(engine) as s:
        report = import_plan(s, plan, file.name, text, today, imported_by, person_id)
    tasks = report.tasks
    table = Table(title=f"计划导入完成：{file.name}", show_header=False)
    for label, value in (
        ("计划", "已替换同名同年的计划" if report.replaced else "新导入"),
        ("章节", report.sections),
        ("时限条目", tasks.items),
        ("新增任务", tasks.created),
        ("更新任务", tasks.updated),
        ("无变化", tasks.unchanged),
        ("导入时已过期（不提醒）", tasks.archived_past),
        ("重新启用", tasks.reopened),
        ("已不在计划中（归档）", tasks.archived_dropped),
        ("长期任务（无时限，不提醒）", len(undated_tasks(plan))),
    ):
        table.add_row(label, str(value))
    out.print(table)
    if tasks.unassigned:
        out.print(
            f"名册中没有对应层级的组织，{len(tasks.unassigned)} 个条目未生成任务（{'、'.join(tasks.unassigned[:8])}"
            f"{'…' if len(tasks.unassigned) > 8 else ''}）；导入名册后再导入一次计划即可。",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command("show")
def plan_show() -> None:
    """Print the current plan's tasks: the newest imported plan, or the shipped one before any import."""
    from zoneinfo import ZoneInfo

    from bot.store.db import get_engine, session_scope
    from bot.store.migrate import upgrade
    from knowledge.plan.store import active_record, load_plan, shipped_plan

    settings = settings_or_exit()
    upgrade(settings.database_url)
    with session_scope(get_engine(settings.database_url)) as s:
        record = active_record(s)
        if record is None:
            plan = shipped_plan()
            where = "内置计划，尚未导入任何计划"
        else:
            plan = load_plan(s, record)
            at = record.imported_at.astimezone(ZoneInfo(settings.timezone))
            where = f"导入自 {record.source}，{at:%Y-%m-%d %H:%M}，{record.imported_by}"
    out.print(f"当前计划：{plan.title}（{where}）", markup=False, highlight=False, soft_wrap=True)
    _print_plan(plan)


def undated_tasks(plan: Plan) -> list[Section]:
    """The tasks with no deadline: 长期坚持 / 每月… on purpose, or none written — imported as 长期, never reminded."""
    return [t for t in plan.tasks if not t.deadlines]


def year_unknown(plan: Plan) -> bool:
    """Dates are written but no year can be had for them (none given, none in the text or title): the one case
    where --year helps. A plan with no dates at all needs no year."""
    if plan.year is not None:
        return False
    unread = any(t.deadline_text and not t.deadlines and not t.open_ended for t in plan.tasks)
    return unread or any("--year" in w for w in plan.warnings)


def _print_plan(plan: Plan) -> None:
    """The review table: each task's code, title, deadlines with their labels, 责任单位, recurrence, targets and
    level; then counts; then every task without a deadline by name, and what else the parser could not read."""
    from knowledge.plan.recurrence import RECURRENCE_LABELS, undated_label
    from knowledge.plan.tasks import owner_unit

    table = Table(title=f"{plan.title}（{plan.year or '年份不明'}年）")
    table.add_column("编号", no_wrap=True)
    for column in ("任务", "完成时限", "责任单位", "指标", "层级"):
        table.add_column(column, overflow="fold")  # Chinese has no spaces to wrap at: fold, never cut with …
    for t in plan.tasks:
        due = "\n".join(f"{d.due:%Y-%m-%d}" + (f" {d.label}" if d.label else "") for d in t.deadlines)
        if due and t.recurrence in RECURRENCE_LABELS:
            due += f"\n（{RECURRENCE_LABELS[t.recurrence]}）"
        table.add_row(
            t.code,
            t.title,
            due or undated_label(t.recurrence),
            owner_unit(t.owner) or "—",
            "、".join(x.text for x in t.targets),
            t.level or "—",
        )
    out.print(table)
    counts = (
        f"总体目标 {len(plan.of_kind('goal'))} · 行动 {len(plan.of_kind('action'))} 项 · 任务 {len(plan.tasks)} 项"
        f" · 完成时限 {sum(len(t.deadlines) for t in plan.tasks)} 个"
        f" · 量化指标 {sum(len(s.targets) for s in plan.sections)} 个 · 组织保障 {len(plan.of_kind('guarantee'))} 项"
    )
    out.print(counts, markup=False, highlight=False, soft_wrap=True)
    undated = undated_tasks(plan)
    if undated:
        out.print(
            f"以下 {len(undated)} 项任务没有完成时限，将作为长期任务导入，不设提醒：",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        for t in undated:
            why = RECURRENCE_LABELS.get(t.recurrence) or (
                "长期" if t.open_ended else f"时限「{t.deadline_text}」未能读出" if t.deadline_text else "未写时限"
            )
            out.print(f"  · {t.title}（{why}）", markup=False, highlight=False, soft_wrap=True)
    named = {t.title for t in undated}
    for warning in plan.warnings:
        if _restates_undated(warning, named):
            continue  # already named in the list above
        if plan.year is not None:
            warning = re.sub(r"[（(][^（）()]*--year[^（）()]*[）)]", "", warning)  # the year is known: no hint
        out.print(f"请注意：{warning}", markup=False, highlight=False, soft_wrap=True)


def _restates_undated(warning: str, titles: set[str]) -> bool:
    """A warning that only says a task listed as 长期 has no deadline (not that a date it gives is unreadable)."""
    if not any(f"「{title}」" in warning for title in titles):
        return False
    return "没有" in warning and not re.search(r"无法|看不懂|不明|不清", warning)
