"""Signing in to the 工作台 with WeCom: 网页授权 inside the WeCom app (snsapi_base, silent) and 扫码登录 in a PC
browser. Both end at our redirect with a one-use `code` (five minutes) that auth/getuserinfo turns into the
member's userid. The redirect's domain must be the app's 可信域名, or WeCom refuses it."""

from __future__ import annotations

from urllib.parse import urlencode

from bot.config import Settings
from bot.platforms.base import DeliveryError
from bot.platforms.wecom.client import WeComClient

USER_AGENT_MARK = "wxwork"  # WeCom's webview names itself so; WeChat's says MicroMessenger without it


class WeComSignIn:
    platform = "wecom"

    def __init__(self, settings: Settings, client: WeComClient | None = None) -> None:
        from bot.platforms.wecom.sender import WeComSender

        self.settings = settings
        self.client = client or WeComSender.shared(settings).client  # one token cache and pool with the sender

    def url(self, redirect_uri: str, state: str, in_app: bool) -> str:
        s = self.settings
        if in_app:
            query = urlencode(
                {
                    "appid": s.wecom_corp_id,
                    "redirect_uri": redirect_uri,
                    "response_type": "code",
                    "scope": "snsapi_base",
                    "state": state,
                    "agentid": s.wecom_agent_id,
                }
            )
            return f"{s.wecom_oauth_base}/connect/oauth2/authorize?{query}#wechat_redirect"
        query = urlencode(
            {
                "login_type": "CorpApp",
                "appid": s.wecom_corp_id,
                "agentid": s.wecom_agent_id,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{s.wecom_login_base}/wwlogin/sso/login?{query}"

    def user_from_code(self, code: str) -> str | None:
        """The member's userid (lower-case, as the roster keeps it); None for a code WeCom does not take or for
        someone who is not a member of the corp (WeCom answers them with an openid only)."""
        try:
            data = self.client.get("/cgi-bin/auth/getuserinfo", {"code": code[:512]})
        except DeliveryError:
            return None
        userid = data.get("userid") or data.get("UserId")
        return str(userid).lower() if userid else None

    def user_from_app_code(self, code: str) -> str | None:
        return self.user_from_code(code)  # inside WeCom the app's own sign-in is 网页授权 too: the same code
