"""三会一课 end to end through the simulator: a record in one tap, a quorum that fails and says so, a 参会通知
to the branch whose answers pre-fill the record, leave, cadence and the two-month absence flag.

The demo 李家村党支部 has nine members (陈刚 is 预备党员, without a vote); its 支委会 is 李明, 李秀英, 郭亮.

The transcripts of handlers and forms that need no wire run in process: tests/test_inproc_meetings.py."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.store.tables import Meeting, MeetingAbsence

from transcript import fields_of, rows

# every transcript here runs twice: people on WeCom, and the same people on DingTalk
pytestmark = [pytest.mark.dated, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]

TZ = ZoneInfo("Asia/Shanghai")
MEMBERS = ["lixiuying", "liufang", "wangxh", "lijianhua", "liguilan", "zhangqiang", "chengang", "guoliang"]


def test_a_meeting_filed_in_one_tap(chat, server) -> None:
    chat.as_("liming").says("今天上午开了支委会，应到3人实到3人，研究下半年党员发展工作")
    card = chat.expect_card("请确认会议记录")
    got = fields_of(card)
    assert got["类型"] == "支部委员会" and got["人数"] == "应到3人，实到3人"
    assert got["法定人数"] == "符合（到3/应3）" and got["议题"] == "研究下半年党员发展工作"
    chat.taps(card, "提交")
    reply = chat.expect(text="会议记录已提交，编号 HY-", card_update="已提交 · 编号 HY-")
    assert any("到会委员3人，超过应到3人的半数，可以表决。" in e.get("content", "") for e in reply)
    [meeting] = rows(server, Meeting)
    assert (meeting.meeting_type, meeting.expected, meeting.present, meeting.quorum_ok) == ("支部委员会", 3, 3, True)
    assert meeting.topic == "研究下半年党员发展工作"


def test_an_attendance_call_with_mixed_answers_prefills_the_record(chat, server) -> None:
    chat.as_("liming").says("通知全体党员：今天下午3点在村委会开支部党员大会，学习党章")
    preview = chat.expect_card("发送参会通知")
    assert fields_of(preview)["对象"] == "李家村党支部 8人"
    chat.taps(preview, "发送")
    chat.expect(text="已向8名党员发出参会通知", card_update="已发送给8人")

    answers = {"lixiuying": "参加", "liufang": "参加", "wangxh": "参加", "lijianhua": "参加", "guoliang": "参加"}
    answers |= {"zhangqiang": "请假·外出务工", "chengang": "请假·生病"}
    for user, button in answers.items():
        card = chat.as_(user).expect_card("参会通知：支部党员大会")
        chat.taps(card, button)
        chat.expect(card_update="已回复")
    chat.as_("liguilan").expect_card("参会通知")
    chat.says("我今天请假，家里有事")  # answered in words instead of a tap
    chat.expect_text("已登记您的请假（家里有事）")

    chat.as_("liming")
    got = chat.new()
    tally = chat.expect_card("支部党员大会参会统计", got)
    assert fields_of(tally) == {"应到": "9人", "参加": "6人", "请假": "3人"}
    chat.says("参会情况")
    assert "请假：李桂兰（家里有事）；张强（外出务工）；陈刚（生病）" in chat.expect_text("参会回复")
    chat.taps(tally, "会后登记记录")
    got = chat.expect(card="请确认会议记录")
    confirm = chat.expect_card("请确认", got)
    assert fields_of(confirm)["人数"] == "应到9人，实到6人"
    assert fields_of(confirm)["缺席"] == "李桂兰（家里有事）、张强（外出务工）、陈刚（生病）"  # roster order
    assert fields_of(confirm)["时间"].endswith("15:00")
    chat.taps(confirm, "提交")
    chat.expect(text="会议记录已提交")
    [meeting] = rows(server, Meeting)
    reasons = {a.name: (a.reason, a.on_leave) for a in rows(server, MeetingAbsence)}
    assert reasons == {"张强": ("外出务工", True), "陈刚": ("生病", True), "李桂兰": ("家里有事", True)}
    assert meeting.present == 6 and meeting.topic == "学习党章"
