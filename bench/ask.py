"""Answer latency with the full plan, the FAQ and the rules loaded, over the labelled questions.

    python bench/ask.py [--rounds 20] [--compare]

Prints the time to build the knowledge base (jieba's dictionary included), then p50/p99 per answer — of the
answer alone, and through the chat handler as a village secretary on a SQLite database with the demo roster
and the plan imported (the plan's key looked up, own-records questions queried) — and with --compare the top-1 of each term mode (words, bigrams, both) on every labelled set — the measurement
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

from handlers.evaluate_ask import ask as ask_as_the_bot  # noqa: E402
from knowledge.evaluate import evaluate, shipped_kb  # noqa: E402

SETS = sorted((ROOT / "tests" / "data").glob("qa-*.jsonl"))


def rows_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def through_handler(questions: list[str], rounds: int) -> tuple[float, float, int]:
    import tempfile
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from bot.config import Settings
    from bot.dispatch import actor_of, find_person, policy
    from bot.models import Inbound, Kind
    from bot.store.db import get_engine, session_scope
    from bot.store.migrate import upgrade
    from bot.store.roster import DEMO_ROSTER, import_roster
    from handlers.ask import answer_for
    from handlers.context import Context
    from knowledge.plan.parser import parse_plan
    from knowledge.plan.store import SHIPPED_PLAN
    from knowledge.plan.tasks import import_plan

    url = f"sqlite:///{tempfile.mkdtemp(prefix='cadrebot-ask-')}/ask.db"
    upgrade(url)
    engine = get_engine(url)
    text = SHIPPED_PLAN.read_text(encoding="utf-8")
    with session_scope(engine) as s:
        import_roster(s, DEMO_ROSTER, actor="bench")
        import_plan(s, parse_plan(text), SHIPPED_PLAN.name, text, date(2021, 3, 1))
    rules = policy(Settings(database_url=url))
    tz = ZoneInfo("Asia/Shanghai")
    timings = []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            with session_scope(engine) as s:
                person = find_person(s, "wecom", "liming")
                assert person is not None
                now = datetime.now(UTC)
                inbound = Inbound(
                    platform="wecom",
                    tenant="bench",
                    sender="liming",
                    message_id="m",
                    dedup_key=q,
                    created_at=now,
                    kind=Kind.TEXT,
                    text=q,
                )
                ctx = Context(actor_of(person, "wecom", "liming"), inbound, s, now, tz, policy=rules)
                answer_for(ctx, q)
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1], len(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    kb = shipped_kb()
    built = time.perf_counter() - start
    questions = [str(r["q"]) for path in SETS for r in rows_of(path)]
    timings = []
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            ask_as_the_bot(q, kb, None)  # the due-window reading included, as the handler answers
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"knowledge base: {len(kb.docs)} documents, built in {built * 1000:.0f} ms (jieba dictionary included)")
    print(f"answers: {len(timings)} ({len(questions)} questions × {args.rounds}), p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    p50, p99, n = through_handler(questions, args.rounds)
    print(f"through the handler (SQLite, as 李明): {n} answers, p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    if args.compare:
        for mode in ("words", "bigrams", "both"):
            kb_mode = shipped_kb(mode)
            for path in SETS:
                s = evaluate(rows_of(path), kb_mode, None, ask_as_the_bot)
                print(
                    f"  {mode:8} {path.name}: top-1 {s.top1:.1%} ({s.right}/{s.asked}), off-topic refused {s.refused:.0%}"
                )


if __name__ == "__main__":
    main()
