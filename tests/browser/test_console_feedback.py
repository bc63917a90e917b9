"""投诉建议 and 台账 in a real browser: 李明 complains in the chat (the fake WeCom), finds it in the 工作台 and downloads
a ledger; 赵敏 (管理员) answers it in the 工作台 at a phone's width, 李明's chat receives the answer, she closes it.
Every page at phone width (390 px, no sideways scrolling) and PC width, screenshots in var/screenshots/. The clock
is pinned to 2026-12-03 10:00 in Shanghai."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from playwright.sync_api import Browser, BrowserContext, Page, expect

from browser.helpers import WECOM_WEBVIEW, Shots, context

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def signed_in(chromium: Browser, server, width: str, user: str) -> tuple[BrowserContext, Page]:
    """Inside the WeCom app, signed in as `user` without a click (the app's own account)."""
    ctx = context(chromium, width, server.url, user_agent=WECOM_WEBVIEW)
    ctx.add_cookies([{"name": "sim_wecom_user", "value": user, "url": f"{server.url}/sim/wecom"}])
    page = ctx.new_page()
    page.goto("/console")
    return ctx, page


def fits_a_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide on a 390px phone"


def test_a_complaint_from_the_chat_answered_in_the_console(chromium: Browser, server, chat, work, shots: Shots) -> None:
    chat.as_("zhangwei").says("今天巡查1组无异常")  # a month's first line in 李家村's 巡查台账
    chat.taps(chat.expect_card("请确认巡查记录"), "提交")
    chat.as_("liming").says("投诉建议：村口的路灯坏了半个月了还没人修")
    chat.expect_text("已收到您的投诉，编号 TS-20261203-001")

    # 李明 on his phone: the ledgers of his village, and his complaint waiting for an answer
    for width in ("phone", "pc"):
        ctx, page = signed_in(chromium, server, width, "liming")
        shots.watch(page)
        page.get_by_role("link", name="台账").click()
        expect(page.get_by_role("heading", name="台账", exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name="清河县/石桥镇/李家村 · 2026年12月")).to_be_visible()
        expect(page.locator(".ledger .count").first).to_have_text("共 1 条巡查记录")
        if width == "phone":
            fits_a_phone(page)
            with page.expect_download() as got:
                page.get_by_role("link", name="下载巡查台账").click()
            assert got.value.suggested_filename == "李家村巡查台账-2026-12.xlsx"
        shots.take(page, f"ledgers-{width}")
        page.get_by_role("link", name="投诉建议").click()
        expect(page.get_by_text("村口的路灯坏了半个月了还没人修")).to_be_visible()
        expect(page.locator(".items .badge.late")).to_have_text("待答复")
        if width == "phone":
            fits_a_phone(page)
        shots.take(page, f"feedback-{width}")
        ctx.close()

    # 赵敏, the administrator, on a PC: every complaint; then on her phone she answers this one
    ctx, page = signed_in(chromium, server, "pc", "zhaomin")
    shots.watch(page)
    page.get_by_role("link", name="投诉建议").click()
    expect(page.get_by_text("李明 · 清河县/石桥镇/李家村/李家村党支部")).to_be_visible()
    expect(page.get_by_role("link", name="待答复 1")).to_have_attribute("aria-current", "page")
    shots.take(page, "feedback-admin-pc")
    ctx.close()

    ctx, page = signed_in(chromium, server, "phone", "zhaomin")
    shots.watch(page)
    page.goto("/console/feedback")
    page.get_by_role("link", name="TS-20261203-001").click()
    expect(page.get_by_role("heading", name="投诉 TS-20261203-001")).to_be_visible()
    page.get_by_label("答复内容").fill("已通知镇电管站，本周内修好。")
    page.get_by_role("button", name="发送答复").click()
    expect(page.get_by_role("status")).to_have_text("答复已发给李明。")
    fits_a_phone(page)
    shots.take(page, "feedback-admin-phone")

    work()  # the outbox delivers the answer
    told = chat.as_("liming").expect_text("有了答复")
    assert "已通知镇电管站，本周内修好。" in told and told.endswith("——赵敏")

    page.get_by_role("button", name="办结").click()
    expect(page.get_by_role("status")).to_have_text("编号 TS-20261203-001 已办结。")
    expect(page.locator(".badge.done")).to_have_text("已办结")
    expect(page.get_by_role("button", name="发送答复")).to_have_count(0)
    ctx.close()
    work()
    chat.expect_nothing()  # the answer was the last word; closing sends nothing more
