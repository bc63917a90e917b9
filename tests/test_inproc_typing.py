"""Typing as phones type, in process: a slip-laden message from a demo roster member reaches the right
confirmation card, with the roster's spelling of the village (李家存 → 李家村) and of the people (陈钢 → 陈刚)."""

from __future__ import annotations

import pytest

from transcript import fields_of

pytestmark = [pytest.mark.in_process, pytest.mark.dated, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


def test_a_trip_to_a_village_typed_with_a_slip_gets_the_rosters_spelling(chat, server) -> None:
    chat.as_("wuhaiyan").says("今天去李家存走访了廿三户✅")
    card = chat.expect_card("请确认走访记录")
    assert "李家村" in str(fields_of(card)) and "23户" in str(fields_of(card))


def test_a_meeting_typed_with_slips_gets_the_rosters_names(chat, server) -> None:
    chat.as_("liming").says("今天开了只部党员大会 应到9人食到8人 陈钢请假！！")
    card = chat.expect_card("请确认会议记录")
    shown = str(fields_of(card))
    assert "陈刚" in shown and "陈钢" not in shown
