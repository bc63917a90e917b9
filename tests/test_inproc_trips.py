"""下村下户 in process: sent back and re-submitted, a second claim the same day, the monthly cap, unit cars,
plans, people outside the rules, approvers and withdrawal, from test_e2e_trips.py, run over the bot in this
process (tests/inproc.py) on both platforms (交通补助 from the rules file: 30元/天, 柳树村 50元, 300元 a month).
test_e2e_trips.py keeps the HTTP transcripts: a trip approved, evidence asked by a rules file, and the ledgers
downloaded from their links."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Person, Trip

from transcript import fields_of, rows

TZ = ZoneInfo("Asia/Shanghai")
# every transcript here runs twice: people on WeCom, and the same people on DingTalk
# `chat` and `server` are the bot in this process (tests/inproc.py), read as the HTTP ones are
pytestmark = [pytest.mark.in_process, pytest.mark.dated, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


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
