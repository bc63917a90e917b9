"""A real Chromium for the 工作台's pages (Playwright driving Debian's chromium, which make test installs), at a
phone's width — the WeCom and DingTalk webviews — and a PC's. Screenshots go to var/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from browser.helpers import Shots, chromium_path


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    # package-wide, not session-wide: Playwright's sync API holds an event loop on this thread while it runs,
    # and the tests after these call asyncio.run()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def shots() -> Iterator[Shots]:
    taken = Shots()
    yield taken
    assert not taken.errors, taken.errors
