"""Signing in to the 工作台 in a real browser: inside the WeCom app at a phone's width (silent, no click), inside
DingTalk's H5 micro-app (免登 through the JSAPI), from the simulator's 「打开工作台」 button, by scanning in on a PC
with WeCom or DingTalk — then signing out — and by the chat's one-time link, once."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, expect

from browser.helpers import DINGTALK_WEBVIEW, WECOM_WEBVIEW, Shots, context


def test_inside_wecom_on_a_phone_the_console_opens_signed_in(chromium: Browser, server, shots: Shots) -> None:
    ctx = context(chromium, "phone", server.url, user_agent=WECOM_WEBVIEW)
    # the member the simulated WeCom app is signed in as (on a phone: the app's own account)
    ctx.add_cookies([{"name": "sim_wecom_user", "value": "liming", "url": f"{server.url}/sim/wecom"}])
    page = shots.watch(ctx.new_page())
    page.goto("/console")
    expect(page.get_by_role("heading", name="您好，李明")).to_be_visible()
    expect(page.get_by_text("村党组织书记、党员 · 李家村")).to_be_visible()
    assert urlsplit(page.url).path == "/console"  # the browser keeps #wechat_redirect across the redirects
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    shots.take(page, "console-home-phone")
    ctx.close()


def test_the_simulators_button_opens_the_console_for_the_chosen_person(chromium: Browser, server, shots: Shots) -> None:
    ctx = context(chromium, "pc", server.url)
    sim = shots.watch(ctx.new_page())
    sim.goto("/sim")
    expect(sim.get_by_role("button", name="打开工作台")).to_be_disabled()
    sim.locator('.person[data-wecom="sunlihua"]').click()
    with ctx.expect_page() as opened:
        sim.get_by_role("button", name="打开工作台").click()
    console = shots.watch(opened.value)
    expect(console.get_by_role("heading", name="您好，孙丽华")).to_be_visible()
    expect(console.locator("header .who")).to_have_text("孙丽华 · 石桥镇")  # the area they manage, on every page
    ctx.close()


def test_on_a_pc_one_scans_in_and_signs_out(chromium: Browser, server, shots: Shots) -> None:
    ctx = context(chromium, "pc", server.url)
    page = shots.watch(ctx.new_page())
    page.goto("/console")
    expect(page.get_by_role("heading", name="登录工作台")).to_be_visible()
    shots.take(page, "console-signin-pc")
    page.get_by_role("link", name="企业微信扫码登录").click()
    page.get_by_role("link", name="zhaomin").click()  # the simulated scan: 赵敏's phone
    expect(page.get_by_role("heading", name="您好，赵敏")).to_be_visible()
    shots.take(page, "console-home-pc")
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", name="登录工作台")).to_be_visible()
    page.goto("/console")
    expect(page.get_by_role("heading", name="登录工作台")).to_be_visible()  # signed out for good
    ctx.close()


def test_inside_dingtalk_the_micro_app_signs_in_without_a_click(chromium: Browser, server, shots: Shots) -> None:
    ctx = context(chromium, "phone", server.url, user_agent=DINGTALK_WEBVIEW)
    # the member the simulated DingTalk app is signed in as; its JSAPI stand-in hands the page their 免登 code
    ctx.add_cookies([{"name": "sim_dingtalk_user", "value": "dt_sunlihua", "url": f"{server.url}/sim/dingtalk"}])
    page = shots.watch(ctx.new_page())
    page.goto("/console")
    expect(page.get_by_role("heading", name="您好，孙丽华")).to_be_visible()
    assert urlsplit(page.url).path == "/console"
    shots.take(page, "console-home-dingtalk-phone")
    ctx.close()


def test_inside_dingtalk_without_its_jsapi_the_page_offers_another_way(chromium: Browser, server, shots: Shots) -> None:
    ctx = context(chromium, "phone", server.url, user_agent=DINGTALK_WEBVIEW)
    ctx.route(
        "**/sim/dingtalk/jsapi.js", lambda route: route.fulfill(status=200, body="", content_type="text/javascript")
    )
    page = shots.watch(ctx.new_page())
    page.goto("/console")
    expect(page.get_by_role("status")).to_have_text("没能连接钉钉，请用下面的方式登录。")
    expect(page.get_by_role("link", name="钉钉账号登录")).to_be_visible()
    ctx.close()


def test_the_chats_one_time_link_opens_the_console_once(chromium: Browser, server, chat, shots: Shots) -> None:
    chat.as_("liming").says("工作台")
    (card,) = [e["textcard"] for e in chat.new() if e.get("msgtype") == "textcard"]
    link = urlsplit(card["url"]).path
    ctx = context(chromium, "phone", server.url)  # any browser: the link is the way in
    page = shots.watch(ctx.new_page())
    page.goto(link)
    expect(page.get_by_role("heading", name="登录工作台")).to_be_visible()
    shots.take(page, "console-link-phone")
    page.get_by_role("button", name="进入工作台").click()
    expect(page.get_by_role("heading", name="您好，李明")).to_be_visible()

    forwarded = browser_page(chromium, server, shots)  # a copy sent on to someone else opens nothing
    answer = forwarded.goto(link)
    assert answer is not None and answer.status == 410
    expect(forwarded.get_by_text("这个登录链接已经用过了。", exact=False)).to_be_visible()
    shots.errors.clear()  # the 410 is the point here
    forwarded.context.close()
    ctx.close()


def browser_page(chromium: Browser, server, shots: Shots) -> Page:
    return shots.watch(context(chromium, "pc", server.url).new_page())


def test_on_a_pc_one_signs_in_with_dingtalk(chromium: Browser, server, shots: Shots) -> None:
    ctx = context(chromium, "pc", server.url)
    page = shots.watch(ctx.new_page())
    page.goto("/console/tasks")  # a page asked for first: it is where the sign-in ends
    page.get_by_role("link", name="钉钉扫码登录").click()
    page.get_by_role("link", name="dt_sunlihua").click()  # the simulated scan in DingTalk
    expect(page.get_by_role("heading", name="任务")).to_be_visible()
    expect(page.locator("header .who")).to_have_text("孙丽华 · 石桥镇")
    assert urlsplit(page.url).path == "/console/tasks"
    ctx.close()
