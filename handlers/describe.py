"""How the bot says back what it understood: intent names and one-line summaries, in short Chinese. The
names and each intent's summary parts are declared with the intent (handlers/catalogue.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.catalogue import catalogue


def label(intent: str) -> str:
    return catalogue().labels.get(intent, intent)


def day_text(value: str | None) -> str | None:
    if not value:
        return None
    d = date.fromisoformat(value)
    return f"{d.month}月{d.day}日"


def summary(intent: str, fields: dict[str, Any]) -> str:
    """'网格巡查 · 5月15日 · 3组 · 环境卫生1处 · 已处理'"""
    parts = [label(intent)]
    day = day_text(fields.get("date"))
    if day:
        parts.append(day)
    declared = catalogue().named(intent)
    if declared and declared.describe:
        parts += declared.describe(fields)
    return " · ".join(parts)
