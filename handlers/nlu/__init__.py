"""Understanding cadres' messages, offline and deterministic: `understand(text, now)`.

u = understand("今天巡查3组，河道垃圾一处，已清理", now)
u.intent  → "patrol";   u.fields → {"date": …, "grid": "3组", "issues": 1, "category": "环境卫生", "resolved": True}
u.confidence, u.ranking (the likeliest readings), u.reasons (why), u.missing (what to ask for)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from handlers.catalogue import catalogue, fields_for
from handlers.nlu.chinese_time import TZ
from handlers.nlu.intents import decide
from handlers.nlu.normalize import normalize

if TYPE_CHECKING:
    from handlers.nlu.gazetteer import Gazetteer


def __getattr__(name: str) -> Any:
    # derived from the declarations (handlers/catalogue.py) on first use: they import this package's modules
    if name == "INTENTS":
        return catalogue().names
    if name == "REQUIRED":  # the fields a report needs before it can be filed, in the order they are asked for
        return catalogue().required
    raise AttributeError(name)


# No count, date or time has 19 digits, and int() refuses 4,300: such a run is dropped before reading, not read.
_ABSURD_NUMBER = re.compile(r"\d{19,}")
CONFIDENT = 0.45  # below this the bot asks back (about 1 in 600 of our labelled messages)


@dataclass
class Understood:
    text: str
    normalized: str
    intent: str
    fields: dict[str, Any]
    confidence: float
    ranking: list[tuple[str, float]]
    reasons: list[str] = field(default_factory=list)

    @property
    def sure(self) -> bool:
        return self.confidence >= CONFIDENT

    @property
    def missing(self) -> list[str]:
        declared = catalogue().named(self.intent)
        return declared.missing(self.fields) if declared else []

    def contract(self) -> dict[str, Any]:
        return {"intent": self.intent, "fields": self.fields}

    def explain(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "confidence": self.confidence,
            "ranking": [{"intent": k, "score": v} for k, v in self.ranking[:4]],
            "normalized": self.normalized,
            "fields": self.fields,
            "missing": self.missing,
            "why": self.reasons,
        }


READ_CHARS = 600


def understand(text: str, now: datetime | None = None, gazetteer: Gazetteer | None = None) -> Understood:
    """Read one message. `gazetteer` (the sender's part of the roster, handlers/nlu/gazetteer.py) puts the
    roster's spelling on places and people written with a slip or in part; without it the reading is the same
    for everyone."""
    now = (now or datetime.now(TZ)).astimezone(TZ)
    original = text or ""
    # A report is a sentence or two; reading only the start keeps a pasted essay from costing seconds.
    readable = _ABSURD_NUMBER.sub(" ", original[:READ_CHARS])
    norm = normalize(readable)
    if gazetteer is not None:
        norm = gazetteer.correct(norm)
    verdict = decide(norm, readable, now)
    fields = fields_for(verdict.intent, norm, readable, now)
    if gazetteer is not None:
        fields = gazetteer.refine(verdict.intent, fields, norm)
    return Understood(
        text=original,
        normalized=norm,
        intent=verdict.intent,
        fields=fields,
        confidence=verdict.confidence,
        ranking=verdict.ranking(),
        reasons=verdict.reasons,
    )


__all__ = ["CONFIDENT", "INTENTS", "REQUIRED", "Understood", "understand"]
