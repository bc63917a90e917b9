"""Answer latency with the full plan, the FAQ and the rules loaded, over the labelled questions.

    python bench/ask.py [--rounds 20] [--compare]

Prints the time to build the knowledge base (jieba's dictionary included), then p50/p99 per answer, and
with --compare the top-1 of each term mode (words, bigrams, both) on every labelled set — the measurement
behind the choice of "both" in knowledge/search.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.answers import answer  # noqa: E402
from knowledge.evaluate import evaluate, shipped_kb  # noqa: E402
from knowledge.rules import rules_from  # noqa: E402

SETS = sorted((ROOT / "tests" / "data").glob("qa-*.jsonl"))


def rows_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    kb = shipped_kb()
    built = time.perf_counter() - start
    rules = rules_from(None)
    questions = [str(r["q"]) for path in SETS for r in rows_of(path)]
    timings = []
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            answer(q, kb, rules)
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"knowledge base: {len(kb.docs)} documents, built in {built * 1000:.0f} ms (jieba dictionary included)")
    print(f"answers: {len(timings)} ({len(questions)} questions × {args.rounds}), p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    if args.compare:
        for mode in ("words", "bigrams", "both"):
            kb_mode = shipped_kb(mode)
            for path in SETS:
                s = evaluate(rows_of(path), kb_mode)
                print(
                    f"  {mode:8} {path.name}: top-1 {s.top1:.1%} ({s.right}/{s.asked}), off-topic refused {s.refused:.0%}"
                )


if __name__ == "__main__":
    main()
