"""The console's pages: Jinja2 templates (autoescaped) and the headers every page carries."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.console.nav import current, entries_for

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
    env = Environment(
        loader=PackageLoader("bot.console", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(nav_for=entries_for, nav_current=current)
    env.filters["day"] = day_text
    env.filters["when"] = when_text
    return env


def day_text(value: date | datetime | None) -> str:
    """3月5日: short enough for a phone column; times go through `when`."""
    if value is None:
        return "—"
    return f"{value.month}月{value.day}日"


def when_text(value: datetime | None, tz: str = "Asia/Shanghai") -> str:
    if value is None:
        return "—"
    t = value.astimezone(ZoneInfo(tz))
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    body = environment().get_template(template).render(**values)
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def notice(title: str, text: str, status: int, action: tuple[str, str] | None = None) -> HTMLResponse:
    """A short page that says what went wrong and what to do, in place of a bare error code."""
    return page("notice.html", status, title=title, text=text, action=action, viewer=None)
