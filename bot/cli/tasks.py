"""`cadrebot tasks …`: work-plan tasks from a TOML data file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.common import err, out, settings_or_exit

app = typer.Typer(help="Work-plan tasks with deadlines (完成时限): load them from a data file.", no_args_is_help=True)


@app.command("load")
def tasks_load(
    file: Annotated[Path | None, typer.Argument(help="A TOML file of [[task]] items (see knowledge/plan/).")] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo tasks that ship with cadrebot.")] = False,
) -> None:
    """Load tasks: one per plan item per organisation it applies to. Loading again updates, never duplicates;
    reminders are planned by the scheduler within a minute."""
    from bot.store.db import get_engine, session_scope
    from bot.store.migrate import upgrade
    from knowledge.plan.tasks_file import DEMO_TASKS, TasksFileError, load

    if (file is None) == (not demo):
        err.print("请给出任务文件，或使用 --demo 导入示例任务 (give FILE or --demo)")
        raise typer.Exit(2)
    path = DEMO_TASKS if demo else file
    assert path is not None
    if not path.exists():
        err.print(f"[red]找不到文件 {path}[/red]")
        raise typer.Exit(2)
    settings = settings_or_exit()
    upgrade(settings.database_url)
    try:
        with session_scope(get_engine(settings.database_url)) as s:
            report = load(s, path, actor="cli")
    except TasksFileError as exc:
        err.print(f"[red]任务文件有误，未导入任何任务：{exc}[/red]")
        raise typer.Exit(1) from None
    table = Table(title=f"任务导入完成：{path.name}", show_header=False)
    for label, value in (("计划条目", report.items), ("新增任务", report.created), ("更新任务", report.updated)):
        table.add_row(label, str(value))
    out.print(table)
