"""`cadrebot roster …`: load and check the roster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.common import err, out, settings_or_exit

app = typer.Typer(help="Load and check the roster (people, roles, organisations).", no_args_is_help=True)


@app.command("import")
def roster_import(
    file: Annotated[
        Path | None, typer.Argument(help="CSV or XLSX with 姓名, 企业微信账号, 钉钉账号, 手机, 角色, 组织.")
    ] = None,
    demo: Annotated[bool, typer.Option(help="Import the demo roster that ships with cadrebot.")] = False,
    deactivate_missing: Annotated[
        bool, typer.Option(help="Mark people who are not in the file as inactive (they can no longer use the bot).")
    ] = False,
) -> None:
    """Import a roster: the whole file or nothing; every bad row is listed with its reason."""
    from sqlalchemy.exc import IntegrityError

    from bot.store.db import get_engine, session_scope
    from bot.store.migrate import upgrade
    from bot.store.roster import DEMO_ROSTER, RosterError, import_roster

    if (file is None) == (not demo):
        err.print("请给出名册文件，或使用 --demo 导入示例名册 (give FILE or --demo)")
        raise typer.Exit(2)
    path = DEMO_ROSTER if demo else file
    assert path is not None
    if not path.exists():
        err.print(f"[red]找不到文件 {path}[/red]")
        raise typer.Exit(2)
    settings = settings_or_exit()
    upgrade(settings.database_url)
    try:
        with session_scope(get_engine(settings.database_url)) as s:
            report = import_roster(s, path, actor="cli", deactivate_missing=deactivate_missing)
    except RosterError as exc:
        err.print(f"[red]名册有 {len(exc.errors)} 处问题，未导入任何数据：[/red]")
        for e in exc.errors:
            err.print(f"  {e}")
        raise typer.Exit(1) from None
    except IntegrityError:
        err.print("[red]导入失败：名册中的账号与已有人员冲突（同一账号不能属于两个人），未导入任何数据。[/red]")
        raise typer.Exit(1) from None
    table = Table(title=f"名册导入完成：{path.name}", show_header=False)
    for label, value in (
        ("行数", report.rows),
        ("新增人员", report.created),
        ("更新人员", report.updated),
        ("无变化", report.unchanged),
        ("停用人员", report.deactivated),
        ("新增组织", report.orgs_created),
    ):
        table.add_row(label, str(value))
    out.print(table)
