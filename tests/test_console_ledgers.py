"""台账 in the 工作台 (/console/ledgers): a month and an org of the viewer's area → the four Excel ledgers, the same
files as the CLI's, each downloaded with its Chinese name and audited. A month of records in two villages: 李明
(村书记 of 李家村) gets only 李家村's, 孙丽华 (石桥镇) both; another village's org answers 404. Pinned clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Meeting, Org, PatrolReport, Person, Trip

NOW = datetime(2026, 4, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai; the ledgers are March's
LIJIA = "清河县/石桥镇/李家村"
WANGJIA = "清河县/石桥镇/王家湾村"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def find(s: Any, model: Any, **where: Any) -> Any:
    found = s.scalar(select(model).filter_by(**where))
    assert found is not None, where
    return found


@pytest.fixture
def march(server) -> dict[str, int]:
    """A patrol, a meeting and an approved trip in each of 李家村 and 王家湾村; the org ids by path."""
    with session_scope(get_engine(server.settings.database_url)) as s:
        people = {p.wecom_userid: p for p in s.scalars(select(Person))}
        for receipt, grid_path, who, day, note in (
            ("XC-20260305-001", f"{LIJIA}/1组", "zhangwei", 5, "河道垃圾一处，已清理"),
            ("XC-20260306-001", f"{WANGJIA}/1组", "yangfan", 6, "路灯不亮一处"),
        ):
            grid = find(s, Org, path=grid_path)
            s.add(
                PatrolReport(
                    receipt_no=receipt,
                    reporter_id=people[who].id,
                    org_id=grid.id,
                    village_id=grid.parent_id,
                    grid=grid.name,
                    patrol_date=date(2026, 3, day),
                    issues=1,
                    category="环境卫生",
                    description=note,
                    resolved=True,
                    status="filed",
                    filed_at=datetime(2026, 3, day, 2, 0, tzinfo=UTC),
                )
            )
        for receipt, branch, who, day in (
            ("HY-20260310-001", f"{LIJIA}/李家村党支部", "liming", 10),
            ("HY-20260312-001", f"{WANGJIA}/王家湾村党支部", "wangdefu", 12),
        ):
            s.add(
                Meeting(
                    receipt_no=receipt,
                    branch_id=find(s, Org, path=branch).id,
                    meeting_type="支部委员会",
                    held_on=date(2026, 3, day),
                    topic="研究春耕生产",
                    expected=5,
                    present=5,
                    recorder_id=people[who].id,
                    status="filed",
                )
            )
        for receipt, who, village, day in (
            ("ZF-20260315-001", "liming", "李家村", 15),
            ("ZF-20260316-001", "wangdefu", "王家湾村", 16),
        ):
            s.add(
                Trip(
                    receipt_no=receipt,
                    person_id=people[who].id,
                    village=village,
                    village_id=find(s, Org, path=f"清河县/石桥镇/{village}").id,
                    trip_date=date(2026, 3, day),
                    households=4,
                    purpose="走访困难户",
                    status="approved",
                    amount=Decimal("30.00"),
                    approver_id=people["sunlihua"].id,
                    decided_at=datetime(2026, 3, day, 8, 0, tzinfo=UTC),
                )
            )
        return {o.path: o.id for o in s.scalars(select(Org))}


def cells(body: bytes) -> str:
    """Every value on the workbook's first sheet (the records), as one text."""
    first = load_workbook(BytesIO(body)).worksheets[0]
    return "\n".join(str(v) for row in first.iter_rows(values_only=True) for v in row if v is not None)


def audited(server) -> list[AuditLog]:
    with session_scope(get_engine(server.settings.database_url)) as s:
        found = list(s.scalars(select(AuditLog).where(AuditLog.action == "console.ledger").order_by(AuditLog.id)))
        s.expunge_all()
        return found


def test_the_page_offers_the_four_ledgers_of_the_viewers_village(console_as, march) -> None:
    liming = console_as("liming")
    page = liming.get("/console/ledgers", params={"month": "2026-03"})
    assert page.status_code == 200
    for label in ("巡查台账", "三会一课台账", "下村走访台账", "交通补助发放明细表"):
        assert label in page.text
    assert page.text.count("共 <b>1</b> 条") == 4  # one record of each in 李家村
    # the org choice is the viewer's area only, its top chosen
    assert f'<option value="{march[LIJIA]}" selected>李家村</option>' in page.text
    assert "王家湾村" not in page.text and "石桥镇</option>" not in page.text
    assert f"/console/ledgers/patrols.xlsx?month=2026-03&amp;org={march[LIJIA]}" in page.text
    # this month has nothing yet, and says so
    today = liming.get("/console/ledgers")
    assert "2026年4月没有巡查记录" in today.text and "2026年4月</option>" in today.text


@pytest.mark.parametrize(
    ("kind", "own", "other", "sheet"),
    [
        ("patrols", "XC-20260305-001", "XC-20260306-001", "巡查台账"),
        ("meetings", "HY-20260310-001", "HY-20260312-001", "三会一课台账"),
        ("trips", "ZF-20260315-001", "ZF-20260316-001", "下村走访台账"),
        ("subsidy", "李明", "王德福", "交通补助发放明细表"),
    ],
)
def test_a_village_secretary_downloads_each_ledger_with_only_the_villages_rows(
    console_as, march, server, kind: str, own: str, other: str, sheet: str
) -> None:
    got = console_as("liming").get(f"/console/ledgers/{kind}.xlsx", params={"month": "2026-03", "org": march[LIJIA]})
    assert got.status_code == 200 and got.headers["content-type"] == XLSX
    text = cells(got.content)
    assert own in text and other not in text
    assert sheet in text  # the sheet's own title line
    filename = f"李家村{sheet}-2026-03.xlsx"
    assert got.headers["content-disposition"] == (
        f"attachment; filename=\"{kind}-2026-03.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    [row] = audited(server)
    assert (row.actor, row.target) == ("李明", f"{LIJIA} 2026-03")
    assert row.detail == {"via": "console", "kind": kind, "records": 1}


def test_the_township_gets_both_villages_and_chooses_one(console_as, march) -> None:
    sunlihua = console_as("sunlihua")
    page = sunlihua.get("/console/ledgers", params={"month": "2026-03"})
    assert f'<option value="{march["清河县/石桥镇"]}" selected>石桥镇</option>' in page.text
    assert "共 <b>2</b> 条巡查记录" in page.text
    both = sunlihua.get("/console/ledgers/patrols.xlsx", params={"month": "2026-03", "org": march["清河县/石桥镇"]})
    text = cells(both.content)
    assert "XC-20260305-001" in text and "XC-20260306-001" in text
    one = sunlihua.get("/console/ledgers/meetings.xlsx", params={"month": "2026-03", "org": march[WANGJIA]})
    text = cells(one.content)
    assert "HY-20260312-001" in text and "HY-20260310-001" not in text


def test_an_org_outside_the_area_is_not_found_and_nothing_is_audited(console_as, march, server) -> None:
    liming = console_as("liming")
    for url in ("/console/ledgers", "/console/ledgers/patrols.xlsx"):
        refused = liming.get(url, params={"month": "2026-03", "org": march[WANGJIA]})
        assert refused.status_code == 404 and "不在您管理的范围内" in refused.text
    assert liming.get("/console/ledgers", params={"org": "abc"}).status_code == 404
    assert not audited(server)


def test_bad_months_and_kinds_are_answered_in_words(console_as, march) -> None:
    liming = console_as("liming")
    future = liming.get("/console/ledgers", params={"month": "2026-05"})
    assert future.status_code == 400 and "还没到这个月份" in future.text
    garbled = liming.get("/console/ledgers/trips.xlsx", params={"month": "三月", "org": march[LIJIA]})
    assert garbled.status_code == 400 and "月份格式应为" in garbled.text
    unknown = liming.get("/console/ledgers/wages.xlsx", params={"month": "2026-03", "org": march[LIJIA]})
    assert unknown.status_code == 404 and "没有这种台账" in unknown.text


def test_people_who_manage_nobody_cannot_open_the_ledgers(console_as, march) -> None:
    zhangwei = console_as("zhangwei")  # 网格员
    page = zhangwei.get("/console/ledgers")
    assert page.status_code == 403 and "没有权限" in page.text
    assert zhangwei.get("/console/ledgers/patrols.xlsx", params={"month": "2026-03"}).status_code == 403
