"""Real DingTalk callbacks, built the way DingTalk builds them: a robot message (spec §1.1) signed with the
AppSecret in the `timestamp`/`sign` headers, and an interactive-card tap (§4.5.4) signed in the
x-ddpaas-signature headers. Used by the tests and the simulator, so both take the path a real one takes."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from bot.platforms.dingtalk.card_routes import CARD_PATH, card_signature
from bot.platforms.dingtalk.crypto import robot_sign

ROBOT_PATH = "/dingtalk/robot"


@dataclass
class DingCallback:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def content(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode()


class DingTalkCallbackFactory:
    def __init__(self, client_id: str, client_secret: str, corp_id: str = "dingcadrebotcorp") -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.corp_id = corp_id

    def _signed(self) -> dict[str, str]:
        timestamp = str(int(time.time() * 1000))
        return {"timestamp": timestamp, "sign": robot_sign(self._secret, timestamp), "Content-Type": "application/json"}

    def message(
        self,
        user: str,
        msgtype: str,
        body: dict[str, Any],
        *,
        session_webhook: str,
        session_expires_ms: int,
        nick: str = "",
        msg_id: str | None = None,
    ) -> DingCallback:
        now = int(time.time() * 1000)
        payload: dict[str, Any] = {
            "msgtype": msgtype,
            **body,
            "msgId": msg_id or "msg" + secrets.token_hex(12),
            "createAt": now,
            "conversationType": "1",
            "conversationId": "cid" + hashlib.sha1(user.encode()).hexdigest()[:20] + "==",
            "senderId": "$:LWCP_v1:$" + hashlib.sha1(("s" + user).encode()).hexdigest()[:24],
            "senderNick": nick or user,
            "senderCorpId": self.corp_id,
            "senderStaffId": user,
            "chatbotCorpId": self.corp_id,
            "chatbotUserId": "$:LWCP_v1:$robot",
            "robotCode": self.client_id,
            "isAdmin": False,
            "isInAtList": True,
            "sessionWebhook": session_webhook,
            "sessionWebhookExpiredTime": session_expires_ms,
        }
        return DingCallback(ROBOT_PATH, self._signed(), payload)

    def text(self, user: str, content: str, **session: Any) -> DingCallback:
        # DingTalk leaves the space of the stripped @mention in front
        return self.message(user, "text", {"text": {"content": " " + content}}, **session)

    def picture(self, user: str, download_code: str, **session: Any) -> DingCallback:
        return self.message(user, "picture", {"content": {"downloadCode": download_code}}, **session)

    def card_tap(
        self, user: str, out_track_id: str, key: str, selections: dict[str, list[str]] | None = None
    ) -> DingCallback:
        params: dict[str, Any] = {"action": key}
        for question, chosen in (selections or {}).items():
            params[question] = chosen[0] if len(chosen) == 1 else chosen
        payload = {
            "type": "actionCallback",
            "outTrackId": out_track_id,
            "corpId": self.corp_id,
            "userId": user,
            "spaceType": "IM_ROBOT",
            "spaceId": user,
            "userIdType": 1,
            "content": json.dumps({"cardPrivateData": {"actionIds": [key], "params": params}}, ensure_ascii=False),
        }
        timestamp = str(int(time.time() * 1000))
        headers = {
            "x-ddpaas-signature-timestamp": timestamp,
            "x-ddpaas-signature": card_signature(self._secret, timestamp),
            "Content-Type": "application/json",
        }
        return DingCallback(CARD_PATH, headers, payload)
