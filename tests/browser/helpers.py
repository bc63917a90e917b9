"""What the browser tests share: the widths, the WeCom webview, screenshots and the console errors pages log."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
PC = {"viewport": {"width": 1366, "height": 900}}
WECOM_WEBVIEW = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "wxwork/4.1.30 MicroMessenger/7.0.1 Language/zh ColorScheme/Light"
)

DINGTALK_WEBVIEW = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "AliApp(DingTalk/7.6.10) com.laiwang.DingTalk/38541925 Channel/201200 language/zh-Hans-CN DingTalk/7.6.10"
)


def chromium_path() -> str:
    found = os.environ.get("CADREBOT_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("no Chromium: make test installs Debian's chromium (apt-get install -y chromium) where it can")
    return found


class Shots:
    """Screenshots named by page and width, and every console error a page logged (a CSP refusal is one)."""

    def __init__(self) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        return page

    def take(self, page: Page, name: str) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def context(browser: Browser, width: str, base_url: str, **extra: object) -> BrowserContext:
    options = {**(PHONE if width == "phone" else PC), **extra}
    return browser.new_context(base_url=base_url, locale="zh-CN", **options)  # type: ignore[arg-type]
