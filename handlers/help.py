"""帮助: a card listing what the bot does, one button per topic; a tap sends that topic's how-to. The topics
are the help lines declared with the intents (handlers/catalogue.py)."""

from __future__ import annotations

from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers.catalogue import catalogue
from handlers.context import Context
from handlers.registry import handles


def topics() -> dict[str, tuple[str, str]]:
    """The intents that declare a help line, in their order: key → (button, how-to)."""
    return {i.name: (i.help.label, i.help.text) for i in catalogue().intents if i.help}


def help_card() -> Card:
    buttons = [{"key": key, "label": label} for key, (label, _) in topics().items()]
    return build_card("help", flow="help", topics=buttons)


@handles("help")
def show_help(ctx: Context) -> None:
    ctx.card(help_card())


@handles("card:help")
def help_tapped(ctx: Context) -> None:
    action = ctx.inbound.card_action
    assert action is not None
    topic = topics().get(action.key.removeprefix("help:"))
    if topic is None:
        ctx.reply("这个按钮已失效，请发送「帮助」重新查看。")
        return
    label, text = topic
    ctx.reply(text)
    ctx.update_card(help_card().finished(phrase("sent", label=label)))
