"""Preview, then send: a message to many people (a 通知, a 参会通知) is first shown to its sender as a card
saying who and how many it reaches; 发送 sends it and says to how many, any other button drops it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.models import CardAction
from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers.context import Context

Send = Callable[[Context, dict[str, Any]], int]  # sends what the preview holds; returns how many it reached


def offer_preview(ctx: Context, template: str, flow: str, data: dict[str, Any], **shown: Any) -> None:
    """The preview card: `data` is what 发送 will send, `shown` what the card's template displays."""
    ctx.card(build_card(template, flow=flow, data={"stage": "preview", **data}, **shown))


def answer_preview(
    ctx: Context, action: CardAction, card: Card, *, send: Send, sent: Callable[[int], str], cancelled: str
) -> None:
    """A tap on the preview card: 发送 sends (the card then says to how many), anything else cancels."""
    if action.key != "send":
        ctx.update_card(card.finished(phrase("cancelled")))
        ctx.reply(cancelled)
        return
    count = send(ctx, card.data)
    ctx.update_card(card.finished(phrase("sent_to", count=count)))
    ctx.reply(sent(count))
