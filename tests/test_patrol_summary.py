"""本周巡查情况 and the 巡查台账 link, asked for in the chat: each person sees what their role and place
allow, people are listed in roster order (no ranking), and who has not patrolled is shown only to those
who manage them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import GridEvent, Org, PatrolReport, Person

from conftest import chat_on

pytestmark = pytest.mark.dated

TZ = ZoneInfo("Asia/Shanghai")


def file_reports(server, *reports: tuple[str, int, bool | None, bool]) -> None:
    """(wecom user, issues, resolved, raise an event) — filed today."""
    today = datetime.now(TZ).date()
    with session_scope(get_engine(server.settings.database_url)) as s:
        for n, (user, issues, resolved, event) in enumerate(reports, 1):
            person = s.scalars(select(Person).where(Person.wecom_userid == user)).one()
            org = s.get_one(Org, person.org_id)
            village = org.parent if org.kind == "网格" else org
            assert village is not None
            report = PatrolReport(
                receipt_no=f"XC-{today:%Y%m%d}-{n:03d}",
                reporter_id=person.id,
                org_id=org.id,
                village_id=village.id,
                grid=org.name,
                patrol_date=today,
                issues=issues,
                category="环境卫生" if issues else None,
                resolved=resolved,
                filed_at=datetime.now(UTC) - timedelta(minutes=n),
            )
            s.add(report)
            s.flush()
            if event:
                s.add(
                    GridEvent(
                        receipt_no=f"SJ-{today:%Y%m%d}-{n:03d}",
                        report_id=report.id,
                        village_id=village.id,
                        reporter_id=person.id,
                        status="reported",
                    )
                )


def test_a_grid_member_sees_their_own_week(chat, server) -> None:
    file_reports(server, ("zhangwei", 0, None, False), ("zhangwei", 2, True, False), ("liufang", 1, False, True))
    chat.as_("zhangwei").says("本周巡查情况")
    reply = chat.expect_text("您本周的巡查情况")
    assert "巡查1天，共2条记录；问题2处，当场处理2处。" in reply
    assert "刘芳" not in reply and "王小红" not in reply  # nobody else's record, no league table


def test_a_grid_member_with_nothing_yet(chat) -> None:
    chat.as_("wangxh").says("这周巡查了几次")
    assert "还没有巡查记录" in chat.expect_text("您本周的巡查情况")


def test_an_event_still_open_is_listed_for_its_reporter(chat, server) -> None:
    file_reports(server, ("liufang", 1, False, True))
    chat.as_("liufang").says("本周巡查情况")
    assert "待受理" in chat.expect_text("未办结的事件")


def test_a_secretary_sees_the_village_and_who_has_not_patrolled(chat, server) -> None:
    file_reports(server, ("zhangwei", 0, None, False), ("wangxh", 1, False, True))
    chat.as_("liming").says("本周巡查情况")
    reply = chat.expect_text("李家村本周巡查情况")
    lines = reply.splitlines()
    assert lines[1] == "李家村：网格员3人，已巡查2人，共2条记录，问题1处，转村里1处。"
    assert lines[2:4] == [
        "· 张伟（1组）：巡查1天，无异常",
        "· 王小红（3组）：巡查1天，问题1处，转村里1处",
    ]  # roster order
    assert "本周尚未巡查：刘芳（2组）" in lines and "未办结事件：1件" in lines


def test_a_township_cadre_sees_every_village(chat, server) -> None:
    file_reports(server, ("zhangwei", 0, None, False), ("yangfan", 0, None, False))
    chat.as_("zhoujianguo").says("谁还没巡查")
    reply = chat.expect_text("石桥镇本周巡查情况")
    assert "李家村：网格员3人，已巡查1人" in reply and "王家湾村：网格员2人，已巡查1人" in reply
    assert "柳树村：网格员2人，已巡查0人" in reply
    assert "本周尚未巡查：胡军（1组）、何静（2组）" in reply


def test_last_week_is_another_period(chat, server) -> None:
    file_reports(server, ("zhangwei", 0, None, False))
    chat.as_("zhangwei").says("上周巡查情况")
    assert "还没有巡查记录" in chat.expect_text("您上周的巡查情况")


def test_a_supervisor_gets_a_ledger_link_that_downloads(server_with, factory) -> None:
    live = server_with(LINK_SECRET="chat-ledger-secret")
    file_reports(live, ("zhangwei", 0, None, False), ("wangxh", 1, True, False))
    chat = chat_on(live, factory)
    chat.as_("zhaomin").says("导出本月巡查台账")
    [notice] = [e for e in chat.new() if e.get("msgtype") == "textcard"]
    assert notice["textcard"]["title"].startswith("清河县") and notice["textcard"]["title"].endswith("巡查台账")
    url = notice["textcard"]["url"]
    assert url.startswith(f"{live.url}/exports/patrols.xlsx?token=")
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content))["巡查台账"]
    receipts = {
        c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("XC-")
    }
    assert len(receipts) == 2


def test_a_grid_member_is_told_who_can_fetch_the_ledger(server_with, factory) -> None:
    live = server_with(LINK_SECRET="chat-ledger-secret")
    chat = chat_on(live, factory)
    chat.as_("zhangwei").says("巡查台账")
    chat.expect_text("巡查台账由村书记、网格长和镇、县督导导出")


def test_without_a_link_secret_the_bot_says_so(chat) -> None:
    chat.as_("liming").says("导出上个月巡查台账")
    chat.expect_text("台账下载还没有配置好")
