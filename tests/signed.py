"""Signed-in 工作台 clients for the console's tests: a person signs in the way they would inside the WeCom app
(the fake WeCom's silent OAuth), and the client keeps the session cookie and the page's CSRF token."""

from __future__ import annotations

import re

import httpx

WECOM_APP = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 wxwork/4.1.30 MicroMessenger/7.0.1"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Signed(httpx.Client):
    """A browser-like client signed in as one person. `post_form` adds the CSRF token as every page's forms do."""

    csrf: str = ""

    def post_form(self, url: str, data: dict[str, str] | None = None, **kwargs: object) -> httpx.Response:
        return self.post(url, data={"csrf": self.csrf, **(data or {})}, **kwargs)  # type: ignore[arg-type]


def sign_in(base_url: str, user: str) -> Signed:
    client = Signed(base_url=base_url, timeout=15, headers={"User-Agent": WECOM_APP})
    client.cookies.set("sim_wecom_user", user, path="/sim/wecom")
    home = client.get("/console", follow_redirects=True)
    assert home.status_code == 200 and home.url.path == "/console", (home.status_code, home.url, home.text[:300])
    found = _CSRF.search(home.text)
    assert found, "the signed-in page carries no CSRF token"
    client.csrf = found.group(1)
    return client
