"""The classifier's tally: a score per intent and the reasons behind each weight. Each intent's evidence
(declared with the intent, next to its handler) adds to it; `intents.decide` reads it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Evidence:
    scores: dict[str, float]
    reasons: list[str] = field(default_factory=list)

    def add(self, intent: str, weight: float, why: str) -> None:
        self.scores[intent] += weight
        self.reasons.append(f"{intent} {weight:+.1f}: {why}")


def hit(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(text)
    return m.group(0) if m else None
