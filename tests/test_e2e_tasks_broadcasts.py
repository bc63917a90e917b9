"""Tasks, the 约谈 approval and broadcasts through the simulator: progress by message and by a tap on the
reminder; a 约谈 notice that reaches nobody until a supervisor approves it; a notice to all grid members
with its preview, one batched call, confirmations, the summary and 提醒未确认."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, BroadcastRecipient, InterviewNotice, Org, Person, Reminder, Task, TaskUpdate
from knowledge.plan.tasks_file import DEMO_TASKS, load
from scheduler.jobs import fire_due, plan_all

from transcript import card_words, fields_of, rows

pytestmark = pytest.mark.dated

TZ = ZoneInfo("Asia/Shanghai")


def a_task(server, deadline: date, title: str = "活动阵地提升") -> int:
    with session_scope(get_engine(server.settings.database_url)) as s:
        village = s.scalars(select(Org).where(Org.name == "李家村")).one()
        owner = s.scalars(select(Person).where(Person.wecom_userid == "liming")).one()
        task = Task(code=title[:8], title=title, deadline=deadline, org_id=village.id, owner_id=owner.id)
        s.add(task)
        s.flush()
        return task.id


def tick(server, work, when: datetime) -> dict[str, int]:
    plan_all(when, server.settings)
    result = fire_due(when, server.settings)
    work()
    return result


def climb(server) -> None:
    """Four days of scheduler ticks from now: the ladder goes up one step a day, 约谈 drafted last."""
    for day in range(12):  # weekends and holidays in between push steps to the next working day
        when = next_nine(day)
        plan_all(when, server.settings)
        fire_due(when, server.settings)


def next_nine(days: int = 0) -> datetime:
    """09:00 Shanghai, `days` after today (a working day not needed: tests pass explicit times)."""
    d = datetime.now(TZ).date() + timedelta(days=days)
    return datetime(d.year, d.month, d.day, 9, 0, tzinfo=TZ).astimezone(UTC)


def test_the_demo_tasks_load_once_per_village(server) -> None:
    with session_scope(get_engine(server.settings.database_url)) as s:
        first = load(s, DEMO_TASKS)
        again = load(s, DEMO_TASKS)
    assert (first.items, first.created, again.created, again.updated) == (4, 3 * 3 + 1, 0, 0)
    with session_scope(get_engine(server.settings.database_url)) as s:
        owners = {t.owner.name for t in s.scalars(select(Task)) if t.org.kind == "村" and t.owner}
    assert owners == {"李明", "王德福", "柳长青"}


def test_progress_by_message_is_recorded_with_history(chat, server) -> None:
    task_id = a_task(server, datetime.now(TZ).date() + timedelta(days=20))
    a_task_other = a_task(server, datetime.now(TZ).date() + timedelta(days=30), title="乡村网格化管理")
    chat.as_("liming").says("活动阵地提升还在推进中")
    chat.expect_text("已记录「活动阵地提升」：进行中")
    chat.says("村级活动阵地提升已经完成了")
    chat.expect_text("已记录「活动阵地提升」：已完成。 提醒随之停止")
    [task] = rows(server, Task, Task.id == task_id)
    assert task.status == "done" and task.done_at is not None
    assert [u.status for u in rows(server, TaskUpdate)] == ["in_progress", "done"]
    assert [t.status for t in rows(server, Task, Task.id == a_task_other)] == ["open"]


def test_an_unnamed_task_is_chosen_on_a_card(chat, server) -> None:
    a_task(server, datetime.now(TZ).date() + timedelta(days=20))
    a_task(server, datetime.now(TZ).date() + timedelta(days=30), title="乡村网格化管理")
    chat.as_("liming").says("这项工作已经完成了")
    card = chat.expect_card("请选择任务并更新进展")
    chat.taps(card, "已完成", choosing="乡村网格化管理")
    chat.expect(text="已记录「乡村网格化管理」：已完成")
    assert {t.title: t.status for t in rows(server, Task)} == {"活动阵地提升": "open", "乡村网格化管理": "done"}


def test_a_reminder_card_reports_progress_in_one_tap_and_stops_the_rest(chat, server, work) -> None:
    deadline = datetime.now(TZ).date() + timedelta(days=10)
    task_id = a_task(server, deadline)
    first = [(r.step, r.due_at) for r in rows(server, Reminder)] or None
    assert first is None
    plan_all(datetime.now(UTC), server.settings)
    due = sorted(r.due_at for r in rows(server, Reminder, Reminder.task_id == task_id))
    tick(server, work, due[0])
    card = chat.as_("liming").expect_card("任务提醒：还有")
    chat.taps(card, "已完成")
    chat.expect(text="相关提醒已停止", card_update="活动阵地提升 · 已完成")
    for when in due[1:]:
        tick(server, work, when)
    chat.expect_nothing()
    assert [r.status for r in rows(server, Reminder, Reminder.task_id == task_id)][1:] == ["skipped"] * (len(due) - 1)


def test_有困难_goes_to_the_township_at_once(chat, server) -> None:
    a_task(server, datetime.now(TZ).date() + timedelta(days=10))
    chat.as_("liming").says("活动阵地提升遇到困难，缺少资金，卡住了")
    chat.expect_text("已记录「活动阵地提升」：有困难")
    chat.as_("sunlihua").expect_text("李家村反映「活动阵地提升」有困难")


def test_a_约谈_notice_needs_approval_and_is_confirmed(chat, server, work) -> None:
    a_task(server, datetime.now(TZ).date() - timedelta(days=40))
    # the ladder, step by step; the 约谈 is drafted when its turn comes
    climb(server)
    work()
    steps = [r.step for r in rows(server, Reminder, Reminder.kind == "ladder")]
    assert steps == ["提示", "催办", "通报", "约谈"]
    [notice] = rows(server, InterviewNotice)
    assert notice.status == "draft"

    chat.as_("liming")
    got = chat.new()
    assert not any((e.get("template_card") or {}).get("main_title", {}).get("title") == "约谈通知" for e in got)
    assert any("【提示】" in (e.get("template_card") or {}).get("main_title", {}).get("title", "") for e in got)

    approval = chat.as_("sunlihua").expect_card("约谈通知（草稿）待审批")
    assert fields_of(approval)["对象"] == "李家村 李明" and fields_of(approval)["地点"] == "镇党委会议室"
    chat.taps(approval, "修改")
    got = chat.expect(card_update="修改中", card="请确认约谈通知")
    chat.says("地点改为镇政府二楼会议室")
    chat.taps(chat.expect_card("请确认约谈通知"), "提交")
    got = chat.expect(text="请在新的审批卡片上点「批准发送」", card="约谈通知（草稿）待审批")
    second = chat.expect_card("约谈通知（草稿）待审批", got)
    assert fields_of(second)["地点"] == "镇政府二楼会议室"
    chat.liming_has_nothing = True
    chat.as_("liming").expect_nothing()  # still nothing for the person concerned

    chat.as_("sunlihua").taps(second, "批准发送")
    chat.expect(text="约谈通知已发出", card_update="已选：批准发送")
    notice_card = chat.as_("liming").expect_card("约谈通知")
    assert fields_of(notice_card)["地点"] == "镇政府二楼会议室"
    chat.taps(notice_card, "收到")
    chat.expect(text="已确认收到", card_update="已回复：收到")
    chat.as_("sunlihua").expect_text("李明已确认收到约谈通知")
    [notice] = rows(server, InterviewNotice)
    assert notice.status == "confirmed" and notice.approver_id is not None and notice.confirmed_at is not None
    actions = [a.action for a in rows(server, AuditLog, AuditLog.action.like("interview.%"))]
    assert actions == ["interview.edited", "interview.approved", "interview.confirmed"]


def test_a_约谈_draft_not_approved_never_leaves(chat, server, work) -> None:
    a_task(server, datetime.now(TZ).date() - timedelta(days=40))
    climb(server)
    work()
    chat.as_("sunlihua").taps(chat.expect_card("约谈通知（草稿）待审批"), "不发")
    chat.expect(text="不发，已记录")
    chat.as_("liming").new()
    plan_all(datetime.now(UTC) + timedelta(days=3), server.settings)
    fire_due(datetime.now(UTC) + timedelta(days=3), server.settings)
    work()
    assert not any(
        e.get("template_card", {}).get("main_title", {}).get("title") == "约谈通知" for e in chat.as_("liming").new()
    )
    assert [n.status for n in rows(server, InterviewNotice)] == ["rejected"]


def test_only_the_nearest_supervisor_decides_a_约谈(chat, server, work) -> None:
    a_task(server, datetime.now(TZ).date() - timedelta(days=40))
    climb(server)
    work()
    approval = chat.as_("sunlihua").expect_card("约谈通知（草稿）待审批")
    chat.as_("zhaomin").taps(approval, "批准发送")
    chat.expect_text("这张卡片不是发给您的")
    assert [n.status for n in rows(server, InterviewNotice)] == ["draft"]


# -- broadcasts ---------------------------------------------------------------------------------------------

GRID_PEOPLE = {"zhangwei", "liufang", "wangxh", "yangfan", "huanglei", "hujun", "hejing", "wangxiumei"}


def test_a_broadcast_preview_send_confirm_summary_and_remind(chat, server, fake, work, daytime) -> None:
    chat.as_("sunlihua").says("通知全体网格员：明天上午9点到镇党委会议室参加网格员培训")
    preview = chat.expect_card("发送通知给全体网格员")
    assert fields_of(preview)["人数"] == "8人" and fields_of(preview)["范围"] == "石桥镇"
    chat.taps(preview, "发送")
    chat.expect(text="通知已发给8人", card_update="已发送给8人")

    sends = [
        e
        for e in fake.sent()
        if e.get("msgtype") == "template_card" and e["template_card"]["main_title"]["title"] == "通知"
    ]
    assert len(sends) == 1 and set(sends[0]["touser"]) == GRID_PEOPLE  # one API call for all eight

    for user in ("zhangwei", "wangxh", "hejing"):
        chat.as_(user).taps(chat.expect_card("通知"), "收到")
        chat.expect(card_update="已回复：收到")
    chat.as_("liufang").taps(chat.expect_card("通知"), "收到")
    chat.as_("liufang").post(chat.factory.card_tap("liufang", sends[0]["task_id"], "confirm", "another-code"))  # twice
    assert len([r for r in rows(server, BroadcastRecipient) if r.confirmed_at]) == 4

    [summary_1h] = [r for r in rows(server, Reminder, Reminder.kind == "summary") if r.step == "1h"]
    tick(server, work, summary_1h.due_at)
    text = chat.as_("sunlihua").expect_text("已送达8人，已确认4人，未确认4人，失败0人")
    assert "未确认：王秀梅、杨帆、黄磊、胡军" in text

    chat.says("提醒未确认")
    chat.expect_text("已再次提醒4位未确认的人")
    again = [
        e
        for e in fake.sent()
        if (e.get("template_card") or {}).get("main_title", {}).get("title") == "【再次提醒】通知"
    ]
    assert len(again) == 1 and set(again[0]["touser"]) == {"wangxiumei", "yangfan", "huanglei", "hujun"}


def test_a_secretary_reaches_only_their_own_village(chat, daytime) -> None:
    chat.as_("liming").says("通知全体党员：本周五前交党费")
    preview = chat.expect_card("发送通知给全体党员")
    assert fields_of(preview)["范围"] == "李家村" and fields_of(preview)["人数"] == "8人"


def test_people_who_may_not_broadcast_are_told(chat) -> None:
    chat.as_("zhangwei").says("通知全体网格员：明天开会")
    chat.expect_text("发通知需要督导或书记权限")


def test_a_recipient_who_left_is_reported_with_the_reason(chat, server, fake, work, daytime) -> None:
    fake.leave("hujun")  # gone from the company's WeCom, still on our roster
    chat.as_("sunlihua").says("通知全体网格员：周末注意防火")
    chat.taps(chat.expect_card("发送通知给"), "发送")
    chat.expect(text="通知已发给8人")
    [summary_1h] = [r for r in rows(server, Reminder, Reminder.kind == "summary") if r.step == "1h"]
    tick(server, work, summary_1h.due_at)
    text = chat.as_("sunlihua").expect_text("已送达7人")
    assert "失败：胡军（账号无效或不在应用可见范围）" in text


def test_a_notice_sent_in_quiet_hours_waits_for_the_morning(chat, server, fake, work, monkeypatch) -> None:
    import bot.dispatch

    night = datetime.now(TZ).replace(hour=22, minute=30, second=0, microsecond=0).astimezone(UTC)
    monkeypatch.setattr(bot.dispatch, "clock", lambda: night)
    chat.as_("sunlihua").says("通知全体网格员：明天上午9点到镇党委会议室参加培训")
    preview = chat.expect_card("发送通知给全体网格员")
    morning = night.astimezone(TZ) + timedelta(days=1)
    assert f"现在是休息时间，确认后将于{morning.month}月{morning.day}日08:00发出" in card_words(preview)
    chat.taps(preview, "发送")
    chat.expect(text="通知已发给8人")
    assert not [e for e in fake.sent() if (e.get("template_card") or {}).get("main_title", {}).get("title") == "通知"]
    work(scheduled=True)  # morning comes
    assert (
        len([e for e in fake.sent() if (e.get("template_card") or {}).get("main_title", {}).get("title") == "通知"])
        == 1
    )
