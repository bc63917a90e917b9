"""Who may do what, tried through the chat by the people who may not (demo roster, bot/store/demo/roster.csv).

Already covered elsewhere and not repeated: a 网格员 (zhangwei) may not broadcast, a secretary's broadcast
counts only their village, a grid-event card tapped by another person, a 约谈 approval tapped by a
supervisor it was not sent to, and export links (forged, other kind, other org, grid member) in
test_ledger.py / test_ledgers_more.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.dispatch import CARD_NOT_YOURS
from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Broadcast, BroadcastRecipient, PatrolReport, Trip

from transcript import fields_of, rows

LIJIA = {"liming", "lixiuying", "zhangwei", "liufang", "wangxh", "lijianhua", "liguilan", "zhangqiang", "chengang"}
LIJIA.add("guoliang")


def card_title(entry: dict[str, Any]) -> str:
    return str((entry.get("template_card") or {}).get("main_title", {}).get("title", ""))


def notices_to(fake, users: set[str]) -> list[dict[str, Any]]:
    """Every 通知 card sent to any of `users`."""
    return [e for e in fake.sent() if card_title(e) == "通知" and set(e.get("touser") or []) & users]


def test_a_grid_member_cannot_broadcast(chat, server, fake) -> None:
    chat.as_("wangxh").says("通知全体网格员：本周六上午9点防汛演练")
    chat.expect_text("发通知需要督导或书记权限")
    assert rows(server, Broadcast) == [] and notices_to(fake, {"zhangwei", "liufang", "yangfan", "hujun"}) == []


def test_a_secretary_cannot_reach_another_village_or_the_township(chat, server, fake, daytime) -> None:
    outside = {"wangdefu", "yangfan", "huanglei", "hujun", "hejing", "liuchangqing", "wangxiumei", "sunlihua"}
    # another village's party members: the meeting call she is offered is her own branch's
    chat.as_("liming").says("通知王家湾村全体党员：明天开会")
    call = chat.expect_card("发送参会通知")
    assert fields_of(call)["对象"].startswith("李家村党支部"), fields_of(call)
    chat.taps(call, "发送").new()
    # the township's secretaries: nobody she may reach
    chat.says("通知石桥镇全体书记：周五交材料")
    chat.expect_text("在李家村范围内没有找到")
    # all grid members: those of her village
    chat.says("通知全体网格员：周末防火")
    preview = chat.expect_card("发送通知给全体网格员")
    assert fields_of(preview)["范围"] == "李家村", fields_of(preview)
    chat.taps(preview, "发送").new()
    invited = {u for e in fake.sent() if card_title(e).startswith("参会通知") for u in e.get("touser") or []}
    assert invited and invited <= LIJIA, invited - LIJIA
    assert notices_to(fake, LIJIA), "the notice to 李家村's grid members was never sent"
    assert notices_to(fake, outside) == [], "a village secretary's notice reached people outside 李家村"
    recipients = rows(server, BroadcastRecipient)
    assert recipients and all(r.person_id is not None for r in recipients)
    people = {r.person_id for r in recipients}
    with session_scope(get_engine(server.settings.database_url)) as s:
        from bot.store.tables import Person

        reached = {p.wecom_userid for p in s.scalars(select(Person).where(Person.id.in_(people)))}
    assert reached and reached <= LIJIA, reached - LIJIA


def test_my_trips_answers_only_with_my_own(chat) -> None:
    chat.as_("zhoujianguo").says("今天去李家村走访了5户，协调用水纠纷")
    chat.taps(chat.expect_card("请确认走访记录"), "提交")
    chat.new()
    chat.as_("wuhaiyan").says("我这个月下村几次")
    answer = chat.expect_text("月还没有登记下村走访")
    assert "下村走访1次" not in answer  # the example it gives is no record of zhoujianguo's


def test_withdraw_takes_back_only_ones_own_report(chat, server) -> None:
    chat.as_("wangxh").says("今日巡查无异常")
    chat.taps(chat.expect_card("请确认"), "提交")
    chat.expect(text="已提交")
    chat.as_("liufang").says("撤回")
    chat.expect_text("您目前没有可以撤回的上报")  # wangxh's report is not offered to liufang
    chat.as_("wangxh").says("撤回")
    chat.expect_card("确定撤回这条巡查记录")  # while its sender may still take it back
    [report] = rows(server, PatrolReport)
    assert report.status != "withdrawn"
    assert not rows(server, AuditLog, AuditLog.action.like("%withdraw%"))


def test_a_grid_member_cannot_approve_a_forwarded_subsidy_card(chat, server) -> None:
    chat.as_("zhoujianguo").says("今天去李家村走访了5户，协调用水纠纷")
    chat.taps(chat.expect_card("请确认走访记录"), "提交")
    approval = chat.as_("sunlihua").expect_card("交通补助待审批")
    chat.as_("wangxh").taps(approval, "通过")
    chat.expect_text(CARD_NOT_YOURS[:8])
    [trip] = rows(server, Trip)
    assert trip.status == "pending" and trip.approver_id is None
    [refused] = rows(server, AuditLog, AuditLog.action == "card.refused")
    assert refused.actor == "王小红"


def test_a_broadcast_card_tapped_by_someone_it_was_not_sent_to(chat, server, daytime) -> None:
    chat.as_("sunlihua").says("通知全体网格员：本周六上午9点防汛演练")
    chat.taps(chat.expect_card("发送通知给全体网格员"), "发送")
    chat.new()
    notice = chat.as_("wangxh").expect_card("通知")
    chat.as_("liming").taps(notice, "收到")  # liming is no 网格员: the card was forwarded to him
    assert not [r for r in rows(server, BroadcastRecipient) if r.confirmed_at]
    chat.as_("wangxh").taps(notice, "收到")
    assert len([r for r in rows(server, BroadcastRecipient) if r.confirmed_at]) == 1
