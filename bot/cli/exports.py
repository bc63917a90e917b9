"""`cadrebot export …`: the monthly ledgers as print-ready Excel files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import err, out, settings_or_exit

app = typer.Typer(
    help="Export monthly ledgers as print-ready Excel files (巡查台账, 三会一课台账, 下村走访台账, 交通补助发放明细表).",
    no_args_is_help=True,
)

Month = Annotated[str, typer.Option("--month", help="The month, YYYY-MM (e.g. 2026-03).")]
OrgPath = Annotated[
    str, typer.Option("--org", help="The org path, e.g. 清河县/石桥镇 (or its unique tail, e.g. 石桥镇/李家村).")
]
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="The .xlsx file to write (default: 〈org〉〈ledger〉-YYYY-MM.xlsx)."),
]


@app.command("patrols")
def export_patrols(month: Month, org: OrgPath, output: Output = None) -> None:
    """The monthly 巡查台账 of an org and everything under it: one sheet of records, one summary per village."""
    _export("patrols", month, org, output)


@app.command("meetings")
def export_meetings(month: Month, org: OrgPath, output: Output = None) -> None:
    """The monthly 三会一课台账 (a township, village or 党支部): the meetings, and 开展情况 per 党支部 against the cadence."""
    _export("meetings", month, org, output)


@app.command("trips")
def export_trips(month: Month, org: OrgPath, output: Output = None) -> None:
    """The monthly 下村走访台账: every trip done by people under the org, with the state of its subsidy claim."""
    _export("trips", month, org, output)


@app.command("subsidy")
def export_subsidy(month: Month, org: OrgPath, output: Output = None) -> None:
    """The monthly 交通补助发放明细表: approved claims per person, 小计, 合计 and the lines for signatures."""
    _export("subsidy", month, org, output)


def _export(kind: str, month: str, org: str, output: Path | None) -> None:
    """What every `export` command does: check the month and org, write the file, audit it."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.store.db import get_engine, session_scope
    from bot.store.tables import AuditLog
    from handlers.ledgers import LEDGERS, render
    from handlers.ledgers_common import parse_month
    from handlers.orgs import find_org
    from knowledge.rules import rules_from

    try:
        year, mon = parse_month(month)
    except ValueError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    month_text = f"{year:04d}-{mon:02d}"
    wanted = org.strip().strip("/")
    settings = settings_or_exit()
    now = datetime.now(UTC)
    with session_scope(get_engine(settings.database_url)) as s:
        found = find_org(s, wanted)
        if len(found) > 1:
            err.print(f"组织「{wanted}」不唯一，请写完整路径：", markup=False, highlight=False)
            for o in found:
                err.print(f"  {o.path}", markup=False, highlight=False)
            raise typer.Exit(2)
        if not found:
            err.print(f"找不到组织「{wanted}」，请写完整路径，例如 清河县/石桥镇", markup=False, highlight=False)
            raise typer.Exit(2)
        scope = found[0]
        target = output or Path(LEDGERS[kind].filename(scope, month_text))
        if not target.parent.is_dir():
            err.print(f"目录不存在：{target.parent}", markup=False, highlight=False)
            raise typer.Exit(2)
        rendered = render(s, kind, scope, year, mon, ZoneInfo(settings.timezone), now, rules_from(settings.rules_file))
        try:
            target.write_bytes(rendered.body)
        except OSError as exc:
            err.print(f"无法写入 {target}：{exc.strerror or exc}", markup=False, highlight=False)
            raise typer.Exit(1) from None
        s.add(
            AuditLog(
                at=now,
                actor="cli",
                action=f"export.{kind}",
                target=f"{scope.path} {month_text}"[:200],
                detail={"records": rendered.records, "via": "cli", "file": str(target)[:200]},
            )
        )
    noun = LEDGERS[kind].noun
    out.print(f"已导出 {rendered.records} 条{noun} → {target}", markup=False, highlight=False, soft_wrap=True)
