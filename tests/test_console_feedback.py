"""投诉建议 in the 工作台 (/console/feedback) over HTTP: anyone signed in submits and follows their own; the
administrator (赵敏) sees everyone's, answers — the answer reaches the sender's chat through the outbox — and
closes; nobody else opens another's item (404) or answers (403). Every step audited; free text masked for all but
administrators. Pinned clock: 2026-12-03 10:00 in Shanghai."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Feedback

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def items(server) -> list[Feedback]:
    with session_scope(get_engine(server.settings.database_url)) as s:
        found = list(s.scalars(select(Feedback).order_by(Feedback.id)))
        s.expunge_all()
        return found


def audit(server, prefix: str = "console.feedback") -> list[tuple[str, str | None, str]]:
    with session_scope(get_engine(server.settings.database_url)) as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action.startswith(prefix)).order_by(AuditLog.id))
        return [(a.action, a.target, a.actor) for a in rows]


def submit(client, kind: str, text: str):
    return client.post_form("/console/feedback", {"kind": kind, "text": text})


def item_id(response) -> int:
    found = re.search(r"/console/feedback/(\d+)\?done=filed$", response.headers["location"])
    assert found, response.headers.get("location")
    return int(found.group(1))


def test_a_cadre_submits_in_the_console_and_reads_the_receipt(console_as, server) -> None:
    liming = console_as("liming")
    page = liming.get("/console/feedback")
    assert "投诉建议直接交给管理员受理" in page.text and "您还没有提交过投诉建议" in page.text

    sent = submit(liming, "complaint", "村部打印机坏了一个月，联系我13912345678")
    assert sent.status_code == 303
    shown = liming.get(sent.headers["location"])
    assert "已收到您的投诉，编号 TS-20261203-001" in shown.text
    assert "联系我139****5678" in shown.text and "13912345678" not in shown.text  # masked, even to its sender
    assert "管理员还没有答复，答复会通过聊天发给您" in shown.text
    listed = liming.get("/console/feedback")
    assert "TS-20261203-001" in listed.text and "待答复" in listed.text

    [item] = items(server)
    assert (item.kind, item.via, item.status) == ("complaint", "console", "open")
    assert item.text == "村部打印机坏了一个月，联系我13912345678"  # kept as written
    assert audit(server) == [("console.feedback.submit", "TS-20261203-001", "李明")]


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"kind": "complaint", "text": "   "}, "请写下您要反映的内容"),
        ({"kind": "praise", "text": "很好"}, "请选择「投诉」或「建议」"),
        ({"kind": "suggestion", "text": "长" * 1001}, "内容请控制在1000字以内"),
    ],
)
def test_a_bad_submission_is_refused_in_words_and_writes_nothing(console_as, server, form, says) -> None:
    liming = console_as("liming")
    refused = liming.post_form("/console/feedback", form)
    assert refused.status_code == 400 and says in refused.text
    assert not items(server) and not audit(server)


def test_a_post_without_the_pages_token_is_refused(console_as, server) -> None:
    liming = console_as("liming")
    refused = liming.post("/console/feedback", data={"kind": "complaint", "text": "没有令牌"})
    assert refused.status_code == 403 and not items(server)


def test_the_administrator_answers_and_the_sender_reads_it_in_the_chat(console_as, chat, server, work) -> None:
    chat.as_("liming").says("投诉建议：村口的路灯坏了半个月了还没人修，电话13900001101")
    chat.expect_text("已收到您的投诉，编号 TS-20261203-001")
    [item] = items(server)

    zhaomin = console_as("zhaomin")
    board = zhaomin.get("/console/feedback")
    assert "您是管理员：这里是所有人提交的投诉建议" in board.text
    assert "李明 · 清河县/石桥镇/李家村/李家村党支部" in board.text
    assert "电话13900001101" in board.text  # administrators read the numbers
    assert "待答复 1" in board.text and "已办结 0" in board.text

    answered = zhaomin.post_form(f"/console/feedback/{item.id}/answer", {"answer": "已通知镇电管站，本周内修好。"})
    assert answered.status_code == 303
    after = zhaomin.get(answered.headers["location"])
    assert "答复已发给李明。" in after.text and "已答复" in after.text
    work()
    told = chat.as_("liming").expect_text("有了答复")
    assert told == "您反映的投诉（编号 TS-20261203-001）有了答复：\n已通知镇电管站，本周内修好。\n——赵敏"

    zhaomin.post_form(f"/console/feedback/{item.id}/answer", {"answer": "电管站已修好。"})
    work()
    chat.expect_text("有了补充答复：\n电管站已修好。")
    closed = zhaomin.post_form(f"/console/feedback/{item.id}/close")
    assert "已办结" in zhaomin.get(closed.headers["location"]).text
    work()
    chat.expect_nothing()  # answered already: closing says nothing more

    late = zhaomin.post_form(f"/console/feedback/{item.id}/answer", {"answer": "再补一句"})
    assert late.status_code == 400 and "这条已办结，不能再答复" in late.text
    [done] = items(server)
    assert (done.status, done.answer, done.closed_at is not None) == ("closed", "电管站已修好。", True)
    assert audit(server) == [
        ("console.feedback.answer", "TS-20261203-001", "赵敏"),
        ("console.feedback.answer", "TS-20261203-001", "赵敏"),
        ("console.feedback.close", "TS-20261203-001", "赵敏"),
    ]


def test_closing_without_an_answer_tells_the_sender(console_as, chat, server, work) -> None:
    chat.as_("zhangwei").says("提个建议，巡查表格合并成一张")
    chat.expect_text("编号 JY-20261203-001")
    [item] = items(server)
    zhaomin = console_as("zhaomin")
    zhaomin.post_form(f"/console/feedback/{item.id}/close")
    work()
    chat.as_("zhangwei").expect_text("您反映的建议（编号 JY-20261203-001）已办结，感谢您的反映！")
    assert "已办结 1" in zhaomin.get("/console/feedback", params={"status": "closed"}).text


def test_nobody_else_opens_or_answers_anothers_item(console_as, server) -> None:
    wangdefu = console_as("wangdefu")
    theirs = item_id(submit(wangdefu, "suggestion", "王家湾村的文化广场晚上装几盏灯"))
    liming, sunlihua = console_as("liming"), console_as("sunlihua")
    for viewer in (liming, sunlihua):  # a village secretary, and the township's supervisor above that village
        opened = viewer.get(f"/console/feedback/{theirs}")
        assert opened.status_code == 404 and "不在您管理的范围内" in opened.text
        assert "文化广场" not in viewer.get("/console/feedback").text
        refused = viewer.post_form(f"/console/feedback/{theirs}/answer", {"answer": "好的"})
        assert refused.status_code == 403
        assert viewer.post_form(f"/console/feedback/{theirs}/close").status_code == 403
    own = item_id(submit(sunlihua, "complaint", "镇里的打印纸不够"))
    assert sunlihua.get(f"/console/feedback/{own}").status_code == 200
    assert sunlihua.post_form(f"/console/feedback/{own}/close").status_code == 403  # only administrators close
    assert [i.status for i in items(server)] == ["open", "open"]
    assert console_as("zhaomin").get(f"/console/feedback/{theirs}").status_code == 200


def test_a_grid_member_who_manages_nobody_still_submits(console_as, server) -> None:
    zhangwei = console_as("zhangwei")
    sent = submit(zhangwei, "suggestion", "巡查能不能两天报一次")
    assert "已收到您的建议，编号 JY-20261203-001" in zhangwei.get(sent.headers["location"]).text
    assert zhangwei.get("/console/feedback/999999").status_code == 404
