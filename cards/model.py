"""The platform-neutral card: what a person sees and can tap, with no platform wording or limits.

A card is owned by a flow (the handler that sent it); taps come back as a `CardAction` carrying the card's
task id, and the dispatcher routes them to that flow. Templates under `cards/templates/<platform>/` turn a
card into the platform's JSON; they are the only place card wording lives besides the flow's own text.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

ButtonStyle = Literal["primary", "default", "danger", "plain"]


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
    """A drop-down shown above the buttons; the chosen option id arrives with the tap."""

    key: str
    title: str
    options: list[Option]
    selected: str | None = None


class Card(BaseModel):
    flow: str
    title: str
    description: str | None = None
    fields: list[CardField] = Field(default_factory=list)
    buttons: list[Button] = Field(default_factory=list)
    selection: Selection | None = None
    # Set once the card is finished ("已提交 · 编号 XC-…"): the buttons give way to this text.
    done_text: str | None = None
    # Flow state carried with the card; never rendered.
    data: dict[str, Any] = Field(default_factory=dict)
    task_id: str | None = None

    @property
    def interactive(self) -> bool:
        return bool(self.buttons) and self.done_text is None

    def finished(self, text: str) -> Card:
        return self.model_copy(update={"done_text": text})
