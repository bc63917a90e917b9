"""The 工作台's 名册 (bot/console/views/roster.py) over HTTP: each viewer sees their own area's people and nobody
else's, mobiles masked for all but administrators, big orgs a page at a time; administrators change roles,
deactivate (which ends the person's 工作台 at once) and import a roster file — checked row by row, previewed,
imported only on 确认导入 and only the file that was previewed."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator

import pytest
from openpyxl import Workbook
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from bot.console.held_upload import HOLD_SECONDS
from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, ConsoleSession, Org, Person, PersonRole

HEADER = "姓名,企业微信账号,钉钉账号,手机,角色,组织\n"
FULL_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
CSV = "text/csv"


# -- helpers -------------------------------------------------------------------------------------------


def db(server):
    return session_scope(get_engine(server.settings.database_url))


def org_id(server, path: str) -> int:
    with db(server) as s:
        found = s.scalar(select(Org.id).where(Org.path == path))
        assert found is not None, path
        return found


def person(server, userid: str) -> Person:
    with db(server) as s:
        found = s.scalar(select(Person).where(Person.wecom_userid == userid).options(joinedload(Person.org)))
        assert found is not None, userid
        s.expunge_all()
        return found


def person_or_none(server, userid: str) -> int | None:
    with db(server) as s:
        return s.scalar(select(Person.id).where(Person.wecom_userid == userid))


def people_count(server) -> int:
    with db(server) as s:
        return s.scalar(select(func.count()).select_from(Person)) or 0


def audit(server, action: str) -> list[AuditLog]:
    with db(server) as s:
        rows = list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))
        s.expunge_all()
        return rows


def names_listed(html: str) -> list[str]:
    """The people a roster page lists, in its order (the links to their pages)."""
    return re.findall(r'<a href="/console/roster/person/\d+">([^<]+)</a>', html)


def csv_file(body: str, name: str = "roster.csv") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, (HEADER + body).encode(), CSV)}


def upload(client, files, csrf: bool = True):
    data = {"csrf": client.csrf} if csrf else {}
    return client.post("/console/roster/upload", data=data, files=files)


def token_of(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, "the preview carries no token"
    return found.group(1)


def held_keys(redis: Redis) -> list[bytes]:
    return list(redis.scan_iter("cadrebot:console:upload:roster:*"))


@pytest.fixture
def admin(console_as) -> Iterator[object]:
    yield console_as("zhaomin")


# -- who sees whom ---------------------------------------------------------------------------------------


def test_a_village_secretary_sees_only_his_villages_people(server, console_as) -> None:
    liming = console_as("liming")
    page = liming.get("/console/roster")
    assert page.status_code == 200
    listed = names_listed(page.text)
    assert listed[:3] == ["李明", "李秀英", "张伟"]  # roster order
    assert {"刘芳", "王小红", "陈刚", "郭亮"} <= set(listed)
    assert not {"王德福", "柳长青", "孙丽华", "赵敏"} & set(listed)
    assert "王家湾村" not in page.text and "县委组织部" not in page.text  # nor in the tree

    # another village's org or person answers as if it did not exist
    assert liming.get(f"/console/roster?org={org_id(server, '清河县/石桥镇/王家湾村')}").status_code == 404
    other = liming.get(f"/console/roster/person/{person(server, 'wangdefu').id}")
    assert other.status_code == 404 and "不在您管理的范围内" in other.text
    assert liming.get("/console/roster?org=999999").status_code == 404
    assert liming.get("/console/roster/person/nonsense").status_code == 404

    # a search stays inside the area: 王小红 of 李家村, not 王德福 of 王家湾村
    assert names_listed(liming.get("/console/roster", params={"q": "王"}).text) == ["王小红"]


def test_a_township_supervisor_sees_her_township(server, console_as) -> None:
    sunlihua = console_as("sunlihua")
    listed = names_listed(sunlihua.get("/console/roster").text)
    assert {"孙丽华", "李明", "王德福", "柳长青", "郭亮"} <= set(listed)
    assert not {"赵敏", "钱卫东"} & set(listed)
    village = sunlihua.get(f"/console/roster?org={org_id(server, '清河县/石桥镇/柳树村')}")
    assert set(names_listed(village.text)) == {"柳长青", "马红梅", "胡军", "何静", "林涛", "高峰", "柳青"}
    assert sunlihua.get(f"/console/roster?org={org_id(server, '清河县/县委组织部')}").status_code == 404
    assert sunlihua.get(f"/console/roster/person/{person(server, 'zhaomin').id}").status_code == 404
    assert "导入名册" not in sunlihua.get("/console/roster").text  # reading only


def test_an_administrator_sees_everyone_with_full_mobiles(server, admin) -> None:
    page = admin.get("/console/roster")
    listed = names_listed(page.text)
    assert len(listed) == people_count(server) and {"赵敏", "钱卫东", "柳长青"} <= set(listed)
    assert "13900001101" in page.text  # 李明's, in full
    assert "导入名册" in page.text


def test_a_grid_member_has_no_roster(console_as) -> None:
    zhangwei = console_as("zhangwei")
    page = zhangwei.get("/console/roster")
    assert page.status_code == 403 and "没有权限" in page.text


def test_nobody_but_an_administrator_sees_a_full_mobile(server, console_as) -> None:
    for user in ("liming", "sunlihua", "qianweidong", "wangxiumei"):
        client = console_as(user)
        pages = [
            client.get("/console/roster"),
            client.get("/console/roster", params={"q": "王"}),
            client.get("/console/roster", params={"state": "active", "page": "1"}),
            client.get(f"/console/roster/person/{person(server, user).id}"),  # their own page too
        ]
        for page in pages:
            assert page.status_code == 200
            assert not FULL_MOBILE.search(page.text), (user, page.url, FULL_MOBILE.findall(page.text))
    zhangwei = console_as("liming").get(f"/console/roster/person/{person(server, 'zhangwei').id}")
    assert "139****1103" in zhangwei.text and "13900001103" not in zhangwei.text


def test_the_tree_shows_each_orgs_people_on_demand(server, console_as) -> None:
    liming = console_as("liming")
    page = liming.get("/console/roster")
    grid = org_id(server, "清河县/石桥镇/李家村/3组")
    assert "<details open>" in page.text and f'href="/console/roster?org={grid}#people"' in page.text
    assert f'hx-get="/console/roster?org={grid}"' in page.text and 'hx-target="#people"' in page.text
    # htmx asks for the people panel alone; the same address without htmx is the whole page
    panel = liming.get(f"/console/roster?org={grid}", headers={"HX-Request": "true", "HX-Target": "people"})
    assert panel.text.lstrip().startswith('<section class="card roster-people" id="people"')
    assert names_listed(panel.text) == ["王小红"] and "<html" not in panel.text
    whole = liming.get(f"/console/roster?org={grid}")
    assert "<html" in whole.text and names_listed(whole.text) == ["王小红"]
    assert 'aria-current="true">3组</a>' in whole.text


def test_a_big_org_is_shown_a_page_at_a_time(server, console_as) -> None:
    village = org_id(server, "清河县/石桥镇/李家村")
    with db(server) as s:
        for i in range(1, 131):
            s.add(
                Person(
                    name=f"村民{i:03d}",
                    wecom_userid=f"cunmin{i:03d}",
                    org_id=village,
                    active=True,
                    role_rows=[PersonRole(role="party_member")],
                )
            )
    liming = console_as("liming")
    first = liming.get("/console/roster", params={"org": village})
    assert "共140人" in first.text and "第1/3页" in first.text
    assert len(names_listed(first.text)) == 50
    third = liming.get("/console/roster", params={"org": village, "page": "3"})
    listed = names_listed(third.text)
    assert len(listed) == 40 and listed[-1] == "村民130"
    beyond = liming.get("/console/roster", params={"org": village, "page": "99"})
    assert names_listed(beyond.text) == listed  # the last page, not an empty one
    found = liming.get("/console/roster", params={"q": "村民12"})
    assert names_listed(found.text) == [f"村民{i}" for i in range(120, 130)]


def test_the_status_filter_and_a_deactivated_person_are_shown_as_such(server, admin) -> None:
    zhangwei = person(server, "zhangwei")
    admin.post_form(f"/console/roster/person/{zhangwei.id}/active", {"active": "0"})
    off = admin.get("/console/roster", params={"state": "off"})
    assert names_listed(off.text) == ["张伟"] and "已停用" in off.text
    assert "张伟" not in names_listed(admin.get("/console/roster", params={"state": "active"}).text)


# -- changing a person ---------------------------------------------------------------------------------


def test_an_administrator_changes_a_persons_roles(server, admin) -> None:
    zhangwei = person(server, "zhangwei")
    page = admin.get(f"/console/roster/person/{zhangwei.id}")
    assert 'value="grid_member" checked' in page.text and "13900001103" in page.text
    done = admin.post_form(f"/console/roster/person/{zhangwei.id}/roles", {"role": ["grid_leader", "grid_member"]})
    assert done.status_code == 303 and done.headers["location"].endswith("?saved=roles")
    after = admin.get(done.headers["location"])
    assert "角色已更新" in after.text and "网格长、网格员" in after.text
    assert sorted(person(server, "zhangwei").roles) == ["grid_leader", "grid_member"]
    (row,) = audit(server, "console.roster_roles")
    assert row.actor == "赵敏" and row.target == f"person:{zhangwei.id}"
    assert row.detail["before"] == ["grid_member"] and row.detail["after"] == ["grid_leader", "grid_member"]

    # a 党员 added is a 正式 member; taken away, the standing goes with it
    admin.post_form(f"/console/roster/person/{zhangwei.id}/roles", {"role": ["grid_member", "party_member"]})
    assert person(server, "zhangwei").party_status == "正式"
    admin.post_form(f"/console/roster/person/{zhangwei.id}/roles", {"role": ["grid_member"]})
    assert person(server, "zhangwei").party_status is None


def test_a_roles_change_is_refused_with_a_reason(server, admin) -> None:
    zhangwei, zhaomin = person(server, "zhangwei"), person(server, "zhaomin")
    none = admin.post_form(f"/console/roster/person/{zhangwei.id}/roles", {})
    assert none.status_code == 400 and "请至少选择一个角色" in none.text
    odd = admin.post_form(f"/console/roster/person/{zhangwei.id}/roles", {"role": ["emperor"]})
    assert odd.status_code == 400 and "无法识别" in odd.text
    own = admin.post_form(f"/console/roster/person/{zhaomin.id}/roles", {"role": ["supervisor"]})
    assert own.status_code == 400 and "不能取消您自己的管理员角色" in own.text
    assert person(server, "zhangwei").roles == ["grid_member"]
    assert sorted(person(server, "zhaomin").roles) == ["admin", "supervisor"]
    assert audit(server, "console.roster_roles") == []


def test_only_an_administrator_changes_the_roster(server, console_as) -> None:
    zhangwei = person(server, "zhangwei")
    for user in ("liming", "sunlihua"):
        client = console_as(user)
        page = client.get(f"/console/roster/person/{zhangwei.id}")
        assert page.status_code == 200 and "保存角色" not in page.text and "停用此人" not in page.text
        roles = client.post_form(f"/console/roster/person/{zhangwei.id}/roles", {"role": ["admin"]})
        assert roles.status_code == 403
        assert client.post_form(f"/console/roster/person/{zhangwei.id}/active", {"active": "0"}).status_code == 403
        assert client.get("/console/roster/upload").status_code == 403
        assert upload(client, csv_file("新人,xinren,,,党员,清河县/石桥镇/李家村\n")).status_code == 403
    assert person(server, "zhangwei").roles == ["grid_member"] and person(server, "zhangwei").active


def test_a_deactivated_person_loses_the_console_at_once(server, admin, console_as) -> None:
    liming = console_as("liming")
    assert liming.get("/console/roster").status_code == 200
    done = admin.post_form(f"/console/roster/person/{person(server, 'liming').id}/active", {"active": "0"})
    assert done.status_code == 303 and "已停用" in admin.get(done.headers["location"]).text

    nxt = liming.get("/console/roster")  # his very next request
    assert (
        nxt.status_code == 303 and nxt.headers["location"] == "/console?next=%2Fconsole%2Froster"
    )  # signed in again, back here
    again = liming.get("/console", follow_redirects=True)  # the app's silent sign-in: refused
    assert again.status_code == 403 and "不在本系统名册中或已停用" in again.text
    assert liming.post_form("/console/roster/upload/cancel").status_code == 401
    (row,) = audit(server, "console.roster_deactivate")
    assert row.detail["name"] == "李明"

    # reactivated: he may sign in afresh, but the old session stays closed
    admin.post_form(f"/console/roster/person/{person(server, 'liming').id}/active", {"active": "1"})
    assert len(audit(server, "console.roster_reactivate")) == 1
    assert liming.get("/console/roster").status_code == 303  # the same cookie
    with db(server) as s:
        sessions = s.scalars(select(ConsoleSession).where(ConsoleSession.person_id == person(server, "liming").id))
        assert all(x.revoked_at is not None for x in sessions)
    assert names_listed(console_as("liming").get("/console/roster").text)[0] == "李明"


def test_an_administrator_cannot_deactivate_himself(server, admin) -> None:
    page = admin.post_form(f"/console/roster/person/{person(server, 'zhaomin').id}/active", {"active": "0"})
    assert page.status_code == 400 and "不能停用您自己" in page.text
    assert person(server, "zhaomin").active


def test_a_second_township_is_outside_the_first_ones_area(server, console_as) -> None:
    with db(server) as s:
        county = s.scalar(select(Org).where(Org.path == "清河县"))
        town = Org(name="东关镇", kind="乡镇", path="清河县/东关镇", parent=county)
        s.add(town)
        s.flush()
        role = [PersonRole(role="township_cadre")]
        s.add(Person(name="东关干部", wecom_userid="dongguan", org_id=town.id, active=True, role_rows=role))
    outsider = person(server, "dongguan").id
    sunlihua = console_as("sunlihua")  # 石桥镇
    assert "东关干部" not in names_listed(sunlihua.get("/console/roster").text)
    assert sunlihua.get(f"/console/roster/person/{outsider}").status_code == 404
    assert sunlihua.get(f"/console/roster?org={org_id(server, '清河县/东关镇')}").status_code == 404
    qianweidong = console_as("qianweidong")  # a 督导 of the county's 组织部: the whole county
    assert {"东关干部", "孙丽华"} <= set(names_listed(qianweidong.get("/console/roster").text))
    assert qianweidong.get(f"/console/roster/person/{outsider}").status_code == 200


# -- importing a file ------------------------------------------------------------------------------------


GOOD = (
    "新网格员,xinwangge,dt_xinwangge,13900002001,网格员,清河县/石桥镇/李家村/4组\n"
    '张伟,zhangwei,dt_zhangwei,13900001103,"网格员,党员",清河县/石桥镇/李家村/1组\n'
    '刘芳,liufang,dt_liufang,13900001104,"网格员,党员",清河县/石桥镇/李家村/2组\n'
)


def test_a_file_with_a_bad_row_shows_the_row_and_imports_nothing(server, admin, redis) -> None:
    before = people_count(server)
    bad = (
        GOOD
        + "错号码,cuohaoma,,1390000,网格员,清河县/石桥镇/李家村/1组\n"
        + "没角色,meijuese,,,,清河县/石桥镇/李家村\n"
    )
    page = upload(admin, csv_file(bad))
    assert page.status_code == 200
    assert "没有导入任何数据" in page.text and "文件中有 2 处问题" in page.text
    rows = re.findall(r"<tr><td>(第\d+行)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page.text)
    assert rows == [
        ("第5行", "手机", "手机号应为11位大陆手机号"),
        ("第6行", "角色", rows[1][2]),
    ] and rows[1][2].startswith("至少填写一个角色")
    assert "确认导入" not in page.text and held_keys(redis) == []
    assert people_count(server) == before  # the good rows were not imported either
    (row,) = audit(server, "console.roster_refused")
    assert row.target == "roster.csv" and row.detail["problems"] == 2


def test_a_good_file_is_previewed_then_imported_on_confirm(server, admin, redis) -> None:
    before = people_count(server)
    preview = upload(admin, csv_file(GOOD, "李家村名册.csv"))
    assert preview.status_code == 200 and "尚未导入" in preview.text and "确认导入" in preview.text
    assert re.search(r"<b>1</b><span>新增人员</span>", preview.text)
    assert re.search(r"<b>1</b><span>信息有变化</span>", preview.text)
    assert re.search(r"<b>1</b><span>无变化</span>", preview.text)
    assert "清河县/石桥镇/李家村/4组" in preview.text and "新网格员" in preview.text
    assert "角色：网格员 → 网格员、党员" in preview.text
    assert people_count(server) == before  # nothing yet
    (key,) = held_keys(redis)
    assert 0 < redis.ttl(key) <= HOLD_SECONDS

    done = admin.post_form("/console/roster/upload/confirm", {"token": token_of(preview.text)})
    assert done.status_code == 200 and "名册已导入" in done.text
    assert re.search(r"<b>1</b><span>新增人员</span>", done.text)
    assert people_count(server) == before + 1
    assert sorted(person(server, "zhangwei").roles) == ["grid_member", "party_member"]
    assert person(server, "xinwangge").org.path == "清河县/石桥镇/李家村/4组"
    assert held_keys(redis) == []
    (row,) = audit(server, "console.roster_import")
    assert row.actor == "赵敏" and row.target == "李家村名册.csv"
    assert (row.detail["created"], row.detail["updated"], row.detail["orgs_created"]) == (1, 1, 1)
    assert len(audit(server, "console.roster_preview")) == 1 and len(audit(server, "roster.import")) == 2

    # the token is used up: a second 确认 (a double tap, a refresh) imports nothing more
    again = admin.post_form("/console/roster/upload/confirm", {"token": token_of(preview.text)})
    assert again.status_code == 400 and "已失效" in again.text


def test_an_excel_file_is_previewed_like_a_csv(server, admin) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "企业微信账号", "钉钉账号", "手机", "角色", "组织"])
    sheet.append(["新党员", "xindangyuan", None, 13900002002, "预备党员", "清河县/石桥镇/柳树村/柳树村党支部"])
    data = io.BytesIO()
    book.save(data)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    preview = upload(admin, {"file": ("名册.xlsx", data.getvalue(), xlsx)})
    assert preview.status_code == 200 and "新党员" in preview.text and "13900002002" in preview.text
    admin.post_form("/console/roster/upload/confirm", {"token": token_of(preview.text)})
    assert person(server, "xindangyuan").party_status == "预备"


def test_a_tampered_or_expired_token_imports_nothing(server, admin, console_as, redis) -> None:
    before = people_count(server)
    preview = upload(admin, csv_file(GOOD))
    token = token_of(preview.text)
    for forged in ("", "x" * 32, token[:-1] + ("A" if token[-1] != "A" else "B"), "../" + token, token + "0"):
        refused = admin.post_form("/console/roster/upload/confirm", {"token": forged})
        assert refused.status_code == 400 and "已失效" in refused.text

    # another session — even the same administrator's, on another device — cannot use it
    elsewhere = console_as("zhaomin")
    assert elsewhere.post_form("/console/roster/upload/confirm", {"token": token}).status_code == 400
    assert people_count(server) == before and len(held_keys(redis)) == 1  # still there for its own session

    (key,) = held_keys(redis)
    redis.pexpire(key, 1)  # as if the half hour had passed
    time.sleep(0.05)
    late = admin.post_form("/console/roster/upload/confirm", {"token": token})
    assert late.status_code == 400 and "重新上传" in late.text
    assert people_count(server) == before and audit(server, "console.roster_import") == []


def test_confirm_checks_the_file_again(server, admin) -> None:
    """The roster changed between the preview and 确认: the conflict is shown, nothing imported."""
    preview = upload(admin, csv_file("新人,xinren,dt_xinren,,党员,清河县/石桥镇/李家村\n"))
    with db(server) as s:  # meanwhile, two different people take the two accounts the row names
        village = s.scalar(select(Org.id).where(Org.path == "清河县/石桥镇/李家村"))
        assert village is not None
        s.add(Person(name="甲", wecom_userid="xinren", org_id=village, role_rows=[PersonRole(role="party_member")]))
        s.add(
            Person(name="乙", dingtalk_userid="dt_xinren", org_id=village, role_rows=[PersonRole(role="party_member")])
        )
    before = people_count(server)
    page = admin.post_form("/console/roster/upload/confirm", {"token": token_of(preview.text)})
    assert "没有导入任何数据" in page.text and "分别属于名册中的两个人" in page.text and "第2行" in page.text
    assert people_count(server) == before and audit(server, "console.roster_import") == []


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "不是CSV表格"),
        ("名册.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "旧版Excel"),
        ("名册.txt", HEADER.encode(), "只接受 .csv 或 .xlsx"),
        ("名册.xlsx", HEADER.encode(), "内容不是Excel文件"),
        ("名册.xlsx", b"PK\x03\x04not really a zip", "Excel文件已损坏"),
        ("名册.csv", b"", "文件是空的"),
    ],
)
def test_anything_but_a_csv_or_xlsx_is_refused_in_chinese(server, admin, name, content, said) -> None:
    page = upload(admin, {"file": (name, content, "application/octet-stream")})
    assert page.status_code == 415 and said in page.text and "没有导入任何数据" in page.text


def test_a_zip_that_is_no_workbook_is_refused(server, admin) -> None:
    import zipfile

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("readme.txt", "hello")
    page = upload(admin, {"file": ("名册.xlsx", data.getvalue(), "application/zip")})
    assert page.status_code == 415 and "不是Excel工作簿" in page.text


def test_an_upload_without_a_file_or_over_the_limit_is_refused(server, admin) -> None:
    empty = admin.post_form("/console/roster/upload", {})
    assert empty.status_code == 400 and "请选择要上传的名册文件" in empty.text
    huge = upload(admin, {"file": ("big.csv", HEADER.encode() + b"a" * (5 * 1024 * 1024 + 1), CSV)})
    assert huge.status_code == 413 and "提交的内容过大" in huge.text


def test_every_change_needs_the_pages_csrf_token(server, admin, redis) -> None:
    zhangwei = person(server, "zhangwei")
    assert upload(admin, csv_file(GOOD), csrf=False).status_code == 403
    assert held_keys(redis) == []
    token = token_of(upload(admin, csv_file(GOOD)).text)
    posts = [
        (f"/console/roster/person/{zhangwei.id}/roles", {"role": "admin"}),
        (f"/console/roster/person/{zhangwei.id}/active", {"active": "0"}),
        ("/console/roster/upload/confirm", {"token": token}),
        ("/console/roster/upload/cancel", {"token": token}),
    ]
    for url, data in posts:
        for csrf in ({}, {"csrf": "guessed"}):
            refused = admin.post(url, data={**data, **csrf})
            assert refused.status_code == 403 and "页面已过期" in refused.text, url
    assert person(server, "zhangwei").roles == ["grid_member"] and person(server, "zhangwei").active
    assert len(held_keys(redis)) == 1 and audit(server, "console.roster_import") == []


def test_a_newer_upload_replaces_the_one_held_before(server, admin, redis) -> None:
    first = token_of(upload(admin, csv_file(GOOD)).text)
    second = token_of(upload(admin, csv_file("新人,xinren,,,党员,清河县/石桥镇/李家村\n")).text)
    assert len(held_keys(redis)) == 1
    stale = admin.post_form("/console/roster/upload/confirm", {"token": first})  # the preview in the other tab
    assert stale.status_code == 400 and person_or_none(server, "xinwangge") is None
    assert admin.post_form("/console/roster/upload/confirm", {"token": second}).status_code == 200
    assert person_or_none(server, "xinren") is not None and person_or_none(server, "xinwangge") is None


def test_cancel_forgets_the_file(server, admin, redis) -> None:
    token = token_of(upload(admin, csv_file(GOOD)).text)
    cancelled = admin.post_form("/console/roster/upload/cancel", {"token": token})
    assert cancelled.status_code == 303 and held_keys(redis) == []
    assert admin.post_form("/console/roster/upload/confirm", {"token": token}).status_code == 400


def test_a_county_of_twenty_thousand_is_never_shown_at_once(server, admin) -> None:
    """200 villages of 100 people under a second township: the page lists 50 of them and opens the tree only
    at its top; a village's people come a page at a time."""
    from sqlalchemy import insert

    with db(server) as s:
        county = s.scalar(select(Org).where(Org.path == "清河县"))
        assert county is not None
        town = Org(name="东关镇", kind="乡镇", path="清河县/东关镇", parent=county)
        s.add(town)
        s.flush()
        villages = [Org(name=f"第{v}村", kind="村", path=f"清河县/东关镇/第{v}村", parent=town) for v in range(200)]
        s.add_all(villages)
        s.flush()
        s.execute(
            insert(Person),
            [
                {"name": f"东关{v}-{i}", "wecom_userid": f"dg{v}x{i}", "org_id": village.id, "active": True}
                for v, village in enumerate(villages)
                for i in range(100)
            ],
        )
        last = villages[-1].id
    started = time.monotonic()
    page = admin.get("/console/roster")
    took = time.monotonic() - started
    assert "共20029人" in page.text and "第1/401页" in page.text
    assert len(names_listed(page.text)) == 50
    assert page.text.count("<details open>") == 1  # the county; its townships closed
    assert len(page.content) < 400_000 and took < 5, (len(page.content), took)
    village = admin.get("/console/roster", params={"org": last, "page": "2"})
    assert names_listed(village.text) == [f"东关199-{i}" for i in range(50, 100)]


# -- the store functions behind the page -----------------------------------------------------------------


def test_the_preview_says_what_the_import_then_does(db_url, roster, tmp_path) -> None:
    from bot.store.roster import checked_rows, import_roster, preview_import

    path = tmp_path / "roster.csv"
    path.write_text(HEADER + GOOD + "王小红,wangxh,dt_wangxh,13900001105,网格员,清河县/石桥镇/李家村/3组\n")
    with session_scope(get_engine(db_url)) as s:
        preview = preview_import(s, checked_rows(s, path))
    assert [r.name for r in preview.new] == ["新网格员"]
    assert [(c.name, [f.label for f in c.changes]) for c in preview.changed] == [
        ("张伟", ["角色", "党员状态"]),
        ("王小红", ["角色", "党员状态"]),
    ]
    assert preview.unchanged == 1 and preview.orgs_created == ["清河县/石桥镇/李家村/4组"]
    with session_scope(get_engine(db_url)) as s:
        report = import_roster(s, path)
    assert (report.created, report.updated, report.unchanged, report.orgs_created) == (1, 2, 1, 1)


def test_an_account_given_up_by_one_row_is_free_for_the_next(db_url, tmp_path) -> None:
    """Rows are matched in file order against the roster as the rows before them left it — in batches now, as
    with a query a row before: 甲 keeps his DingTalk account and gives up his WeCom one, which a new 乙 takes."""
    from bot.store.roster import import_roster

    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(HEADER + "甲,jia,dt_jia,,党员,清河县/石桥镇/李家村\n")
    second.write_text(HEADER + "甲,jia2,dt_jia,,党员,清河县/石桥镇/李家村\n乙,jia,,,党员,清河县/石桥镇/李家村\n")
    with session_scope(get_engine(db_url)) as s:
        import_roster(s, first)
    with session_scope(get_engine(db_url)) as s:
        report = import_roster(s, second)
    assert (report.created, report.updated) == (1, 1)
    with session_scope(get_engine(db_url)) as s:
        found = {p.name: (p.wecom_userid, p.dingtalk_userid) for p in s.scalars(select(Person))}
    assert found == {"甲": ("jia2", "dt_jia"), "乙": ("jia", None)}


def test_a_file_longer_than_a_flush_keeps_everyone_it_names(db_url, tmp_path) -> None:
    from bot.store.roster import FLUSH_EVERY, import_roster

    path = tmp_path / "big.csv"
    path.write_text(HEADER + "".join(f"人{i},ren{i},,,党员,清河县/石桥镇/李家村\n" for i in range(FLUSH_EVERY + 7)))
    with session_scope(get_engine(db_url)) as s:
        s.add(Org(name="清河县", kind="县", path="清河县"))
    with session_scope(get_engine(db_url)) as s:
        county = s.scalar(select(Org).where(Org.path == "清河县"))
        s.add(Person(name="旧人", wecom_userid="jiuren", org=county, role_rows=[PersonRole(role="party_member")]))
    with session_scope(get_engine(db_url)) as s:
        report = import_roster(s, path, deactivate_missing=True)
    assert (report.created, report.deactivated) == (FLUSH_EVERY + 7, 1)
    with session_scope(get_engine(db_url)) as s:
        active = s.scalar(select(func.count()).select_from(Person).where(Person.active.is_(True)))
    assert active == FLUSH_EVERY + 7
