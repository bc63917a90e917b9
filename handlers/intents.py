"""Which handler a text message goes to. A deliberately small stand-in: it knows "help" and nothing
else, so that every other message reaches the fallback reply. The message-understanding work replaces
`classify` with the full intent and field model."""

from __future__ import annotations

import re

_HELP = re.compile(
    r"^\s*(帮助|帮忙|菜单|help|怎么用|如何使用|使用说明|说明|功能|你能做什么|能做什么|你会什么|\?|？)\s*[?？!！。.]*\s*$",
    re.I,
)


def classify(text: str) -> str:
    return "help" if _HELP.match(text or "") else "unknown"
