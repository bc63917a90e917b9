"""What the bot knows about each intent, declared once next to the intent's handler.

    PATROL = Intent(name="patrol", label="网格巡查", rank=10, report=True, fields=patrol_fields, …)

A declaration lives in a light module named `intent` inside the handler's package (handlers/patrol/intent.py)
or `<handler>_intent` beside a single-module handler (handlers/broadcast_intent.py), as `DECLARED = (…)`.
Everything that used to be a hand-kept list — the classifier's vocabulary and its report intents, the
extractors, the required fields, the labels, the clarify card's readings, the help topics, the form engine's
report intents, the words that open a new report over an open form — is read from `catalogue()`. Declaration
modules import only language code, so reading a message (`cadrebot parse`) never loads the handlers, the
store or the cards.

A new report intent is a package: `handlers/<name>/reading.py` (its evidence and its fields), `intent.py`
(the declaration), the handler (`@handles("<name>")`) and, if it files through a form, a `FormSpec`
registered under the declared `form` kind — plus a table, a migration and card templates if it stores
something, and labelled messages in tests/data. No central list changes; tests/test_intent_declarations.py
checks that everything derived from the declarations lines up.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.nlu.evidence import Evidence

Fields = dict[str, Any]
Extractor = Callable[[str, str, datetime], Fields]  # (normalised text, original text, now) -> fields
Weigh = Callable[[str, "Evidence", bool], None]  # (normalised text, evidence, names a coming day) -> None
# (message, the clauses before its question, those clauses say it is done) -> evidence they need to stand alone
HeadThreshold = Callable[[str, str, bool], float]


@dataclass(frozen=True)
class Help:
    label: str  # the button on the 帮助 card
    text: str  # what a tap on it sends


@dataclass(frozen=True)
class Intent:
    name: str
    label: str  # how the bot names it back: on the clarify card, in summaries
    rank: int  # where it stands among equal scores, and its place in every list derived from here
    report: bool = False  # something the sender files (a patrol, a leave), not a question or a command
    fields: Extractor | None = None  # the fields its messages carry (NLU-CONTRACT.md)
    evidence: Weigh | None = None  # the classifier's evidence that a message is this intent
    weighed: int = 0  # evidence is weighed in this order: a later intent's evidence may adjust earlier scores
    head_threshold: HeadThreshold | None = None  # a report followed by a question: None is the classifier's 4.5
    # words that start a new report of this kind rather than answer an open form's question (今天巡查2组…)
    opens: re.Pattern[str] | None = None
    required: tuple[str, ...] = ()  # fields a report needs before it can be filed, in the order asked
    needs: Callable[[Fields], list[str]] | None = None  # when `required` has exceptions
    form: str | None = None  # the FormSpec kind that files it
    offered: bool = False  # offered as a reading on the clarify card when the bot is unsure
    never_clarified: bool = False  # acted on however unsure the reading (帮助, 收到, 撤回): asking back would not help
    help: Help | None = None
    describe: Callable[[Fields], list[str]] | None = None  # a summary's parts after the label and the day

    def missing(self, fields: Fields) -> list[str]:
        if self.needs is not None:
            return self.needs(fields)
        return [name for name in self.required if name not in fields]


@dataclass(frozen=True)
class Catalogue:
    intents: tuple[Intent, ...]  # by rank; the views below are read per message, so each is computed once

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.intents)

    @cached_property
    def reports(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.intents if i.report)

    @cached_property
    def offered(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.intents if i.offered)

    @cached_property
    def never_clarified(self) -> frozenset[str]:
        return frozenset(i.name for i in self.intents if i.never_clarified)

    def opens_report(self, text: str) -> bool:
        """Does the text start a new report (of any kind) rather than answer a question about one?"""
        return any(i.opens.search(text) for i in self.intents if i.opens is not None)

    @cached_property
    def weighed(self) -> tuple[Intent, ...]:
        return tuple(sorted((i for i in self.intents if i.evidence), key=lambda i: i.weighed))

    @cached_property
    def labels(self) -> dict[str, str]:
        return {i.name: i.label for i in self.intents}

    @cached_property
    def required(self) -> dict[str, tuple[str, ...]]:
        return {i.name: i.required for i in self.intents if i.fields is not None}

    @cached_property
    def by_name(self) -> dict[str, Intent]:
        return {i.name: i for i in self.intents}

    def named(self, name: str) -> Intent | None:
        return self.by_name.get(name)


def declaration_modules() -> list[str]:
    """Every `handlers…intent` / `handlers…_intent` module, found by walking the package."""
    import handlers

    found = []
    for info in pkgutil.walk_packages(handlers.__path__, "handlers."):
        leaf = info.name.rsplit(".", 1)[-1]
        if not info.ispkg and (leaf == "intent" or leaf.endswith("_intent")):
            found.append(info.name)
    return sorted(found)


@cache
def catalogue() -> Catalogue:
    declared: dict[str, Intent] = {}
    for module in declaration_modules():
        for intent in getattr(importlib.import_module(module), "DECLARED", ()):
            if intent.name in declared:
                raise ValueError(f"intent {intent.name!r} declared twice")
            declared[intent.name] = intent
    ranks = [i.rank for i in declared.values()]
    if len(set(ranks)) != len(ranks):
        raise ValueError("two intents share a rank")
    return Catalogue(tuple(sorted(declared.values(), key=lambda i: i.rank)))


def fields_for(intent: str, text: str, original: str, now: datetime) -> Fields:
    declared = catalogue().named(intent)
    return declared.fields(text, original, now) if declared and declared.fields else {}
