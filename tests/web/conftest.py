"""Fixtures of the browser tests: a model of Python's own documentation (part of every Python
install), exported as static folders in four storages, served by a plain static file server on
loopback, and headless Chromium driven by Playwright (skipped without either)."""

from __future__ import annotations

import functools
import itertools
import threading
import warnings
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from next_token import LanguageModel
from next_token.text.builtin import python_docs_texts
from next_token.training import TrainingConfig, train_model
from next_token.web.export import export_web

VARIANTS = {"f32": dict(bits=32), "q16": dict(bits=16), "q8": dict(bits=8), "pruned": dict(bits=8, threshold=3e-7)}
ALONE_HTML = """<!doctype html><meta charset="utf-8"><title>next-token.js alone</title>
<script type="module">
  import { load } from "./next-token.js";
  window.lm = await load("model.ntp");
  document.title = "loaded";
</script>"""


@pytest.fixture(scope="package")
def docs():
    """(training texts, held-out texts): 240 texts of Python's documentation, every 8th held out."""
    texts = list(itertools.islice(python_docs_texts(), 240))
    return [t for i, t in enumerate(texts) if i % 8], [t for i, t in enumerate(texts) if i % 8 == 0]


@pytest.fixture(scope="package")
def full_lm(docs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LanguageModel._from_trained(train_model(docs[0], TrainingConfig(order=4)))


@pytest.fixture(scope="package")
def sites(full_lm, tmp_path_factory):
    """{variant: (folder, the exported model as Python loads it)} under one served root."""
    root = tmp_path_factory.mktemp("sites")
    out = {}
    for name, options in VARIANTS.items():
        export_web(full_lm, root / name, **options)
        (root / name / "alone.html").write_text(ALONE_HTML, encoding="utf-8")  # the engine used alone
        out[name] = (root / name, LanguageModel.load(root / name / "model.ntp"))
    return root, out


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="package")
def served(sites):
    """The base URL of a static file server (Python's http.server) over the sites' root."""
    root, _ = sites
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def new_page(browser):
    """new_page(url) -> a page at url; JavaScript errors fail the test."""
    contexts, errors = [], []

    def make(url):
        context = browser.new_context(viewport={"width": 900, "height": 720})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        return page

    yield make
    for c in contexts:
        c.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def engine(new_page, served):
    """engine(variant) -> a page where `window.lm` is that variant's model loaded by next-token.js."""

    def make(variant):
        page = new_page(f"{served}/{variant}/alone.html")
        page.wait_for_function("window.lm !== undefined", timeout=10_000)
        return page

    return make
