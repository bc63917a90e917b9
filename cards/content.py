"""Building cards from the content templates in cards/templates/content/.

A content template holds a card's wording and layout and renders to the JSON of a `Card`; the flow passes
only data. `phrase()` renders the short state texts a finished card shows ("已提交 · 编号 XC-…"), kept
as macros in content/phrases.j2 so every card says the same thing the same way.
"""

from __future__ import annotations

import json
from typing import Any

from cards.model import Card
from cards.render import environment


def card(name: str, *, flow: str, data: dict[str, Any] | None = None, **values: Any) -> Card:
    text = environment().get_template(f"content/{name}.j2").render(**values)
    spec = json.loads(text)
    return Card(flow=flow, data=data or {}, **spec)


def phrase(name: str, **values: Any) -> str:
    macro = getattr(environment().get_template("content/phrases.j2").module, name)
    return str(macro(**values)).strip()
