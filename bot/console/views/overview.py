"""总览: the state of the work in the viewer's area. People who manage nobody get their own short page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from bot.console.nav import MANAGE
from bot.console.web import Call, Console


def show(call: Call) -> Response:
    if not call.viewer.has(*MANAGE):
        return call.render("home_member.html")
    return call.render("overview.html")


def add(router: APIRouter, console: Console) -> None:
    """/console itself is routed in bot/console/routes.py: unsigned, it starts the app's own sign-in."""
