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
