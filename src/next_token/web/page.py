"""The autocomplete page: one markup (page.html) for the two places it is shown.

`ntp serve` shows it at / with the front end asking the server's JSON API; `ntp export web`
writes it as index.html with the model running in the tab (next-token.js, model.ntp beside it,
linked relatively so that any static host serves the folder). Only the head's links, a footer
note and the script that picks the backend differ.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

_TEMPLATE = Path(__file__).parent / "page.html"

_SERVED = {
    "title": "autocomplete",
    "head": '  <link rel="stylesheet" href="/static/style.css">',
    "note": 'API: <a href="/docs">/docs</a>',
    "script": '  <script type="module" src="/static/app.js"></script>',
}
_IN_THE_TAB = {
    "title": "autocomplete in your browser",
    "head": '''  <link rel="stylesheet" href="style.css">
  <link rel="modulepreload" href="next-token.js">
  <link rel="preload" href="model.ntp" as="fetch" crossorigin>''',
    "note": 'the model runs in this tab (<a href="next-token.js">next-token.js</a>, no server)',
    "script": '''  <script type="module">
    import { load } from "./next-token.js";
    import { startPage, localBackend } from "./app.js";

    startPage(localBackend(load("model.ntp")));
  </script>''',
}


def page_html(served: bool) -> str:
    """The page for `ntp serve` (served=True) or for the folder `ntp export web` writes."""
    return Template(_TEMPLATE.read_text(encoding="utf-8")).substitute(_SERVED if served else _IN_THE_TAB)
