"""The platform-neutral card: what a person sees and can tap, with no platform wording or limits.

A card is owned by a flow (the handler that sent it); taps come back as a `CardAction` carrying the card's
task id, and the dispatcher routes them to that flow. Cards are built from the content templates under
`cards/templates/content/` (see `cards.content`), and the platform templates under
`cards/templates/<platform>/` turn them into the platform's JSON: templates are where card wording lives.

Four shapes, mirroring what every enterprise messenger offers:
  notice     — title, description, fields; nothing to tap
  buttons    — up to six buttons, optionally one drop-down whose choice arrives with the tap
  choices    — a list of options to tick (one or several), sent with a submit button
  selects    — up to three drop-downs, sent with a submit button
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

ButtonStyle = Literal["primary", "default", "danger", "plain"]
CardKind = Literal["notice", "buttons", "choices", "selects"]


class Button(BaseModel):
    key: str
    text: str
    style: ButtonStyle = "primary"


class CardField(BaseModel):
    label: str
    value: str


class Option(BaseModel):
    id: str
    text: str


class Selection(BaseModel):
    """A drop-down; the chosen option id arrives with the tap under `key`."""

    key: str
    title: str
    options: list[Option]
    selected: str | None = None


class Choices(BaseModel):
    """Options to tick; the ticked ids arrive with the submit under `key`."""

    key: str
    options: list[Option]
    multiple: bool = False
    checked: list[str] = Field(default_factory=list)


class Card(BaseModel):
    flow: str
    title: str
    description: str | None = None
    fields: list[CardField] = Field(default_factory=list)
    buttons: list[Button] = Field(default_factory=list)
    selection: Selection | None = None  # one drop-down above the buttons
    choices: Choices | None = None
    selects: list[Selection] = Field(default_factory=list)
    submit: Button | None = None  # for choices and selects
    # Set once the card is finished ("已提交 · 编号 XC-…"): the buttons give way to this text.
    done_text: str | None = None
    # Flow state carried with the card; never rendered.
    data: dict[str, Any] = Field(default_factory=dict)
    task_id: str | None = None

    @property
    def kind(self) -> CardKind:
        if self.choices is not None:
            return "choices"
        if self.selects:
            return "selects"
        if self.buttons:
            return "buttons"
        return "notice"

    @property
    def interactive(self) -> bool:
        return self.kind != "notice" and self.done_text is None

    def finished(self, text: str) -> Card:
        return self.model_copy(update={"done_text": text})
