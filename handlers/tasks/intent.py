"""工作进度, declared once (handlers/catalogue.py): handled by handlers/tasks/progress.py, read by
handlers/tasks/reading.py; recorded on the task at once (no form)."""

from __future__ import annotations

from typing import Any

from handlers.catalogue import Intent
from handlers.tasks import reading

STATUS_WORDS = {"done": "已完成", "in_progress": "进行中", "blocked": "有困难"}


def describe(fields: dict[str, Any]) -> list[str]:
    return [STATUS_WORDS.get(fields.get("status", ""), "进展")]


DECLARED = (
    Intent(
        name="task_progress",
        label="工作进度",
        rank=50,
        report=True,
        fields=reading.task_fields,
        evidence=reading.evidence,
        weighed=50,
        head_threshold=reading.head_threshold,
        required=("status",),
        offered=True,
        describe=describe,
    ),
)
