"""The console's pages: Jinja2 templates (autoescaped) and the headers every page carries."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

# Pages load only their own styles and scripts; the one-time link's token must not leave in a Referer.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("bot.console", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    body = environment().get_template(template).render(**values)
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def notice(title: str, text: str, status: int, action: tuple[str, str] | None = None) -> HTMLResponse:
    """A short page that says what went wrong and what to do, in place of a bare error code."""
    return page("notice.html", status, title=title, text=text, action=action, viewer=None)
