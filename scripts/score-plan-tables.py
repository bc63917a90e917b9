"""Score the Word task-table reader (knowledge/plan/word.py) on a set of tables: each table's rows in, the
task lines out, compared with the tasks a reader would list (title, 责任单位, 完成时限 as written).

    .venv/bin/python scripts/score-plan-tables.py tests/data/plans/tables/tuned.json
    .venv/bin/python scripts/score-plan-tables.py tests/data/plans/tables/untouched.json

tuned.json is what the reader was written against; untouched.json was written at the same time and is scored,
never tuned on. Prints the share of expected task rows read exactly right, and the task lines made where the
table has none (false tasks).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from knowledge.plan.word import rows_to_lines

LINE = re.compile(r"^（[一二三四五六七八九十百零]+）(?P<title>[^。]+)。.*?(?:（(?P<note>[^（）]*)）)?$")


def read(line: str) -> dict[str, str | None] | None:
    m = LINE.match(line)
    if m is None:
        return None
    fields = dict(part.split("：", 1) for part in (m.group("note") or "").split("；") if "：" in part)
    return {"title": m.group("title"), "owner": fields.get("责任单位"), "time": fields.get("完成时限")}


def main(path: str) -> None:
    cases = json.loads(Path(path).read_text(encoding="utf-8"))
    expected_rows = right = false = 0
    for case in cases:
        rows = [[[s for s in cell.split("\n") if s] for cell in row] for row in case["rows"]]
        lines, _ = rows_to_lines(rows)
        got = [t for line in lines if (t := read(line)) is not None]
        want = case["tasks"]
        expected_rows += len(want)
        hits = sum(1 for w in want if w in got)
        right += hits
        false += max(0, len(got) - len(want))
        mark = "ok " if hits == len(want) and len(got) == len(want) else "MISS"
        print(f"{mark} {case['name']}: {hits}/{len(want)} rows right, {len(got)} task lines")
    share = right / expected_rows if expected_rows else 1.0
    print(f"{path}: {right}/{expected_rows} task rows right ({share:.3f}); {false} false task lines")


if __name__ == "__main__":
    main(sys.argv[1])
