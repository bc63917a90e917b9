"""台账 in a real browser: 李明 picks March and his village, downloads the 巡查台账 with the browser's own
download, and the file opens with openpyxl holding his village's patrols and not the next village's. A hand-edited
address with another village's id answers 404 in the page. Pinned clock (the seed's Thursday 12 March 2026)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from openpyxl import load_workbook
from overview_seed import NOW, seed
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Org
from browser.helpers import WECOM_WEBVIEW, Shots, context


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def org_id(server, path: str) -> int:
    with session_scope(get_engine(server.settings.database_url)) as s:
        found = s.scalar(select(Org.id).where(Org.path == path))
        assert found is not None
        return found


def test_a_ledger_downloaded_in_the_browser_opens_with_openpyxl(
    chromium: Browser, server, shots: Shots, tmp_path
) -> None:
    seed(server)
    ctx = context(chromium, "phone", server.url, user_agent=WECOM_WEBVIEW, accept_downloads=True)
    ctx.add_cookies([{"name": "sim_wecom_user", "value": "liming", "url": f"{server.url}/sim/wecom"}])
    page = shots.watch(ctx.new_page())
    page.goto("/console/ledgers")
    page.get_by_label("月份").select_option("2026-03")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name="清河县/石桥镇/李家村 · 2026年3月")).to_be_visible()
    shots.take(page, "ledgers-phone")
    with page.expect_download() as started:
        page.get_by_role("link", name="下载巡查台账").click()
    download = started.value
    assert download.suggested_filename.endswith(".xlsx") and "巡查" in download.suggested_filename
    saved = tmp_path / "patrols.xlsx"
    download.save_as(saved)
    sheet = load_workbook(saved).worksheets[0]
    text = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    assert "李家村" in text and "1组" in text
    assert "王家湾村" not in text  # the next village's patrols are not his

    with session_scope(get_engine(server.settings.database_url)) as s:
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "console.ledger")) == "console.ledger"

    other = org_id(server, "清河县/石桥镇/王家湾村")
    answer = page.goto(f"/console/ledgers/patrols.xlsx?month=2026-03&org={other}")
    assert answer is not None and answer.status == 404
    shots.errors.clear()  # the 404 is the point here, not a fault of the page
    ctx.close()
