"""Card → platform JSON through the Jinja2 templates in cards/templates/<platform>/.

Each string goes through `tojson`, so the template cannot produce invalid JSON whatever a cadre typed;
`clip` keeps text inside the platform's limits (cards/wecom_limits.py for WeCom, cards/dingtalk_limits.py
for DingTalk).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from cards import dingtalk_limits, wecom_limits
from cards.model import Card

BUTTON_STYLES = {"primary": 1, "default": 2, "danger": 3, "plain": 4}
DINGTALK_COLORS = {"primary": "blue", "default": "gray", "danger": "red", "plain": "gray"}
WECOM_TEMPLATES = {
    "notice": "text_notice",
    "buttons": "button_interaction",
    "choices": "vote_interaction",
    "selects": "multiple_interaction",
}


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
        auto_reload=False,  # templates ship with the code; checking their mtime on every card costs a syscall
    )
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    env.filters["clip"] = clip
    env.globals["button_style"] = BUTTON_STYLES
    env.globals["L"] = wecom_limits
    env.globals["T"] = dingtalk_limits
    env.globals["ding_color"] = DINGTALK_COLORS
    return env


def wecom_card_type(card: Card) -> str:
    return WECOM_TEMPLATES[card.kind]


def render(platform: str, card: Card, **context: Any) -> dict[str, Any]:
    """The platform's card JSON as a dict. `context` carries platform settings (links, source name)."""
    if platform == "dingtalk":
        return render_dingtalk(card)
    if platform != "wecom":
        raise ValueError(f"no card templates for {platform}")
    template = environment().get_template(f"wecom/{wecom_card_type(card)}.j2")
    text = template.render(card=card, source=context.get("source", "村务助手"), link=context.get("link"))
    return json.loads(text)


def render_dingtalk(card: Card) -> dict[str, Any]:
    """DingTalk: {"cardParamMap": every value a string within 1 KB (the interactive card), "markdown": {title,
    text} (the robot ActionCard / markdown message when interactive cards are not configured)}."""
    env = environment()
    markdown = env.get_template("dingtalk/markdown.j2").render(card=card).strip()
    params = json.loads(env.get_template("dingtalk/card.j2").render(card=card, markdown=markdown))
    return {
        "cardParamMap": {key: dingtalk_limits.as_param(value) for key, value in params.items()},
        "markdown": {"title": clip(card.title, dingtalk_limits.TITLE), "text": markdown},
    }
