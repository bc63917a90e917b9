"""Open forms in Redis: one key per person; a draft left alone for CADREBOT_FORM_TTL_HOURS expires.

Written before the handler's SQL transaction commits, together with the dedup key of the message that
produced it and the drafts it replaced. If the commit then fails and RQ retries the message, `load` sees
its own key and hands back the earlier drafts, so a retried message is applied once, not twice.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from redis import Redis

from handlers.forms.state import FormDesk, FormState

log = logging.getLogger("cadrebot.forms")
PREFIX = "cadrebot:form:"


class FormStore:
    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl = ttl_seconds

    def key(self, person_id: int) -> str:
        return f"{PREFIX}{person_id}"

    def load(self, person_id: int, message_key: str, now: datetime) -> tuple[FormDesk, list[dict[str, Any]]]:
        """The person's drafts as they were before this message, and their raw form for `save`'s undo."""
        raw = self.redis.get(self.key(person_id))
        if raw is None:
            return FormDesk(), []
        try:
            stored: dict[str, Any] = json.loads(raw)
        except ValueError:
            log.error("unreadable form state dropped", extra={"person_id": person_id})
            return FormDesk(), []
        items = stored.get("forms", [])
        if stored.get("applied") == message_key:  # this message was applied once already: start over
            items = stored.get("before", [])
        forms = []
        for item in items:
            try:
                form = FormState.model_validate(item)
            except ValidationError:
                log.error("a malformed draft was dropped", extra={"person_id": person_id})
                continue
            if now - form.updated_at <= timedelta(seconds=self.ttl):
                forms.append(form)
        return FormDesk(forms), items

    def save(self, person_id: int, desk: FormDesk, message_key: str, before: list[dict[str, Any]]) -> None:
        value = json.dumps({"forms": desk.dump(), "applied": message_key, "before": before}, ensure_ascii=False)
        # an empty desk stays a little while, so a retry of this message still finds its undo record
        self.redis.set(self.key(person_id), value, ex=self.ttl if desk.forms else 3600)

    def drafts(self, person_id: int, now: datetime) -> list[FormState]:
        desk, _ = self.load(person_id, "", now)
        return desk.forms
