"""Card → platform JSON through the Jinja2 templates in cards/templates/<platform>/.

Each string goes through `tojson`, so the template cannot produce invalid JSON whatever a cadre typed;
`clip` keeps text inside the platform's limits (WeCom: title 36, desc 44, button 10 characters).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from cards.model import Card

BUTTON_STYLES = {"primary": 1, "default": 2, "danger": 3, "plain": 4}


def clip(text: object, limit: int) -> str:
    s = "" if text is None else str(text)
    return s if len(s) <= limit else s[: max(limit - 1, 0)] + "…"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cards", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    env.filters["clip"] = clip
    env.globals["button_style"] = BUTTON_STYLES
    return env


def wecom_card_type(card: Card) -> str:
    return "button_interaction" if card.buttons else "text_notice"


def render(platform: str, card: Card, **context: Any) -> dict[str, Any]:
    """The platform's card JSON as a dict. `context` carries platform settings (links, source name)."""
    if platform != "wecom":
        raise ValueError(f"no card templates for {platform}")
    kind = wecom_card_type(card)
    template = environment().get_template(f"wecom/{kind}.j2")
    text = template.render(card=card, source=context.get("source", "村务助手"), link=context.get("link"))
    return json.loads(text)
