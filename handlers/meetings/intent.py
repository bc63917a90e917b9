"""三会一课 and 请假, declared once (handlers/catalogue.py): both handled by handlers/meetings/report.py, read by
handlers/meetings/reading.py and handlers/meetings/leave_reading.py; a meeting is filed by the meeting form,
a leave recorded at once against the branch's next meeting."""

from __future__ import annotations

from typing import Any

from handlers.catalogue import Help, Intent
from handlers.meetings import leave_reading, reading


def describe_meeting(fields: dict[str, Any]) -> list[str]:
    """… · 支委会 · 应到5人 实到4人 · 缺席：王芳"""
    parts = [fields.get("meeting_type", "会议")]
    if "expected" in fields or "present" in fields:
        parts.append(f"应到{fields.get('expected', '?')}人 实到{fields.get('present', '?')}人")
    if fields.get("absent"):
        parts.append("缺席：" + "、".join(fields["absent"]))
    return parts


def describe_leave(fields: dict[str, Any]) -> list[str]:
    """… · 张三 · 党员大会 · 事由：外出务工"""
    parts = ["、".join(fields.get("names") or []) or "本人"]
    if fields.get("meeting_type"):
        parts.append(fields["meeting_type"])
    if fields.get("reason"):
        parts.append(f"事由：{fields['reason']}")
    return parts


DECLARED = (
    Intent(
        name="meeting",
        label="三会一课记录",
        rank=20,
        report=True,
        fields=reading.meeting_fields,
        evidence=reading.evidence,
        weighed=20,
        opens=reading.OPENS,
        required=("meeting_type", "present"),
        form="meeting",
        offered=True,
        help=Help(
            "三会一课",
            "三会一课：会后发「今天上午开了支委会，应到5人实到5人」即可登记；请假发「张三请假，外出务工」。",
        ),
        describe=describe_meeting,
    ),
    Intent(
        name="leave",
        label="请假",
        rank=30,
        report=True,
        fields=leave_reading.leave_fields,
        evidence=leave_reading.evidence,
        weighed=10,
        head_threshold=leave_reading.head_threshold,
        opens=leave_reading.OPENS,
        required=(),
        offered=True,
        describe=describe_leave,
    ),
)
