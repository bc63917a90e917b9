"""Quantified targets in a plan's text: 90%以上, 300名左右, 1万元以下, 不少于2次 — a number with a unit of
count, money or share, and what bounds it. Grades and labels such as 5A、4A、3A级 are not targets, nor are
years (2021年) or durations (1年集中攻坚): their "units" are not in the list below. Numbers in Chinese
characters (一批, 三会一课) are names more often than targets in these documents, so only digits are read."""

from __future__ import annotations

import re

from knowledge.plan.deadlines import shorten
from knowledge.plan.model import Target

# Longest first, so 万元 wins over 元 and 平方米 over 米.
UNITS = (
    "平方米",
    "万元",
    "亿元",
    "千元",
    "万人",
    "万户",
    "公里",
    "%",
    "％",
    "元",
    "名",
    "人",
    "个",
    "户",
    "家",
    "所",
    "座",
    "项",
    "次",
    "场",
    "期",
    "批",
    "支",
    "处",
    "亩",
)
TARGET_RE = re.compile(
    r"(?P<pre>不少于|不低于|不超过|不高于|至少|超过|达到|达)?"
    r"(?:百分之(?P<pct>\d+(?:\.\d+)?)|(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>" + "|".join(map(re.escape, UNITS)) + r"))"
    r"(?P<post>及以上|及以下|以上|以下|以内|左右|上下)?"
)
_CLAUSE = re.compile(r"[^，,。；;：:！？]+")


def find_targets(text: str) -> list[Target]:
    targets = []
    for m in TARGET_RE.finditer(text):
        if m.start() > 0 and re.match(r"[\d.A-Za-z]", text[m.start() - 1]):
            continue  # the tail of a longer token, e.g. 3A or a code
        value = float(m.group("pct") or m.group("num"))
        unit = "%" if m.group("pct") or m.group("unit") == "％" else m.group("unit")
        qualifier = m.group("post") or m.group("pre") or ""
        targets.append(Target(text=m.group(0), value=value, unit=unit, qualifier=qualifier, context=_clause(text, m)))
    return targets


def _clause(text: str, m: re.Match[str]) -> str:
    for clause in _CLAUSE.finditer(text):
        if clause.start() <= m.start() < clause.end():
            return shorten(clause.group(0).strip(), 60)
    return ""
