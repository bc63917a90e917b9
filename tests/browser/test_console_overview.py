"""总览 in a real browser, at a phone's width (the WeCom webview, 390 px) and a PC's: the administrator's county
and 李明's village, charts drawn, no horizontal scroll on the phone, nothing refused by the CSP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from overview_seed import NOW, seed
from playwright.sync_api import Browser, Page, expect

from browser.helpers import WECOM_WEBVIEW, Shots, context


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def open_overview(chromium: Browser, server, shots: Shots, width: str, user: str) -> Page:
    # inside the WeCom app (on a phone, or WeCom for PC): its own account, signed in without a click
    ctx = context(chromium, width, server.url, user_agent=WECOM_WEBVIEW)
    ctx.add_cookies([{"name": "sim_wecom_user", "value": user, "url": f"{server.url}/sim/wecom"}])
    page = shots.watch(ctx.new_page())
    page.goto("/console")
    return page


def fits(page: Page, width: int) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"the page is {wide}px wide on a {width}px screen"


def charts_drawn(page: Page) -> None:
    for name in ("各单位任务进展", "近8周网格事件：新增与办结"):
        chart = page.get_by_role("img", name=name)
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 200  # drawn to the card's width, not a thumbnail
    expect(page.locator("#meetings svg.chart")).to_be_visible()


@pytest.mark.parametrize("width", ["phone", "pc"])
def test_the_administrator_sees_the_county(chromium: Browser, server, shots: Shots, width: str) -> None:
    seed(server)
    page = open_overview(chromium, server, shots, width, "zhaomin")
    expect(page.get_by_role("heading", name="您好，赵敏")).to_be_visible()
    expect(page.locator('[data-figure="tasks"]')).to_have_text("9")
    expect(page.locator('[data-figure="waiting"]')).to_have_text("3")
    expect(page.locator("#tasks tr[data-unit]")).to_have_count(1)  # one township in the county: 石桥镇
    expect(page.get_by_role("link", name="去审批")).to_be_visible()
    charts_drawn(page)
    if width == "phone":
        fits(page, 390)
    shots.take(page, f"overview-admin-{width}")
    page.context.close()


@pytest.mark.parametrize("width", ["phone", "pc"])
def test_the_village_secretary_sees_his_village(chromium: Browser, server, shots: Shots, width: str) -> None:
    seeded = seed(server)
    page = open_overview(chromium, server, shots, width, "liming")
    expect(page.get_by_role("heading", name="您好，李明")).to_be_visible()
    expect(page.get_by_text("村党组织书记、党员 · 李家村")).to_be_visible()
    expect(page.locator('[data-figure="tasks"]')).to_have_text("5")
    expect(page.get_by_text("王家湾村")).to_have_count(0)
    expect(page.locator("#approvals")).to_have_count(0)
    charts_drawn(page)
    if width == "phone":
        fits(page, 390)
    shots.take(page, f"overview-secretary-{width}")
    # the overdue task opens its own page (whatever that page shows, it is within his area)
    link = page.locator(f'#overdue a[href="/console/tasks/{seeded.lijia_late}"]')
    expect(link).to_have_text("活动阵地提升")
    page.context.close()
