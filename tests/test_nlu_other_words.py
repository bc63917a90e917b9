"""Fields said in other people's words: a problem handled on the spot said by what was done, and a trip to a
place no lexicon holds, named as settlements are named (坪, 坝, 岗, 冲, 垸, 洼, 店 …)."""

from __future__ import annotations

from datetime import datetime

import pytest

from handlers.nlu import understand
from handlers.nlu.chinese_time import TZ

NOW = datetime(2025, 9, 10, 10, tzinfo=TZ)

HANDLED = [
    ("今天巡查 有几个人在路口吵 已经劝走了", True),
    ("巡查看到老人摔在路边 帮他们抬回去了", True),
    ("巡查发现有人在河道边堆沙 让他们搬走了", True),
    ("巡了一趟，路上有块大石头挡道，我和村民一起搬开了", True),
    ("早上巡查，沟里有死鸡，已经捞出来埋了", True),
    ("巡查看到几个小孩在水塘边玩 把他们劝回家了", True),
    ("巡查发现有人占道晒谷子，劝他们收回去了", True),
    ("巡查发现有人在河道边堆沙 让他们明天搬走", None),  # not done yet: no 了
    ("巡查发现路灯坏了 已报村委等电工来修", False),
    ("巡查发现有人烧秸秆 劝灭了 还要再盯着", False),  # the last word says how things stand
]


@pytest.mark.parametrize(("text", "resolved"), HANDLED)
def test_handled_on_the_spot_said_by_what_was_done(text: str, resolved: bool | None) -> None:
    got = understand(text, NOW)
    assert got.intent == "patrol"
    assert got.fields.get("resolved") is resolved


CATEGORISED = [
    ("巡了一趟，路上有块大石头挡道，已搬开", "安全隐患"),
    ("巡查看到几个小孩在水塘边玩，劝回家了", "安全隐患"),
    ("巡查发现有人占道晒谷子", "安全隐患"),
]


@pytest.mark.parametrize(("text", "category"), CATEGORISED)
def test_everyday_hazards_have_a_category(text: str, category: str) -> None:
    assert understand(text, NOW).fields.get("category") == category


PLACES = [
    ("今天去马家坪走访了5户", "马家坪"),
    ("上午到石板坝入户3户", "石板坝"),
    ("昨天下村去了黄土岗 走访4户", "黄土岗"),
    ("今天去杨家冲看了两户", "杨家冲"),
    ("到刘家垸走访6户", "刘家垸"),
    ("今天下到十里店走访5户", "十里店"),
]


@pytest.mark.parametrize(("text", "village"), PLACES)
def test_a_trip_to_a_place_named_as_settlements_are(text: str, village: str) -> None:
    got = understand(text, NOW)
    assert got.intent == "trip" and got.fields.get("village") == village


@pytest.mark.parametrize("text", ["去了趟镇上开会", "今天到河边走访"])
def test_not_every_place_gone_to_is_a_village(text: str) -> None:
    assert "village" not in understand(text, NOW).fields


def test_two_villages_in_one_trip_leave_village_and_households_out() -> None:
    got = understand("今天去李家村和王家湾村走访了6户", NOW)
    assert got.intent == "trip" and "village" not in got.fields and "households" not in got.fields


LEAVES = [
    ("书记 我明天的支委会去不了 孩子住院了", [], "孩子住院", "2025-09-11"),  # a leave from a coming meeting
    ("王丽周五的党员大会请假 要去县里培训", ["王丽"], "去县里培训", "2025-09-12"),  # 要… is the reason
    ("帮张强请个假 他在外面打工回不来", ["张强"], "在外面打工回不来", None),
]


@pytest.mark.parametrize(("text", "names", "reason", "day"), LEAVES)
def test_leaves_in_looser_shapes(text: str, names: list[str], reason: str, day: str | None) -> None:
    got = understand(text, NOW)
    assert got.intent == "leave"
    assert (got.fields.get("names"), got.fields.get("reason"), got.fields.get("date")) == (names, reason, day)


def test_a_notice_that_no_one_may_be_absent_is_no_leave() -> None:
    assert understand("下周一上午九点开党员大会 全体党员参加 不得缺席", NOW).intent == "other"


STATUS = [
    ("活动阵地改造的活儿弄好了", "done"),
    ("集体经济那个项目还在弄 差不多一半", "in_progress"),
    ("村规民约修订卡住了 村民意见不统一", "blocked"),
]


@pytest.mark.parametrize(("text", "status"), STATUS)
def test_a_task_status_said_in_words(text: str, status: str) -> None:
    got = understand(text, NOW)
    assert got.intent == "task_progress" and got.fields.get("status") == status
