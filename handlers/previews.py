"""Preview, then send: a message to many people (a 通知, a 参会通知) is first shown to its sender as a card
saying who and how many it reaches; 发送 sends it and says to how many, any other button drops it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.models import CardAction
from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers.context import Context


@dataclass(frozen=True)
class Preview:
    flow: str
    template: str  # the preview card's
    send: Callable[[Context, dict[str, Any]], int]  # sends what the card holds; returns how many it reached
    sent: str  # the reply once sent; {n}: how many
    cancelled: str  # the reply when not sent

    def offer(self, ctx: Context, data: dict[str, Any], **shown: Any) -> None:
        """The preview card: `data` is what 发送 will send, `shown` what the card's template displays."""
        ctx.card(build_card(self.template, flow=self.flow, data={"stage": "preview", **data}, **shown))

    def taps(self, rest: Callable[[Context, CardAction, Card], None]) -> Callable[[Context], None]:
        """The flow's card-tap handler: a tap on the preview is answered here, any other goes to `rest`."""

        def tapped(ctx: Context) -> None:
            action, card = ctx.tap()
            if card.data.get("stage") == "preview":
                self.answer(ctx, action, card)
            else:
                rest(ctx, action, card)

        return tapped

    def answer(self, ctx: Context, action: CardAction, card: Card) -> None:
        """A tap on the preview card: 发送 sends (the card then says to how many), anything else cancels."""
        if action.key != "send":
            ctx.update_card(card.finished(phrase("cancelled")))
            ctx.reply(self.cancelled)
            return
        count = self.send(ctx, card.data)
        ctx.update_card(card.finished(phrase("sent_to", count=count)))
        ctx.reply(self.sent.format(n=count))
