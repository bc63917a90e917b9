"""How a task's rhythm and a task without a deadline are said: light enough for every task listing to import."""

from __future__ import annotations

RECURRENCE_LABELS = {"weekly": "每周", "monthly": "每月", "quarterly": "每季度", "yearly": "每年"}


def undated_label(recurrence: str | None) -> str:
    """How a task without a deadline is shown wherever tasks are listed: 长期（每月）, 长期（无固定时限）."""
    return f"长期（{RECURRENCE_LABELS.get(recurrence or '', '无固定时限')}）"
