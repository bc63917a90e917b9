"""Real WeCom callbacks, built the way WeCom builds them: the plaintext XML, encrypted and signed.

Used by the simulator's chat page, the tests and the benchmarks, so all three exercise exactly the path a
real callback takes.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from bot.platforms.wecom.crypto import WXBizMsgCrypt


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass
class Callback:
    params: dict[str, str]
    body: bytes
    plaintext: str

    @property
    def query(self) -> str:
        return urlencode(self.params)


class CallbackFactory:
    def __init__(self, token: str, aes_key: str, corp_id: str, agent_id: int | str = 1000002) -> None:
        self.crypto = WXBizMsgCrypt(token, aes_key, corp_id)
        self.corp_id = corp_id
        self.agent_id = str(agent_id)

    # -- plaintexts ---------------------------------------------------------------------------------
    def _head(self, user: str, msg_type: str, create_time: int | None) -> str:
        return (
            f"<ToUserName>{cdata(self.corp_id)}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>"
        )

    def _tail(self, msg_id: str | None) -> str:
        mid = msg_id or str(secrets.randbits(63))
        return f"<MsgId>{mid}</MsgId><AgentID>{self.agent_id}</AgentID>"

    def text(self, user: str, content: str, msg_id: str | None = None, create_time: int | None = None) -> str:
        return (
            f"<xml>{self._head(user, 'text', create_time)}<Content>{cdata(content)}</Content>{self._tail(msg_id)}</xml>"
        )

    def image(
        self,
        user: str,
        media_id: str = "sim-media",
        pic_url: str = "https://example.invalid/p.jpg",
        msg_id: str | None = None,
    ) -> str:
        return (
            f"<xml>{self._head(user, 'image', None)}<PicUrl>{cdata(pic_url)}</PicUrl>"
            f"<MediaId>{cdata(media_id)}</MediaId>{self._tail(msg_id)}</xml>"
        )

    def location(self, user: str, lat: float, lng: float, label: str = "", msg_id: str | None = None) -> str:
        return (
            f"<xml>{self._head(user, 'location', None)}<Location_X>{lat}</Location_X><Location_Y>{lng}</Location_Y>"
            f"<Scale>15</Scale><Label>{cdata(label)}</Label>{self._tail(msg_id)}<AppType>{cdata('wxwork')}</AppType></xml>"
        )

    def voice(self, user: str, media_id: str = "sim-voice", msg_id: str | None = None) -> str:
        return (
            f"<xml>{self._head(user, 'voice', None)}<MediaId>{cdata(media_id)}</MediaId>"
            f"<Format>{cdata('amr')}</Format>{self._tail(msg_id)}</xml>"
        )

    def event(self, user: str, name: str, key: str = "", create_time: int | None = None) -> str:
        return (
            f"<xml>{self._head(user, 'event', create_time)}<Event>{cdata(name)}</Event>"
            f"<EventKey>{cdata(key)}</EventKey><AgentID>{self.agent_id}</AgentID></xml>"
        )

    def card_tap(
        self,
        user: str,
        task_id: str,
        key: str,
        response_code: str | None = None,
        selections: dict[str, list[str]] | None = None,
        card_type: str = "button_interaction",
        create_time: int | None = None,
        spelling: str = "Option",
    ) -> str:
        """A template_card_event. `spelling="Opiton"` writes the misspelt element names some docs show."""
        items = ""
        if selections:
            parts = []
            for question, options in selections.items():
                ids = "".join(f"<{spelling}Id>{cdata(o)}</{spelling}Id>" for o in options)
                parts.append(
                    f"<SelectedItem><QuestionKey>{cdata(question)}</QuestionKey>"
                    f"<{spelling}Ids>{ids}</{spelling}Ids></SelectedItem>"
                )
            items = "<SelectedItems>" + "".join(parts) + "</SelectedItems>"
        code = response_code or secrets.token_hex(16)
        return (
            f"<xml>{self._head(user, 'event', create_time)}<Event>{cdata('template_card_event')}</Event>"
            f"<EventKey>{cdata(key)}</EventKey><TaskId>{cdata(task_id)}</TaskId>"
            f"<CardType>{cdata(card_type)}</CardType><ResponseCode>{cdata(code)}</ResponseCode>"
            f"<AgentID>{self.agent_id}</AgentID>{items}</xml>"
        )

    # -- the envelope -------------------------------------------------------------------------------
    def envelope(self, plaintext: str, timestamp: int | None = None, nonce: str | None = None) -> Callback:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        encrypt = self.crypto.encrypt(plaintext.encode())
        signature = self.crypto.signature(ts, nonce, encrypt)
        body = (
            f"<xml><ToUserName>{cdata(self.corp_id)}</ToUserName><Encrypt>{cdata(encrypt)}</Encrypt>"
            f"<AgentID>{cdata(self.agent_id)}</AgentID></xml>"
        ).encode()
        return Callback({"msg_signature": signature, "timestamp": ts, "nonce": nonce}, body, plaintext)

    def verify_request(self, echo: str, timestamp: int | None = None) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = str(secrets.randbelow(10**10))
        echostr = self.crypto.encrypt(echo.encode())
        return {
            "msg_signature": self.crypto.signature(ts, nonce, echostr),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": echostr,
        }
