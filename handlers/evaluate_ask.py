"""Score the answers on labelled questions, the way the bot answers them (see knowledge/evaluate.py):

python -m handlers.evaluate_ask tests/data/qa-*.jsonl [--misses] [--mode words|bigrams|both]
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, time
from pathlib import Path

from handlers.ask_window import due_window
from handlers.nlu.chinese_time import TZ
from knowledge.answers import Answer, answer
from knowledge.evaluate import evaluate, shipped_kb
from knowledge.kb import KnowledgeBase
from knowledge.rules import rules_from


def ask(question: str, kb: KnowledgeBase, today: date | None) -> Answer:
    """What the bot answers (handlers/ask.py answer_for, without a person's own records)."""
    now = datetime.combine(today or date(kb.plan.year or 2021, 1, 1), time(10), TZ)
    window = due_window(question, now, kb.plan.year)
    return answer(question, kb, rules_from(None), now.date(), window)


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
        s = evaluate(rows, kb, misses, ask)
        print(f"{path.name}: top-1 {s.right}/{s.asked} = {s.top1:.1%}; off-topic refused {s.off_right}/{s.off_topic}")
        if args.misses:
            for m in misses:
                print("   ", m)


if __name__ == "__main__":
    main()
