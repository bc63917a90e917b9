"""When the bot is not sure what a message is, it asks instead of guessing: a card with the two or three
likeliest readings. The tap re-reads the same message as the chosen intent."""

from __future__ import annotations

from cards.content import card as build_card
from cards.content import phrase
from handlers.catalogue import catalogue, fields_for
from handlers.context import Context
from handlers.describe import label
from handlers.nlu import Understood
from handlers.nlu.normalize import normalize
from handlers.registry import handler_for, handles


def readings(u: Understood, limit: int = 3) -> list[str]:
    offered = catalogue().offered  # the intents a tap can act on
    ranked = [intent for intent, score in u.ranking if intent in offered and score > 0]
    if u.intent in offered and u.intent not in ranked:
        ranked.insert(0, u.intent)
    return ranked[:limit]


@handles("clarify")
def ask_which(ctx: Context) -> None:
    u = ctx.understood
    assert u is not None
    options = readings(u)
    if not options:
        handler = handler_for("other")
        if handler:
            handler(ctx)
        return
    snippet = u.text if len(u.text) <= 30 else u.text[:29] + "…"
    choices = [{"intent": intent, "label": label(intent)} for intent in options]
    ctx.card(build_card("clarify", flow="clarify", data={"text": u.text}, snippet=snippet, options=choices))


@handles("card:clarify")
def chosen(ctx: Context) -> None:
    action, card = ctx.tap()
    text = str(card.data.get("text", ""))
    intent = action.key.removeprefix("as:")
    if intent == "none" or intent not in catalogue().offered:
        ctx.update_card(card.finished(phrase("cancelled")))
        ctx.reply("好的。您可以换个说法再发一次，或发送「帮助」查看示例。")
        return
    ctx.update_card(card.finished(phrase("as_intent", label=label(intent))))
    fields = fields_for(intent, normalize(text), text, ctx.local_now)
    ctx.understood = Understood(
        text=text,
        normalized=normalize(text),
        intent=intent,
        fields=fields,
        confidence=1.0,
        ranking=[(intent, 1.0)],
        reasons=["chosen by the sender"],
    )
    ctx.intent = intent
    handler = handler_for(intent)
    if handler:
        handler(ctx)
