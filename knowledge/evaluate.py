"""Score the answers on labelled questions (the command is `python -m handlers.evaluate_ask tests/data/qa-*.jsonl
[--misses]`, which reads "what is due" periods with the bot's time parser before asking knowledge).

A line is {"q": question, "source": the title that should answer it (a list: any of them, for "what is due"
questions; null: nothing should — an off-topic question), "kind": plan|faq|policy|due|records|none,
"today": the day it is asked (optional), "all": true when the answer must list exactly the `source` titles}.
Records questions need a person and a database, so they are scored by the conversation tests, not here.
Top-1 counts a question right when the first source is the expected one; an off-topic question is right
when the answer says it is not confident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from knowledge.answers import Answer, answer
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


Ask = Callable[[str, KnowledgeBase, date | None], Answer]


def knowledge_only(question: str, kb: KnowledgeBase, today: date | None) -> Answer:
    return answer(question, kb, rules_from(None), today)


def evaluate(
    rows: list[dict[str, object]], kb: KnowledgeBase, misses: list[str] | None = None, ask: Ask = knowledge_only
) -> Score:
    score = Score()
    for row in rows:
        if row.get("kind") == "records":
            continue
        today = date.fromisoformat(str(row["today"])) if row.get("today") else None
        got = ask(str(row["q"]), kb, today)
        expected = row["source"]
        if expected is None:
            score.off_topic += 1
            ok = not got.confident
            score.off_right += ok
        else:
            wanted = {norm(str(t)) for t in (expected if isinstance(expected, list) else [expected])}
            if row.get("all"):  # a list question: exactly the tasks that are due, none left out, none extra
                ok = got.confident and {norm(s.title) for s in got.sources} == wanted
            else:
                ok = got.confident and bool(got.sources) and norm(got.sources[0].title) in wanted
            score.asked += 1
            score.right += ok
        if not ok and misses is not None:
            titles = "、".join(s.title for s in got.sources[:4]) or "-"
            misses.append(f"{row['q']}  →  {titles} (confident={got.confident}); want {expected}")
    return score


@lru_cache(maxsize=4)
def shipped_kb(mode: str = "both") -> KnowledgeBase:
    from knowledge.plan.store import shipped_plan

    return KnowledgeBase(shipped_plan(), load_faq(), rules_from(None), mode)
