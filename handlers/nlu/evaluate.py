"""Score the understanding against labelled messages (NLU-CONTRACT.md format): intent accuracy, per
intent and per field, and the misses.

    python -m handlers.nlu.evaluate tests/data/nlu-labelled.jsonl [more.jsonl …] [--misses]
                                    [--roster bot/store/demo/roster.csv]

With --roster, each message is read with the roster as a gazetteer (handlers/nlu/gazetteer.py), scoped to the
row's `sender` (a roster name) when it names one, else to the whole roster.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from handlers.nlu import understand
from handlers.nlu.chinese_time import TZ
from handlers.nlu.gazetteer import Gazetteer


@dataclass(frozen=True)
class Roster:
    """A roster CSV (姓名, 组织 columns, as `cadrebot roster import` reads) as gazetteers per sender."""

    members: tuple[tuple[str, str], ...]  # (name, org path)

    @classmethod
    def read(cls, path: Path) -> Roster:
        with path.open(encoding="utf-8-sig", newline="") as f:
            return cls(tuple((row["姓名"].strip(), row["组织"].strip()) for row in csv.DictReader(f)))

    def for_sender(self, sender: str | None) -> Gazetteer:
        path = next((org for name, org in self.members if name == sender), None)
        return Gazetteer.scoped(self.members, path)


@dataclass
class Report:
    total: int = 0
    intent_ok: int = 0
    per_intent: Counter[str] = field(default_factory=Counter)
    per_intent_ok: Counter[str] = field(default_factory=Counter)
    per_field: Counter[str] = field(default_factory=Counter)
    per_field_ok: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_ok / self.total if self.total else 0.0

    @property
    def field_accuracy(self) -> float:
        total = sum(self.per_field.values())
        return sum(self.per_field_ok.values()) / total if total else 0.0

    def text(self) -> str:
        lines = [
            f"messages {self.total}   intent accuracy {self.intent_accuracy:.1%}   "
            f"field accuracy {self.field_accuracy:.1%} ({sum(self.per_field_ok.values())}/{sum(self.per_field.values())})",
            "",
            "intent          n    correct",
        ]
        for intent in sorted(self.per_intent):
            n, ok = self.per_intent[intent], self.per_intent_ok[intent]
            lines.append(f"{intent:<14} {n:>3}   {ok / n:7.1%}")
        lines += ["", "field           n    correct"]
        for name in sorted(self.per_field):
            n, ok = self.per_field[name], self.per_field_ok[name]
            lines.append(f"{name:<14} {n:>3}   {ok / n:7.1%}")
        if self.confusion:
            lines += [
                "",
                "confusions (label → predicted): "
                + ", ".join(f"{a}→{b} {n}" for (a, b), n in self.confusion.most_common(12)),
            ]
        return "\n".join(lines)


def load(paths: list[Path]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def same(expected: Any, got: Any) -> bool:
    if isinstance(expected, str) and isinstance(got, str):
        return expected.strip() == got.strip()
    return expected == got


def evaluate(rows: list[dict[str, Any]], roster: Roster | None = None) -> Report:
    report = Report()
    for row in rows:
        today = datetime.strptime(row.get("today", "2024-05-15"), "%Y-%m-%d").replace(hour=10, tzinfo=TZ)
        u = understand(row["text"], today, roster.for_sender(row.get("sender")) if roster else None)
        report.total += 1
        report.per_intent[row["intent"]] += 1
        wrong: dict[str, Any] = {}
        if u.intent == row["intent"]:
            report.intent_ok += 1
            report.per_intent_ok[row["intent"]] += 1
        else:
            report.confusion[(row["intent"], u.intent)] += 1
            wrong["intent"] = u.intent
        for name, expected in row.get("fields", {}).items():
            report.per_field[name] += 1
            got = u.fields.get(name) if u.intent == row["intent"] else None
            if same(expected, got):
                report.per_field_ok[name] += 1
            else:
                wrong[name] = {"want": expected, "got": got}
        if wrong:
            report.misses.append({"text": row["text"], "today": row.get("today"), "label": row["intent"], **wrong})
    return report


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    show = "--misses" in args
    roster = None
    if "--roster" in args:
        at = args.index("--roster")
        roster = Roster.read(Path(args[at + 1]))
        args = args[:at] + args[at + 2 :]
    paths = [Path(a) for a in args if not a.startswith("--")]
    report = evaluate(load(paths), roster)
    print(report.text())
    if show:
        print()
        for miss in report.misses:
            print(json.dumps(miss, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
