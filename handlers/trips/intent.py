"""下村走访, declared once (handlers/catalogue.py): handled by handlers/trips/report.py, read by
handlers/trips/reading.py, filed by the trip form."""

from __future__ import annotations

from typing import Any

from handlers.catalogue import Help, Intent
from handlers.trips import reading


def describe(fields: dict[str, Any]) -> list[str]:
    """… · 李家村 · 走访5户 · 已完成"""
    parts = []
    if fields.get("village"):
        parts.append(fields["village"])
    if fields.get("households"):
        parts.append(f"走访{fields['households']}户")
    parts.append("计划" if fields.get("planned") else "已完成")
    return parts


DECLARED = (
    Intent(
        name="trip",
        label="下村走访",
        rank=40,
        report=True,
        fields=reading.trip_fields,
        evidence=reading.evidence,
        weighed=30,
        head_threshold=reading.head_threshold,
        opens=reading.OPENS,
        required=("village",),
        form="trip",
        offered=True,
        help=Help(
            "下村走访",
            "下村走访：发「今天去李家村走访了5户，协调用水纠纷」。交通补助按规定计算，不要求上传照片或定位。",
        ),
        describe=describe,
    ),
)
