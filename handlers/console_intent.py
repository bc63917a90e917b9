"""工作台登录, declared once (handlers/catalogue.py); handled by handlers/console.py: a one-time link to the web
console, for the people who manage an area. No help line: the 帮助 card is for the people who report."""

from __future__ import annotations

from handlers.catalogue import Intent

DECLARED = (Intent(name="console", label="工作台登录", rank=85, never_clarified=True),)
