"""Roster import: whole file or nothing, row-by-row reasons, re-import updates and never duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.store.db import get_engine, session_scope
from bot.store.roster import DEMO_ROSTER, RosterError, import_roster
from bot.store.tables import AuditLog, Org, Person

HEADER = "姓名,企业微信账号,钉钉账号,手机,角色,组织\n"


def write(tmp_path: Path, body: str, name: str = "roster.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def run_import(db_url: str, path: Path, **kw):
    with session_scope(get_engine(db_url)) as s:
        return import_roster(s, path, **kw)


def count(db_url: str, model) -> int:
    with session_scope(get_engine(db_url)) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_demo_roster_has_every_role_and_level(db_url: str) -> None:
    report = run_import(db_url, DEMO_ROSTER)
    assert report.created == report.rows >= 25 and report.updated == 0
    with session_scope(get_engine(db_url)) as s:
        kinds = set(s.scalars(select(Org.kind)))
        roles = {r for p in s.scalars(select(Person)) for r in p.roles}
        villages = s.scalars(select(Org.name).where(Org.kind == "村")).all()
        wangxh = s.scalar(select(Person).where(Person.wecom_userid == "wangxh"))
        assert wangxh is not None
        assert wangxh.org.path == "清河县/石桥镇/李家村/3组" and wangxh.org.kind == "网格"
        assert wangxh.org.parent is not None and wangxh.org.parent.name == "李家村"
    assert {"县", "乡镇", "村", "网格", "党支部", "党小组"} <= kinds
    assert roles == {
        "grid_member",
        "grid_leader",
        "branch_committee",
        "village_secretary",
        "village_committee",
        "party_member",
        "township_cadre",
        "supervisor",
        "admin",
    }
    assert sorted(villages) == ["李家村", "柳树村", "王家湾村"]
    with session_scope(get_engine(db_url)) as s:
        statuses = {p.name: p.party_status for p in s.scalars(select(Person))}
    assert statuses["陈刚"] == "预备" and statuses["张强"] == "正式" and statuses["张伟"] is None


def test_reimport_changes_nothing_and_duplicates_nothing(db_url: str) -> None:
    first = run_import(db_url, DEMO_ROSTER)
    people, orgs = count(db_url, Person), count(db_url, Org)
    again = run_import(db_url, DEMO_ROSTER)
    assert again.created == 0 and again.updated == 0 and again.unchanged == first.rows
    assert again.orgs_created == 0
    assert (count(db_url, Person), count(db_url, Org)) == (people, orgs)
    assert count(db_url, AuditLog) == 2  # one audit entry per import


def test_reimport_updates_a_moved_person(db_url: str, tmp_path: Path) -> None:
    run_import(db_url, write(tmp_path, "王小红,WangXH,,13900001105,网格员,石桥镇/李家村/3组\n"))
    report = run_import(db_url, write(tmp_path, '王小红,wangxh,,13900001105,"网格员,党员",石桥镇/李家村/2组\n'))
    assert (report.created, report.updated) == (0, 1)
    with session_scope(get_engine(db_url)) as s:
        people = s.scalars(select(Person)).all()
        assert len(people) == 1
        assert people[0].org.path == "石桥镇/李家村/2组"
        assert people[0].roles == ["grid_member", "party_member"]
        assert people[0].wecom_userid == "wangxh"  # WeCom user ids are case-insensitive


def test_bad_rows_are_listed_and_nothing_is_written(db_url: str, tmp_path: Path) -> None:
    body = (
        "张三,zhangsan,,13800001111,网格员,石桥镇/李家村/1组\n"  # row 2: good
        ",lisi,,,网格员,石桥镇/李家村\n"  # row 3: no name
        "王五,wangwu,,12345,网格员,石桥镇/李家村\n"  # row 4: bad mobile
        "赵六,zhaoliu,,,村长,石桥镇/李家村\n"  # row 5: unknown role
        "孙七,,,,党员,石桥镇/李家村\n"  # row 6: no account
        "周八,zhangsan,,,党员,石桥镇/李家村\n"  # row 7: duplicate account
        "吴九,wujiu,,,党员,石桥镇//李家村\n"  # row 8: empty org level
        "郑十,zhengshi,,,党员,石桥镇/李家庄园\n"  # row 9: unknown org kind
        "钱一,qian yi,,,党员,石桥镇/李家村\n"  # row 10: bad user id
    )
    with pytest.raises(RosterError) as exc:
        run_import(db_url, write(tmp_path, body))
    by_row = {e.row: str(e) for e in exc.value.errors}
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "姓名不能为空" in by_row[3]
    assert "手机号" in by_row[4]
    assert "未知角色「村长」" in by_row[5]
    assert "至少填写一个" in by_row[6]
    assert "与第2行" in by_row[7]
    assert "空的一级" in by_row[8]
    assert "李家庄园" in by_row[9]
    assert "qian yi" in by_row[10]
    assert count(db_url, Person) == 0 and count(db_url, Org) == 0


def test_missing_header_column(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("姓名,企业微信账号\n张三,zs\n")
    with pytest.raises(RosterError) as exc:
        run_import(db_url, path)
    assert "角色" in str(exc.value.errors[0]) and "组织" in str(exc.value.errors[0])


def test_xlsx_with_english_headers_and_numeric_mobiles(db_url: str, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["name", "wecom_userid", "dingtalk_userid", "mobile", "roles", "org"])
    ws.append(["李明", "liming", "dt_liming", 13900001101, "村党组织书记，党员", "石桥镇/李家村/李家村党支部"])
    ws.append([None, None, None, None, None, None])
    ws.append(["张伟", "zhangwei", None, 13900001103.0, "grid_member", "石桥镇/李家村/1组"])
    path = tmp_path / "roster.xlsx"
    wb.save(path)
    report = run_import(db_url, path)
    assert report.created == 2
    with session_scope(get_engine(db_url)) as s:
        liming = s.scalar(select(Person).where(Person.dingtalk_userid == "dt_liming"))
        assert liming is not None
        assert liming.mobile == "13900001101"
        assert liming.roles == ["party_member", "village_secretary"]
        assert liming.org.kind == "党支部"


def test_gbk_csv_as_excel_saves_it(db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "李明,liming,,+86 139-0000-1101,书记,石桥镇/李家村\n", encoding="gb18030")
    assert run_import(db_url, path).created == 1
    with session_scope(get_engine(db_url)) as s:
        assert s.scalar(select(Person.mobile)) == "13900001101"


def test_unsupported_file_type(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "roster.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(RosterError) as exc:
        run_import(db_url, path)
    assert ".pdf" in str(exc.value.errors[0])


def test_deactivate_missing(db_url: str, tmp_path: Path) -> None:
    run_import(db_url, write(tmp_path, "甲,jia,,,党员,石桥镇/李家村\n乙,yi,,,党员,石桥镇/李家村\n"))
    report = run_import(db_url, write(tmp_path, "甲,jia,,,党员,石桥镇/李家村\n"), deactivate_missing=True)
    assert report.deactivated == 1
    with session_scope(get_engine(db_url)) as s:
        active = dict(s.execute(select(Person.wecom_userid, Person.active)).all())
    assert active == {"jia": True, "yi": False}


def test_accounts_that_belong_to_two_people_are_refused(db_url: str, tmp_path: Path) -> None:
    run_import(db_url, write(tmp_path, "甲,jia,,,党员,石桥镇/李家村\n乙,,dt_yi,,党员,石桥镇/李家村\n"))
    with pytest.raises(RosterError) as exc:
        run_import(db_url, write(tmp_path, "甲,jia,dt_yi,,党员,石桥镇/李家村\n"))
    assert "两个人" in str(exc.value.errors[0])
