"""The monthly 三会一课台账, 下村走访台账 and 交通补助发放明细表: the workbooks' cells and totals, the CLI, and the
signed download links (one implementation for all four ledgers)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Meeting, MeetingAbsence, Org, Person, Trip
from handlers.context import Policy
from handlers.ledgers_common import KINDS, export_link
from handlers.meetings.ledger import HEADERS as MEETING_HEADERS
from handlers.meetings.ledger import build_meeting_ledger, meeting_rows
from handlers.patrol.ledger import ledger_link
from handlers.trips.ledger import HEADERS as TRIP_HEADERS
from handlers.trips.ledger import SIGNATURES, SUBSIDY_HEADERS, build_subsidy_statement, build_trip_ledger, rmb_capital
from knowledge.rules import Rules, Subsidy, load_rules

from conftest import LiveServer, free_port

pytestmark = pytest.mark.dated

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)  # 2026-04-01 10:00 in Shanghai
LINK_SECRET = "ledger-link-secret-for-tests"
TOWNSHIP = "清河县/石桥镇"
LIJIA = "清河县/石桥镇/李家村"
LIJIA_BRANCH = f"{LIJIA}/李家村党支部"
WANG_BRANCH = "清河县/石桥镇/王家湾村/王家湾村党支部"
TWIN_BRANCH = "清河县/石桥镇/李家村二/李家村二党支部"
RULES = load_rules()
runner = CliRunner()


# -- the month's records ---------------------------------------------------------------------------------


def org(s: Any, path: str) -> Org:
    found = s.scalar(select(Org).where(Org.path == path))
    assert found is not None, path
    return found


def person(s: Any, userid: str) -> Person:
    found = s.scalar(select(Person).where(Person.wecom_userid == userid))
    assert found is not None, userid
    return found


def add_org(s: Any, parent_path: str, name: str, kind: str) -> Org:
    parent = org(s, parent_path)
    child = Org(name=name, kind=kind, parent_id=parent.id, path=f"{parent.path}/{name}")
    s.add(child)
    s.flush()
    return child


def meeting(
    s: Any,
    receipt: str,
    branch_path: str,
    meeting_type: str,
    held_on: date,
    *,
    recorder: str = "liming",
    group: str | None = None,
    starts_at: datetime | None = None,
    topic: str | None = None,
    expected: int | None = None,
    present: int | None = None,
    voting: tuple[int, int] | None = None,
    election: bool = False,
    quorum_ok: bool | None = None,
    absent: tuple[tuple[str, str | None, bool], ...] = (),
    status: str = "filed",
) -> None:
    m = Meeting(
        receipt_no=receipt,
        branch_id=org(s, branch_path).id,
        group_id=org(s, f"{branch_path}/{group}").id if group else None,
        meeting_type=meeting_type,
        held_on=held_on,
        starts_at=starts_at,
        topic=topic,
        expected=expected,
        present=present,
        expected_voting=voting[0] if voting else None,
        present_voting=voting[1] if voting else None,
        election=election,
        quorum_ok=quorum_ok,
        recorder_id=person(s, recorder).id,
        status=status,
        withdrawn_at=NOW if status == "withdrawn" else None,
    )
    m.absences = [MeetingAbsence(name=name, reason=reason, on_leave=leave) for name, reason, leave in absent]
    s.add(m)
    s.flush()


def trip(
    s: Any,
    receipt: str,
    userid: str,
    day: date,
    village: str,
    status: str,
    *,
    households: int | None = None,
    purpose: str | None = None,
    unit_car: bool = False,
    amount: str | None = None,
    approver: str | None = None,
    decided_at: datetime | None = None,
    return_reason: str | None = None,
) -> None:
    s.add(
        Trip(
            receipt_no=receipt,
            person_id=person(s, userid).id,
            village=village,
            village_id=org(s, f"{TOWNSHIP}/{village}").id,
            trip_date=day,
            households=households,
            purpose=purpose,
            planned=status == "planned",
            unit_car=unit_car,
            status=status,
            amount=Decimal(amount) if amount is not None else None,
            approver_id=person(s, approver).id if approver else None,
            decided_at=decided_at,
            return_reason=return_reason,
        )
    )
    s.flush()


@pytest.fixture
def month(db_url: str, roster: None) -> None:
    """March 2026 in 石桥镇, plus the records that must stay out of its ledgers."""
    with session_scope(get_engine(db_url)) as s:
        # a village whose name starts with another's: its branch is not 李家村's
        add_org(s, TOWNSHIP, "李家村二", "村")
        add_org(s, f"{TOWNSHIP}/李家村二", "李家村二党支部", "党支部")
        # another township, outside 石桥镇
        add_org(s, "清河县", "东坝镇", "乡镇")
        add_org(s, "清河县/东坝镇", "赵庄村", "村")
        add_org(s, "清河县/东坝镇/赵庄村", "赵庄村党支部", "党支部")

        meeting(
            s,
            "HY-20260305-001",
            LIJIA_BRANCH,
            "支部委员会",
            date(2026, 3, 5),
            starts_at=datetime(2026, 3, 5, 11, 0, tzinfo=UTC),  # 19:00 in Shanghai
            topic="研究春耕生产和人居环境整治",
            expected=5,
            present=5,
            voting=(5, 5),
            quorum_ok=True,
        )
        meeting(
            s,
            "HY-20260310-001",
            LIJIA_BRANCH,
            "支部党员大会",
            date(2026, 3, 10),
            recorder="lixiuying",
            starts_at=datetime(2026, 3, 10, 1, 30, tzinfo=UTC),
            topic="传达学习全国两会精神",
            expected=23,
            present=21,
            voting=(21, 19),
            quorum_ok=True,
            absent=(("张强", "外出务工", True), ("陈刚", None, False)),
        )
        meeting(
            s,
            "HY-20260312-001",
            LIJIA_BRANCH,
            "党小组会",
            date(2026, 3, 12),
            group="第一党小组",
            topic="学习党章",
            expected=6,
            present=6,
        )
        meeting(
            s, "HY-20260315-001", LIJIA_BRANCH, "主题党日", date(2026, 3, 15), topic="义务植树", expected=23, present=20
        )
        meeting(s, "HY-20260308-001", TWIN_BRANCH, "支部委员会", date(2026, 3, 8), topic="村务公开", quorum_ok=True)
        meeting(
            s,
            "HY-20260318-001",
            WANG_BRANCH,
            "支部党员大会",
            date(2026, 3, 18),
            recorder="wangdefu",
            topic="补选支部委员",
            expected=5,
            present=3,
            voting=(5, 3),
            election=True,
            quorum_ok=False,
            absent=(("王建军", "生病住院", True), ("王丽", "外出", False)),
        )
        # out of the March ledger: withdrawn, February (but in the quarter), April, another township
        meeting(s, "HY-20260320-001", LIJIA_BRANCH, "党课", date(2026, 3, 20), status="withdrawn")
        meeting(s, "HY-20260220-001", LIJIA_BRANCH, "党课", date(2026, 2, 20), topic="学习新修订的条例")
        meeting(s, "HY-20260401-001", LIJIA_BRANCH, "支部委员会", date(2026, 4, 1))
        meeting(s, "HY-20260309-001", "清河县/东坝镇/赵庄村/赵庄村党支部", "支部委员会", date(2026, 3, 9))

        trip(
            s,
            "ZF-20260303-001",
            "sunlihua",
            date(2026, 3, 3),
            "李家村",
            "approved",
            households=5,
            purpose="走访脱贫户，了解春耕准备",
            amount="30.00",
            approver="zhaomin",
            decided_at=datetime(2026, 3, 4, 2, 0, tzinfo=UTC),
        )
        trip(s, "ZF-20260305-001", "zhoujianguo", date(2026, 3, 5), "王家湾村", "pending", households=4, amount="30.00")
        trip(
            s,
            "ZF-20260306-001",
            "zhoujianguo",
            date(2026, 3, 6),
            "柳树村",
            "recorded",
            households=2,
            purpose="防汛检查",
            unit_car=True,
        )
        trip(
            s,
            "ZF-20260308-001",
            "liming",
            date(2026, 3, 8),
            "李家村",
            "approved",
            households=6,
            amount="30.00",
            approver="sunlihua",
            decided_at=datetime(2026, 3, 9, 3, 0, tzinfo=UTC),
        )
        trip(
            s,
            "ZF-20260310-001",
            "sunlihua",
            date(2026, 3, 10),
            "柳树村",
            "approved",
            households=3,
            amount="50.00",
            approver="zhaomin",
            decided_at=datetime(2026, 3, 11, 1, 0, tzinfo=UTC),
        )
        trip(
            s,
            "ZF-20260312-001",
            "lixiuying",
            date(2026, 3, 12),
            "李家村",
            "returned",
            households=2,
            amount="30.00",
            return_reason="日期或村名有误",
        )
        # out: planned, withdrawn, February, April, someone outside 石桥镇
        trip(s, "ZF-20260325-001", "sunlihua", date(2026, 3, 25), "王家湾村", "planned")
        trip(s, "ZF-20260320-001", "sunlihua", date(2026, 3, 20), "王家湾村", "withdrawn", amount="30.00")
        trip(s, "ZF-20260228-001", "sunlihua", date(2026, 2, 28), "李家村", "approved", amount="30.00")
        trip(s, "ZF-20260401-001", "sunlihua", date(2026, 4, 1), "李家村", "approved", amount="30.00")
        trip(s, "ZF-20260315-001", "qianweidong", date(2026, 3, 15), "柳树村", "approved", amount="50.00")


def saved(wb: Workbook) -> Workbook:
    """Saved and read back: the cells as Excel will see them."""
    buffer = BytesIO()
    wb.save(buffer)
    return load_workbook(buffer)


def meetings_book(db_url: str, path: str, rules: Rules = RULES) -> Workbook:
    with session_scope(get_engine(db_url)) as s:
        return saved(build_meeting_ledger(s, org(s, path), 2026, 3, TZ, NOW, rules))


def trips_book(db_url: str, path: str) -> Workbook:
    with session_scope(get_engine(db_url)) as s:
        return saved(build_trip_ledger(s, org(s, path), 2026, 3, TZ, NOW))


def subsidy_book(db_url: str, path: str, rules: Rules = RULES) -> Workbook:
    with session_scope(get_engine(db_url)) as s:
        return saved(build_subsidy_statement(s, org(s, path), 2026, 3, TZ, NOW, rules))


def table(ws: Worksheet) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The data rows under the header (row 3) as dicts, and the totals row."""
    headers = [str(c.value) for c in ws[3]]
    rows: list[dict[str, Any]] = []
    for values in ws.iter_rows(min_row=4, values_only=True):
        record = dict(zip(headers, values, strict=True))
        if record[headers[0]] == "合计":
            return rows, record
        rows.append(record)
    raise AssertionError("no totals row")


def assert_print_ready(ws: Worksheet, orientation: str = "landscape") -> None:
    assert ws.print_title_rows == "$3:$3" and ws.freeze_panes == "A4"
    assert ws.page_setup.orientation == orientation and ws.page_setup.paperSize == 9  # A4
    assert ws.sheet_properties.pageSetUpPr is not None
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws["A3"].border.left.style == "thin" and ws["A3"].font.name == "宋体" and ws["A3"].font.bold
    assert ws["A1"].font.sz == 16 and ws["A1"].font.bold


# -- 三会一课台账 --------------------------------------------------------------------------------------------


def test_township_meeting_ledger_lists_the_months_meetings(db_url: str, month: None) -> None:
    wb = meetings_book(db_url, TOWNSHIP)
    assert wb.sheetnames == ["三会一课台账", "开展情况"]
    ws = wb["三会一课台账"]
    assert_print_ready(ws)
    assert ws["A1"].value == "石桥镇三会一课台账"
    assert ws["A2"].value == "单位：清河县/石桥镇　期间：2026年3月1日—3月31日　导出时间：2026-04-01 10:00"
    assert [c.value for c in ws[3]] == list(MEETING_HEADERS)
    rows, totals = table(ws)
    # by branch, then date; withdrawn, February, April and 东坝镇 left out
    assert [r["登记编号"] for r in rows] == [
        "HY-20260305-001",
        "HY-20260310-001",
        "HY-20260312-001",
        "HY-20260315-001",
        "HY-20260308-001",
        "HY-20260318-001",
    ]
    assert [r["序号"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[1] == {
        "序号": 2,
        "日期": datetime(2026, 3, 10),
        "时间": "09:30",
        "党支部": "李家村党支部",
        "党小组": None,
        "会议类型": "支部党员大会",
        "议题": "传达学习全国两会精神",
        "应到": 23,
        "实到": 21,
        "有表决权(应到/实到)": "21/19",
        "缺席人员及原因": "张强（外出务工，已请假）；陈刚（未请假）",
        "法定人数": "符合",
        "选举": None,
        "登记人": "李秀英",
        "登记编号": "HY-20260310-001",
    }
    assert (rows[0]["时间"], rows[0]["登记人"], rows[0]["法定人数"]) == ("19:00", "李明", "符合")
    assert (rows[2]["党小组"], rows[2]["时间"], rows[2]["法定人数"], rows[2]["有表决权(应到/实到)"]) == (
        "第一党小组",
        None,
        "—",  # a 党小组会 has no quorum rule
        None,
    )
    wang = rows[5]
    assert (wang["党支部"], wang["有表决权(应到/实到)"], wang["法定人数"], wang["选举"], wang["登记人"]) == (
        "王家湾村党支部",
        "5/3",
        "不足",
        "是",
        "王德福",
    )
    assert wang["缺席人员及原因"] == "王建军（生病住院，已请假）；王丽（外出，未请假）"
    assert ws["K5"].alignment.wrap_text and ws["G5"].alignment.wrap_text  # 缺席, 议题 wrap
    assert totals["日期"] == 6 and ws["B10"].number_format == '0"次"'
    assert totals["议题"] == "会议6次：支部党员大会2次、支部委员会2次、党小组会1次、主题党日1次。"
    assert totals["缺席人员及原因"] == 4


def test_a_village_or_a_branch_keeps_to_its_own(db_url: str, month: None) -> None:
    for path in (LIJIA, LIJIA_BRANCH):
        rows, totals = table(meetings_book(db_url, path)["三会一课台账"])
        assert {r["党支部"] for r in rows} == {"李家村党支部"}, path  # not 李家村二党支部
        assert totals["日期"] == 4
        assert totals["议题"] == "会议4次：支部党员大会1次、支部委员会1次、党小组会1次、主题党日1次。"
    with session_scope(get_engine(db_url)) as s:
        april = [r.receipt_no for r in meeting_rows(s, org(s, LIJIA), 2026, 4)]
        february = [r.receipt_no for r in meeting_rows(s, org(s, TOWNSHIP), 2026, 2)]
    assert april == ["HY-20260401-001"] and february == ["HY-20260220-001"]


def test_the_status_sheet_checks_the_cadence_per_branch(db_url: str, month: None) -> None:
    ws = meetings_book(db_url, TOWNSHIP)["开展情况"]
    assert_print_ready(ws)
    assert ws["A1"].value == "石桥镇三会一课开展情况"
    assert [c.value for c in ws[3]] == [
        "党支部",
        "支部党员大会",
        "支部委员会",
        "党小组会",
        "党课",
        "主题党日",
        "组织生活会",
        "合计",
        "支部党员大会\n（本季度）",
        "支部委员会\n（本月）",
        "党小组会\n（本月）",
        "党课\n（本季度）",
        "主题党日\n（本月）",
    ]
    assert [list(r) for r in ws.iter_rows(min_row=4, values_only=True)] == [
        # 党课 in February counts for the quarter; 第二党小组 held no 党小组会
        ["李家村党支部", 1, 1, 1, 0, 1, 0, 4, "已开", "已开", "未开：第二党小组", "已开", "已开"],
        ["李家村二党支部", 0, 1, 0, 0, 0, 0, 1, "未开", "已开", "—", "未开", "未开"],
        ["柳树村党支部", 0, 0, 0, 0, 0, 0, 0, "未开", "未开", "—", "未开", "未开"],
        # no 支部委员会 this month
        ["王家湾村党支部", 1, 0, 0, 0, 0, 0, 1, "已开", "未开", "—", "未开", "未开"],
        ["合计", 2, 2, 1, 0, 1, 0, 6, 2, 2, 1, 3, 3],
    ]
    assert ws["I8"].number_format == '"未开"0"个"'


def test_the_status_sheet_follows_the_local_cadence(db_url: str, month: None) -> None:
    rules = RULES.model_copy(deep=True)
    rules.organisation.cadence = {"支部委员会": "month", "党课": "month", "组织生活会": "year"}
    ws = meetings_book(db_url, LIJIA, rules)["开展情况"]
    assert [c.value for c in ws[3]][8:] == ["支部委员会\n（本月）", "党课\n（本月）"]  # yearly is not checked monthly
    # February's 党课 does not count for a monthly 党课
    assert list(next(ws.iter_rows(min_row=4, max_row=4, values_only=True))) == [
        "李家村党支部",
        1,
        1,
        1,
        0,
        1,
        0,
        4,
        "已开",
        "未开",
    ]


def test_an_empty_month_says_so(db_url: str, month: None) -> None:
    wb = meetings_book(db_url, "清河县/石桥镇/柳树村")
    ws = wb["三会一课台账"]
    assert ws["A4"].value == "本月暂无会议记录" and "A4:O4" in {str(r) for r in ws.merged_cells.ranges}
    assert (ws["A5"].value, ws["B5"].value, ws["G5"].value) == ("合计", 0, "本月无会议记录。")
    assert [list(r) for r in wb["开展情况"].iter_rows(min_row=4, values_only=True)] == [
        ["柳树村党支部", 0, 0, 0, 0, 0, 0, 0, "未开", "未开", "—", "未开", "未开"],
        ["合计", 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1],
    ]


# -- 下村走访台账 ------------------------------------------------------------------------------------------


def test_township_trip_ledger(db_url: str, month: None) -> None:
    wb = trips_book(db_url, TOWNSHIP)
    assert wb.sheetnames == ["下村走访台账"]
    ws = wb["下村走访台账"]
    assert_print_ready(ws)
    assert ws["A1"].value == "石桥镇下村走访台账"
    assert [c.value for c in ws[3]] == list(TRIP_HEADERS)
    rows, totals = table(ws)
    # by date; planned, withdrawn, February, April and 钱卫东 (县委组织部) left out
    assert [(r["日期"].date(), r["姓名"], r["单位"], r["走访村"]) for r in rows] == [
        (date(2026, 3, 3), "孙丽华", "石桥镇", "李家村"),
        (date(2026, 3, 5), "周建国", "石桥镇", "王家湾村"),
        (date(2026, 3, 6), "周建国", "石桥镇", "柳树村"),
        (date(2026, 3, 8), "李明", "李家村党支部", "李家村"),
        (date(2026, 3, 10), "孙丽华", "石桥镇", "柳树村"),
        (date(2026, 3, 12), "李秀英", "李家村", "李家村"),
    ]
    assert rows[0] == {
        "序号": 1,
        "日期": datetime(2026, 3, 3),
        "姓名": "孙丽华",
        "单位": "石桥镇",
        "走访村": "李家村",
        "户数": 5,
        "事由": "走访脱贫户，了解春耕准备",
        "用车": "自行",
        "补助状态": "已通过",
        "补助金额": 30,
        "登记编号": "ZF-20260303-001",
    }
    assert [r["补助状态"] for r in rows] == [
        "已通过",
        "待审批",
        "不申报",
        "已通过",
        "已通过",
        "已退回（日期或村名有误）",
    ]
    assert [r["补助金额"] for r in rows] == [30, 30, None, 30, 50, None]  # a returned claim pays nothing
    assert [r["用车"] for r in rows] == ["自行", "自行", "单位派车", "自行", "自行", "自行"]
    assert ws["J4"].number_format == '#,##0.00"元"'
    assert (totals["日期"], totals["姓名"], totals["户数"], totals["补助金额"]) == (6, 4, 22, 110)
    assert totals["事由"] == "下村走访6次，4人，走访22户；补助已通过110.00元，待审批30.00元。"
    assert ws["J10"].number_format == '"已通过"#,##0.00"元"' and ws["F10"].number_format == '0"户"'


def test_a_village_trip_ledger_has_its_own_people(db_url: str, month: None) -> None:
    rows, totals = table(trips_book(db_url, LIJIA)["下村走访台账"])
    assert [(r["姓名"], r["登记编号"]) for r in rows] == [("李明", "ZF-20260308-001"), ("李秀英", "ZF-20260312-001")]
    assert (totals["日期"], totals["姓名"], totals["户数"], totals["补助金额"]) == (2, 2, 8, 30)


# -- 交通补助发放明细表 ----------------------------------------------------------------------------------------


def test_the_subsidy_statement_groups_approved_claims_per_person(db_url: str, month: None) -> None:
    wb = subsidy_book(db_url, TOWNSHIP)
    assert wb.sheetnames == ["交通补助发放明细表"]
    ws = wb["交通补助发放明细表"]
    assert_print_ready(ws, "portrait")
    assert ws["A1"].value == "石桥镇交通补助发放明细表"
    assert [c.value for c in ws[3]] == list(SUBSIDY_HEADERS)
    body = [list(r) for r in ws.iter_rows(min_row=4, max_row=9, values_only=True)]
    assert body == [
        [1, "孙丽华", "石桥镇", datetime(2026, 3, 3), "李家村", 30, "赵敏", "03-04 10:00", None],
        [None, None, None, datetime(2026, 3, 10), "柳树村", 50, "赵敏", "03-11 09:00", None],
        [None, None, None, "小计", 2, 80, None, None, None],
        [2, "李明", "李家村党支部", datetime(2026, 3, 8), "李家村", 30, "孙丽华", "03-09 11:00", None],
        [None, None, None, "小计", 1, 30, None, None, None],
        ["合计", 2, None, None, 3, 110, None, None, None],
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A4:A6", "B4:B6", "C4:C6", "I4:I6", "A7:A8", "B7:B8", "I7:I8"} <= merged  # one block per person
    assert ws["F4"].number_format == '#,##0.00"元"' and ws["F9"].number_format == '#,##0.00"元"'
    assert ws["E6"].number_format == '0"次"' and ws["B9"].number_format == '0"人"'
    assert ws["A10"].value == "合计金额（大写）：人民币壹佰壹拾元整"
    basis = ws["A11"].value
    assert basis.startswith("补助依据：乡村干部下村下户交通补助（示例规则") and basis.endswith(
        "；每人每月不超过300元。"
    )
    assert ws["A13"].value == SIGNATURES == "经办人：＿＿＿　审核人：＿＿＿　分管领导：＿＿＿　日期：＿＿＿"
    assert ws.print_area == "'交通补助发放明细表'!$A$1:$I$13"  # the signatures print too
    # only approved claims: pending, recorded, returned and out-of-scope ones are not paid
    values = {c for row in ws.iter_rows(values_only=True) for c in row}
    assert not {"周建国", "李秀英", "钱卫东"} & values


def test_a_claim_over_the_monthly_cap_is_flagged(db_url: str, month: None) -> None:
    rules = Rules(subsidy=Subsidy(name="测试补助", monthly_cap=Decimal(50)))
    ws = subsidy_book(db_url, TOWNSHIP, rules)["交通补助发放明细表"]
    assert (ws["D6"].value, ws["F6"].value, ws["G6"].value) == ("小计", 80, "超过每月上限50元")
    assert ws["G8"].value is None  # 李明's 30 is within it
    assert ws["A11"].value == "补助依据：测试补助；每人每月不超过50元。"


def test_a_month_without_approved_claims(db_url: str, month: None) -> None:
    ws = subsidy_book(db_url, "清河县/石桥镇/王家湾村")["交通补助发放明细表"]
    assert ws["A4"].value == "本月暂无已通过的补助"
    assert (ws["A5"].value, ws["B5"].value, ws["E5"].value, ws["F5"].value) == ("合计", 0, 0, 0)
    assert ws["A6"].value == "合计金额（大写）：人民币零元整"
    assert ws["A9"].value == SIGNATURES


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "零元整"),
        ("30", "叁拾元整"),
        ("110.00", "壹佰壹拾元整"),
        ("1005.5", "壹仟零伍元伍角整"),
        ("100.05", "壹佰元零伍分"),
        ("10050", "壹万零伍拾元整"),
        ("120000", "壹拾贰万元整"),
        ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        ("0.5", "伍角整"),
    ],
)
def test_amounts_in_capital_figures(amount: str, words: str) -> None:
    assert rmb_capital(Decimal(amount)) == words


# -- the CLI --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "says", "sheet", "title", "records"),
    [
        ("meetings", "已导出 6 条会议记录", "三会一课台账", "石桥镇三会一课台账", 6),
        ("trips", "已导出 6 条走访记录", "下村走访台账", "石桥镇下村走访台账", 6),
        ("subsidy", "已导出 3 条补助记录", "交通补助发放明细表", "石桥镇交通补助发放明细表", 3),
    ],
)
def test_cli_writes_each_ledger(
    make_settings, month: None, tmp_path: Path, kind: str, says: str, sheet: str, title: str, records: int
) -> None:
    settings = make_settings()
    target = tmp_path / f"{kind}.xlsx"
    result = runner.invoke(app, ["export", kind, "--month", "2026-03", "--org", TOWNSHIP, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert f"{says} → {target}" in result.stdout
    assert load_workbook(target)[sheet]["A1"].value == title
    with session_scope(get_engine(settings.database_url)) as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == f"export.{kind}")).one()
        assert (audit.actor, audit.target, audit.detail["records"]) == ("cli", f"{TOWNSHIP} 2026-03", records)


def test_cli_names_the_file_when_not_told(make_settings, month: None, tmp_path: Path, monkeypatch) -> None:
    make_settings()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["export", "subsidy", "--month", "2026-3", "--org", "石桥镇/李家村"])
    assert result.exit_code == 0, result.output
    assert "已导出 1 条补助记录" in result.stdout
    assert (tmp_path / "李家村交通补助发放明细表-2026-03.xlsx").exists()


@pytest.mark.parametrize("kind", ["meetings", "trips", "subsidy"])
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--month", "2026-13", "--org", TOWNSHIP], "YYYY-MM"),
        (["--month", "2026-03", "--org", "清河县/东坝镇"], "找不到组织"),
    ],
)
def test_cli_refuses_with_exit_code_2(
    make_settings, roster: None, tmp_path: Path, kind: str, args: list[str], says: str
) -> None:
    make_settings()
    target = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["export", kind, *args, "-o", str(target)])
    assert result.exit_code == 2
    assert says in result.stderr
    assert not target.exists()


# -- the signed links -----------------------------------------------------------------------------------


def test_export_link_names_the_kind_in_the_path_and_the_token() -> None:
    policy = Policy(public_url="https://bot.example.cn/", link_secret="s")
    for kind in KINDS:
        url = export_link(policy, kind, 1, TOWNSHIP, "2026-03", NOW)
        assert url is not None and url.startswith(f"https://bot.example.cn/exports/{kind}.xlsx?token=")
    assert ledger_link(policy, 1, TOWNSHIP, "2026-03", NOW) == export_link(
        policy, "patrols", 1, TOWNSHIP, "2026-03", NOW
    )
    assert export_link(Policy(public_url="https://bot.example.cn"), "trips", 1, TOWNSHIP, "2026-03", NOW) is None
    with pytest.raises(ValueError, match="unknown ledger kind"):
        export_link(policy, "salaries", 1, TOWNSHIP, "2026-03", NOW)


@pytest.fixture
def serve(make_settings, month: None) -> Iterator[Any]:
    """Start the app with the settings given; downloads need no Redis, so the shared test Redis is left alone."""
    started: list[LiveServer] = []

    def start(**overrides: object) -> LiveServer:
        port = free_port()
        live = LiveServer(make_settings(PUBLIC_URL=f"http://127.0.0.1:{port}", **overrides), port).__enter__()
        started.append(live)
        return live

    yield start
    for live in started:
        live.__exit__(None, None, None)


def link(live: LiveServer, kind: str, userid: str, path: str) -> str:
    with session_scope(get_engine(live.settings.database_url)) as s:
        pid = person(s, userid).id
    policy = Policy(public_url=live.url, link_secret=LINK_SECRET, link_hours=24)
    url = export_link(policy, kind, pid, path, "2026-03", datetime.now(UTC))
    assert url is not None
    return url


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)


@pytest.mark.parametrize(
    ("kind", "sheet", "title", "filename", "records"),
    [
        ("meetings", "三会一课台账", "石桥镇三会一课台账", "石桥镇三会一课台账-2026-03.xlsx", 6),
        ("trips", "下村走访台账", "石桥镇下村走访台账", "石桥镇下村走访台账-2026-03.xlsx", 6),
        ("subsidy", "交通补助发放明细表", "石桥镇交通补助发放明细表", "石桥镇交通补助发放明细表-2026-03.xlsx", 3),
    ],
)
def test_a_supervisor_downloads_each_ledger(
    serve, kind: str, sheet: str, title: str, filename: str, records: int
) -> None:
    live = serve(LINK_SECRET=LINK_SECRET)
    response = get(link(live, kind, "zhaomin", TOWNSHIP))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{kind}-2026-03.xlsx"')
    assert f"filename*=UTF-8''{quote(filename)}" in disposition
    assert load_workbook(BytesIO(response.content))[sheet]["A1"].value == title
    with session_scope(get_engine(live.settings.database_url)) as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == f"export.{kind}")).one()
        assert (audit.actor, audit.target, audit.detail) == (
            "赵敏",
            f"{TOWNSHIP} 2026-03",
            {"records": records, "via": "link"},
        )


def test_a_link_opens_only_its_own_ledger(serve) -> None:
    live = serve(LINK_SECRET=LINK_SECRET)
    trips = link(live, "trips", "zhaomin", TOWNSHIP)
    token = trips.split("token=", 1)[1]
    assert get(trips).status_code == 200
    for other in ("subsidy", "meetings", "patrols"):
        refused = get(f"{live.url}/exports/{other}.xlsx?token={token}")
        assert refused.status_code == 403, other
        assert "下载链接" in refused.json()["detail"]
    assert get(f"{live.url}/exports/salaries.xlsx?token={token}").status_code == 404
    with session_scope(get_engine(live.settings.database_url)) as s:
        assert s.scalars(select(AuditLog).where(AuditLog.action == "export.subsidy")).all() == []


def test_grid_members_and_other_villages_are_refused(serve) -> None:
    live = serve(LINK_SECRET=LINK_SECRET)
    for kind in ("meetings", "trips", "subsidy"):
        refused = get(link(live, kind, "zhangwei", f"{LIJIA}/1组"))
        assert refused.status_code == 403 and "权限" in refused.json()["detail"]
    assert get(link(live, "meetings", "liming", LIJIA)).status_code == 200
    outside = get(link(live, "subsidy", "liming", TOWNSHIP))
    assert outside.status_code == 403 and "李家村范围内的交通补助发放明细表" in outside.json()["detail"]


def test_without_a_secret_the_new_links_are_off(serve) -> None:
    live = serve()
    off = get(link(live, "meetings", "zhaomin", TOWNSHIP))
    assert off.status_code == 503 and "CADREBOT_LINK_SECRET" in off.json()["detail"]
