"""Plans stored and turned into tasks: importing twice changes nothing, one plan a year is active, the current
plan falls back to the shipped one, tasks go to the organisations of each task's level, deadlines already past
at import are archived (no reminders, no ladder), and `cadrebot plan import / show` both ways."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot.cli import app
from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Org, Person, Reminder, Task, WorkPlan, WorkPlanSection
from knowledge.plan.model import Plan
from knowledge.plan.parser import parse_plan
from knowledge.plan.store import SHIPPED_PLAN, current_plan, shipped_plan
from knowledge.plan.tasks import import_plan
from knowledge.rules import load_rules
from scheduler.reminders import Clock
from scheduler.reminders import plan as plan_reminders

pytestmark = pytest.mark.dated

TZ = ZoneInfo("Asia/Shanghai")
SHIPPED_TEXT = SHIPPED_PLAN.read_text(encoding="utf-8")
runner = CliRunner()

# The shipped plan on the demo roster: 11 village tasks × 3 villages, 5 township deadlines (1-2 has two)
# × 1 township, 4 tasks of 市 or no stated level → the top of the roster (清河县).
VILLAGE_CODES = ["1-1", "2-2", "2-4", "2-5", "3-3", "3-4", "4-2", "5-1", "5-2", "6-1", "6-2"]
TOWNSHIP_CODES = ["1-2-a", "1-2-b", "3-1", "3-2", "6-3"]
TOP_CODES = ["2-1", "2-3", "4-1", "4-3"]
SHIPPED_TASK_ROWS = 11 * 3 + 5 + 4


def import_shipped(s: Session, today: date, plan: Plan | None = None, by: str = "test"):
    return import_plan(s, plan or shipped_plan(), "work-plan-2021.txt", SHIPPED_TEXT, today, by)


def count(s: Session, model: type) -> int:
    return s.scalar(select(func.count()).select_from(model)) or 0


def test_import_twice_changes_nothing(db_url: str, roster: None) -> None:
    engine = get_engine(db_url)
    with session_scope(engine) as s:
        first = import_shipped(s, date(2026, 11, 27))
    assert not first.replaced and first.sections == 32
    assert (first.tasks.items, first.tasks.created, first.tasks.updated) == (20, SHIPPED_TASK_ROWS, 0)
    assert first.tasks.archived_past == SHIPPED_TASK_ROWS  # every 2021 deadline is long past
    with session_scope(engine) as s:
        second = import_shipped(s, date(2026, 11, 27))
    assert second.replaced and second.plan_id == first.plan_id
    assert (second.tasks.created, second.tasks.updated, second.tasks.unchanged) == (0, 0, SHIPPED_TASK_ROWS)
    with session_scope(engine) as s:
        assert count(s, WorkPlan) == 1 and count(s, WorkPlanSection) == 32
        assert count(s, Task) == SHIPPED_TASK_ROWS
        assert s.scalar(select(func.count(func.distinct(Task.code)))) == 20
        assert [a.action for a in s.scalars(select(AuditLog).where(AuditLog.action == "plan.import"))] == [
            "plan.import",
            "plan.import",
        ]


def test_tasks_go_to_the_orgs_of_their_level_with_an_owner(db_url: str, roster: None) -> None:
    engine = get_engine(db_url)
    with session_scope(engine) as s:
        import_shipped(s, date(2026, 11, 27))
    with session_scope(engine) as s:
        rows = s.execute(
            select(Task.code, Org.name, Org.kind, Person.wecom_userid, Task.title, Task.deadline, Task.status)
            .join(Org, Task.org_id == Org.id)
            .join(Person, Task.owner_id == Person.id)
        ).all()
        clause = s.scalars(select(Task.clause).where(Task.code == "2021年2-1")).one()
    by_code: dict[str, list[tuple[str, str, str | None]]] = {}
    for code, org, kind, owner, *_ in rows:
        by_code.setdefault(code.removeprefix("2021年"), []).append((org, kind, owner))
    assert sorted(by_code) == sorted(VILLAGE_CODES + TOWNSHIP_CODES + TOP_CODES)  # every task has an owner
    for code in VILLAGE_CODES:
        assert sorted(by_code[code]) == [
            ("李家村", "村", "liming"),
            ("柳树村", "村", "liuchangqing"),
            ("王家湾村", "村", "wangdefu"),
        ]
    for code in TOWNSHIP_CODES:
        assert by_code[code] == [("石桥镇", "乡镇", "sunlihua")]  # the first township cadre or supervisor
    for code in TOP_CODES:
        assert by_code[code] == [("清河县", "县", "zhaomin")]  # the top of the roster, a supervisor
    milestones = {code: (title, deadline) for code, _, _, _, title, deadline, _ in rows if code.startswith("2021年1-2")}
    assert milestones == {
        "2021年1-2-a": ("抓好乡镇领导班子换届：完成乡镇党委换届", date(2021, 6, 30)),
        "2021年1-2-b": ("抓好乡镇领导班子换届：完成乡镇人大、政府换届", date(2021, 8, 31)),
    }
    assert clause is not None and clause.startswith("完善村党组织设置。在全市开展") and len(clause) <= 200
    assert {status for *_, status in rows} == {"archived"}


def test_deadlines_past_at_import_start_no_ladder(db_url: str, roster: None) -> None:
    """Imported in mid-July 2021: what was due by June is archived; the rest is open and reminded as usual."""
    engine = get_engine(db_url)
    with session_scope(engine) as s:
        report = import_shipped(s, date(2021, 7, 15))
    past = {"2021年1-1", "2021年1-2-a", "2021年2-1", "2021年5-2"}
    assert report.tasks.archived_past == 3 + 1 + 1 + 3
    with session_scope(engine) as s:
        status = {code: st for code, st in s.execute(select(Task.code, Task.status))}
        assert {c for c, st in status.items() if st == "archived"} == past
        rules = load_rules()
        rules = rules.model_copy(update={"organisation": rules.organisation.model_copy(update={"cadence": {}})})
        # a year later every deadline has passed: the ladder climbs only for tasks that were open
        plan_reminders(s, rules, Clock(datetime(2022, 7, 15, 2, tzinfo=UTC), TZ))
        planned = s.execute(select(Task.code, Reminder.kind).join(Task, Reminder.task_id == Task.id)).all()
    assert planned and not {code for code, _ in planned} & past
    assert {kind for _, kind in planned} == {"ladder"}


def test_reimport_updates_reopens_and_archives_what_the_plan_dropped(db_url: str, roster: None) -> None:
    text = (
        "2030年示范工作方案\n二、重点任务\n（一）实施“强基行动”\n"
        "建设活动阵地。改造村级活动阵地。（完成时限：2030年9月底前）\n"
        "规范村务公开。落实村务公开制度。（完成时限：2030年6月底前）\n"
        "落实乡镇包村。乡镇干部包村联户。（完成时限：2030年3月底前）\n"
    )
    engine = get_engine(db_url)
    today = date(2030, 4, 1)
    with session_scope(engine) as s:
        first = import_plan(s, parse_plan(text), "a.txt", text, today)
        assert (first.tasks.created, first.tasks.archived_past) == (3 + 3 + 1, 1)
        done = s.scalars(select(Task).where(Task.code == "2030年1-2")).first()
        assert done is not None
        done.status = "done"
    edited = text.replace("2030年9月底前", "2030年10月底前").replace("2030年3月底前", "2030年5月底前")
    edited = edited.replace("规范村务公开。落实村务公开制度。（完成时限：2030年6月底前）\n", "")
    with session_scope(engine) as s:
        second = import_plan(s, parse_plan(edited), "a.txt", edited, today)
    # 1-1 moved to October (3 villages updated); 1-2 is gone (its two open village tasks archived, the done one
    # kept as it is); the old 1-3 (乡镇包村) is now 1-2: codes follow positions, so the township gets a new task
    assert second.replaced and (second.tasks.created, second.tasks.updated) == (1, 3)
    assert second.tasks.archived_dropped == 2
    with session_scope(engine) as s:
        rows = {(c, o): st for c, o, st in s.execute(select(Task.code, Org.name, Task.status).join(Org))}
        assert rows[("2030年1-1", "李家村")] == "open"
        villages = sorted(st for (c, o), st in rows.items() if c == "2030年1-2" and o != "石桥镇")
        assert villages == ["archived", "archived", "done"]
        assert rows[("2030年1-2", "石桥镇")] == "open"  # 落实乡镇包村, now second and due in May
        assert rows[("2030年1-3", "石桥镇")] == "archived"  # its old code, due in March, archived at the first import


def test_an_archived_task_reopens_when_its_deadline_moves_ahead(db_url: str, roster: None) -> None:
    text = "2030年方案\n二、重点任务\n（一）行动\n落实乡镇包村。乡镇干部包村。（完成时限：2030年3月底前）\n"
    engine = get_engine(db_url)
    with session_scope(engine) as s:
        assert import_plan(s, parse_plan(text), "b.txt", text, date(2030, 4, 1)).tasks.archived_past == 1
    later = text.replace("3月底前", "12月底前")
    with session_scope(engine) as s:
        report = import_plan(s, parse_plan(later), "b.txt", later, date(2030, 4, 1))
        assert (report.tasks.reopened, report.tasks.updated) == (1, 1)
        assert s.scalars(select(Task.status)).all() == ["open"]


def test_current_plan_is_the_shipped_one_until_an_import(db_url: str, roster: None) -> None:
    engine = get_engine(db_url)
    with session_scope(engine) as s:
        before = current_plan(s)
    assert before.title == "加强乡村基层组织建设工作方案" and len(before.tasks) == 19
    before.sections.clear()  # a caller's copy: the next caller still gets the whole plan
    with session_scope(engine) as s:
        assert len(current_plan(s).sections) == 32
        import_shipped(s, date(2026, 11, 27))
    with session_scope(engine) as s:
        stored = current_plan(s)
    assert stored.sections == shipped_plan().sections  # every field survives the database
    assert {s.kind for s in stored.sections} == {"preamble", "goal", "part", "action", "task", "guarantee"}


def test_one_active_plan_a_year_and_the_newest_is_current(db_url: str, roster: None) -> None:
    engine = get_engine(db_url)
    revised = SHIPPED_TEXT.replace("加强乡村基层组织建设工作方案", "加强乡村基层组织建设工作方案（修订）", 1)
    later = "2022年工作方案\n二、重点任务\n（一）行动\n甲任务。（完成时限：2022年6月底前）\n"
    with session_scope(engine) as s:
        import_shipped(s, date(2026, 11, 27))
        import_plan(s, parse_plan(revised), "revised.txt", revised, date(2026, 11, 27))
        active = dict(s.execute(select(WorkPlan.title, WorkPlan.active)).all())
        assert active == {"加强乡村基层组织建设工作方案": False, "加强乡村基层组织建设工作方案（修订）": True}
        assert current_plan(s).title == "加强乡村基层组织建设工作方案（修订）"
        assert count(s, Task) == SHIPPED_TASK_ROWS  # same year, same codes: the revision took the tasks over
        import_plan(s, parse_plan(later), "later.txt", later, date(2026, 11, 27))
        assert current_plan(s).title == "2022年工作方案"
        assert s.scalar(select(func.count()).where(WorkPlan.active.is_(True))) == 2  # one for 2021, one for 2022
        import_shipped(s, date(2026, 11, 27))  # importing the original again makes it 2021's active plan
        active = dict(s.execute(select(WorkPlan.title, WorkPlan.active)).all())
        assert active["加强乡村基层组织建设工作方案"] and not active["加强乡村基层组织建设工作方案（修订）"]
        assert count(s, WorkPlan) == 3


def test_without_a_roster_the_plan_is_stored_and_no_task_made(db_url: str) -> None:
    with session_scope(get_engine(db_url)) as s:
        report = import_shipped(s, date(2026, 11, 27))
        assert report.tasks.created == 0 and len(report.tasks.unassigned) == 20
        assert count(s, WorkPlanSection) == 32


# -- the command ---------------------------------------------------------------------------------------------


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def test_cli_import_review_confirm_and_again(make_settings, tmp_path: Path) -> None:
    make_settings()
    assert invoke("roster", "import", "--demo").exit_code == 0
    path = tmp_path / "work-plan-2021.txt"
    path.write_text(SHIPPED_TEXT, encoding="utf-8")

    declined = invoke("plan", "import", str(path), input="n\n")
    assert declined.exit_code == 1 and "已取消，未导入任何数据" in declined.stderr
    assert "1-2" in declined.output and "完成乡镇党委换届" in declined.output  # the review came first
    assert "总体目标 1 · 行动 6 项 · 任务 19 项 · 完成时限 20 个 · 量化指标 3 个 · 组织保障 3 项" in declined.output
    with session_scope(get_engine(make_settings().database_url)) as s:
        assert count(s, WorkPlan) == 0 and count(s, Task) == 0

    first = invoke("plan", "import", str(path), "--as", "ZhaoMin", input="y\n")
    assert first.exit_code == 0, first.output
    assert re.search(rf"新增任务\s*│\s*{SHIPPED_TASK_ROWS}\s", first.output)
    assert re.search(rf"导入时已过期（不提醒）\s*│\s*{SHIPPED_TASK_ROWS}\s", first.output)
    second = invoke("plan", "import", str(path), "--yes")
    assert second.exit_code == 0, second.output
    assert re.search(r"新增任务\s*│\s*0\s", second.output) and re.search(r"更新任务\s*│\s*0\s", second.output)
    assert "已替换同名同年的计划" in second.output
    with session_scope(get_engine(make_settings().database_url)) as s:
        assert count(s, WorkPlan) == 1 and count(s, Task) == SHIPPED_TASK_ROWS
        assert s.scalars(
            select(AuditLog.actor).where(AuditLog.action == "plan.import").order_by(AuditLog.id)
        ).all() == [
            "赵敏（zhaomin）",
            "cli",
        ]

    shown = invoke("plan", "show")
    assert shown.exit_code == 0 and "导入自 work-plan-2021.txt" in shown.output
    assert "6-3" in shown.output and "任务 19 项" in shown.output


def test_cli_show_before_any_import(make_settings) -> None:
    make_settings()
    shown = invoke("plan", "show")
    assert shown.exit_code == 0, shown.output
    assert "内置计划，尚未导入任何计划" in shown.output and "任务 19 项" in shown.output


def test_cli_refusals(make_settings, tmp_path: Path) -> None:
    make_settings()
    missing = invoke("plan", "import", str(tmp_path / "nope.txt"), "--yes")
    assert missing.exit_code == 2 and "找不到文件" in missing.stderr
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(b"%PDF")
    assert invoke("plan", "import", str(pdf), "--yes").exit_code == 2
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    result = invoke("plan", "import", str(empty), "--yes")
    assert result.exit_code == 1 and "没有找到任务" in result.stderr and "未导入任何数据" in result.stderr
    prose = tmp_path / "prose.txt"
    prose.write_text("关于开展调研的通知\n请各村于本月报送材料。\n", encoding="utf-8")
    assert invoke("plan", "import", str(prose), "--yes").exit_code == 1
    no_year = tmp_path / "no-year.txt"
    no_year.write_text("工作方案\n二、重点任务\n（一）行动\n甲任务。（完成时限：6月底前）\n", encoding="utf-8")
    result = invoke("plan", "import", str(no_year), "--yes")
    assert result.exit_code == 1 and "--year" in result.stderr
    assert invoke("plan", "import", str(no_year), "--yes", "--as", "nobody").exit_code == 1  # the file is checked first
    path = tmp_path / "p.txt"
    path.write_text(SHIPPED_TEXT, encoding="utf-8")
    nobody = invoke("plan", "import", str(path), "--yes", "--as", "nobody")
    assert nobody.exit_code == 2 and "nobody" in nobody.stderr
    with_year = invoke("plan", "import", str(no_year), "--yes", "--year", "2030")
    assert with_year.exit_code == 0, with_year.output
    assert "2030-06-30" in with_year.output
    with session_scope(get_engine(make_settings().database_url)) as s:
        assert s.scalars(select(WorkPlan.year)).all() == [2030]


def test_cli_help_lists_the_plan_commands() -> None:
    result = invoke("plan", "--help")
    assert result.exit_code == 0 and "import" in result.output and "show" in result.output
    assert "--year" in invoke("plan", "import", "--help").output


def test_the_current_plans_key_changes_with_each_import(db_url: str, roster: None) -> None:
    from knowledge.plan.store import current_plan_keyed

    engine = get_engine(db_url)
    with session_scope(engine) as s:
        shipped_key, plan = current_plan_keyed(s)
        assert current_plan_keyed(s)[0] == shipped_key and len(plan.tasks) == 19
        import_shipped(s, date(2026, 11, 27))
        first_key, stored = current_plan_keyed(s)
        assert first_key != shipped_key and stored.sections == plan.sections
        assert current_plan_keyed(s)[0] == first_key
        import_shipped(s, date(2026, 11, 27))  # the same plan again: a new import, a new key
        assert current_plan_keyed(s)[0] != first_key


# -- Word plans of every shape, through the command ----------------------------------------------------------

DOCX = Path(__file__).resolve().parent / "data" / "plans" / "docx"
SHAPES = sorted(p.name.removesuffix(".expected.json") for p in DOCX.glob("*.expected.json"))


def expected_of(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DOCX / f"{stem}.expected.json").read_text(encoding="utf-8"))
    return data


def test_there_is_a_word_plan_for_every_shape() -> None:
    assert len(SHAPES) >= 9 and all((DOCX / f"{stem}.docx").is_file() for stem in SHAPES)


@pytest.mark.parametrize("stem", SHAPES)
def test_cli_imports_each_word_plan_shape(stem: str, make_settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every task of the plan is imported, with its deadline (or none: 长期) and its 责任单位; the review names
    each task without a deadline; the year is the one the plan's deadlines need; --year is never asked for."""
    from bot.cli import common

    monkeypatch.setattr(common.out, "width", 240)  # the review table unwrapped, to read it here
    make_settings()
    assert invoke("roster", "import", "--demo").exit_code == 0
    expected = expected_of(stem)
    result = invoke("plan", "import", str(DOCX / f"{stem}.docx"), "--yes")
    assert result.exit_code == 0, result.output + result.stderr
    assert f"任务 {len(expected['tasks'])} 项" in result.output
    undated = [t["title"] for t in expected["tasks"] if t["due"] is None]
    if undated:
        assert f"以下 {len(undated)} 项任务没有完成时限，将作为长期任务导入，不设提醒：" in result.output
        listed = [line.strip()[2:].rsplit("（", 1)[0] for line in result.output.splitlines() if line.startswith("  · ")]
        assert listed == undated
    else:
        assert "没有完成时限" not in result.output
    assert "--year" not in result.output + result.stderr
    for task in expected["tasks"]:
        if task["owner"]:
            assert task["owner"] in result.output
    assert re.search(rf"长期任务（无时限，不提醒）\s*│\s*{len(undated)}\s", result.output)
    with session_scope(get_engine(make_settings().database_url)) as s:
        assert s.scalars(select(WorkPlan.year)).all() == [expected["year"]]
        stored = set(s.execute(select(Task.title, Task.deadline, Task.owner_unit)))
        audit = s.scalars(select(AuditLog.detail).where(AuditLog.action == "plan.import")).one()
    assert stored == {
        (t["title"], date.fromisoformat(t["due"]) if t["due"] else None, t["owner"]) for t in expected["tasks"]
    }
    assert audit["undated"] >= len(undated)


def test_a_plan_with_no_deadlines_at_all_imports_as_long_term_tasks(make_settings) -> None:
    make_settings()
    assert invoke("roster", "import", "--demo").exit_code == 0
    result = invoke("plan", "import", str(DOCX / "plan-no-deadlines.docx"), "--yes")
    assert result.exit_code == 0, result.stderr
    assert "以下 3 项任务没有完成时限，将作为长期任务导入，不设提醒：" in result.output
    assert "未导入" not in result.output + result.stderr
    with session_scope(get_engine(make_settings().database_url)) as s:
        tasks = s.scalars(select(Task)).all()
        assert tasks and {t.deadline for t in tasks} == {None} and {t.status for t in tasks} == {"open"}


def _long_term_plan(year: int = 2030) -> Plan:
    from knowledge.plan.model import Deadline, Section

    def task(code: str, title: str, **kw: Any) -> Section:
        return Section(kind="task", title=title, text=f"{title}。", code=code, level="村", **kw)

    return Plan(
        title=f"{year}年长期工作安排",
        year=year,
        sections=[
            task("1", "开展主题党日", open_ended=True, recurrence="monthly", owner="各村党组织"),
            task("2", "网格员走访", owner="镇综治办"),  # no date written at all
            task("3", "年度述职评议", deadlines=[Deadline(due=date(year, 6, 30), raw=f"{year}年6月底前")]),
        ],
    )


def test_open_ended_and_undated_tasks_get_no_reminders_and_no_ladder(db_url: str, roster: None) -> None:
    engine = get_engine(db_url)
    with session_scope(engine) as s:
        report = import_plan(s, _long_term_plan(), "long.txt", "", date(2030, 3, 2))
        assert (report.tasks.items, report.tasks.created, report.tasks.undated) == (3, 9, 6)
    rules = load_rules()
    rules = rules.model_copy(update={"organisation": rules.organisation.model_copy(update={"cadence": {}})})
    with session_scope(engine) as s:
        # before the dated task's reminders, on its deadline, and long after it (the ladder's time)
        for when in (datetime(2030, 3, 2, 2, tzinfo=UTC), datetime(2030, 6, 30, 2, tzinfo=UTC)):
            plan_reminders(s, rules, Clock(when, TZ))
        for day in range(1, 60, 3):
            plan_reminders(s, rules, Clock(datetime(2030, 7, 1, 2, tzinfo=UTC) + timedelta(days=day), TZ))
            for r in s.scalars(select(Reminder).where(Reminder.status == "scheduled")):
                r.status, r.fired_at = "sent", r.due_at  # as if each went out: the ladder plans its next step
        planned = s.execute(select(Task.title, Task.deadline, Reminder.kind).join(Task)).all()
        long_term = s.scalars(select(Task).where(Task.deadline.is_(None))).all()
    assert {kind for *_, kind in planned} == {"remind", "ladder"}
    assert {title for title, *_ in planned} == {"年度述职评议"}  # only the task with a deadline
    assert {(t.title, t.recurrence, t.owner_unit, t.status) for t in long_term} == {
        ("开展主题党日", "monthly", "各村党组织", "open"),
        ("网格员走访", None, "镇综治办", "open"),
    }


def test_a_reminder_planned_before_the_deadline_was_taken_away_is_skipped(db_url: str, roster: None) -> None:
    from knowledge.plan.model import Section
    from scheduler.reminders import messages

    engine = get_engine(db_url)
    rules = load_rules()
    with session_scope(engine) as s:
        import_plan(s, _long_term_plan(), "long.txt", "", date(2030, 3, 2))
        plan_reminders(s, rules, Clock(datetime(2030, 3, 2, 2, tzinfo=UTC), TZ))
        assert s.scalar(select(func.count()).select_from(Reminder).where(Reminder.kind == "remind"))
    edited = _long_term_plan()
    edited.sections[2] = Section(kind="task", title="年度述职评议", text="年度述职评议。", code="3", level="村")
    with session_scope(engine) as s:
        import_plan(s, edited, "long.txt", "", date(2030, 3, 2))
        clock = Clock(datetime(2030, 6, 20, 2, tzinfo=UTC), TZ)
        reminders = s.scalars(select(Reminder).where(Reminder.kind == "remind")).all()
        assert reminders and all(messages(s, rules, clock, r) == ([], "长期任务，不提醒") for r in reminders)


def test_a_long_term_task_is_shown_as_such(db_url: str, roster: None) -> None:
    from handlers.tasks.progress import deadline_text, task_card

    with session_scope(get_engine(db_url)) as s:
        import_plan(s, _long_term_plan(), "long.txt", "", date(2030, 3, 2))
        by_title = {t.title: t for t in s.scalars(select(Task).order_by(Task.id))}
        assert deadline_text(by_title["开展主题党日"]) == "长期（每月）"
        assert deadline_text(by_title["网格员走访"]) == "长期（无固定时限）"
        assert deadline_text(by_title["年度述职评议"]) == "2030年6月30日"
        card = task_card(by_title["开展主题党日"], date(2030, 3, 2))
        stored = current_plan(s)  # the stored plan keeps 责任单位 and recurrence for `plan show` and questions
    assert {f.label: f.value for f in card.fields}["时限"] == "长期（每月）"
    assert [(t.title, t.owner, t.recurrence, t.open_ended) for t in stored.tasks] == [
        ("开展主题党日", "各村党组织", "monthly", True),
        ("网格员走访", "镇综治办", "", False),
        ("年度述职评议", "", "", False),
    ]


# -- migration 0006 both ways --------------------------------------------------------------------------------


def test_migration_0006_up_and_down(db_url: str, roster: None) -> None:
    """Down: the columns go and tasks without a deadline with them (the old schema has no place for them);
    dated tasks keep their progress history and reminders. Up again: all back, history and reminders kept (on
    SQLite the tasks table is rebuilt, which must not cascade)."""
    from alembic import command
    from sqlalchemy import inspect

    from bot.store.db import dispose_engines
    from bot.store.migrate import alembic_config, current, upgrade
    from bot.store.tables import TaskUpdate

    engine = get_engine(db_url)
    with session_scope(engine) as s:
        import_plan(s, _long_term_plan(), "long.txt", "", date(2030, 3, 2))
        plan_reminders(s, load_rules(), Clock(datetime(2030, 3, 2, 2, tzinfo=UTC), TZ))
        dated = s.scalars(select(Task).where(Task.deadline.is_not(None)).order_by(Task.id)).first()
        assert dated is not None
        s.add(TaskUpdate(task_id=dated.id, status="in_progress", note="已开始", at=datetime(2030, 3, 3, tzinfo=UTC)))
    with session_scope(engine) as s:
        before = (count(s, Task), count(s, Reminder), count(s, TaskUpdate))
    dispose_engines()

    def columns(table: str) -> dict[str, bool]:
        found = {c["name"]: bool(c["nullable"]) for c in inspect(get_engine(db_url)).get_columns(table)}
        dispose_engines()
        return found

    try:
        command.downgrade(alembic_config(db_url), "0005")
        assert current(db_url) == "0005"
        tasks = columns("tasks")
        assert "owner_unit" not in tasks and "recurrence" not in tasks and tasks["deadline"] is False
        assert "owner" not in columns("plan_sections")
        with session_scope(get_engine(db_url)) as s:
            assert count(s, Task) == before[0] - 6  # the two 长期 tasks of 3 villages
            assert (count(s, Reminder), count(s, TaskUpdate)) == before[1:]
        dispose_engines()
        upgrade(db_url)
        tasks = columns("tasks")
        assert tasks["owner_unit"] and tasks["recurrence"] and tasks["deadline"]
        assert {"owner", "recurrence"} <= set(columns("plan_sections"))
        with session_scope(get_engine(db_url)) as s:
            assert (count(s, Reminder), count(s, TaskUpdate)) == before[1:]
            assert s.scalars(select(TaskUpdate.note)).all() == ["已开始"]
    finally:
        dispose_engines()
        upgrade(db_url)


def test_the_review_shows_owner_recurrence_and_names_every_task_without_a_deadline() -> None:
    from bot.cli import common
    from bot.cli.plan import _print_plan

    plan = _long_term_plan()
    plan.warnings = [
        "「网格员走访」没有写完成时限",
        "「年度述职评议」的时限「6月底」无法确定日期（没有年份时请用 --year 指定）",
    ]
    with common.out.capture() as captured:
        _print_plan(plan)
    shown = captured.get()
    assert "以下 2 项任务没有完成时限，将作为长期任务导入，不设提醒：" in shown
    assert "  · 开展主题党日（每月）" in shown and "  · 网格员走访（未写时限）" in shown
    assert "各村党组织" in shown and "镇综治办" in shown and "长期（每月）" in shown and "2030-06-30" in shown
    assert "请注意：「网格员走访」" not in shown  # named in the list already, not twice
    assert "请注意：「年度述职评议」的时限「6月底」无法确定日期" in shown and "--year" not in shown  # the year is known
