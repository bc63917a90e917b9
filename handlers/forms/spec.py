"""A form as a declaration: its fields (how to ask, parse, check and show each) and how it is filed.

    FormSpec(kind="patrol", title="巡查记录", fields=(FieldSpec(name="grid", label="网格", …), …), file=…)

`parse` turns a typed answer into a value, returns None when the text is not an answer at all, and raises
`Invalid("…")` when it is an answer that cannot be accepted (the message is said back to the sender).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.context import Context
    from handlers.forms.state import FormState


class Invalid(Exception):
    """An answer that was understood but cannot be accepted; the message is polite Chinese for the sender."""


@dataclass(frozen=True)
class Choice:
    value: Any
    text: str


def always(_values: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # on the confirmation card: ≤ 5 characters
    question: str  # 请问巡查的是哪个组？
    hint: str  # how to answer in words: 例如「3组」
    parse: Callable[[str, Context], Any]
    show: Callable[[Any], str] = str
    choices: Callable[[Context, dict[str, Any]], list[Choice]] | None = None
    needed: Callable[[dict[str, Any]], bool] = always  # must have a value before filing
    shown: Callable[[dict[str, Any]], bool] = always  # appears on the confirmation card
    aliases: tuple[str, ...] = ()  # the words people use for it in an edit: 地点, 位置, 组
    editable: bool = True
    question_for: Callable[[Context], str] | None = None  # when the question depends on local rules
    filled_by_attachment: bool = False  # a photo or location sent while it is asked answers it


@dataclass(frozen=True)
class Filed:
    """What filing a form produced: the receipt number and the sentence that tells the sender so."""

    receipt: str
    message: str


@dataclass(frozen=True)
class FormSpec:
    kind: str
    title: str  # 巡查记录
    fields: tuple[FieldSpec, ...]
    file: Callable[[Context, FormState], Filed]
    start: Callable[[Context, dict[str, Any]], dict[str, Any]] = field(default=lambda _ctx, values: values)
    # values computed from the others (a quorum, a subsidy amount) before every question and card
    derive: Callable[[Context, dict[str, Any]], None] = field(default=lambda _ctx, _values: None)
    attachments: bool = False  # photos and locations sent while the draft is open are kept with it
    # the confirmation card's lines, when the fields one by one would not fit a phone (≤ 6 lines)
    rows: Callable[[Context, dict[str, Any]], list[tuple[str, str]]] | None = None
    # the answer is the person's own words (a complaint): words that read like a report are taken as the answer,
    # and only an explicit opener (今天巡查2组…) starts a new draft
    free_text: bool = False

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def named(self, word: str) -> FieldSpec | None:
        """The field a person means by `word` (地点 → grid)."""
        word = word.strip().removesuffix("的")
        for f in self.fields:
            if f.editable and (word == f.label or word in f.aliases):
                return f
        return None

    def missing(self, values: dict[str, Any]) -> list[FieldSpec]:
        return [f for f in self.fields if f.needed(values) and values.get(f.name) is None]


SPECS: dict[str, FormSpec] = {}


def register(spec: FormSpec) -> FormSpec:
    SPECS[spec.kind] = spec
    return spec
