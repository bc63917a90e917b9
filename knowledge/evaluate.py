"""Score the answers on labelled questions: `python -m knowledge.evaluate tests/data/qa-*.jsonl [--misses]`.

A line is {"q": question, "source": the title that should answer it (a list: any of them, for "what is due"
questions; null: nothing should — an off-topic question), "kind": plan|faq|policy|records|none}.
Records questions need a person and a database, so they are scored by the conversation tests, not here.
Top-1 counts a question right when the first source is the expected one; an off-topic question is right
when the answer says it is not confident.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from knowledge.answers import answer
from knowledge.faq import load_faq
from knowledge.kb import KnowledgeBase
from knowledge.rules import rules_from


def norm(title: str) -> str:
    return title.replace("“", "").replace("”", "").replace('"', "").strip()


@dataclass
class Score:
    asked: int = 0
    right: int = 0
    off_topic: int = 0
    off_right: int = 0

    @property
    def top1(self) -> float:
        return self.right / self.asked if self.asked else 0.0

    @property
    def refused(self) -> float:
        return self.off_right / self.off_topic if self.off_topic else 1.0


def evaluate(rows: list[dict[str, object]], kb: KnowledgeBase, misses: list[str] | None = None) -> Score:
    rules = rules_from(None)
    score = Score()
    for row in rows:
        if row.get("kind") == "records":
            continue
        got = answer(str(row["q"]), kb, rules)
        expected = row["source"]
        if expected is None:
            score.off_topic += 1
            ok = not got.confident
            score.off_right += ok
        else:
            wanted = {norm(str(t)) for t in (expected if isinstance(expected, list) else [expected])}
            ok = got.confident and bool(got.sources) and norm(got.sources[0].title) in wanted
            score.asked += 1
            score.right += ok
        if not ok and misses is not None:
            first = got.sources[0].title if got.sources else "-"
            misses.append(f"{row['q']}  →  {first} (confident={got.confident}); want {expected}")
    return score


@lru_cache(maxsize=4)
def shipped_kb(mode: str = "both") -> KnowledgeBase:
    from knowledge.plan.store import shipped_plan

    return KnowledgeBase(shipped_plan(), load_faq(), rules_from(None), mode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--mode", default="both", choices=["words", "bigrams", "both"])
    args = parser.parse_args()
    kb = shipped_kb(args.mode)
    for path in args.files:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        misses: list[str] = []
        s = evaluate(rows, kb, misses)
        print(f"{path.name}: top-1 {s.right}/{s.asked} = {s.top1:.1%}; off-topic refused {s.off_right}/{s.off_topic}")
        if args.misses:
            for m in misses:
                print("   ", m)


if __name__ == "__main__":
    main()
