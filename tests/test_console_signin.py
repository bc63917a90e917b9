"""Signing in to the 工作台 (bot/console/routes.py) over HTTP, through the fake WeCom's own OAuth pages: silently
inside the WeCom app, by a scan on a PC, by the chat's one-time link — and the ways in that must stay shut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import time_machine
from sqlalchemy import select, update

from bot.store import logins
from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Person

WECOM_APP = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 wxwork/4.1.30 MicroMessenger/7.0.1"
LINK_MADE = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: the clock the link tests run on
PC = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


@pytest.fixture
def browser(server):
    with httpx.Client(base_url=server.url, timeout=10, headers={"User-Agent": PC}) as client:
        yield client


def person_id(server, userid: str) -> int:
    with session_scope(get_engine(server.settings.database_url)) as s:
        found = s.scalar(select(Person.id).where(Person.wecom_userid == userid))
        assert found is not None
        return found


def audit(server, action: str) -> list[AuditLog]:
    with session_scope(get_engine(server.settings.database_url)) as s:
        rows = list(s.scalars(select(AuditLog).where(AuditLog.action == action)))
        s.expunge_all()
        return rows


def sign_in_in_app(browser: httpx.Client, user: str) -> httpx.Response:
    browser.cookies.set("sim_wecom_user", user, path="/sim/wecom")
    return browser.get("/console", headers={"User-Agent": WECOM_APP}, follow_redirects=True)


def test_inside_the_wecom_app_the_console_opens_signed_in(server, browser) -> None:
    page = sign_in_in_app(browser, "liming")
    assert page.status_code == 200
    assert "您好，李明" in page.text and "村党组织书记" in page.text and "李家村" in page.text
    hops = [str(r.url.path) for r in page.history]
    assert hops == ["/console", "/sim/wecom/connect/oauth2/authorize", "/console/auth/wecom"]
    cookie = next(r for r in page.history if "cadrebot_console=" in r.headers.get("set-cookie", ""))
    set_cookie = cookie.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/console" in set_cookie
    assert [a.detail for a in audit(server, "console.sign_in")] == [{"via": "wecom"}]


def test_the_silent_sign_in_asks_wecom_for_the_apps_own_identity(server, browser) -> None:
    first = browser.get("/console", headers={"User-Agent": WECOM_APP})
    assert first.status_code == 302
    target = urlsplit(first.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert target.path == "/sim/wecom/connect/oauth2/authorize" and target.fragment == "wechat_redirect"
    assert query["appid"] == server.settings.wecom_corp_id and query["scope"] == "snsapi_base"
    assert query["agentid"] == str(server.settings.wecom_agent_id)
    assert query["redirect_uri"] == f"{server.url}/console/auth/wecom"
    assert query["state"] == first.cookies["cadrebot_console_state"]


def test_a_pc_browser_signs_in_by_scanning(server, browser) -> None:
    start = browser.get("/console", follow_redirects=True)
    assert start.url.path == "/console/signin" and "企业微信扫码登录" in start.text
    scan_page = browser.get("/console/signin/wecom", follow_redirects=True)
    assert scan_page.url.path == "/sim/wecom/wwlogin/sso/login" and "sunlihua" in scan_page.text
    home = browser.get(str(scan_page.url) + "&sim_user=sunlihua", follow_redirects=True)
    assert home.url.path == "/console" and "您好，孙丽华" in home.text and "石桥镇" in home.text


def test_a_page_asked_for_before_signing_in_is_the_page_after_it(server, browser) -> None:
    browser.cookies.set("sim_wecom_user", "liming", path="/sim/wecom")
    page = browser.get("/console/ledgers?month=2026-03", headers={"User-Agent": WECOM_APP}, follow_redirects=True)
    assert page.url.path == "/console/ledgers" and page.url.params["month"] == "2026-03"
    assert "台账" in page.text and "李明" in page.text
    assert [str(r.url.path) for r in page.history][:2] == ["/console/ledgers", "/console"]
    assert "cadrebot_console_next" not in browser.cookies  # used once, then gone

    scanned = browser.get("/console/feedback", follow_redirects=True)  # signed in now: straight there
    assert scanned.url.path == "/console/feedback" and not scanned.history


def test_a_pc_sign_in_returns_to_the_page_too(server, browser) -> None:
    start = browser.get("/console/tasks?status=late", follow_redirects=True)
    assert start.url.path == "/console/signin"
    scan_page = browser.get("/console/signin/wecom", follow_redirects=True)
    home = browser.get(str(scan_page.url) + "&sim_user=sunlihua", follow_redirects=True)
    assert home.url.path == "/console/tasks" and home.url.params["status"] == "late"


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/console/", "/sim", "/console/../sim"])
def test_only_a_page_of_the_console_is_returned_to(server, browser, target) -> None:
    browser.cookies.set("sim_wecom_user", "liming", path="/sim/wecom")
    page = browser.get("/console", params={"next": target}, headers={"User-Agent": WECOM_APP}, follow_redirects=True)
    assert page.url.host == "127.0.0.1" and page.url.path == "/console" and "您好，李明" in page.text


def test_a_code_works_once_and_only_for_the_sign_in_that_asked_for_it(server, browser) -> None:
    browser.cookies.set("sim_wecom_user", "liming", path="/sim/wecom")
    to_wecom = browser.get("/console", headers={"User-Agent": WECOM_APP})
    back = browser.get(to_wecom.headers["location"].split("#")[0])
    callback = back.headers["location"]
    assert browser.get(callback).status_code == 303  # signed in

    browser.cookies.set("cadrebot_console_state", parse_qs(urlsplit(callback).query)["state"][0], path="/console")
    again = browser.get(callback)  # the same code a second time
    assert again.status_code == 403 and "无法确认您的身份" in again.text

    with httpx.Client(base_url=server.url) as stranger:  # somebody else's redirect, without its state cookie
        forged = stranger.get(callback)
    assert forged.status_code == 400 and "登录已失效" in forged.text


def test_nobody_outside_the_roster_gets_in(server, browser) -> None:
    with session_scope(get_engine(server.settings.database_url)) as s:
        s.execute(update(Person).where(Person.wecom_userid == "zhangwei").values(active=False))
    page = sign_in_in_app(browser, "zhangwei")
    assert page.status_code == 403 and "无法确认您的身份" in page.text
    assert "cadrebot_console" not in browser.cookies


def test_deactivating_a_person_closes_their_session_at_once(server, browser) -> None:
    assert "您好，李明" in sign_in_in_app(browser, "liming").text
    with session_scope(get_engine(server.settings.database_url)) as s:
        s.execute(update(Person).where(Person.wecom_userid == "liming").values(active=False))
    after = browser.get("/console")
    assert after.status_code == 303 and after.headers["location"] == "/console/signin"


def test_a_tampered_cookie_opens_nothing(server, browser) -> None:
    sign_in_in_app(browser, "liming")
    token, mac = browser.cookies["cadrebot_console"].rsplit(".", 1)
    browser.cookies.clear()
    browser.cookies.set("cadrebot_console", f"{token}.{mac[::-1]}", path="/console")
    assert browser.get("/console").status_code == 303


def test_the_one_time_link_signs_in_once(server, browser) -> None:
    with time_machine.travel(LINK_MADE, tick=True):
        with session_scope(get_engine(server.settings.database_url)) as s:
            token = logins.make_link(s, person_id(server, "zhoujianguo"), LINK_MADE)
        confirm = browser.get(f"/console/link/{token}")
        assert confirm.status_code == 200 and "进入工作台" in confirm.text  # a preview fetching it uses nothing up
        home = browser.post(f"/console/link/{token}", follow_redirects=True)
        assert home.url.path == "/console" and "您好，周建国" in home.text
        with httpx.Client(base_url=server.url) as other:
            used = other.post(f"/console/link/{token}")
            assert used.status_code == 410 and "已经用过" in used.text
            assert other.get(f"/console/link/{token}").status_code == 410
            assert other.get("/console/link/not-a-token").status_code == 404
    assert [a.detail for a in audit(server, "console.sign_in")] == [{"via": "link"}]


def test_a_link_lasts_minutes(server, browser) -> None:
    with session_scope(get_engine(server.settings.database_url)) as s:
        token = logins.make_link(s, person_id(server, "zhoujianguo"), LINK_MADE)
    with time_machine.travel(LINK_MADE + timedelta(minutes=logins.LINK_MINUTES, seconds=1), tick=True):
        late = browser.post(f"/console/link/{token}")
    assert late.status_code == 410 and "已过期" in late.text and "工作台" in late.text
    assert "cadrebot_console" not in browser.cookies


def test_signing_out_needs_the_pages_csrf_token_and_ends_the_session(server, browser) -> None:
    home = sign_in_in_app(browser, "liming")
    csrf = home.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    refused = browser.post("/console/signout", data={"csrf": "guessed"})
    assert refused.status_code == 403 and "您好" in browser.get("/console").text  # still signed in
    cookie = browser.cookies["cadrebot_console"]
    out = browser.post("/console/signout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/console/signin"
    with httpx.Client(base_url=server.url, cookies={"cadrebot_console": cookie}) as replay:
        assert replay.get("/console").status_code == 303  # the old cookie is dead, not just deleted
    assert len(audit(server, "console.sign_out")) == 1


def test_every_page_carries_a_content_security_policy_and_no_referrer(server, browser) -> None:
    for path in ("/console/signin", "/console/link/unknown"):
        answer = browser.get(path)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["referrer-policy"] == "no-referrer" and answer.headers["cache-control"] == "no-store"


def test_a_redirect_outside_the_trusted_domain_is_refused_by_wecom(server, browser) -> None:
    corp, agent = server.settings.wecom_corp_id, server.settings.wecom_agent_id
    evil = browser.get(
        "/sim/wecom/connect/oauth2/authorize",
        params={
            "appid": corp,
            "redirect_uri": "https://evil.example/steal",
            "response_type": "code",
            "scope": "snsapi_base",
            "state": "x",
            "agentid": agent,
            "sim_user": "liming",
        },
    )
    assert evil.status_code == 400 and "可信域名" in evil.text


# -- from the chat -------------------------------------------------------------------------------------------


def test_a_secretary_asks_the_chat_for_the_console_and_opens_it_once(chat, server, browser) -> None:
    chat.as_("liming").says("工作台")
    (notice,) = [e for e in chat.new() if e.get("msgtype") == "textcard"]
    card = notice["textcard"]
    assert card["title"] == "工作台登录" and "10分钟内有效" in card["description"] and card["btntxt"] == "进入"
    link = urlsplit(card["url"])
    assert link.path.startswith("/console/link/")
    home = browser.post(link.path, follow_redirects=True)
    assert "您好，李明" in home.text
    assert browser.post(link.path).status_code == 410  # a forwarded copy opens nothing

    chat.says("登录后台")  # another link, for another device
    (second,) = [e for e in chat.new() if e.get("msgtype") == "textcard"]
    assert second["textcard"]["url"] != card["url"]


def test_a_grid_member_is_told_what_the_console_is_for(chat) -> None:
    chat.as_("wangxh").says("工作台链接发我一下")
    reply = chat.expect_text(contains="工作台供督导")
    assert "本周巡查情况" in reply


def test_a_ledger_is_not_the_console(chat) -> None:
    chat.as_("sunlihua").says("导出本月巡查台账")
    assert not [e for e in chat.new() if e.get("msgtype") == "textcard" and "工作台" in e["textcard"]["title"]]


def test_the_simulators_button_opens_the_console_as_the_chosen_person(server, browser) -> None:
    home = browser.get("/sim/wecom/open-console", params={"user": "zhaomin"}, follow_redirects=True)
    assert home.url.path == "/console" and "您好，赵敏" in home.text and "管理员" in home.text
    assert "打开工作台" in browser.get("/sim").text


def test_a_pc_browser_signs_in_with_dingtalk(server, browser) -> None:
    start = browser.get("/console/signin")
    assert "钉钉扫码登录" in start.text
    chooser = browser.get("/console/signin/dingtalk", follow_redirects=True)
    assert chooser.url.path == "/sim/dingtalk/oauth2/auth" and "dt_liming" in chooser.text
    query = dict(chooser.url.params)
    assert query["client_id"] == server.settings.dingtalk_client_id and query["scope"] == "openid"
    home = browser.get(str(chooser.url) + "&sim_user=dt_liming", follow_redirects=True)
    assert home.url.path == "/console" and "您好，李明" in home.text
    assert [a.detail for a in audit(server, "console.sign_in")] == [{"via": "dingtalk"}]


def test_dingtalk_takes_an_auth_code_once(server, browser) -> None:
    browser.cookies.set("sim_dingtalk_user", "dt_liming", path="/sim/dingtalk")
    to_dingtalk = browser.get("/console/signin/dingtalk")
    callback = browser.get(to_dingtalk.headers["location"]).headers["location"]
    assert "authCode=" in callback and browser.get(callback).status_code == 303
    browser.cookies.set("cadrebot_console_state", parse_qs(urlsplit(callback).query)["state"][0], path="/console")
    again = browser.get(callback)
    assert again.status_code == 403 and "钉钉没有确认这次登录" in again.text


DINGTALK_APP = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 AliApp(DingTalk/7.6.10) DingTalk/7.6.10"


def app_code(browser: httpx.Client, corp: str, client: str) -> httpx.Response:
    """What the DingTalk app's JSAPI does for requestAuthCode (the simulator's stand-in for the native bridge)."""
    return browser.get("/sim/dingtalk/h5/authcode", params={"corpId": corp, "clientId": client})


def test_inside_dingtalk_the_page_asks_the_app_for_a_code(server, browser) -> None:
    page = browser.get("/console", headers={"User-Agent": DINGTALK_APP})
    assert page.status_code == 200 and "正在通过钉钉确认您的身份" in page.text
    state = page.cookies["cadrebot_console_state"]
    settings = server.settings
    assert f'data-corp-id="{settings.dingtalk_corp_id}"' in page.text and f'data-state="{state}"' in page.text
    assert f'data-client-id="{settings.dingtalk_client_id}"' in page.text
    assert '<script src="/sim/dingtalk/jsapi.js"></script>' in page.text  # the app's JSAPI, then ours
    assert '<script src="/console/static/dingtalk-signin.js"></script>' in page.text
    browser.cookies.set("sim_dingtalk_user", "dt_liming", path="/sim/dingtalk")
    code = app_code(browser, str(settings.dingtalk_corp_id), str(settings.dingtalk_client_id)).json()["code"]
    home = browser.get(
        "/console/auth/dingtalk", params={"app": "1", "code": code, "state": state}, follow_redirects=True
    )
    assert home.url.path == "/console" and "您好，李明" in home.text
    assert [a.detail for a in audit(server, "console.sign_in")] == [{"via": "dingtalk"}]


def test_a_dingtalk_app_code_works_once_and_is_not_a_web_login_code(server, browser) -> None:
    settings = server.settings
    state = browser.get("/console", headers={"User-Agent": DINGTALK_APP}).cookies["cadrebot_console_state"]
    browser.cookies.set("sim_dingtalk_user", "dt_liming", path="/sim/dingtalk")
    code = app_code(browser, str(settings.dingtalk_corp_id), str(settings.dingtalk_client_id)).json()["code"]
    # the same code handed over as a web login's authCode: DingTalk does not take it there
    wrong_way = browser.get("/console/auth/dingtalk", params={"authCode": code, "state": state})
    assert wrong_way.status_code == 403
    first = browser.get("/console/auth/dingtalk", params={"app": "1", "code": code, "state": state})
    assert first.status_code == 303 and first.headers["location"] == "/console"
    browser.cookies.set("cadrebot_console_state", state, path="/console")
    again = browser.get("/console/auth/dingtalk", params={"app": "1", "code": code, "state": state})
    assert again.status_code == 403 and "钉钉没有确认这次登录" in again.text
    fresh = app_code(browser, str(settings.dingtalk_corp_id), str(settings.dingtalk_client_id)).json()["code"]
    forged_state = browser.get("/console/auth/dingtalk", params={"app": "1", "code": fresh, "state": "x" * 22})
    assert forged_state.status_code == 400 and "登录已失效" in forged_state.text


def test_the_app_gives_no_code_for_another_corp(server, browser) -> None:
    browser.cookies.set("sim_dingtalk_user", "dt_liming", path="/sim/dingtalk")
    assert app_code(browser, "dingothercorp", str(server.settings.dingtalk_client_id)).status_code == 400


def test_a_platform_that_is_not_there_offers_no_sign_in(server, browser) -> None:
    assert browser.get("/console/signin/feishu").status_code == 404


def test_the_domain_proof_wecom_asks_for_is_served_from_the_root(make_settings, redis) -> None:
    from fastapi.testclient import TestClient

    from bot.app import create_app
    from bot.config import SettingsError

    settings = make_settings(WECOM_VERIFY_FILE="WW_verify_Ab12Cd34.txt", WECOM_VERIFY_TEXT="Ab12Cd34ef56")
    with TestClient(create_app(settings)) as client:
        proof = client.get("/WW_verify_Ab12Cd34.txt")
        assert proof.status_code == 200 and proof.text == "Ab12Cd34ef56"
        assert client.get("/WW_verify_other.txt").status_code == 404
    with pytest.raises(SettingsError, match="CADREBOT_WECOM_VERIFY_FILE"):
        make_settings(WECOM_VERIFY_FILE="../../etc/passwd")
