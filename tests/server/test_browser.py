"""The autocomplete page in a real headless browser: Playwright driving Debian's Chromium against a
live server. Skips when Playwright or Chromium is not installed (Playwright cannot download its
own browser here: .ci/run installs Debian's)."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest

from next_token.language_model import LanguageModel
from next_token.server import running_server
from next_token.text.corpus import Text

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

CORPUS = """
The cat sat on the mat. The cat sat on the mat again. The cat sat on the warm chair.
The dog sat on the log. The dog ran in the park. The old man walked his dog in the park.
The young woman read a book in the garden. She read the book slowly, and then she read it again.
In the morning the sun rose over the hills. In the evening the sun set behind the trees.
"""


def chromium_path() -> str | None:
    for candidate in (os.environ.get("NTP_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def page_url():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # too little text for Kneser-Ney discounts
        lm = LanguageModel.train([Text(CORPUS)], order=3)
    with running_server(lm) as url:
        yield url, lm


@pytest.fixture(scope="module")
def browser():
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


@pytest.fixture
def page(browser, page_url):
    url, _ = page_url
    context = browser.new_context(viewport={"width": 900, "height": 720})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(url + "/")
    yield pg
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def suggestion_labels(page) -> list[str]:
    return page.locator("#suggestions li .label").all_inner_texts()


def wait_for_first_suggestion(page, token: str) -> None:
    page.wait_for_function(
        "t => { const el = document.querySelector('#suggestions li .label');"
        " return el && el.textContent === t; }", arg=token, timeout=5000)


def test_typing_shows_suggestions_and_tab_accepts_the_first(page, page_url, tmp_path):
    _, lm = page_url
    box = page.locator("#text")
    box.click()
    box.press_sequentially("The cat sat on the ", delay=20)
    expected = lm.predict("The cat sat on the ", k=8)
    wait_for_first_suggestion(page, expected[0].token)
    assert suggestion_labels(page) == [p.token for p in expected]
    # the bars: one per suggestion, the widest first, widths following the probabilities
    widths = page.locator("#suggestions li .bar").evaluate_all("els => els.map(e => parseFloat(e.style.width))")
    assert widths[0] == pytest.approx(100.0)
    assert widths == sorted(widths, reverse=True)
    probs = page.locator("#suggestions li .prob").all_inner_texts()
    assert all(p.endswith("%") or "e-" in p for p in probs)
    page.screenshot(path=str(tmp_path / "suggestions.png"))

    box.press("Tab")
    page.wait_for_function(
        "v => document.querySelector('#text').value === v", arg="The cat sat on the " + expected[0].token,
        timeout=5000)
    assert page.evaluate("document.activeElement.id") == "text"  # Tab did not move the focus

    # right after accepting, the suggestions are for the following word: Tab again writes it
    after = "The cat sat on the " + expected[0].token
    nxt = lm.predict(after, k=8)[0]
    wait_for_first_suggestion(page, nxt.token)
    box.press("Tab")
    text_after = after + lm.tokenizer.join_continuation(after, [nxt.token]) if nxt.token != "</s>" else after
    page.wait_for_function("v => document.querySelector('#text').value === v", arg=text_after, timeout=5000)
    page.screenshot(path=str(tmp_path / "after_tab.png"))
    print(f"screenshots in {tmp_path}")


def test_partial_word_is_completed_in_place(page, page_url):
    _, lm = page_url
    box = page.locator("#text")
    box.click()
    box.press_sequentially("The old m", delay=20)
    expected = lm.predict("The old ", k=8, prefix="m")
    assert expected and expected[0].token == "man"
    wait_for_first_suggestion(page, "man")
    assert all(label.startswith("m") for label in suggestion_labels(page))
    box.press("Tab")
    page.wait_for_function("() => document.querySelector('#text').value === 'The old man'", timeout=5000)


def test_after_a_sentence_ends_the_page_suggests_sentence_starts(page, page_url):
    _, lm = page_url
    box = page.locator("#text")
    box.click()
    box.press_sequentially("The cat sat on the mat.", delay=10)
    expected = lm.predict("The cat sat on the mat.", k=8)
    assert expected[0].token == "</s>"
    wait_for_first_suggestion(page, "¶ end of sentence")
    box.press("Tab")  # accepting the end of the sentence starts the next one
    page.wait_for_function("() => document.querySelector('#text').value === 'The cat sat on the mat. '",
                           timeout=5000)
    starts = [p.token for p in lm.predict("", k=8)]
    wait_for_first_suggestion(page, starts[0])
    assert suggestion_labels(page) == starts
    box.press("Tab")
    page.wait_for_function("v => document.querySelector('#text').value === v",
                           arg="The cat sat on the mat. " + starts[0], timeout=5000)


def test_clicking_a_suggestion_accepts_it(page, page_url):
    _, lm = page_url
    box = page.locator("#text")
    box.click()
    # a trailing space: the page asks for the next word (without it, it would complete "dog")
    box.press_sequentially("The dog ", delay=20)
    expected = lm.predict("The dog ", k=8)
    wait_for_first_suggestion(page, expected[0].token)
    second = expected[1].token
    page.locator("#suggestions li").nth(1).click()
    page.wait_for_function("v => document.querySelector('#text').value === v", arg="The dog " + second,
                           timeout=5000)


def test_completions_button_shows_completions_and_click_accepts(page, page_url, tmp_path):
    _, lm = page_url
    box = page.locator("#text")
    box.click()
    box.press_sequentially("The young woman", delay=10)
    box.press("Control+Enter")
    page.wait_for_selector("#completions-box:not([hidden]) #completions li", timeout=5000)
    expected = lm.completions("The young woman", k=5, max_tokens=12)
    labels = page.locator("#completions li .label").all_inner_texts()
    assert labels == [c.text.strip() for c in expected]
    page.screenshot(path=str(tmp_path / "completions.png"))
    page.locator("#completions li").first.click()
    page.wait_for_function("v => document.querySelector('#text').value === v",
                           arg="The young woman" + expected[0].text, timeout=5000)
    assert page.locator("#completions-box").is_hidden()


def test_fast_typing_ends_on_the_latest_suggestions(page, page_url):
    """Debounced, latest-wins requests: after a burst of typing the list matches the final text."""
    _, lm = page_url
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.url.endswith("/api/predict") else None)
    box = page.locator("#text")
    box.click()
    box.press_sequentially("In the morning the sun ", delay=5)
    expected = lm.predict("In the morning the sun ", k=8)
    wait_for_first_suggestion(page, expected[0].token)
    assert suggestion_labels(page) == [p.token for p in expected]
    typed = len("In the morning the sun ")
    assert len(requests) < typed / 2, f"{len(requests)} requests for {typed} keystrokes: not debounced"


def test_the_page_asks_for_the_api_key_once_and_uses_it(browser, page_url):
    """On a server with API keys the page asks for one when the API says 401, then works."""
    _, lm = page_url
    with running_server(lm, api_keys=["s3cret"]) as url:
        context = browser.new_context()
        pg = context.new_page()
        dialogs: list[str] = []

        def answer(dialog):
            dialogs.append(dialog.message)
            dialog.accept("s3cret")

        pg.on("dialog", answer)
        pg.goto(url + "/")
        box = pg.locator("#text")
        box.click()
        box.press_sequentially("The cat sat on the ", delay=20)
        wait_for_first_suggestion(pg, lm.predict("The cat sat on the ", k=8)[0].token)
        assert len(dialogs) == 1 and "API key" in dialogs[0]
        assert "order 3" in pg.locator("#model").inner_text()  # /api/info got the key too
        context.close()
