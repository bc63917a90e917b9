"""The monthly 巡查台账: the workbook's cells and print settings, the CLI, and the signed download link."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
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
from bot.links import sign
from bot.store.db import get_engine, session_scope
from bot.store.tables import Attachment, AuditLog, GridEvent, Org, PatrolReport, Person
from handlers.context import Policy
from handlers.patrol.ledger import HEADERS, build_ledger, ledger_bytes, ledger_link, ledger_rows, parse_month

from conftest import LiveServer, free_port

pytestmark = pytest.mark.dated

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)  # 2026-04-01 10:00 in Shanghai
LINK_SECRET = "ledger-link-secret-for-tests"
TOWNSHIP = "清河县/石桥镇"
LIJIA = "清河县/石桥镇/李家村"
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


def patrol(
    s: Any,
    userid: str,
    grid_path: str,
    day: date,
    receipt: str,
    *,
    issues: int = 0,
    category: str | None = None,
    note: str | None = None,
    resolved: bool | None = None,
    status: str = "filed",
    filed_at: datetime | None = None,
) -> PatrolReport:
    grid = org(s, grid_path)
    report = PatrolReport(
        receipt_no=receipt,
        reporter_id=person(s, userid).id,
        org_id=grid.id,
        village_id=grid.parent_id,
        grid=grid.name,
        patrol_date=day,
        issues=issues,
        category=category,
        description=note,
        resolved=resolved,
        status=status,
        filed_at=filed_at or datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC),
        withdrawn_at=NOW if status == "withdrawn" else None,
    )
    s.add(report)
    s.flush()
    return report


def event(s: Any, report: PatrolReport, receipt: str, status: str) -> None:
    s.add(
        GridEvent(
            receipt_no=receipt,
            report_id=report.id,
            village_id=report.village_id,
            reporter_id=report.reporter_id,
            category=report.category,
            description=report.description,
            status=status,
        )
    )


def photo(s: Any, report: PatrolReport, kind: str = "image") -> None:
    s.add(Attachment(owner_kind="patrol", owner_id=report.id, kind=kind, media_id=f"m-{report.id}-{kind}"))


@pytest.fixture
def month(db_url: str, roster: None) -> None:
    """March 2026 in 石桥镇, plus the records that must stay out of its ledger."""
    with session_scope(get_engine(db_url)) as s:
        township = org(s, TOWNSHIP)
        # a village whose name starts with another's: its records are not 李家村's
        twin = Org(name="李家村二", kind="村", parent_id=township.id, path=f"{TOWNSHIP}/李家村二")
        s.add(twin)
        s.flush()
        s.add(Org(name="1组", kind="网格", parent_id=twin.id, path=f"{twin.path}/1组"))
        s.flush()

        first = patrol(s, "zhangwei", f"{LIJIA}/1组", date(2026, 3, 5), "XC-20260305-001")
        photo(s, first)
        photo(s, first)
        photo(s, first, "location")  # not a photo
        patrol(s, "zhangwei", f"{LIJIA}/1组", date(2026, 3, 1), "XC-20260301-001")
        patrol(
            s,
            "liufang",
            f"{LIJIA}/2组",
            date(2026, 3, 3),
            "XC-20260303-001",
            issues=2,
            category="环境卫生",
            note="村口垃圾堆放两处，已叫保洁清走",
            resolved=True,
        )
        hazard = patrol(
            s,
            "wangxh",
            f"{LIJIA}/3组",
            date(2026, 3, 10),
            "XC-20260310-001",
            issues=1,
            category="安全隐患",
            note="老桥护栏松动，需村里安排维修",
            resolved=False,
        )
        event(s, hazard, "SJ-20260310-001", "dispatched")
        patrol(s, "huanglei", f"{TOWNSHIP}/李家村二/1组", date(2026, 3, 15), "XC-20260315-001")
        flood = patrol(
            s,
            "yangfan",
            f"{TOWNSHIP}/王家湾村/1组",
            date(2026, 3, 31),
            "XC-20260331-001",
            issues=1,
            category="防汛",
            note="排水沟堵塞",
            resolved=False,
            filed_at=datetime(2026, 3, 31, 16, 30, tzinfo=UTC),  # 04-01 00:30 in Shanghai
        )
        event(s, flood, "SJ-20260331-001", "closed")

        # out of the ledger: withdrawn, February, April
        patrol(s, "zhangwei", f"{LIJIA}/1组", date(2026, 3, 20), "XC-20260320-001", status="withdrawn")
        patrol(s, "zhangwei", f"{LIJIA}/1组", date(2026, 2, 28), "XC-20260228-001")
        patrol(s, "zhangwei", f"{LIJIA}/1组", date(2026, 4, 1), "XC-20260401-001")


def ledger(db_url: str, path: str, year: int = 2026, mon: int = 3) -> Workbook:
    """Built, saved and read back: the cells as Excel will see them."""
    buffer = BytesIO()
    with session_scope(get_engine(db_url)) as s:
        build_ledger(s, org(s, path), year, mon, TZ, NOW).save(buffer)
    return load_workbook(buffer)


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


# -- the workbook ---------------------------------------------------------------------------------------


def test_parse_month() -> None:
    assert parse_month("2026-03") == (2026, 3)
    assert parse_month(" 2026-3 ") == (2026, 3)
    for bad in ("2026-13", "2026-00", "March", "2026/03", "", "26-03"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            parse_month(bad)


def test_township_ledger_lists_the_months_records(db_url: str, month: None) -> None:
    wb = ledger(db_url, TOWNSHIP)
    assert wb.sheetnames == ["巡查台账", "汇总"]
    ws = wb["巡查台账"]
    assert ws["A1"].value == "石桥镇网格巡查台账"
    assert ws["A1"].font.bold and ws["A1"].font.sz == 16 and ws["A1"].font.name == "宋体"
    assert ws["A1"].alignment.horizontal == "center"
    assert "A1:N1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A2"].value == "单位：清河县/石桥镇　期间：2026年3月1日—3月31日　导出时间：2026-04-01 10:00"
    assert [c.value for c in ws[3]] == list(HEADERS)

    rows, totals = table(ws)
    assert [(r["村"], r["网格"], r["巡查日期"].date()) for r in rows] == [
        ("李家村", "1组", date(2026, 3, 1)),
        ("李家村", "1组", date(2026, 3, 5)),
        ("李家村", "2组", date(2026, 3, 3)),
        ("李家村", "3组", date(2026, 3, 10)),
        ("李家村二", "1组", date(2026, 3, 15)),
        ("王家湾村", "1组", date(2026, 3, 31)),
    ]
    assert [r["序号"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[1] == {
        "序号": 2,
        "巡查日期": datetime(2026, 3, 5),
        "村": "李家村",
        "网格": "1组",
        "网格员": "张伟",
        "巡查情况": "无异常",
        "问题类别": None,
        "情况说明": None,
        "处理情况": None,
        "事件编号": None,
        "事件状态": None,
        "照片": 2,
        "登记编号": "XC-20260305-001",
        "登记时间": "03-05 09:30",
    }
    assert (rows[2]["网格员"], rows[2]["巡查情况"], rows[2]["问题类别"], rows[2]["处理情况"]) == (
        "刘芳",
        "发现问题2处",
        "环境卫生",
        "已当场处理",
    )
    assert rows[2]["情况说明"] == "村口垃圾堆放两处，已叫保洁清走" and rows[2]["事件编号"] is None
    assert (rows[3]["处理情况"], rows[3]["事件编号"], rows[3]["事件状态"]) == (
        "需村里处理",
        "SJ-20260310-001",
        "已转派",
    )
    assert (rows[5]["网格员"], rows[5]["事件状态"], rows[5]["登记时间"]) == ("杨帆", "已办结", "04-01 00:30")
    assert rows[0]["照片"] == 0
    assert ws["H7"].alignment.wrap_text  # 情况说明 wraps

    assert totals["巡查日期"] == 6 and totals["网格员"] == 5 and totals["巡查情况"] == 4
    assert totals["处理情况"] == 2 and totals["事件编号"] == 2 and totals["照片"] == 2
    assert totals["情况说明"] == "巡查记录6条，网格员5人，发现问题4处，其中当场处理2处、转村里处理2处。"
    assert ws["B10"].number_format == '0"条"'  # reads 6条 on paper


def test_summary_sheet_has_one_row_per_village(db_url: str, month: None) -> None:
    ws = ledger(db_url, TOWNSHIP)["汇总"]
    assert ws["A1"].value == "石桥镇网格巡查汇总"
    assert [c.value for c in ws[3]] == [
        "村",
        "网格员人数",
        "已巡查人数",
        "巡查记录数",
        "发现问题数",
        "当场处理",
        "转村里处理",
        "未办结事件",
    ]
    assert [list(r) for r in ws.iter_rows(min_row=4, values_only=True)] == [
        ["李家村", 3, 3, 4, 3, 2, 1, 1],
        ["李家村二", 0, 1, 1, 0, 0, 0, 0],
        ["柳树村", 2, 0, 0, 0, 0, 0, 0],
        ["王家湾村", 2, 1, 1, 1, 0, 1, 0],
        ["合计", 7, 5, 6, 4, 2, 2, 1],
    ]


def test_a_village_ledger_keeps_to_the_village(db_url: str, month: None) -> None:
    wb = ledger(db_url, LIJIA)
    rows, totals = table(wb["巡查台账"])
    assert wb["巡查台账"]["A1"].value == "李家村网格巡查台账"
    assert {r["村"] for r in rows} == {"李家村"}  # not 李家村二, not 王家湾村
    assert [r["登记编号"] for r in rows] == [
        "XC-20260301-001",
        "XC-20260305-001",
        "XC-20260303-001",
        "XC-20260310-001",
    ]
    assert totals["巡查日期"] == 4 and totals["网格员"] == 3
    summary = [list(r) for r in wb["汇总"].iter_rows(min_row=4, values_only=True)]
    assert summary == [["李家村", 3, 3, 4, 3, 2, 1, 1], ["合计", 3, 3, 4, 3, 2, 1, 1]]


def test_withdrawn_and_other_months_are_left_out(db_url: str, month: None) -> None:
    with session_scope(get_engine(db_url)) as s:
        receipts = {r.receipt_no for r in ledger_rows(s, org(s, LIJIA), 2026, 3)}
        february = [r.receipt_no for r in ledger_rows(s, org(s, LIJIA), 2026, 2)]
        april = [r.receipt_no for r in ledger_rows(s, org(s, TOWNSHIP), 2026, 4)]
    assert "XC-20260320-001" not in receipts  # withdrawn
    assert february == ["XC-20260228-001"] and april == ["XC-20260401-001"]


def test_an_empty_month_says_so(db_url: str, month: None) -> None:
    wb = ledger(db_url, "清河县/石桥镇/柳树村")
    ws = wb["巡查台账"]
    assert ws["A4"].value == "本月暂无巡查记录"
    assert "A4:N4" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A5"].value == "合计"
    assert (ws["B5"].value, ws["E5"].value, ws["F5"].value, ws["I5"].value, ws["J5"].value) == (0, 0, 0, 0, 0)
    assert "巡查记录0条" in ws["H5"].value
    assert [list(r) for r in wb["汇总"].iter_rows(min_row=4, values_only=True)] == [
        ["柳树村", 2, 0, 0, 0, 0, 0, 0],
        ["合计", 2, 0, 0, 0, 0, 0, 0],
    ]


def test_the_workbook_is_ready_to_print(db_url: str, month: None) -> None:
    with session_scope(get_engine(db_url)) as s:
        data = ledger_bytes(s, org(s, TOWNSHIP), 2026, 3, TZ, NOW)
    wb = load_workbook(BytesIO(data))  # what Excel will see, not the object we built
    for ws in wb.worksheets:
        assert ws.print_title_rows == "$3:$3"
        assert ws.freeze_panes == "A4"
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.sheet_properties.pageSetUpPr is not None
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.print_options.horizontalCentered
        assert ws["A3"].border.left.style == "thin" and ws["A3"].font.name == "宋体" and ws["A3"].font.bold
    ws = wb["巡查台账"]
    assert ws.column_dimensions["H"].width == 36
    assert ws["H7"].border.bottom.style == "thin" and ws["H7"].font.name == "宋体"


# -- the CLI --------------------------------------------------------------------------------------------


def test_cli_writes_the_ledger(make_settings, month: None, tmp_path: Path) -> None:
    settings = make_settings()
    target = tmp_path / "台账.xlsx"
    result = runner.invoke(app, ["export", "patrols", "--month", "2026-03", "--org", TOWNSHIP, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert f"已导出 6 条巡查记录 → {target}" in result.stdout
    ws = load_workbook(target)["巡查台账"]
    assert ws["A1"].value == "石桥镇网格巡查台账" and table(ws)[1]["巡查日期"] == 6

    # the unique tail of a path is enough
    village = tmp_path / "village.xlsx"
    result = runner.invoke(
        app, ["export", "patrols", "--month", "2026-03", "--org", "石桥镇/李家村", "-o", str(village)]
    )
    assert result.exit_code == 0, result.output
    assert "已导出 4 条巡查记录" in result.stdout
    assert load_workbook(village)["巡查台账"]["A1"].value == "李家村网格巡查台账"

    with session_scope(get_engine(settings.database_url)) as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "export.patrols").order_by(AuditLog.id)).all()
        assert [(a.actor, a.target) for a in audit] == [("cli", f"{TOWNSHIP} 2026-03"), ("cli", f"{LIJIA} 2026-03")]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--month", "2026-13", "--org", TOWNSHIP], "YYYY-MM"),
        (["--month", "三月", "--org", TOWNSHIP], "YYYY-MM"),
        (["--month", "2026-03", "--org", "清河县/东坝镇"], "找不到组织"),
        (["--month", "2026-03", "--org", "1组"], "不唯一"),  # every village has a 1组
    ],
)
def test_cli_refuses_with_exit_code_2(make_settings, roster: None, tmp_path: Path, args: list[str], says: str) -> None:
    make_settings()
    target = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["export", "patrols", *args, "-o", str(target)])
    assert result.exit_code == 2
    assert says in result.stderr
    assert not target.exists()


# -- the signed link ------------------------------------------------------------------------------------


@pytest.fixture
def serve(make_settings, month: None) -> Iterator[Any]:
    """Start the app with the settings given (the `server` fixture has no link secret). Downloads need no
    Redis, so this leaves the shared test Redis alone."""
    started: list[LiveServer] = []

    def start(**overrides: object) -> LiveServer:
        port = free_port()
        live = LiveServer(make_settings(PUBLIC_URL=f"http://127.0.0.1:{port}", **overrides), port).__enter__()
        started.append(live)
        return live

    yield start
    for live in started:
        live.__exit__(None, None, None)


def person_id(live: LiveServer, userid: str) -> int:
    with session_scope(get_engine(live.settings.database_url)) as s:
        return person(s, userid).id


def link(live: LiveServer, userid: str, path: str, when: datetime | None = None) -> str:
    policy = Policy(public_url=live.url, link_secret=LINK_SECRET, link_hours=24)
    url = ledger_link(policy, person_id(live, userid), path, "2026-03", when or datetime.now(UTC))
    assert url is not None and url.startswith(f"{live.url}/exports/patrols.xlsx?token=")
    return url


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)


def test_ledger_link_needs_a_secret_and_an_address() -> None:
    assert ledger_link(Policy(public_url="https://bot.example.cn"), 1, TOWNSHIP, "2026-03", NOW) is None
    assert ledger_link(Policy(link_secret="s"), 1, TOWNSHIP, "2026-03", NOW) is None
    url = ledger_link(Policy(public_url="https://bot.example.cn", link_secret="s"), 1, TOWNSHIP, "2026-03", NOW)
    assert url is not None and url.startswith("https://bot.example.cn/exports/patrols.xlsx?token=")


def test_a_supervisors_link_downloads_the_ledger(serve) -> None:
    live = serve(LINK_SECRET=LINK_SECRET)
    response = get(link(live, "zhaomin", TOWNSHIP))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="patrols-2026-03.xlsx"')
    assert f"filename*=UTF-8''{quote('石桥镇巡查台账-2026-03.xlsx')}" in disposition
    wb = load_workbook(BytesIO(response.content))
    rows, totals = table(wb["巡查台账"])
    assert wb["巡查台账"]["A1"].value == "石桥镇网格巡查台账" and len(rows) == 6 and totals["巡查日期"] == 6
    with session_scope(get_engine(live.settings.database_url)) as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "export.patrols")).one()
        assert (audit.actor, audit.target, audit.actor_person_id) == (
            "赵敏",
            f"{TOWNSHIP} 2026-03",
            person(s, "zhaomin").id,
        )


def test_a_village_secretary_gets_their_village_only(serve) -> None:
    live = serve(LINK_SECRET=LINK_SECRET)
    assert get(link(live, "liming", LIJIA)).status_code == 200
    for path in (TOWNSHIP, "清河县/石桥镇/王家湾村"):
        refused = get(link(live, "liming", path))
        assert refused.status_code == 403 and "李家村" in refused.json()["detail"]


def test_a_grid_member_may_not_download(serve) -> None:
    live = serve(LINK_SECRET=LINK_SECRET)
    refused = get(link(live, "zhangwei", f"{LIJIA}/1组"))
    assert refused.status_code == 403 and "权限" in refused.json()["detail"]


def test_a_deactivated_person_and_an_unknown_org(serve) -> None:
    live = serve(LINK_SECRET=LINK_SECRET)
    unknown = get(link(live, "zhaomin", "清河县/东坝镇"))
    assert unknown.status_code == 404 and "找不到" in unknown.json()["detail"]
    url = link(live, "qianweidong", TOWNSHIP)
    with session_scope(get_engine(live.settings.database_url)) as s:
        person(s, "qianweidong").active = False
    refused = get(url)
    assert refused.status_code == 403 and "停用" in refused.json()["detail"]


def test_tampered_and_foreign_tokens_are_refused(serve) -> None:
    live = serve(LINK_SECRET=LINK_SECRET)
    url = link(live, "liming", LIJIA)
    token = url.split("token=", 1)[1]
    body, mac = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["org"] = TOWNSHIP  # widen the link without re-signing it
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    for bad in (
        f"{forged}.{mac}",
        sign("some-other-secret", payload, datetime.now(UTC), 24),
        "not-a-token",
        "",
    ):
        refused = httpx.get(f"{live.url}/exports/patrols.xlsx", params={"token": bad}, timeout=10)
        assert refused.status_code == 403, bad
        assert refused.json()["detail"]
    assert get(f"{live.url}/exports/patrols.xlsx").status_code == 403


def test_an_expired_link_is_gone(serve) -> None:
    live = serve(LINK_SECRET=LINK_SECRET)
    old = link(live, "zhaomin", TOWNSHIP, when=datetime.now(UTC) - timedelta(hours=25))
    gone = get(old)
    assert gone.status_code == 410 and "过期" in gone.json()["detail"]


def test_without_a_secret_links_are_off(serve) -> None:
    live = serve()
    off = get(link(live, "zhaomin", TOWNSHIP))
    assert off.status_code == 503 and "CADREBOT_LINK_SECRET" in off.json()["detail"]
