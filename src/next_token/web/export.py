"""`ntp export web`: a folder that runs a model in a browser tab, with no server and no build step.

    export_web(lm, "site/", target=10_000_000)
    # site/index.html   the autocomplete page (the same front end as `ntp serve`'s, app.js)
    # site/app.js, site/style.css
    # site/next-token.js  the engine, an ES module usable alone: import { load } from "./next-token.js"
    # site/model.ntp    the model file, n-gram tables packed (ngram/packed.py)

Any static host serves it (or `python -m http.server -d site`). The model file is the package's own
format: the engine reads its JSON header and maps the arrays with typed arrays, so nothing is
converted and nothing but the header is parsed. The n-gram tables are packed, quantized to fit
`target` bytes when one is given (see `ngram.prune.compact`), and the engine answers from the
stored values exactly as the Python engine does on the same file (tests/web/).

What the browser engine does not have: BPE tokenizers (their merges would need the `tokenizers`
library's algorithm in JavaScript) and the unbounded-context index (its suffix array is large;
a hybrid model is exported as its n-gram part).
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

from ..errors import InputError
from ..language_model import LanguageModel
from ..ngram.packed import PackedNgramModel
from ..ngram.prune import compact
from .page import page_html

STATIC = Path(__file__).parent / "static"  # the browser files, also served by `ntp serve` at /web
PAGE_FILES = ("index.html", "app.js", "style.css", "next-token.js")  # index.html: written from page.html
MODEL_FILE = "model.ntp"
WEB_TOKENIZERS = ("word", "char", "whitespace")


def export_web(lm, out_dir: str | os.PathLike, *, target: int | None = None, bits: int | None = None,
               threshold: float | None = None) -> dict:
    """Write the static folder for `lm` (a LanguageModel) into `out_dir`; return what was written.

    `target` (bytes of the model file), `bits` and `threshold` choose how small the model gets
    (`ngram.prune.compact`); a model already packed is copied as it is unless one is given.
    """
    if lm.tokenizer.name not in WEB_TOKENIZERS:
        raise InputError(f"a {lm.tokenizer.name} model cannot run in the browser yet; "
                         f"the browser engine has the {', '.join(WEB_TOKENIZERS)} tokenizers")
    ngram = lm.model.ngram
    notes = []
    if lm.model.corpus_index is not None:
        notes.append("the unbounded-context index is not exported: the page uses the n-gram part")
    report: dict = {"threshold": None, "bits": None}
    if isinstance(ngram, PackedNgramModel) and target is None and bits is None and threshold is None:
        packed = ngram
        report["bits"] = ngram.meta.get("bits", {}).get("prob")
    else:
        other = sum(a.nbytes for a in lm.vocab.to_arrays().values())
        if lm.tokenizer.spacing is not None:
            other += sum(a.nbytes for a in lm.tokenizer.spacing.to_arrays().values())
        packed, report = compact(ngram, target=target, bits=bits, threshold=threshold,
                                 extra_bytes=other + 16_384)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    LanguageModel(packed, lm.vocab, lm.tokenizer, lm.meta).save(out / MODEL_FILE)
    (out / "index.html").write_text(page_html(served=False), encoding="utf-8")
    for name in PAGE_FILES[1:]:
        shutil.copyfile(STATIC / name, out / name)
    files = {name: _sizes(out / name) for name in (*PAGE_FILES, MODEL_FILE)}
    return {
        "output": str(out),
        "files": files,
        "bytes": sum(f["bytes"] for f in files.values()),
        "gzip_bytes": sum(f["gzip_bytes"] for f in files.values()),
        "ngrams": packed.sizes,
        "notes": notes,
        **report,
    }


def _sizes(path: Path) -> dict:
    data = path.read_bytes()
    return {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, compresslevel=6, mtime=0))}
