"""Signing in to the 工作台 with DingTalk's web login (a PC browser, or the DingTalk app's own browser): the login
page sends the person back to our redirect with a one-use authCode, which the API turns into their userid. Inside
the DingTalk app, the H5 micro-app's page asks the app itself for a 免登 code (JSAPI requestAuthCode), which the
corp app's token turns into the userid (topapi/v2/user/getuserinfo)."""

from __future__ import annotations

from urllib.parse import urlencode

from bot.config import Settings
from bot.platforms.base import DeliveryError
from bot.platforms.dingtalk.client import DingTalkClient


class DingTalkSignIn:
    platform = "dingtalk"

    def __init__(self, settings: Settings, client: DingTalkClient | None = None) -> None:
        from bot.platforms.dingtalk.sender import DingTalkSender

        self.settings = settings
        self.client = client or DingTalkSender.shared(settings).client  # one token cache and pool with the sender

    def url(self, redirect_uri: str, state: str, in_app: bool) -> str:
        query = urlencode(
            {
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "client_id": self.settings.dingtalk_client_id,
                "scope": "openid",
                "state": state,
                "prompt": "consent",
            }
        )
        return f"{self.settings.dingtalk_login_base}/oauth2/auth?{query}"

    def user_from_code(self, code: str) -> str | None:
        try:
            return self.client.user_from_auth_code(code[:512])
        except DeliveryError:
            return None

    def user_from_app_code(self, code: str) -> str | None:
        try:
            return self.client.user_from_h5_code(code[:512])
        except DeliveryError:
            return None
