"""Fixtures every test folder shares: an isolated model cache, and a headless Chromium."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Never build the default model into the user's real cache directory."""
    monkeypatch.setenv("NTP_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "ntp-cache"))


def chromium_path() -> str | None:
    for candidate in (os.environ.get("NTP_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for one test module. Playwright's sync API runs an event loop for as
    long as its driver lives, and allows one driver at a time: one per module lets the next
    module start its own, and tests that run asyncio themselves run after it is closed."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
