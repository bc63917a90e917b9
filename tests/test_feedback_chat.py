"""投诉建议 in the chat, as the conversation goes: the label with the words files at once with a receipt number; the
label alone asks what the person wants to say; a question or a 好的 is not taken for the words; someone else's
complaint in a patrol stays a patrol. Run over the bot in this process, on WeCom and on DingTalk, on a pinned
clock (2026-12-03 10:00 in Shanghai). The administrator's answer reaching the sender: tests/test_console_feedback.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from bot.store.tables import AuditLog, Feedback, Org, Person

from transcript import card_words, fields_of, rows

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Thursday
pytestmark = [pytest.mark.in_process, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def sender_of(server, item: Feedback) -> tuple[str, str]:
    [person] = rows(server, Person, Person.id == item.person_id)
    [org] = rows(server, Org, Org.id == item.org_id)
    return person.name, org.path


def test_a_complaint_with_its_words_is_filed_at_once(chat, server) -> None:
    chat.as_("liming").says("投诉建议：村口的路灯坏了半个月了还没人修，我电话13900001101")
    reply = chat.expect_text("已收到您的投诉，编号 TS-20261203-001")
    assert "答复会在这里发给您" in reply
    chat.expect_nothing()  # one message, one answer: no card to tap

    [item] = rows(server, Feedback)
    assert (item.kind, item.via, item.status, item.receipt_no) == ("complaint", "chat", "open", "TS-20261203-001")
    assert item.text == "村口的路灯坏了半个月了还没人修，我电话13900001101"  # as written; pages mask the number
    assert sender_of(server, item) == ("李明", "清河县/石桥镇/李家村/李家村党支部")
    [audited] = rows(server, AuditLog, AuditLog.action == "feedback.submitted")
    assert audited.target == "TS-20261203-001" and audited.detail == {"via": "chat", "kind": "complaint"}


def test_suggestions_are_numbered_apart_and_the_label_can_close_the_message(chat, server) -> None:
    chat.as_("zhangwei").says("提个建议，活动室晚上能不能开到九点")
    chat.expect_text("已收到您的建议，编号 JY-20261203-001")
    chat.says("补助三个月没发了，我要投诉")
    chat.expect_text("已收到您的投诉，编号 TS-20261203-001")
    chat.as_("wangdefu").says("嗯那个我想提点建议啊就是党课能不能放在晚上")
    chat.expect_text("已收到您的建议，编号 JY-20261203-002")

    got = [(f.receipt_no, f.kind, f.text) for f in rows(server, Feedback)]
    assert got == [
        ("JY-20261203-001", "suggestion", "活动室晚上能不能开到九点"),
        ("TS-20261203-001", "complaint", "补助三个月没发了"),
        ("JY-20261203-002", "suggestion", "就是党课能不能放在晚上"),
    ]


def test_the_label_alone_asks_for_the_words_and_one_tap_files_them(chat, server) -> None:
    chat.as_("zhangwei").says("我要投诉")
    chat.expect_text("请问您要反映什么？")
    assert not rows(server, Feedback)

    chat.says("好的")  # not the words of a complaint
    chat.expect_text("没能看懂这个回答")
    chat.says("每个月的表格太多，填不过来")
    card = chat.expect_card("请确认投诉建议")
    assert fields_of(card) == {"类别": "投诉", "内容": "每个月的表格太多，填不过来"}
    chat.says("改一下类别为建议")
    got = chat.expect(text="好的，类别改为「建议」", card="请确认投诉建议")
    card = chat.expect_card("请确认投诉建议", got)
    assert fields_of(card)["类别"] == "建议"
    assert not rows(server, Feedback)  # nothing filed before the tap

    chat.taps(card, "提交")
    chat.expect(text="已收到您的建议，编号 JY-20261203-001", card_update="编号 JY-20261203-001")
    [item] = rows(server, Feedback)
    assert (item.kind, item.text, item.via) == ("suggestion", "每个月的表格太多，填不过来", "chat")


def test_the_words_sent_with_a_label_after_the_question_file_at_once(chat, server) -> None:
    chat.as_("liufang").says("投诉建议")
    chat.expect_text("请问您要反映什么？")
    chat.says("投诉：垃圾车一个礼拜才来一次")
    chat.expect_text("已收到您的投诉，编号 TS-20261203-001")
    chat.says("继续")  # the question was answered by that message: nothing is left open
    chat.expect_text("您目前没有未完成的登记")
    assert [f.text for f in rows(server, Feedback)] == ["垃圾车一个礼拜才来一次"]


def test_words_that_read_like_a_report_are_the_complaint_once_it_is_asked_for(chat, server) -> None:
    chat.as_("zhangwei").says("我要投诉")
    chat.expect_text("请问您要反映什么？")
    chat.says("村口路灯坏了半个月没人修")  # a patrol's words, but the answer to the question asked
    card = chat.expect_card("请确认投诉建议")
    assert fields_of(card) == {"类别": "投诉", "内容": "村口路灯坏了半个月没人修"}
    chat.says("今天巡查1组，发现路灯坏了一处，已上报")  # an explicit new report still opens its own draft
    patrol = chat.expect_card("巡查记录")
    assert "1组" in card_words(patrol)
    assert not rows(server, Feedback)


def test_someone_elses_complaint_in_a_patrol_stays_a_patrol(chat, server) -> None:
    chat.as_("zhangwei").says("今天巡查1组，村民投诉有人在河边烧垃圾，已劝离")
    card = chat.expect_card("请选择问题类别")  # the patrol form asks what kind of problem it was
    assert "巡查记录 · 12月3日 · 1组" in card_words(card)
    assert not rows(server, Feedback)


def test_how_do_i_complain_is_answered_by_asking_what_about(chat, server) -> None:
    chat.as_("hujun").says("怎么投诉")
    chat.expect_text("请问您要反映什么？")
    chat.says("取消")
    chat.expect_text("已取消，这份投诉建议没有保存")
    assert not rows(server, Feedback)
