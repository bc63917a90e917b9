"""Taps on any form's cards (questions, the confirmation, the field picker) go to the form engine, whichever
form the card belongs to."""

from __future__ import annotations

from handlers.context import Context
from handlers.forms import engine
from handlers.registry import handles


@handles("card:form")
def form_tapped(ctx: Context) -> None:
    _, card = ctx.tap()
    engine.tapped(ctx, card)
