"""What an unfinished form is (`FormState`) and the sender's open forms as a handler sees them (`FormDesk`).

The desk is loaded by the dispatcher before a handler runs and written back after it, so handlers stay
free of I/O. A person has at most `MAX_OPEN` drafts: the newest is the one being filled, the others wait
for 继续.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

MAX_OPEN = 3


class FormState(BaseModel):
    id: str = Field(default_factory=lambda: secrets.token_hex(6))
    kind: str
    values: dict[str, Any] = Field(default_factory=dict)
    stage: Literal["filling", "confirming"] = "filling"
    asking: str | None = None
    card_task_id: str | None = None  # the newest card sent for this form; older ones are stale
    source_text: str = ""
    attachments: list[dict[str, Any]] = Field(default_factory=list)
    started_at: datetime
    updated_at: datetime


class FormDesk:
    def __init__(self, forms: list[FormState] | None = None) -> None:
        self.forms: list[FormState] = list(forms or [])
        self.changed = False
        self.dropped: list[FormState] = []  # drafts pushed out by newer ones, for the caller to mention

    @property
    def current(self) -> FormState | None:
        return self.forms[-1] if self.forms else None

    def find(self, form_id: str) -> FormState | None:
        return next((f for f in self.forms if f.id == form_id), None)

    def open(self, form: FormState) -> FormState | None:
        """Make `form` the one being filled; returns the draft it puts on hold, if any."""
        held = self.current
        self.forms.append(form)
        while len(self.forms) > MAX_OPEN:
            self.dropped.append(self.forms.pop(0))
        self.changed = True
        return held

    def touch(self, form: FormState, now: datetime) -> None:
        form.updated_at = now
        if self.find(form.id) is not None and self.current is not form:
            self.forms = [f for f in self.forms if f.id != form.id] + [form]  # working on a draft brings it to the top
        self.changed = True

    def close(self, form: FormState) -> FormState | None:
        """Remove a draft (filed or cancelled); returns the draft now waiting, if any."""
        self.forms = [f for f in self.forms if f.id != form.id]
        self.changed = True
        return self.current

    def dump(self) -> list[dict[str, Any]]:
        return [f.model_dump(mode="json") for f in self.forms]
