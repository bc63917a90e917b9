"""How well the plan parser reads plans it is scored on: `python -m knowledge.plan.evaluate DIR_OR_FILES… [--misses]`.

Each plan file (.txt, .md, .docx — read as `cadrebot plan import` reads it) with a sibling `<stem>.expected.json`

    {"year": 2024, "tasks": [{"title": "…", "due": "YYYY-MM-DD" | null, "owner": "…" | null}]}

is parsed and scored:

- imported: parsed without error and at least one task;
- year right: the plan's year is the expected one;
- tasks found: an expected task matched by a parsed task whose title contains the expected title or the other way
  round, or whose character-bigram Jaccard with it is at least 0.5 (one parsed task for one expected task);
- due right, among the found: the task's last deadline (none for an open-ended or undated task) is the expected day;
- owner right, among the found where the expected owner is given: the task's 责任单位 as written.

Printed per plan and in total; with --misses, every expected task not found and every wrong due / owner."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.plan.model import Plan, Section
from knowledge.plan.parser import SUPPORTED, PlanFileError, parse_plan, read_document

JACCARD_MIN = 0.5


def _norm(text: str) -> str:
    return "".join(text.split()).replace("(", "（").replace(")", "）")


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def similarity(expected: str, parsed: str) -> float:
    """1.0 when one title contains the other, else the Jaccard index of their character bigrams."""
    a, b = _norm(expected), _norm(parsed)
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return 1.0
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y)


def match(expected: list[str], parsed: list[str]) -> dict[int, int]:
    """expected index → parsed index, one to one, best pairs first."""
    pairs = sorted(
        ((similarity(e, p), i, j) for i, e in enumerate(expected) for j, p in enumerate(parsed)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    out: dict[int, int] = {}
    used: set[int] = set()
    for score, i, j in pairs:
        if score < JACCARD_MIN:
            break
        if i not in out and j not in used:
            out[i] = j
            used.add(j)
    return out


def due_of(task: Section) -> date | None:
    return max(d.due for d in task.deadlines) if task.deadlines else None


@dataclass
class Score:
    name: str
    imported: bool = False
    year_right: bool = False
    expected: int = 0
    found: int = 0
    due_right: int = 0
    owners: int = 0  # found tasks whose owner is given
    owner_right: int = 0
    error: str = ""
    misses: list[str] = field(default_factory=list)


def score_plan(path: Path, want: dict[str, Any]) -> Score:
    tasks_wanted: list[dict[str, Any]] = want.get("tasks", [])
    score = Score(name=path.name, expected=len(tasks_wanted))
    try:
        plan: Plan = parse_plan(read_document(path))
    except (PlanFileError, ValueError) as exc:
        score.error = str(exc)
        score.misses.append(f"error: {exc}")
        return score
    tasks = plan.tasks
    score.imported = bool(tasks)
    score.year_right = plan.year == want.get("year")
    if not score.year_right:
        score.misses.append(f"year: want {want.get('year')}, got {plan.year}")
    pairs = match([str(t["title"]) for t in tasks_wanted], [t.title for t in tasks])
    for i, spec in enumerate(tasks_wanted):
        if i not in pairs:
            score.misses.append(f"not found: {spec['title']}")
            continue
        task = tasks[pairs[i]]
        score.found += 1
        due = due_of(task)
        want_due = date.fromisoformat(spec["due"]) if spec.get("due") else None
        if due == want_due:
            score.due_right += 1
        else:
            score.misses.append(f"due: {spec['title']}: want {want_due}, got {due} ({task.title})")
        if spec.get("owner") is not None:
            score.owners += 1
            if _norm(task.owner) == _norm(str(spec["owner"])):
                score.owner_right += 1
            else:
                score.misses.append(f"owner: {spec['title']}: want {spec['owner']}, got {task.owner or '—'}")
    return score


def plan_files(args: list[str]) -> list[Path]:
    files: list[Path] = []
    for arg in args:
        path = Path(arg)
        candidates = sorted(path.iterdir()) if path.is_dir() else [path]
        files += [
            p
            for p in candidates
            if p.suffix.lower() in SUPPORTED
            and not p.name.endswith(".expected.json")
            and p.with_name(p.stem + ".expected.json").exists()
        ]
    return files


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.1f}%)" if d else "0/0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.plan.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="plan files or folders holding <plan> and <plan>.expected.json")
    parser.add_argument("--misses", action="store_true", help="list every task not found and every wrong value")
    ns = parser.parse_args(argv)
    files = plan_files(ns.paths)
    if not files:
        print("no plan with a sibling <stem>.expected.json found", file=sys.stderr)
        return 2
    scores = []
    print(f"{'plan':40} {'imported':8} {'year':5} {'found':>12} {'due right':>12} {'owner right':>12}")
    for path in files:
        want = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))
        s = score_plan(path, want)
        scores.append(s)
        print(
            f"{s.name:40} {'yes' if s.imported else 'NO':8} {'yes' if s.year_right else 'NO':5} "
            f"{s.found:>5}/{s.expected:<6} {s.due_right:>5}/{s.found:<6} {s.owner_right:>5}/{s.owners:<6}"
        )
        if ns.misses:
            for miss in s.misses:
                print(f"    {miss}")
    expected = sum(s.expected for s in scores)
    found = sum(s.found for s in scores)
    print(
        f"TOTAL plans {len(scores)}: imported {_pct(sum(s.imported for s in scores), len(scores))}, "
        f"year right {_pct(sum(s.year_right for s in scores), len(scores))}, "
        f"tasks found {_pct(found, expected)}, "
        f"due right {_pct(sum(s.due_right for s in scores), found)}, "
        f"owner right {_pct(sum(s.owner_right for s in scores), sum(s.owners for s in scores))}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
