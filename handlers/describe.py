"""How the bot says back what it understood: intent names and one-line summaries, in short Chinese."""

from __future__ import annotations

from datetime import date
from typing import Any

INTENT_LABELS = {
    "patrol": "网格巡查",
    "meeting": "三会一课记录",
    "leave": "请假",
    "trip": "下村走访",
    "task_progress": "工作进度",
    "ask": "咨询问题",
    "broadcast": "发通知",
    "cancel": "撤回上报",
    "help": "使用帮助",
    "ack": "收到确认",
    "other": "闲聊",
}
STATUS_LABELS = {"done": "已完成", "in_progress": "进行中", "blocked": "有困难"}


def day_text(value: str | None) -> str | None:
    if not value:
        return None
    d = date.fromisoformat(value)
    return f"{d.month}月{d.day}日"


def summary(intent: str, fields: dict[str, Any]) -> str:
    """'网格巡查 · 5月15日 · 3组 · 环境卫生1处 · 已处理'"""
    parts = [INTENT_LABELS.get(intent, intent)]
    day = day_text(fields.get("date"))
    if day:
        parts.append(day)
    if intent == "patrol":
        if fields.get("grid"):
            parts.append(fields["grid"])
        issues = fields.get("issues")
        if issues == 0:
            parts.append("无异常")
        else:
            what = fields.get("category", "问题")
            parts.append(f"{what}{issues}处" if issues else what)
            if "resolved" in fields:
                parts.append("已处理" if fields["resolved"] else "待处理")
    elif intent == "meeting":
        parts.append(fields.get("meeting_type", "会议"))
        if "expected" in fields or "present" in fields:
            parts.append(f"应到{fields.get('expected', '?')}人 实到{fields.get('present', '?')}人")
        if fields.get("absent"):
            parts.append("缺席：" + "、".join(fields["absent"]))
    elif intent == "leave":
        who = "、".join(fields.get("names") or []) or "本人"
        parts.append(who)
        if fields.get("meeting_type"):
            parts.append(fields["meeting_type"])
        if fields.get("reason"):
            parts.append(f"事由：{fields['reason']}")
    elif intent == "trip":
        if fields.get("village"):
            parts.append(fields["village"])
        if fields.get("households"):
            parts.append(f"走访{fields['households']}户")
        parts.append("计划" if fields.get("planned") else "已完成")
    elif intent == "task_progress":
        parts.append(STATUS_LABELS.get(fields.get("status", ""), "进展"))
    elif intent == "broadcast" and fields.get("audience"):
        parts.append(f"发给{fields['audience']}")
    return " · ".join(parts)
