"""The 名册 in a real browser: a secretary's village at a phone's width, the tree opening an org's people in
place; an administrator's upload with a bad row shown row by row and nothing imported, then the corrected file
previewed and imported on 确认导入."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import func, select

from bot.store.db import get_engine, session_scope
from bot.store.tables import Person
from browser.helpers import WECOM_WEBVIEW, Shots, context

HEADER = "姓名,企业微信账号,钉钉账号,手机,角色,组织\n"
CORRECT = (
    "新网格员,xinwangge,dt_xinwangge,13900002001,网格员,清河县/石桥镇/李家村/4组\n"
    '张伟,zhangwei,dt_zhangwei,13900001103,"网格员,党员",清河县/石桥镇/李家村/1组\n'
)
BAD = CORRECT + "错号码,cuohaoma,,1390000,网格员,清河县/石桥镇/李家村/1组\n"


def signed_in(chromium: Browser, server, width: str, user: str) -> tuple[BrowserContext, Page]:
    ctx = context(chromium, width, server.url, user_agent=WECOM_WEBVIEW)
    ctx.add_cookies([{"name": "sim_wecom_user", "value": user, "url": f"{server.url}/sim/wecom"}])
    page = ctx.new_page()
    page.goto("/console")  # the app's silent sign-in
    return ctx, page


def people(server) -> int:
    with session_scope(get_engine(server.settings.database_url)) as s:
        return s.scalar(select(func.count()).select_from(Person)) or 0


def fits_a_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


def choose(page: Page, name: str, body: str) -> None:
    page.get_by_label("名册文件").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": (HEADER + body).encode()}
    )
    page.get_by_role("button", name="检查并预览").click()


def test_a_secretary_reads_his_village_on_a_phone(chromium: Browser, server, shots: Shots) -> None:
    ctx, page = signed_in(chromium, server, "phone", "liming")
    shots.watch(page)
    page.goto("/console/roster")
    expect(page.get_by_role("heading", name="名册")).to_be_visible()
    table = page.locator("#people table")
    expect(table.get_by_role("link", name="张伟")).to_be_visible()
    expect(table).to_contain_text("139****1103")
    expect(page.locator("#people")).not_to_contain_text("王德福")
    fits_a_phone(page)
    shots.take(page, "roster-phone")

    page.locator(".tree").get_by_role("link", name="3组").click()  # htmx: the panel alone is fetched
    expect(page.locator("#people h2")).to_have_text("李家村/3组")
    expect(table.get_by_role("link")).to_have_count(1)
    expect(table.get_by_role("link", name="王小红")).to_be_visible()
    assert page.url.endswith("/console/roster?org=" + page.url.rsplit("=", 1)[1])

    table.get_by_role("link", name="王小红").click()
    expect(page.get_by_role("heading", name="王小红")).to_be_visible()
    expect(page.get_by_role("button", name="保存角色")).to_have_count(0)  # reading only
    fits_a_phone(page)
    shots.take(page, "roster-person-phone")
    ctx.close()


def test_an_administrator_sees_the_county_on_a_pc(chromium: Browser, server, shots: Shots) -> None:
    ctx, page = signed_in(chromium, server, "pc", "zhaomin")
    shots.watch(page)
    page.goto("/console/roster")
    expect(page.locator("#people")).to_contain_text("13900001101")  # in full, for an administrator
    expect(page.locator(".tree")).to_contain_text("县委组织部")
    shots.take(page, "roster-pc")

    page.locator("#people table").get_by_role("link", name="张伟").click()
    page.get_by_label("网格长").check()
    page.get_by_role("button", name="保存角色").click()
    expect(page.get_by_role("status")).to_have_text("角色已更新。")
    expect(page.locator("dl.facts")).to_contain_text("网格长、网格员")
    shots.take(page, "roster-person-pc")
    ctx.close()


def test_a_bad_row_is_shown_and_nothing_imported_then_the_corrected_file_imports(
    chromium: Browser, server, shots: Shots
) -> None:
    before = people(server)
    ctx, page = signed_in(chromium, server, "pc", "zhaomin")
    shots.watch(page)
    page.goto("/console/roster")
    page.get_by_role("link", name="导入名册").click()
    choose(page, "李家村名册.csv", BAD)
    problems = page.locator("table.problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("第4行")
    expect(problems.first).to_contain_text("手机")
    expect(problems.first).to_contain_text("手机号应为11位大陆手机号")
    expect(page.get_by_role("alert")).to_contain_text("没有导入任何数据")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    shots.take(page, "roster-upload-errors-pc")
    assert people(server) == before

    choose(page, "李家村名册.csv", CORRECT)  # the form is right there under the problems
    expect(page.get_by_role("heading", name="预览：「李家村名册.csv」")).to_be_visible()
    expect(page.locator(".stat").filter(has_text="新增人员")).to_contain_text("1")
    expect(page.get_by_text("角色：网格员 → 网格员、党员")).to_be_visible()
    expect(page.get_by_text("清河县/石桥镇/李家村/4组").first).to_be_visible()
    shots.take(page, "roster-upload-preview-pc")
    assert people(server) == before  # previewed, not imported

    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("heading", name="名册已导入")).to_be_visible()
    assert people(server) == before + 1
    page.get_by_role("link", name="查看名册").click()
    page.get_by_label("姓名").fill("新网格员")
    page.get_by_role("button", name="查找").click()
    expect(page.locator("#people table").get_by_role("link", name="新网格员")).to_be_visible()
    ctx.close()


def test_the_upload_problems_fit_a_phone(chromium: Browser, server, shots: Shots) -> None:
    before = people(server)
    ctx, page = signed_in(chromium, server, "phone", "zhaomin")
    shots.watch(page)
    page.goto("/console/roster/upload")
    choose(page, "名册.csv", BAD)
    expect(page.locator("table.problems tbody tr").first).to_contain_text("手机号应为11位大陆手机号")
    fits_a_phone(page)
    shots.take(page, "roster-upload-errors-phone")

    choose(page, "名册.csv", CORRECT)
    expect(page.get_by_role("button", name="确认导入")).to_be_visible()
    fits_a_phone(page)
    shots.take(page, "roster-upload-preview-phone")
    page.get_by_role("button", name="取消").click()  # nothing imported
    expect(page.get_by_role("heading", name="导入名册")).to_be_visible()
    assert people(server) == before
    ctx.close()
