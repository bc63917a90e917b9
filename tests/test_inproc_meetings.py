"""三会一课 in process: quorum, absentees, leave, cadence, the two-month absence flag and withdrawal, from
test_e2e_meetings.py, run over the bot in this process (tests/inproc.py) on both platforms. test_e2e_meetings.py
keeps the HTTP transcripts: a meeting filed in one tap, and the 参会通知 to the whole branch.

The demo 李家村党支部 has nine members (陈刚 is 预备党员, without a vote); its 支委会 is 李明, 李秀英, 郭亮."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, LeaveRequest, Meeting, MeetingAbsence, Org, Person
from knowledge.calendar import add_months

from transcript import fields_of, rows

# every transcript here runs twice: people on WeCom, and the same people on DingTalk
# `chat` and `server` are the bot in this process (tests/inproc.py), read as the HTTP ones are
pytestmark = [pytest.mark.in_process, pytest.mark.dated, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]

TZ = ZoneInfo("Asia/Shanghai")
MEMBERS = ["lixiuying", "liufang", "wangxh", "lijianhua", "liguilan", "zhangqiang", "chengang", "guoliang"]


def test_a_meeting_that_fails_quorum_is_said_plainly(chat, server) -> None:
    chat.as_("liming").says("今天开了支部党员大会，应到9人实到4人")
    card = chat.expect_card("请确认会议记录")
    assert fields_of(card)["法定人数"] == "不足（需5人，到3人）"  # 陈刚 is 预备: 8 with a vote, 3 of them came
    chat.taps(card, "提交")
    got = chat.expect(text="不能表决")
    text = next(e["content"] for e in got if "不能表决" in e.get("content", ""))
    assert "到会有表决权的党员3人，未超过应到8人的半数（至少需5人），不能表决。" in text
    assert "本次会议不能作出决定" in text
    [meeting] = rows(server, Meeting)
    assert (meeting.expected_voting, meeting.present_voting, meeting.quorum_ok) == (8, 3, False)


def test_absentees_and_what_is_missing_are_asked(chat, server) -> None:
    chat.as_("liming").says("今天开了支部党员大会，张强、陈刚请假")
    card = chat.expect_card("应到多少人")  # the roster offers its count
    assert card["template_card"]["button_list"][0]["text"] == "9人（按名册）"
    chat.taps(card, "9人（按名册）")
    got = chat.expect(card="请确认会议记录")  # 实到 follows from 应到 and the two absentees
    confirm = chat.expect_card("请确认", got)
    assert fields_of(confirm)["人数"] == "应到9人，实到7人" and fields_of(confirm)["缺席"] == "张强、陈刚"
    assert fields_of(confirm)["法定人数"] == "符合（到7/应8）"
    chat.taps(confirm, "提交")
    chat.expect(text="已提交")
    assert [(a.name, a.person_id is not None) for a in rows(server, MeetingAbsence)] == [("张强", True), ("陈刚", True)]


def test_only_leaders_file_meetings(chat) -> None:
    chat.as_("lijianhua").says("今天开了支部党员大会，应到9人实到9人")
    chat.expect_text("会议记录由支部书记或支委登记")


def test_leave_is_recorded_and_reaches_the_record(chat, server) -> None:
    chat.as_("zhangqiang").says("我请假，外出务工")
    chat.expect_text("已登记您的请假（外出务工），记入下次支部会议")
    chat.as_("liming").expect_text("张强请假（外出务工）")  # the secretary hears of it
    chat.says("今天开了支部党员大会，应到9人实到8人，张强没来")
    confirm = chat.expect_card("请确认会议记录")
    assert fields_of(confirm)["缺席"] == "张强（外出务工）"
    chat.taps(confirm, "提交")
    chat.expect(text="已提交")
    [absence] = rows(server, MeetingAbsence)
    assert (absence.name, absence.reason, absence.on_leave) == ("张强", "外出务工", True)
    assert [leave.status for leave in rows(server, LeaveRequest)] == ["used"]


def test_leave_for_someone_else(chat, server) -> None:
    chat.as_("liming").says("张强请假 外出务工")
    chat.expect_text("已登记张强的请假（外出务工）")
    [leave] = rows(server, LeaveRequest)
    assert leave.name == "张强" and leave.person_id is not None and leave.status == "open"


def file_meeting_directly(server, kind: str, held_on: date, absent: list[str]) -> None:
    with session_scope(get_engine(server.settings.database_url)) as s:
        branch = s.scalars(select(Org).where(Org.name == "李家村党支部")).one()
        secretary = s.scalars(select(Person).where(Person.wecom_userid == "liming")).one()
        meeting = Meeting(
            receipt_no=f"HY-{held_on:%Y%m%d}-9{len(absent)}{kind[:1] == '支'}",
            branch_id=branch.id,
            meeting_type=kind,
            held_on=held_on,
            expected=9,
            present=9 - len(absent),
            recorder_id=secretary.id,
            filed_at=datetime.now(UTC),
        )
        s.add(meeting)
        s.flush()
        for name in absent:
            person = s.scalars(select(Person).where(Person.name == name)).one()
            s.add(MeetingAbsence(meeting_id=meeting.id, person_id=person.id, name=name))


def test_a_branch_that_missed_its_monthly_committee_meeting_is_behind(chat, server) -> None:
    today = datetime.now(TZ).date()
    y, m = add_months(today.year, today.month, -1)
    file_meeting_directly(server, "党小组会", date(y, m, 10), [])
    file_meeting_directly(server, "主题党日", date(y, m, 12), [])
    chat.as_("liming").says("三会一课情况")
    reply = chat.expect_text("李家村党支部三会一课情况")
    assert "· 支部委员会（每月）：本月未开；上月未开，落后" in reply
    assert "· 主题党日（每月）：本月未开；上月已开" in reply
    chat.as_("zhoujianguo").says("三会一课情况")
    township = chat.expect_text("石桥镇三会一课情况")
    line = next(x for x in township.splitlines() if x.startswith("· 李家村党支部"))
    assert "支部委员会（上月未开）" in line and "主题党日" not in line


def test_a_member_absent_two_months_running_is_flagged_to_the_secretary_only(chat, server) -> None:
    today = datetime.now(TZ).date()
    y, m = add_months(today.year, today.month, -1)
    file_meeting_directly(server, "主题党日", date(y, m, 15), ["张强"])
    chat.as_("lixiuying").says("今天开了支部党员大会，应到9人实到8人，张强缺席")  # the 组织委员 files it
    chat.taps(chat.expect_card("请确认会议记录"), "提交")
    got = chat.expect(text="会议记录已提交")
    assert not any("连续" in e.get("content", "") for e in got)  # not the 组织委员's business
    chat.as_("liming").expect_text("提醒（仅您可见）：张强已连续2个月未参加组织生活")
    chat.as_("zhangqiang").expect_nothing()
    assert len(rows(server, AuditLog, AuditLog.action == "member.absence_flag")) == 1


def test_a_meeting_record_withdrawn_frees_its_leave(chat, server) -> None:
    chat.as_("zhangqiang").says("我请假，外出务工")
    chat.as_("liming").says("今天开了支部党员大会，应到9人实到8人，张强没来")
    chat.taps(chat.expect_card("请确认会议记录"), "提交")
    chat.expect(text="已提交")
    chat.says("撤回")
    card = chat.expect_card("确定撤回这条会议记录吗")
    chat.taps(card, "确认撤回")
    chat.expect(text="已撤回会议记录 HY-", card_update="已撤回")
    assert [m.status for m in rows(server, Meeting)] == ["withdrawn"]
    assert [(leave.status, leave.meeting_id) for leave in rows(server, LeaveRequest)] == [("open", None)]
    assert [a.action for a in rows(server, AuditLog, AuditLog.action == "meeting.withdrawn")] == ["meeting.withdrawn"]
