"""The autocomplete page in a real headless browser: Playwright driving Debian's Chromium against a
live server. Skips when Playwright or Chromium is not installed (Playwright cannot download its
own browser here: .ci/run installs Debian's)."""

from __future__ import annotations

import warnings

import pytest

from next_token.language_model import LanguageModel
from next_token.server import running_server
from next_token.text.corpus import Text

CORPUS = """
The cat sat on the mat. The cat sat on the mat again. The cat sat on the warm chair.
The dog sat on the log. The dog ran in the park. The old man walked his dog in the park.
The young woman read a book in the garden. She read the book slowly, and then she read it again.
In the morning the sun rose over the hills. In the evening the sun set behind the trees.
"""


@pytest.fixture(scope="module")
def page_url():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # too little text for Kneser-Ney discounts
        lm = LanguageModel.train([Text(CORPUS)], order=3)
    with running_server(lm) as url:
        yield url, lm


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


# ---- search and spelling: shown only for a model that has them ---------------------------------

GHOST_LINES = ["He came from the house. She went from the garden to the house.",
               "They walked from the town. The ghost lived in the house.",
               "Their house was old. There was a ghost in their garden.",
               "Christine sang at the opera house. Raoul loved Christine."]


@pytest.fixture(scope="module")
def ghost_url(tmp_path_factory):
    """A server whose model has a corpus index and a lexicon, trained from a file (its hits say
    ghosts.txt:line)."""
    folder = tmp_path_factory.mktemp("ghosts")
    (folder / "ghosts.txt").write_text("\n".join(GHOST_LINES * 20) + "\n")
    lm = LanguageModel.train([folder / "ghosts.txt"], order=3, discount_fallback="ignore")
    assert lm.info()["index"] and lm.info()["spelling"]
    with running_server(lm) as url:
        yield url, lm


@pytest.fixture
def ghost_page(browser, ghost_url):
    url, _ = ghost_url
    context = browser.new_context(viewport={"width": 900, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(url + "/")
    pg.wait_for_selector("#search-box")
    pg.wait_for_selector("#spelling")
    yield pg
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def wait_for_value(page, value: str) -> None:
    page.wait_for_function("v => document.querySelector('#text').value === v", arg=value, timeout=5000)


def test_the_search_box_shows_hits_pages_and_neighbours(ghost_page, ghost_url, tmp_path):
    _, lm = ghost_url
    want = lm.search("the ghost", ignore_case=True, limit=20, context=10)
    assert want.count == 20
    ghost_page.fill("#search-phrase", "the ghost")
    ghost_page.press("#search-phrase", "Enter")
    ghost_page.wait_for_selector("#search-hits li")
    assert ghost_page.inner_text("#search-count") == "20 occurrences of “the ghost”"
    hits = ghost_page.locator("#search-hits li")
    assert hits.count() == 10
    assert hits.locator(".where").all_inner_texts() == [f"ghosts.txt:{h.line}" for h in want.hits[:10]]
    assert hits.locator("mark").all_inner_texts() == ["The ghost"] * 10
    assert hits.first.locator(".kwic").inner_text().startswith(want.hits[0].before)
    # the words around the phrase, with their counts; the source's full name in the tooltip
    assert "lived" in ghost_page.inner_text("#search-after")
    assert hits.first.locator(".where").get_attribute("title") == want.hits[0].source
    ghost_page.screenshot(path=str(tmp_path / "search.png"))

    ghost_page.click("#search-more")
    ghost_page.wait_for_function("() => document.querySelectorAll('#search-hits li').length === 20", timeout=5000)
    assert hits.locator(".where").all_inner_texts() == [f"ghosts.txt:{h.line}" for h in want.hits]
    assert ghost_page.locator("#search-more").is_hidden()

    ghost_page.fill("#search-phrase", "the unicorn")
    ghost_page.press("#search-phrase", "Enter")
    ghost_page.wait_for_function(
        "() => document.querySelector('#search-count').textContent.includes('not in the training text')", timeout=5000)
    assert hits.count() == 0


def test_a_typo_then_space_is_autocorrected_and_undo_restores_it(ghost_page, tmp_path):
    box = ghost_page.locator("#text")
    box.click()
    box.press_sequentially("The gohst ", delay=20)
    wait_for_value(ghost_page, "The ghost ")
    note = ghost_page.locator("#autocorrect-note")
    assert note.inner_text() == "autocorrected “gohst” → “ghost” (undo)"
    assert ghost_page.evaluate("document.querySelector('#text').selectionStart") == len("The ghost ")
    ghost_page.screenshot(path=str(tmp_path / "autocorrected.png"))

    box.press("Control+z")  # right after the correction, Ctrl+Z undoes it
    wait_for_value(ghost_page, "The gohst ")
    assert "kept" in note.inner_text()

    # a word restored is left alone from then on; another typo is corrected, and undone by the link
    box.press_sequentially("lived in the hosue.", delay=20)
    wait_for_value(ghost_page, "The gohst lived in the house.")
    assert ghost_page.locator("#autocorrect-undo").is_visible()
    box.press_sequentially(" The", delay=20)  # typing on: the link still undoes it, Ctrl+Z no longer does
    ghost_page.click("#autocorrect-undo")
    wait_for_value(ghost_page, "The gohst lived in the hosue. The")
    assert ghost_page.evaluate("document.activeElement.id") == "text"
    assert ghost_page.evaluate("document.querySelector('#text').selectionStart") == len("The gohst lived in the hosue. The")


def test_a_flagged_word_is_underlined_and_fixed_by_a_click(ghost_page, tmp_path):
    box = ghost_page.locator("#text")
    box.click()
    # not typed key by key: no autocorrect, the check after the pause flags the words; the emoji
    # (two UTF-16 units, one code point) tests that the page places them with JavaScript's offsets
    box.fill("😀 He came form the hosue.")
    ghost_page.wait_for_function("() => document.querySelectorAll('#misspellings button').length === 2", timeout=5000)
    assert ghost_page.locator("#misspellings button").all_inner_texts() == ["form → from", "hosue → house"]
    assert ghost_page.locator(".editor .mirror mark").all_inner_texts() == ["form", "hosue"]
    assert ghost_page.inner_text("#spelling-status") == "2 possible misspellings:"
    # the underline sits under the word: the mirror's mark and the textarea's text line up
    mark = ghost_page.locator(".editor .mirror mark").nth(1).bounding_box()
    area = box.bounding_box()
    assert area["x"] < mark["x"] < area["x"] + area["width"] and area["y"] < mark["y"] < area["y"] + 60
    ghost_page.screenshot(path=str(tmp_path / "flagged.png"))

    box.press("Home")  # the caret before the fixed word: it stays there
    ghost_page.locator("#misspellings button", has_text="hosue").click()
    wait_for_value(ghost_page, "😀 He came form the house.")
    assert ghost_page.evaluate("document.querySelector('#text').selectionStart") == 0
    assert ghost_page.evaluate("document.activeElement.id") == "text"
    ghost_page.wait_for_function("() => document.querySelectorAll('#misspellings button').length === 1", timeout=5000)
    assert ghost_page.locator(".editor .mirror mark").all_inner_texts() == ["form"]


def test_autocorrect_can_be_turned_off_and_stays_off(ghost_page):
    checkbox = ghost_page.locator("#autocorrect")
    assert checkbox.is_checked()
    checkbox.uncheck()
    box = ghost_page.locator("#text")
    box.click()
    box.press_sequentially("The gohst ", delay=20)
    ghost_page.wait_for_selector("#misspellings button", timeout=5000)  # flagged, not replaced
    assert box.input_value() == "The gohst "
    ghost_page.reload()
    ghost_page.wait_for_selector("#spelling")
    assert not ghost_page.locator("#autocorrect").is_checked()
    ghost_page.locator("#autocorrect").check()  # the browser context is the test's own: leave it tidy


def test_a_typo_match_among_the_suggestions_is_marked(ghost_page, ghost_url):
    _, lm = ghost_url
    box = ghost_page.locator("#text")
    box.click()
    box.press_sequentially("Chirs", delay=20)
    want = lm.predict("", k=8, prefix="Chirs")
    assert want[0].token == "Christine" and want[0].distance == 1
    ghost_page.wait_for_function("() => document.querySelector('#mode').textContent.includes('Chirs')", timeout=5000)
    assert suggestion_labels(ghost_page) == ["Christine"]
    typo = ghost_page.locator("#suggestions li").first.locator(".typo")
    assert typo.is_visible() and typo.inner_text() == "≈"
    assert "1 edit from “Chirs”" in typo.get_attribute("title")
    for _ in range(3):
        box.press("Backspace")
    box.press_sequentially("ri", delay=20)  # "Chri": an exact beginning, no mark
    ghost_page.wait_for_function(
        "() => { const t = document.querySelector('#suggestions li .typo');"
        " return t && t.hidden && document.querySelector('#mode').textContent.includes('Chri'); }", timeout=5000)
    assert suggestion_labels(ghost_page)[0] == "Christine"


def test_a_model_without_index_or_spelling_shows_neither(browser):
    with warnings.catch_warnings():  # a character model has no words to correct
        warnings.simplefilter("ignore")
        lm = LanguageModel.train([Text(CORPUS)], order=3, tokenizer="char", index=False)
    with running_server(lm) as url:
        context = browser.new_context()
        pg = context.new_page()
        requests: list[str] = []
        pg.on("request", lambda r: requests.append(r.url))
        pg.goto(url + "/")
        pg.wait_for_function("() => document.querySelector('#model').textContent.includes('order 3')", timeout=5000)
        box = pg.locator("#text")
        box.click()
        box.press_sequentially("The cta ", delay=20)
        wait_for_first_suggestion(pg, lm.predict("The cta ", k=8)[0].token)
        for selector in ("#search-box", "#spelling", ".editor", "#autocorrect"):
            assert pg.locator(selector).count() == 0, selector
        assert not [r for r in requests if "/api/search" in r or "/api/correct" in r]
        context.close()
