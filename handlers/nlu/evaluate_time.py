"""Score the time parser against labelled expressions:

    python -m handlers.nlu.evaluate_time tests/data/time-tuned.jsonl [more.jsonl …] [--misses]

A line is {"text", "now": "YYYY-MM-DDTHH:MM" (Asia/Shanghai), "date": "YYYY-MM-DD" | null, "time": "HH:MM"
(optional), "end": "YYYY-MM-DD" (optional), "kind": category}. `date` is the day the expression names: for a
deadline (…前, 三天内) the last day, for a range (上旬) the first day and `end` the last; null means nothing
definite can be read, so the parser must return nothing. The first span `parse` finds is the one scored.

Three figures: dates (every line), times (the lines with a "time"), and "wrong instead of none" — a line where
the parser returned a day that is not the labelled one (worse than returning nothing: nobody is asked).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from handlers.nlu.chinese_time import TZ, TimeSpan, parse


@dataclass
class TimeReport:
    total: int = 0
    dates_ok: int = 0
    timed: int = 0
    times_ok: int = 0
    wrong: int = 0  # a day returned that is not the labelled one
    per_kind: Counter[str] = field(default_factory=Counter)
    per_kind_ok: Counter[str] = field(default_factory=Counter)
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def dates(self) -> float:
        return self.dates_ok / self.total if self.total else 0.0

    @property
    def times(self) -> float:
        return self.times_ok / self.timed if self.timed else 0.0

    def text(self) -> str:
        lines = [
            f"expressions {self.total}   dates {self.dates:.1%}   times {self.times:.1%} ({self.times_ok}/"
            f"{self.timed})   wrong instead of none {self.wrong}",
            "",
            "kind            n    dates",
        ]
        for kind in sorted(self.per_kind):
            n, ok = self.per_kind[kind], self.per_kind_ok[kind]
            lines.append(f"{kind:<14} {n:>3}   {ok / n:7.1%}")
        return "\n".join(lines)


def read_lines(paths: list[Path]) -> list[dict[str, Any]]:
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
    return out


def _days(span: TimeSpan | None) -> tuple[str | None, str | None]:
    if span is None:
        return None, None
    if span.deadline:
        return span.end.date().isoformat(), None
    return span.start.date().isoformat(), span.end.date().isoformat()


def score(items: list[dict[str, Any]]) -> TimeReport:
    report = TimeReport()
    for item in items:
        now = datetime.fromisoformat(item["now"]).replace(tzinfo=TZ)
        span = parse(item["text"], now)
        got, got_end = _days(span)
        want = item.get("date")
        date_ok = got == want and (want is None or "end" not in item or got_end == item["end"])
        kind = item.get("kind", "")
        report.total += 1
        report.per_kind[kind] += 1
        if date_ok:
            report.dates_ok += 1
            report.per_kind_ok[kind] += 1
        elif got is not None:
            report.wrong += 1
        time_ok = True
        if "time" in item:
            report.timed += 1
            clock = span.start.strftime("%H:%M") if span is not None and span.grain == "minute" else None
            time_ok = clock == item["time"]
            report.times_ok += time_ok
        if not (date_ok and time_ok):
            report.misses.append(
                {
                    "text": item["text"],
                    "now": item["now"],
                    "want": [want, item.get("end"), item.get("time")],
                    "got": [got, got_end, span.start.strftime("%H:%M") if span else None, span.grain if span else None],
                }
            )
    return report


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    show = "--misses" in args
    paths = [Path(a) for a in args if not a.startswith("--")]
    if not paths:
        print(__doc__)
        return 2
    report = score(read_lines(paths))
    print(report.text())
    if show:
        for miss in report.misses:
            print(json.dumps(miss, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
