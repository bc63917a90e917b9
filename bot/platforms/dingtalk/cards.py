"""DingTalk interactive cards (互动卡片, spec §4.5): which card template to use, and a tap coming back.

The bot's cards are sent as interactive cards through the card API, from ONE generic card template built
in DingTalk's 卡片平台 whose variables are the ones cards/templates/dingtalk/card.j2 fills (title,
markdown, fields, buttons, selection, selects, choices, submit, done, done_text …; every value a string).
Its buttons use the action 回传请求 with params {"action": <button key>}; drop-downs and choices send their
choice under their own key. The card's outTrackId is the card's task id — new for every card, so never
reused — which is how a tap finds its card again (bot/dispatch.py resolves a CardAction by task id).

Without a template id (CADREBOT_DINGTALK_CARD_TEMPLATE_ID) cards go out as robot markdown messages: the
content is shown but nothing can be tapped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.models import CardAction, Inbound, Kind

PLATFORM = "dingtalk"


class CardCallbackError(ValueError):
    """A card callback that cannot be read."""


@dataclass(frozen=True)
class CardOptions:
    template_id: str | None  # the generic card template's id ("….schema"); None: markdown instead of cards
    route_key: str | None  # the registered HTTP callbackRouteKey; None: taps come over Stream

    @property
    def interactive(self) -> bool:
        return bool(self.template_id)


def card_options(settings: Settings) -> CardOptions:
    return CardOptions(settings.dingtalk_card_template_id or None, settings.dingtalk_card_route_key or None)


def _selections(params: dict[str, Any]) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for key, value in params.items():
        if key == "action" or value in (None, ""):
            continue
        if isinstance(value, str) and value.startswith("["):
            with contextlib.suppress(ValueError, RecursionError):
                value = json.loads(value)
        if isinstance(value, list):
            chosen[key] = [str(v) for v in value if v not in (None, "")]
        elif isinstance(value, dict) and "id" in value:  # a select component may send {"id","text"}
            chosen[key] = [str(value["id"])]
        else:
            chosen[key] = [str(value)]
    return chosen


def inbound_from_card_callback(
    payload: dict[str, Any], *, received_at: datetime, message_id: str | None = None
) -> Inbound:
    """A tap on an interactive card (HTTP body or Stream `data` of /v1.0/card/instances/callback) → the
    same CardAction a WeCom tap gives: task_id = outTrackId, key = the button's action, selections.

    `message_id` is the transport's own id when it has one (Stream headers.messageId): a redelivery repeats
    it. Without one, the same person pressing the same button with the same choices on the same card is
    the same tap."""
    if not isinstance(payload, dict):
        raise CardCallbackError("the card callback must be a JSON object")
    track = payload.get("outTrackId")
    user = payload.get("userId")
    if not isinstance(track, str) or not track:
        raise CardCallbackError("outTrackId is missing")
    if not isinstance(user, str) or not user:
        raise CardCallbackError("userId is missing")
    content = payload.get("content") or "{}"
    if isinstance(content, str):  # a JSON *string* on the wire
        try:
            content = json.loads(content)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep
            raise CardCallbackError("content is not JSON") from None
    if not isinstance(content, dict):
        raise CardCallbackError("content must be a JSON object")
    private = content.get("cardPrivateData") or {}
    if not isinstance(private, dict):
        raise CardCallbackError("cardPrivateData must be an object")
    params = private.get("params") or {}
    if not isinstance(params, dict):
        raise CardCallbackError("cardPrivateData.params must be an object")
    action_ids = private.get("actionIds") or []
    key = params.get("action") or (action_ids[0] if isinstance(action_ids, list) and action_ids else None)
    if not isinstance(key, str) or not key:
        raise CardCallbackError("neither params.action nor actionIds names the button")
    selections = _selections(params)
    corp = str(payload.get("corpId") or "")
    if message_id:
        dedup = f"{PLATFORM}:card:{message_id}"
    else:
        chosen = json.dumps(selections, sort_keys=True, ensure_ascii=False)
        dedup = f"{PLATFORM}:card:{corp}:{user}:{track}:{key}:{chosen}"
    action = CardAction(
        task_id=track,
        key=key,
        selections=selections,
        response_code=track,  # DingTalk updates a card by its outTrackId: that is the code to keep
        card_type=str(payload.get("spaceType") or "") or None,
    )
    return Inbound(
        platform=PLATFORM,
        tenant=corp,
        sender=user,
        message_id=message_id or "card-" + hashlib.sha1(dedup.encode()).hexdigest()[:24],
        dedup_key=dedup,
        created_at=received_at,
        kind=Kind.CARD_ACTION,
        card_action=action,
    )
