"""The `cadrebot` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.config import SettingsError
from bot.startup import checked_settings

app = typer.Typer(
    help="村务助手 cadrebot: a WeCom/DingTalk assistant for village-level organisations.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
roster_app = typer.Typer(help="Load and check the roster (people, roles, organisations).", no_args_is_help=True)
wecom_app = typer.Typer(help="Operator tools for WeCom callbacks captured from a log or a proxy.", no_args_is_help=True)
export_app = typer.Typer(
    help="Export monthly ledgers as print-ready Excel files (巡查台账, 三会一课台账, 下村走访台账, 交通补助发放明细表).",
    no_args_is_help=True,
)
app.add_typer(roster_app, name="roster")
app.add_typer(wecom_app, name="wecom")
app.add_typer(export_app, name="export")
tasks_app = typer.Typer(
    help="Work-plan tasks with deadlines (完成时限): load them from a data file.", no_args_is_help=True
)
app.add_typer(tasks_app, name="tasks")

out = Console()
err = Console(stderr=True)


def settings_or_exit():  # type: ignore[no-untyped-def]
    try:
        return checked_settings()
    except SettingsError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


# -- running ------------------------------------------------------------------------------------------


@app.command()
def run(
    demo: Annotated[bool, typer.Option(help="Load the demo organisation and roster (idempotent).")] = False,
    sim: Annotated[
        bool | None,
        typer.Option(
            "--sim/--no-sim", help="Serve the WeCom simulator (default: on unless WeCom sending is configured)."
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int | None, typer.Option(help="Number of RQ worker processes.")] = None,
) -> None:
    """Everything in one go: migrate, make sure Redis runs, then web server + workers + scheduler.

    Ctrl-C stops all of them. This is what `make run` calls.
    """
    from bot.runner import run_all

    raise typer.Exit(run_all(demo=demo, sim=sim, host=host, port=port, workers=workers))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (CADREBOT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (CADREBOT_PORT).")] = None,
) -> None:
    """The web server alone: webhooks, /healthz, /metrics (and /sim when CADREBOT_SIM=1)."""
    import uvicorn

    settings = settings_or_exit()
    uvicorn.run(
        "bot.app:app_from_env",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Quit when the queues are empty.")] = False,
    name: Annotated[str | None, typer.Option(help="Worker name (default: host and pid).")] = None,
) -> None:
    """An RQ worker for the inbound, outbound and background queues."""
    from bot.logs import setup_logging
    from bot.worker import run_worker

    settings = settings_or_exit()
    setup_logging(settings.log_level, settings.log_format)
    run_worker(settings, burst=burst, name=name)


@app.command()
def scheduler() -> None:
    """The periodic jobs (outbox sweeps; reminders and escalations as they arrive)."""
    from bot.logs import setup_logging
    from scheduler.cron import run as run_scheduler

    settings = settings_or_exit()
    setup_logging(settings.log_level, settings.log_format)
    run_scheduler(settings)


@app.command("dingtalk-stream")
def dingtalk_stream() -> None:
    """Receive DingTalk robot messages and card taps over Stream mode (an outbound WebSocket; no public
    address needed). Runs in the foreground until Ctrl-C / SIGTERM; workers handle what it queues."""
    from bot.logs import setup_logging
    from bot.platforms.dingtalk.stream import run_stream

    settings = settings_or_exit()
    missing = [
        name
        for name, value in (
            ("CADREBOT_DINGTALK_CLIENT_ID", settings.dingtalk_client_id),
            ("CADREBOT_DINGTALK_CLIENT_SECRET", settings.dingtalk_client_secret),
        )
        if not value
    ]
    if missing:
        err.print(
            f"钉钉 Stream 模式需要应用凭证 (DingTalk Stream mode needs the app's AppKey/AppSecret)：请设置 {'、'.join(missing)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    setup_logging(settings.log_level, settings.log_format)
    run_stream(settings)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic)."""
    from bot.store.migrate import upgrade

    settings = settings_or_exit()
    upgrade(settings.database_url)
    out.print("数据库已是最新结构 (database schema up to date)")


# -- understanding ----------------------------------------------------------------------------------------


@app.command()
def parse(
    messages: Annotated[
        list[str] | None, typer.Argument(help="Messages to read; without any, one per line from stdin.")
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(help="The day relative dates are read against (YYYY-MM-DD, Asia/Shanghai; default today)."),
    ] = None,
    explain: Annotated[bool, typer.Option(help="Add why: scores, evidence, normalised text, missing fields.")] = False,
) -> None:
    """Read messages as the bot does: one JSON object per line, {"intent": …, "fields": {…}}.

    A blank line gives {"intent": "other", "fields": {}}; no input makes it crash.
    """
    import json
    from datetime import datetime

    from handlers.nlu import understand
    from handlers.nlu.chinese_time import TZ

    if today is not None:
        try:
            now = datetime.strptime(today, "%Y-%m-%d").replace(hour=10, tzinfo=TZ)
        except ValueError:
            err.print(f"[red]--today must be YYYY-MM-DD, got {today!r}[/red]")
            raise typer.Exit(2) from None
    else:
        now = datetime.now(TZ)

    def one(line: str) -> str:
        try:
            u = understand(line, now)
            data = u.contract()
            if explain:
                data["explain"] = u.explain()
        except Exception as exc:  # never crash on input; say what happened on stderr
            err.print(f"could not read a message ({type(exc).__name__}); answered 'other'")
            data = {"intent": "other", "fields": {}}
        return json.dumps(data, ensure_ascii=False)

    out_stream = sys.stdout
    if messages:
        for message in messages:
            out_stream.write(one(message) + "\n")
        return
    for raw in sys.stdin.buffer:
        out_stream.write(one(raw.decode("utf-8", errors="replace").rstrip("\r\n")) + "\n")
    out_stream.flush()


@app.command()
def ask(
    question: Annotated[
        list[str], typer.Argument(help="The question, in Chinese as a cadre would ask it (- reads stdin).")
    ],
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Ask as this roster account (WeCom userid), so own records can be asked about."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"answer", "sources": [{"title", "kind"}], "confident"}.')
    ] = False,
) -> None:
    """Answer a question as the bot would: the work plan, the FAQ and the rules file, or (with --as) the
    person's own records — with the source quoted, or an honest "no good answer" (exit code 0 either way)."""
    from bot.cli_ask import ask_as, print_answer

    text = " ".join(question).strip()
    if text == "-":
        text = sys.stdin.read().strip()
    if not text:
        err.print("请给出问题 (give a question)")
        raise typer.Exit(2)
    settings = settings_or_exit()
    try:
        got = ask_as(settings, text, as_user)
    except LookupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    print_answer(got, as_json, out)


# -- roster -------------------------------------------------------------------------------------------


@roster_app.command("import")
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


# -- tasks --------------------------------------------------------------------------------------------


@tasks_app.command("load")
def tasks_load(
    file: Annotated[Path | None, typer.Argument(help="A TOML file of [[task]] items (see knowledge/plan/).")] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo tasks that ship with cadrebot.")] = False,
) -> None:
    """Load tasks: one per plan item per organisation it applies to. Loading again updates, never duplicates;
    reminders are planned by the scheduler within a minute."""
    from bot.store.db import get_engine, session_scope
    from bot.store.migrate import upgrade
    from scheduler.tasks_file import DEMO_TASKS, TasksFileError, load

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


# -- rules --------------------------------------------------------------------------------------------

rules_app = typer.Typer(
    help="Local rules (本地规则): check a rules file before pointing CADREBOT_RULES_FILE at it.", no_args_is_help=True
)
app.add_typer(rules_app, name="rules")


@rules_app.command("check")
def rules_check(
    file: Annotated[
        Path | None, typer.Argument(help="A rules file (.yaml; .toml still read). Default: the bundled one.")
    ] = None,
) -> None:
    """Validate a rules file and print what it sets, or exit 1 with the line and setting that is wrong."""
    from knowledge.rules import DEFAULT_RULES, RulesError, describe, load_rules

    path = file or DEFAULT_RULES
    try:
        rules = load_rules(path)
    except RulesError as exc:
        err.print(f"规则文件有误 (rules file has errors)：\n{exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    out.print(f"规则文件有效 (rules file OK)：{path}", markup=False, highlight=False, soft_wrap=True)
    for label, text in describe(rules):
        out.print(f"  {label}：{text}", markup=False, highlight=False, soft_wrap=True)


# -- work plan ----------------------------------------------------------------------------------------

plan_app = typer.Typer(
    help="The work plan (工作方案) as data: import a plan document as tasks with deadlines; show the current plan.",
    no_args_is_help=True,
)
app.add_typer(plan_app, name="plan")


@plan_app.command("import")
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
    from knowledge.plan_parser import SUPPORTED, PlanFileError, parse_plan, read_document
    from scheduler.plan_tasks import import_plan

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
            f"{file.name} 中没有找到任务（应有“（一）……”行动标题和其下以“（完成时限：……）”结尾的任务段落）。未导入任何数据。",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    if not any(t.deadlines for t in plan.tasks):
        err.print(
            f"找到 {len(plan.tasks)} 项任务，但没有一项能读出完成时限（时限没有年份时请用 --year 指定）。未导入任何数据。",
            markup=False,
            highlight=False,
        )
        for warning in plan.warnings:
            err.print(f"  {warning}", markup=False, highlight=False)
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


@plan_app.command("show")
def plan_show() -> None:
    """Print the current plan's tasks: the newest imported plan, or the shipped one before any import."""
    from zoneinfo import ZoneInfo

    from bot.store.db import get_engine, session_scope
    from bot.store.migrate import upgrade
    from knowledge.plan_store import active_record, load_plan, shipped_plan

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


def _print_plan(plan) -> None:  # type: ignore[no-untyped-def]
    """The review table: each task's code, title, deadlines with their labels, targets and level; then counts."""
    table = Table(title=f"{plan.title}（{plan.year or '年份不明'}年）")
    for column in ("编号", "任务", "完成时限", "指标", "层级"):
        table.add_column(column)
    for t in plan.tasks:
        due = "\n".join(f"{d.due:%Y-%m-%d}" + (f" {d.label}" if d.label else "") for d in t.deadlines)
        table.add_row(
            t.code,
            t.title,
            due or ("长期（无固定期限）" if t.open_ended else "—"),
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
    for warning in plan.warnings:
        out.print(f"请注意：{warning}", markup=False, highlight=False, soft_wrap=True)


# -- exports ------------------------------------------------------------------------------------------


Month = Annotated[str, typer.Option("--month", help="The month, YYYY-MM (e.g. 2026-03).")]
OrgPath = Annotated[
    str, typer.Option("--org", help="The org path, e.g. 清河县/石桥镇 (or its unique tail, e.g. 石桥镇/李家村).")
]
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="The .xlsx file to write (default: 〈org〉〈ledger〉-YYYY-MM.xlsx)."),
]


@export_app.command("patrols")
def export_patrols(month: Month, org: OrgPath, output: Output = None) -> None:
    """The monthly 巡查台账 of an org and everything under it: one sheet of records, one summary per village."""
    _export("patrols", month, org, output)


@export_app.command("meetings")
def export_meetings(month: Month, org: OrgPath, output: Output = None) -> None:
    """The monthly 三会一课台账 (a township, village or 党支部): the meetings, and 开展情况 per 党支部 against the cadence."""
    _export("meetings", month, org, output)


@export_app.command("trips")
def export_trips(month: Month, org: OrgPath, output: Output = None) -> None:
    """The monthly 下村走访台账: every trip done by people under the org, with the state of its subsidy claim."""
    _export("trips", month, org, output)


@export_app.command("subsidy")
def export_subsidy(month: Month, org: OrgPath, output: Output = None) -> None:
    """The monthly 交通补助发放明细表: approved claims per person, 小计, 合计 and the lines for signatures."""
    _export("subsidy", month, org, output)


def _export(kind: str, month: str, org: str, output: Path | None) -> None:
    """What every `export` command does: check the month and org, write the file, audit it."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from bot.store.db import get_engine, session_scope
    from bot.store.tables import AuditLog, Org
    from handlers.ledgers import LEDGERS, render
    from handlers.ledgers_common import parse_month
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
        scope = s.scalar(select(Org).where(Org.path == wanted))
        if scope is None:
            # a tail such as 石桥镇/李家村 is enough when only one org ends with it
            tails = list(s.scalars(select(Org).where(Org.path.endswith("/" + wanted, autoescape=True))))
            if len(tails) > 1:
                err.print(f"组织「{wanted}」不唯一，请写完整路径：", markup=False, highlight=False)
                for o in sorted(tails, key=lambda o: o.path):
                    err.print(f"  {o.path}", markup=False, highlight=False)
                raise typer.Exit(2)
            if not tails:
                err.print(f"找不到组织「{wanted}」，请写完整路径，例如 清河县/石桥镇", markup=False, highlight=False)
                raise typer.Exit(2)
            scope = tails[0]
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


# -- WeCom operator tools -----------------------------------------------------------------------------

Token = Annotated[str, typer.Option("--token", help="The app's Token (接收消息 → API接收).")]
AesKey = Annotated[str, typer.Option("--aes-key", help="EncodingAESKey, 43 characters.")]
CorpId = Annotated[str, typer.Option("--corp-id", help="The corp id (企业ID), the receiveid.")]
Timestamp = Annotated[str, typer.Option("--timestamp", help="The timestamp query parameter.")]
Nonce = Annotated[str, typer.Option("--nonce", help="The nonce query parameter.")]
Signature = Annotated[str, typer.Option("--signature", help="The msg_signature query parameter.")]


def _crypto_or_exit(token: str, aes_key: str, corp_id: str):  # type: ignore[no-untyped-def]
    from bot.platforms.wecom.crypto import WeComCryptoError, WXBizMsgCrypt

    try:
        return WXBizMsgCrypt(token, aes_key, corp_id)
    except WeComCryptoError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None


def _print_plain(data: bytes) -> None:
    sys.stdout.write(data.decode("utf-8", errors="replace") + "\n")


@wecom_app.command("verify-url")
def wecom_verify_url(
    echostr: Annotated[str, typer.Argument(help="The echostr query parameter (URL-decoded or not).")],
    token: Token,
    aes_key: AesKey,
    corp_id: CorpId,
    timestamp: Timestamp,
    nonce: Nonce,
    signature: Signature,
) -> None:
    """Check a URL-verification GET and print the plaintext WeCom expects back (the timestamp's age is not checked)."""
    from urllib.parse import unquote

    from bot.platforms.wecom.crypto import WeComCryptoError

    crypto = _crypto_or_exit(token, aes_key, corp_id)
    value = unquote(echostr) if "%" in echostr else echostr
    try:
        _print_plain(crypto.verify_url(signature, timestamp, nonce, value))
    except WeComCryptoError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None


@wecom_app.command("decrypt")
def wecom_decrypt(
    body: Annotated[str, typer.Argument(help="The POST body (XML envelope) or the bare Encrypt value; - reads stdin.")],
    token: Token,
    aes_key: AesKey,
    corp_id: CorpId,
    timestamp: Timestamp,
    nonce: Nonce,
    signature: Signature,
) -> None:
    """Check and decrypt a captured message callback and print the plaintext (the timestamp's age is not checked)."""
    from bot.platforms.wecom.crypto import WeComCryptoError

    crypto = _crypto_or_exit(token, aes_key, corp_id)
    raw = sys.stdin.buffer.read() if body == "-" else body.encode()
    try:
        _print_plain(crypto.decrypt_message(signature, timestamp, nonce, raw))
    except WeComCryptoError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None


# -- DingTalk operator tools --------------------------------------------------------------------------

dingtalk_app = typer.Typer(
    help="Operator tools for DingTalk robot signs and event pushes captured from a log or a proxy.",
    no_args_is_help=True,
)
app.add_typer(dingtalk_app, name="dingtalk")


@dingtalk_app.command("sign")
def dingtalk_sign(
    secret: Annotated[str, typer.Option("--secret", help="The AppSecret (or a custom robot's SEC… secret).")],
    timestamp: Annotated[str, typer.Option("--timestamp", help="The timestamp header, in milliseconds.")],
) -> None:
    """Print the sign DingTalk sends with this timestamp: plain base64, not URL-encoded."""
    from bot.platforms.dingtalk.crypto import robot_sign

    sys.stdout.write(robot_sign(secret, timestamp) + "\n")


@dingtalk_app.command("decrypt")
def dingtalk_decrypt(
    encrypt: Annotated[
        str, typer.Argument(help='The "encrypt" value, or the POST body {"encrypt": …}; - reads stdin.')
    ],
    token: Annotated[str, typer.Option("--token", help="事件订阅 签名token.")],
    aes_key: Annotated[str, typer.Option("--aes-key", help="事件订阅 加密aes_key, 43 characters.")],
    owner_key: Annotated[str, typer.Option("--owner-key", help="The AppKey (corpId for legacy registrations).")],
    timestamp: Annotated[str, typer.Option("--timestamp", help="The timestamp (or timeStamp) query parameter.")],
    nonce: Annotated[str, typer.Option("--nonce", help="The nonce query parameter.")],
    signature: Annotated[str, typer.Option("--signature", help="The signature (or msg_signature) query parameter.")],
) -> None:
    """Check and decrypt a captured event push and print the plaintext (the timestamp's age is not checked)."""
    import json

    from bot.platforms.dingtalk.crypto import DingCallbackCrypto, DingTalkCryptoError

    value = sys.stdin.read() if encrypt == "-" else encrypt
    if value.lstrip().startswith("{"):
        try:
            value = json.loads(value).get("encrypt") or ""
        except (ValueError, AttributeError):
            err.print('the body is not JSON with an "encrypt" string')
            raise typer.Exit(1) from None
    try:
        crypto = DingCallbackCrypto(token, aes_key, owner_key)
        sys.stdout.write(crypto.decrypt(signature, timestamp, nonce, str(value).strip()) + "\n")
    except DingTalkCryptoError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None


def main() -> None:
    app()


if __name__ == "__main__":
    main()
