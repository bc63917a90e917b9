"""Odd things a cadre may send, and what the database says about how the bot took them — shared by the
hardened-form transcripts over HTTP and in process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import InboundLog, PatrolReport

ODD = {
    "empty": "",
    "spaces": "   \n\t ",
    "emoji only": "😀😀🙏🙏🌾",
    "one emoji": "👌",
    "5000 characters": ("村里情况很多需要说明，" * 500)[:5000],
    "5000 characters of report words": "巡查" * 2500,
    "mixed languages": "Today 巡查 group 3, everything OK，没有 problem ✅",
    "markup": "<xml><![CDATA[]]>]]>&amp;&lt;script&gt;</xml>",
    "control characters": "巡查\u200b\u202e3组\ufeff",
}


def failures(server: Any) -> list[str]:
    """Messages the bot did not process (the handler failed), with their errors."""
    with session_scope(get_engine(server.settings.database_url)) as s:
        return [f"{r.text!r}: {r.error}" for r in s.scalars(select(InboundLog).where(InboundLog.status != "processed"))]


def reports(server: Any) -> int:
    with session_scope(get_engine(server.settings.database_url)) as s:
        return len(s.scalars(select(PatrolReport)).all())
