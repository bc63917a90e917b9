"""Card task ids: unique forever, within WeCom's charset [0-9A-Za-z_-@] and 128 bytes (DingTalk's
outTrackId accepts the same)."""

from __future__ import annotations

import secrets
from datetime import datetime


def new_task_id(flow: str, now: datetime) -> str:
    safe = "".join(c for c in flow if c.isascii() and c.isalnum())[:16] or "card"
    return f"{safe}-{now:%Y%m%d%H%M%S}-{secrets.token_hex(6)}"
