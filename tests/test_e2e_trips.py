"""下村下户 end to end through the simulator: a trip and its 交通补助 from the rules file (30元/天, 柳树村 50元,
300元 a month, one claim a day, none with a unit car), approved or sent back and re-submitted by the
township's supervisor (孙丽华), and 我这个月补助多少 with the lines behind the sum."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Person, Trip
from knowledge.rules import write_rules

from conftest import chat_on

TZ = ZoneInfo("Asia/Shanghai")
# every transcript here runs twice: people on WeCom, and the same people on DingTalk
pytestmark = [pytest.mark.dated, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


def rows(server, model: Any, *where: Any) -> list[Any]:
    with session_scope(get_engine(server.settings.database_url)) as s:
        return list(s.scalars(select(model).where(*where).order_by(model.id)))


def fields_of(card: dict[str, Any]) -> dict[str, str]:
    return {f["keyname"]: f["value"] for f in card["template_card"].get("horizontal_content_list", [])}


def test_a_trip_approved(chat, server) -> None:
    chat.as_("zhoujianguo").says("今天去李家村走访了5户，协调用水纠纷")
    card = chat.expect_card("请确认走访记录")
    got = fields_of(card)
    assert (got["走访村"], got["户数"], got["事由"], got["用车"]) == ("李家村", "5户", "协调用水纠纷", "自行前往")
    assert got["补助"] == "30元（提交后待审批）"
    chat.taps(card, "提交")
    chat.expect(text="交通补助30元（30元/天）已提交孙丽华审批", card_update="已提交 · 编号 ZF-")

    approval = chat.as_("sunlihua").expect_card("交通补助待审批")
    assert fields_of(approval)["申请人"] == "周建国（石桥镇）" and fields_of(approval)["金额"] == "30元"
    chat.taps(approval, "通过")
    chat.expect(card_update="已通过 · 孙丽华")
    chat.as_("zhoujianguo").expect_text("交通补助30元已审批通过（孙丽华）")
    [trip] = rows(server, Trip)
    assert (trip.status, trip.amount, trip.households) == ("approved", Decimal("30.00"), 5)
    assert [a.action for a in rows(server, AuditLog, AuditLog.action.like("trip.%"))] == [
        "trip.claimed",
        "trip.approved",
    ]
    chat.as_("zhaomin").expect_nothing()  # the county supervisor is not the nearest approver


def test_a_trip_sent_back_and_resubmitted(chat, server) -> None:
    chat.as_("wuhaiyan").says("今天去王家湾村走访了3户")
    chat.taps(chat.expect_card("请确认走访记录"), "提交")
    chat.expect(text="已提交孙丽华审批")

    approval = chat.as_("sunlihua").expect_card("交通补助待审批")
    chat.taps(approval, "退回")
    chat.expect_text("请先在「退回原因」里选择原因")
    chat.taps(approval, "退回", choosing="信息不完整")
    chat.expect(card_update="已退回：信息不完整")

    returned = chat.as_("wuhaiyan").expect_card("交通补助被退回")
    assert returned["template_card"]["main_title"]["desc"] == "退回原因：信息不完整（孙丽华）"
    chat.taps(returned, "修改后重新提交")
    chat.expect(text="退回原因：信息不完整", card="请确认走访记录")
    chat.says("户数改为6")
    chat.expect(text="户数改为「6户」", card="请确认走访记录")
    chat.says("事由改为入户核查低保情况")
    confirm = chat.expect_card("请确认走访记录")
    assert fields_of(confirm)["户数"] == "6户" and fields_of(confirm)["事由"] == "入户核查低保情况"
    assert fields_of(confirm)["补助"] == "30元（提交后待审批）"  # its own earlier claim does not count against it
    chat.taps(confirm, "提交")
    chat.expect(text="已提交孙丽华审批")

    again = chat.as_("sunlihua").expect_card("交通补助待审批")
    chat.taps(again, "通过")
    chat.as_("wuhaiyan").expect_text("已审批通过")
    [trip] = rows(server, Trip)  # the same claim, corrected — not a second one
    assert (trip.status, trip.households, trip.purpose, trip.return_reason) == ("approved", 6, "入户核查低保情况", None)
    assert [a.action for a in rows(server, AuditLog, AuditLog.action.like("trip.%"))] == [
        "trip.claimed",
        "trip.returned",
        "trip.claimed",
        "trip.approved",
    ]


def test_a_second_claim_for_the_same_day_is_refused_with_the_reason(chat, server) -> None:
    chat.as_("zhoujianguo").says("今天去李家村走访了5户")
    chat.taps(chat.expect_card("请确认"), "提交")
    chat.expect(text="已提交")
    chat.says("今天下午又去了王家湾村，走访3户")
    card = chat.expect_card("请确认走访记录")
    assert fields_of(card)["补助"].startswith("不计：同日已申报（ZF-")
    chat.taps(card, "提交")
    reply = chat.expect_text("本次不计交通补助")
    assert "已申报过交通补助（ZF-" in reply and "同一天只能申报一次" in reply
    assert [t.status for t in rows(server, Trip)] == ["pending", "recorded"]


def test_a_month_that_hits_the_cap(chat, server) -> None:
    today = datetime.now(TZ).date()
    days = [d for d in range(1, 29) if d != today.day][:9]
    with session_scope(get_engine(server.settings.database_url)) as s:
        person = s.scalars(select(Person).where(Person.wecom_userid == "zhengzhiqiang")).one()
        for n, d in enumerate(days, 1):
            s.add(
                Trip(
                    receipt_no=f"ZF-TEST-{n:03d}",
                    person_id=person.id,
                    village="李家村",
                    trip_date=today.replace(day=d),
                    status="approved",
                    amount=Decimal(30),
                    filed_at=datetime.now(UTC),
                )
            )
    chat.as_("zhengzhiqiang").says("今天去柳树村走访了4户")  # a remote village: 50元, but 30元 of room is left
    card = chat.expect_card("请确认走访记录")
    assert fields_of(card)["补助"] == "30元（提交后待审批）"
    chat.taps(card, "提交")
    assert "偏远村50元/天，本月上限300元，本次计30元" in chat.expect_text("已提交孙丽华审批")
    chat.says("我这个月补助多少")
    summary = chat.expect_text("交通补助")
    assert "合计：已通过270元，待审批30元；每月上限300元。" in summary
    assert f"· {today.month}月{today.day}日 柳树村 30元 待审批" in summary


def test_at_the_cap_a_trip_is_recorded_without_a_claim(chat, server) -> None:
    today = datetime.now(TZ).date()
    with session_scope(get_engine(server.settings.database_url)) as s:
        person = s.scalars(select(Person).where(Person.wecom_userid == "zhengzhiqiang")).one()
        s.add(
            Trip(
                receipt_no="ZF-TEST-CAP",
                person_id=person.id,
                village="李家村",
                trip_date=today.replace(day=1 if today.day != 1 else 2),
                status="approved",
                amount=Decimal(300),
                filed_at=datetime.now(UTC),
            )
        )
    chat.as_("zhengzhiqiang").says("今天去王家湾村走访了2户")
    card = chat.expect_card("请确认走访记录")
    assert fields_of(card)["补助"] == "不计：本月交通补助已达上限300元"


def test_no_subsidy_when_the_unit_sent_a_car(chat, server) -> None:
    chat.as_("zhoujianguo").says("今天坐单位的车去柳树村走访了6户")
    card = chat.expect_card("请确认走访记录")
    assert fields_of(card)["用车"] == "单位派车" and fields_of(card)["补助"] == "不计：当天单位派车，不计交通补助"
    chat.says("用车改为自行前往")  # it was the cadre's own motorbike after all
    card = chat.expect_card("请确认走访记录")
    assert fields_of(card)["补助"] == "50元（提交后待审批）"


def test_a_plan_becomes_the_trip_when_it_is_done(chat, server) -> None:
    chat.as_("zhoujianguo").says("明天去柳树村走访")
    card = chat.expect_card("请确认走访记录")
    assert fields_of(card)["补助"] == "不计：计划走访，走访后再登记"
    chat.taps(card, "提交")
    chat.expect_text("已记录走访计划，编号 ZF-")
    [plan] = rows(server, Trip)
    assert plan.status == "planned" and plan.planned
    with session_scope(get_engine(server.settings.database_url)) as s:  # the next day comes
        trip = s.get_one(Trip, plan.id)
        trip.trip_date = datetime.now(TZ).date()
    chat.says("今天去柳树村走访了4户")
    chat.taps(chat.expect_card("请确认"), "提交")
    chat.expect(text="已提交孙丽华审批")
    [trip] = rows(server, Trip)
    assert (trip.receipt_no, trip.status, trip.planned, trip.households) == (plan.receipt_no, "pending", False, 4)


def test_people_outside_the_rules_record_trips_without_claims(chat, server) -> None:
    chat.as_("zhangwei").says("今天去李家村走访了3户")
    card = chat.expect_card("请确认走访记录")
    assert fields_of(card)["补助"] == "不计：您的岗位不在交通补助范围内"
    chat.taps(card, "提交")
    chat.expect_text("走访已登记")
    assert [t.status for t in rows(server, Trip)] == ["recorded"]


def test_evidence_is_asked_once_only_when_the_rules_require_it(
    server_with, factory, tmp_path: Path, platform: str
) -> None:
    path = write_rules(
        tmp_path / "rules.yaml",
        {"subsidy.evidence": "photo_or_location", "subsidy.evidence_basis": "《石桥镇下村交通补助办法》第五条"},
    )
    live = server_with(RULES_FILE=str(path))
    chat = chat_on(live, factory, platform)
    chat.as_("zhoujianguo").says("今天去李家村走访了5户")
    ask = chat.expect_card("交通补助需要一张照片或位置")
    assert ask["template_card"]["main_title"]["title"].startswith("按《石桥镇下村交通补助办法》第五条")
    chat.sends_photo("trip-photo-1")
    got = chat.expect(card="请确认走访记录")
    chat.taps(chat.expect_card("请确认", got), "提交")
    chat.expect(text="已提交孙丽华审批")

    chat.says("今天下午去王家湾村走访了2户")  # the same day: no claim, so no evidence asked either
    assert "同日已申报" in fields_of(chat.expect_card("请确认走访记录"))["补助"]
    chat.says("取消")
    chat.as_("wuhaiyan").says("今天去李家村走访了2户")
    chat.taps(chat.expect_card("交通补助需要"), "不申请补助")
    card = chat.expect_card("请确认走访记录")
    assert fields_of(card)["补助"] == "不计：本次不申请补助"


def test_only_the_nearest_approver_may_decide(chat, server) -> None:
    chat.as_("zhoujianguo").says("今天去李家村走访了5户")
    chat.taps(chat.expect_card("请确认"), "提交")
    approval = chat.as_("sunlihua").expect_card("交通补助待审批")
    chat.as_("zhoujianguo").taps(approval, "通过")  # approving one's own claim
    chat.expect_text("这张卡片不是发给您的")
    assert [t.status for t in rows(server, Trip)] == ["pending"]


def test_withdrawing_a_claim_tells_the_approver_and_an_approved_one_stays(chat, server) -> None:
    chat.as_("zhoujianguo").says("今天去李家村走访了5户")
    chat.taps(chat.expect_card("请确认"), "提交")
    approval = chat.as_("sunlihua").expect_card("交通补助待审批")
    chat.as_("zhoujianguo").says("撤回")
    chat.taps(chat.expect_card("确定撤回这条走访记录吗"), "确认撤回")
    chat.expect(text="已撤回走访记录 ZF-")
    chat.as_("sunlihua").expect(text="周建国撤回了", card_update="已撤回")
    chat.taps(approval, "通过")
    chat.expect_text("这张卡片已失效")
    assert [t.status for t in rows(server, Trip)] == ["withdrawn"]

    chat.as_("zhoujianguo").says("今天去柳树村走访了2户")
    chat.taps(chat.expect_card("请确认"), "提交")
    chat.as_("sunlihua").taps(chat.expect_card("交通补助待审批"), "通过")
    chat.as_("zhoujianguo").says("撤回")
    chat.expect_text("的交通补助已审批通过，不能撤回了")


def test_the_subsidy_statement_and_the_other_ledgers_from_the_chat(server_with, factory, platform: str) -> None:
    from io import BytesIO

    import httpx
    from openpyxl import load_workbook

    live = server_with(LINK_SECRET="trip-ledger-secret")
    chat = chat_on(live, factory, platform)
    chat.as_("zhoujianguo").says("今天去李家村走访了5户")
    chat.taps(chat.expect_card("请确认"), "提交")
    chat.as_("sunlihua").taps(chat.expect_card("交通补助待审批"), "通过")
    for words, kind, sheet_word in (
        ("导出本月补助发放表", "subsidy", "周建国"),
        ("导出本月走访台账", "trips", "李家村"),
        ("导出三会一课台账", "meetings", "三会一课台账"),
    ):
        chat.says(words)
        [notice] = [e for e in chat.new() if e.get("msgtype") == "textcard"]
        assert f"/exports/{kind}.xlsx?token=" in notice["textcard"]["url"]
        response = httpx.get(notice["textcard"]["url"], timeout=10)
        assert response.status_code == 200
        book = load_workbook(BytesIO(response.content))
        cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value}
        assert any(sheet_word in c for c in cells), (kind, sorted(cells)[:20])
