"""The exported page (index.html + app.js + next-token.js + model.ntp) from a static file server:
usable within a second, suggestions as you type, Tab, completions and samples, all equal to what
the Python package answers for the same file."""

from __future__ import annotations

import pytest

FIRST_LABEL = "document.querySelector('#suggestions li .label')"


def open_page(new_page, served, variant="q8"):
    page = new_page(f"{served}/{variant}/index.html")
    page.wait_for_function(f"{FIRST_LABEL} !== null", timeout=10_000)
    return page


def wait_for_first(page, label):
    page.wait_for_function(f"t => {{ const el = {FIRST_LABEL}; return el && el.textContent === t; }}", arg=label,
                           timeout=5000)


def labels(page):
    return page.locator("#suggestions li .label").all_inner_texts()


def shown(token):
    return "¶ end of sentence" if token == "</s>" else token


def test_first_suggestion_within_a_second_of_load(new_page, served, sites):
    _, lm = sites[1]["q8"]
    page = new_page(f"{served}/q8/index.html")
    # performance.now() counts from the start of the navigation: the download, the engine, the model
    at = page.wait_for_function(f"() => {FIRST_LABEL} && performance.now()", timeout=10_000).json_value()
    print(f"first suggestion {at:.0f} ms after navigation")
    assert at < 1000
    assert labels(page) == [shown(p.token) for p in lm.predict("", k=8)]
    assert "order 4" in page.locator("#model").inner_text()


def test_typing_shows_python_predictions_and_tab_accepts(new_page, served, sites):
    _, lm = sites[1]["q8"]
    page = open_page(new_page, served)
    box = page.locator("#text")
    box.click()
    box.press_sequentially("This module provides ", delay=10)
    want = lm.predict("This module provides ", k=8)
    wait_for_first(page, shown(want[0].token))
    assert labels(page) == [shown(p.token) for p in want]
    box.press("Tab")
    text = "This module provides " + lm.tokenizer.append_texts("This module provides ", [want[0].token])[0]
    page.wait_for_function("v => document.querySelector('#text').value === v", arg=text, timeout=5000)
    box.press_sequentially(" fu", delay=10)  # a partial word: words starting with it
    want = lm.predict(text + " ", k=8, prefix="fu")
    if want:
        wait_for_first(page, shown(want[0].token))
        assert labels(page) == [shown(p.token) for p in want]


@pytest.mark.parametrize("prompt", ["The function returns", "If the file does not exist,"])
def test_completions_and_samples_equal_python(new_page, served, sites, prompt):
    _, lm = sites[1]["q8"]
    page = open_page(new_page, served)
    box = page.locator("#text")
    box.click()
    box.fill(prompt)
    box.press("Control+Enter")
    page.wait_for_selector("#completions-box:not([hidden]) #completions li", timeout=10_000)
    want = [c.text.strip() or "(end)" for c in lm.completions(prompt, k=5, max_tokens=12)]
    assert page.locator("#completions li .label").all_inner_texts() == want
    page.locator("#completions li").first.click()
    page.wait_for_function("v => document.querySelector('#text').value === v",
                           arg=prompt + lm.completions(prompt, k=5, max_tokens=12)[0].text, timeout=5000)

    box.fill(prompt)
    box.press("Alt+Enter")  # three samples at temperature 0.8, seeds 1, 2, 3
    page.wait_for_function("() => document.querySelector('#completions-title').textContent.startsWith('Samples')",
                           timeout=10_000)
    samples = [lm.generate(prompt, max_tokens=30, temperature=0.8, seed=s) for s in (1, 2, 3)]
    want = [t.strip() for t in dict.fromkeys(samples) if t.strip()]
    assert page.locator("#completions li .label").all_inner_texts() == want


def test_the_served_page_runs_the_same_front_end(new_page, sites):
    """`ntp serve`'s page is the same app.js asking the server: the same suggestions and samples."""
    server = pytest.importorskip("next_token.server")
    _, lm = sites[1]["q8"]
    with server.running_server(lm) as url:
        page = new_page(url + "/")
        page.wait_for_function(f"{FIRST_LABEL} !== null", timeout=10_000)
        box = page.locator("#text")
        box.click()
        box.fill("The function returns")
        box.press("Alt+Enter")
        page.wait_for_function("() => document.querySelector('#completions-title').textContent.startsWith('Samples')",
                               timeout=10_000)
        samples = [lm.generate("The function returns", max_tokens=30, temperature=0.8, seed=s) for s in (1, 2, 3)]
        assert page.locator("#completions li .label").all_inner_texts() == [
            t.strip() for t in dict.fromkeys(samples) if t.strip()]
