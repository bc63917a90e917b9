"""Conversations through the simulator that show the bot understanding what cadres write: it says back
what it read, asks for what is missing one question at a time, and asks which reading is meant when it is
not sure — never guessing. (Patrols, which now file, are in test_e2e_patrol.py.)

The transcripts of handlers and forms that need no wire run in process: tests/test_inproc_understanding.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import InboundLog

# every transcript here runs twice: people on WeCom, and the same people on DingTalk
pytestmark = [pytest.mark.dated, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


def test_when_unsure_the_bot_asks_which_reading_is_meant(chat, server) -> None:
    chat.as_("wuhaiyan").says("下村巡查")
    card = chat.expect_card(title_contains="哪件事")
    buttons = [b["text"] for b in card["template_card"]["button_list"]]
    assert buttons[:2] == ["网格巡查", "下村走访"] and buttons[-1] == "都不是"
    chat.taps(card, "下村走访")
    got = chat.expect(card_update="按「下村走访」办理")
    assert any(
        e.get("msgtype") == "template_card" and "哪个村" in e["template_card"]["main_title"]["title"] for e in got
    )
    with session_scope(get_engine(server.settings.database_url)) as s:
        assert s.scalars(select(InboundLog.intent).order_by(InboundLog.id)).all() == ["clarify", "trip"]
