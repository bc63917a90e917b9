"""网格巡查, declared once (handlers/catalogue.py): handled by handlers/patrol/report.py, read by
handlers/patrol/reading.py, filed by the patrol form."""

from __future__ import annotations

from typing import Any

from handlers.catalogue import Help, Intent
from handlers.patrol import reading


def needs(fields: dict[str, Any]) -> list[str]:
    """What the patrol form still has to ask: a count, a kind (none when nothing was found), and a place."""
    need = []
    if "issues" not in fields:
        need.append("issues")
    if fields.get("issues") != 0 and "category" not in fields:
        need.append("category")
    if "grid" not in fields:
        need.append("place")
    return need


def describe(fields: dict[str, Any]) -> list[str]:
    """… · 3组 · 环境卫生1处 · 已处理"""
    parts = []
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
    return parts


DECLARED = (
    Intent(
        name="patrol",
        label="网格巡查",
        rank=10,
        report=True,
        fields=reading.patrol_fields,
        evidence=reading.evidence,
        weighed=40,
        head_threshold=reading.head_threshold,
        opens=reading.OPENS,
        required=("issues", "category", "place"),
        needs=needs,
        form="patrol",
        offered=True,
        help=Help(
            "网格巡查",
            "网格巡查：直接发「今天巡查3组，河道垃圾一处，已清理」，我整理成确认卡片，"
            "您点「提交」即可登记。没有发现问题，发「今日巡查无异常」。"
            "提交后10分钟内发来的照片、位置会附在记录上；发「本周巡查情况」查看汇总，发「撤回」可撤回刚提交的记录。",
        ),
        describe=describe,
    ),
)
