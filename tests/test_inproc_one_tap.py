"""One message and one tap: a report that carries all it needs, sent by a person of the right role, gets the
confirmation card as its very first reply — not a question — in at least nine of ten messages, on both
platforms. The messages are the project's sets written in other people's words (onetap-tuned.jsonl, tuned on;
onetap-untouched.jsonl, written before the tuning and never tuned on) and, when it is there, a blind set
(onetap-holdout.jsonl). Each message is sent on its own day ("today", else a pinned Wednesday) and the card is
cancelled afterwards, so one message's draft never answers for the next."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from handlers.nlu.chinese_time import TZ

DATA = Path(__file__).parent / "data"
TITLES = {"patrol": "请确认巡查记录", "meeting": "请确认会议记录", "trip": "请确认走访记录"}
PINNED = "2026-05-13"  # a Wednesday with no holiday near it
SETS = ["onetap-tuned.jsonl", "onetap-untouched.jsonl", "onetap-holdout.jsonl"]

pytestmark = [pytest.mark.in_process, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


def first_reply(chat, message: dict[str, Any]) -> str:
    """What came first: 'card' (the right confirmation card), else what it was."""
    day = datetime.fromisoformat(f"{message.get('today') or PINNED}T10:00").replace(tzinfo=TZ)
    with time_machine.travel(day, tick=True):
        chat.as_(message["sender"]).says(message["text"])
        got = chat.new()
        if not got:
            return "nothing"
        entry = got[0]
        title = entry.get("template_card", {}).get("main_title", {}).get("title", "")
        if entry.get("msgtype") == "template_card":
            buttons = [b["text"] for b in entry["template_card"].get("button_list", [])]
            if "取消" in buttons:
                chat.taps(entry, "取消")
                chat.new()
        else:
            chat.says("取消")
            chat.new()
        if title == TITLES[message["intent"]]:
            return "card"
        return title or f"text: {entry.get('content', '')[:30]}"


@pytest.mark.parametrize("name", SETS)
def test_a_complete_report_gets_the_confirmation_card_first(chat, name: str) -> None:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{name} is not in this checkout")
    messages = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    messages = [m for m in messages if m["intent"] in TITLES]
    assert len(messages) >= 25
    outcomes = [(m["text"], first_reply(chat, m)) for m in messages]
    missed = [(text, got) for text, got in outcomes if got != "card"]
    rate = 1 - len(missed) / len(outcomes)
    print(f"{name}: {len(outcomes) - len(missed)}/{len(outcomes)} = {rate:.0%} got the card first")
    assert rate >= 0.9, missed
