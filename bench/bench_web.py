"""The model in a browser tab: equality with Python, speed in headless Chromium, and sizes.

    python bench/bench_web.py               # books o5 (8-bit, pruned 8-bit) and the default model
    python bench/bench_web.py --contexts 300 --skip-default

1. Equality. books_head90 o5 exported with `ntp export web` (8-bit values; and pruned to about 3 MB):
   for N held-out contexts of books_tail10 the JavaScript top-10 (ids, probabilities to 1e-6
   relative) against the Python engine's on the same file; completions (beam search) and seeded
   samples for held-out prompts.
2. Speed in headless Chromium: top-10 per context (each context timed over 100 calls, because the
   browser's clock is coarse), median and 99th percentile, beside the Python engine's on the same
   file; completions per prompt.
3. The default model (`LanguageModel.default()`, Python's documentation) exported as `ntp export
   web` does by default: file sizes raw and gzip (what a static host transfers), and the time
   from navigation to the first suggestion shown, from `python -m http.server`-style serving on
   loopback (median of 5 cold loads). Its perplexity cost: the same configuration trained on 7/8
   of the documentation and measured on the rest, full model against exported.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KENLM, table  # noqa: E402
from next_token.language_model import LanguageModel  # noqa: E402
from next_token.ngram.build import ngram_from_stream  # noqa: E402
from next_token.text.tokenizer import get_tokenizer  # noqa: E402
from next_token.text.vocab import BOS, Vocabulary  # noqa: E402
from next_token.web.export import export_web  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ALONE = """<!doctype html><meta charset="utf-8"><script type="module">
import { load } from "./next-token.js"; window.lm = await load("model.ntp");</script>"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(root: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def contexts_of(lm, text, n, seed=0):
    rng = random.Random(seed)
    sentences = list(lm.tokenizer.sentences(text))
    rng.shuffle(sentences)
    out = []
    for s in sentences[:n]:
        ids = [BOS] + [lm.vocab.id(t) for t in s]
        out.append(lm.trim(ids[: rng.randrange(1, len(ids) + 1)]))
    return out


def prompts_of(text, n, seed=1):
    rng = random.Random(seed)
    lines = [line for line in text.splitlines() if len(line.split()) > 5]
    rng.shuffle(lines)
    return [" ".join(line.split()[: rng.randrange(2, 7)]) for line in lines[:n]]


def compare(page, lm, contexts, prompts) -> dict:
    """Equality and timings of the engine in `page` against the Python engine `lm`."""
    js = page.evaluate("""cs => cs.map(c => {
        const r = window.lm.model.topK(c, 10), t = performance.now();
        for (let i = 0; i < 100; i++) window.lm.model.topK(c, 10);
        return [r.ids, r.probs, (performance.now() - t) / 100]; })""", contexts)
    mismatches, max_rel = 0, 0.0
    for ctx, (ids, probs, _) in zip(contexts, js):
        want_ids, want_p = lm.model.top_k(ctx, 10)
        if ids != want_ids.tolist():
            mismatches += 1
        elif len(probs):
            max_rel = max(max_rel, float(np.max(np.abs(np.array(probs) / want_p - 1))))
    py_times = []
    for ctx in contexts:
        t = time.perf_counter()
        for _ in range(20):
            lm.model.top_k(ctx, 10)
        py_times.append((time.perf_counter() - t) / 20 * 1e3)
    comp = page.evaluate("""ps => ps.map(p => { const t = performance.now();
        const r = window.lm.completions(p, { k: 5, maxTokens: 12 }).map(c => c.text);
        return [r, performance.now() - t]; })""", prompts)
    comp_bad = sum(got != [c.text for c in lm.completions(p, k=5, max_tokens=12)] for p, (got, _) in zip(prompts, comp))
    seeds = list(range(len(prompts)))
    samples = page.evaluate("""cs => cs.map(([p, s]) => window.lm.generate(p, { maxTokens: 30, temperature: 0.8, seed: s }))""",
                            [[p, s] for p, s in zip(prompts, seeds)])
    sample_bad = sum(got != lm.generate(p, max_tokens=30, temperature=0.8, seed=s)
                     for p, s, got in zip(prompts, seeds, samples))
    js_ms = [t for _, _, t in js]
    return {"contexts": len(contexts), "top10_mismatches": mismatches, "max_rel_diff": max_rel,
            "js_top10_median_ms": statistics.median(js_ms), "js_top10_p99_ms": float(np.percentile(js_ms, 99)),
            "py_top10_median_ms": statistics.median(py_times), "prompts": len(prompts), "completion_mismatches": comp_bad,
            "js_completions_median_ms": statistics.median(t for _, t in comp), "sample_mismatches": sample_bad}


def first_suggestion_ms(browser, url, runs=5) -> list[float]:
    out = []
    for _ in range(runs):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        at = page.wait_for_function("() => document.querySelector('#suggestions li .label') && performance.now()",
                                    timeout=20_000).json_value()
        out.append(at)
        context.close()
    return out


def default_rows(tmp: Path) -> tuple[list, dict]:
    from next_token.text.builtin import python_docs_texts
    from next_token.training import TrainingConfig, train_model

    lm = LanguageModel.default()
    report = export_web(lm, tmp / "default")
    texts = list(python_docs_texts())
    train, held = [t for i, t in enumerate(texts) if i % 8], [t for i, t in enumerate(texts) if i % 8 == 0]
    full = LanguageModel._from_trained(train_model(train, TrainingConfig(order=5)))
    export_web(full, tmp / "proxy")
    small = LanguageModel.load(tmp / "proxy" / "model.ntp")
    held_text = "\n\n".join(t for _, t in held)
    cost = {"full": full.perplexity(held_text), "exported": small.perplexity(held_text)}
    rows = [[name, f"{f['bytes'] / 1e6:.3f} MB", f"{f['gzip_bytes'] / 1e6:.3f} MB"] for name, f in report["files"].items()]
    rows.append(["total", f"{report['bytes'] / 1e6:.2f} MB", f"{report['gzip_bytes'] / 1e6:.2f} MB"])
    return rows, {"report": report, "cost": cost, "source_bytes": os.path.getsize(lm.path) if lm.path else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contexts", type=int, default=1000)
    ap.add_argument("--prompts", type=int, default=40)
    ap.add_argument("--skip-default", action="store_true")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("NTP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    held_text = (KENLM / "books_tail10.txt").read_text(encoding="utf-8")
    with open(KENLM / "books_head90.txt", encoding="utf-8") as f:
        vocab, stream = Vocabulary.build(line.split() for line in f)
    books = LanguageModel(ngram_from_stream(stream, 5, len(vocab)), vocab, get_tokenizer("whitespace"))
    tmp = Path(tempfile.mkdtemp(prefix="bench_web_"))
    try:
        exports = {"books o5, 8-bit": export_web(books, tmp / "q8", bits=8),
                   "books o5, pruned to 3 MB": export_web(books, tmp / "small", target=3_000_000)}
        for folder in ("q8", "small"):
            (tmp / folder / "alone.html").write_text(ALONE, encoding="utf-8")
        default = None if args.skip_default else default_rows(tmp)
        server, url = serve(tmp)
        results = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            for (name, report), folder in zip(exports.items(), ("q8", "small")):
                lm = LanguageModel.load(tmp / folder / "model.ntp")
                page = browser.new_context().new_page()
                page.goto(f"{url}/{folder}/alone.html")
                page.wait_for_function("window.lm !== undefined", timeout=20_000)
                results[name] = compare(page, lm, contexts_of(lm, held_text, args.contexts),
                                        prompts_of(held_text, args.prompts))
                results[name]["bytes"], results[name]["gzip"] = report["bytes"], report["gzip_bytes"]
                results[name]["perplexity"] = lm.perplexity(held_text)
                print(name, results[name], file=sys.stderr)
            first = None if default is None else first_suggestion_ms(browser, f"{url}/default/index.html")
            browser.close()
        server.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"books_head90 o5 exported; {args.contexts} held-out contexts of books_tail10, {args.prompts} prompts\n")
    print(table(["export", "folder / gzip", "perplexity", "top-10 equal", "max rel. diff", "JS top-10 median / p99",
                 "Python top-10 median", "completions equal", "JS completions median", "samples equal"],
                [[name, f"{r['bytes'] / 1e6:.2f} / {r['gzip'] / 1e6:.2f} MB", f"{r['perplexity']:.2f}",
                  f"{r['contexts'] - r['top10_mismatches']}/{r['contexts']}", f"{r['max_rel_diff']:.1e}",
                  f"{r['js_top10_median_ms'] * 1e3:.0f} / {r['js_top10_p99_ms'] * 1e3:.0f} us",
                  f"{r['py_top10_median_ms'] * 1e3:.0f} us", f"{r['prompts'] - r['completion_mismatches']}/{r['prompts']}",
                  f"{r['js_completions_median_ms']:.1f} ms", f"{r['prompts'] - r['sample_mismatches']}/{r['prompts']}"]
                 for name, r in results.items()]))
    if default is not None:
        rows, facts = default
        cost = facts["cost"]
        print(f"\nThe default model exported (`ntp export web`, 8-bit values): first suggestion "
              f"{statistics.median(first):.0f} ms after navigation (median of {len(first)} cold loads: "
              f"{', '.join(f'{x:.0f}' for x in first)} ms); source file {facts['source_bytes'] / 1e6:.2f} MB\n")
        print(table(["file", "bytes", "gzip"], rows))
        print(f"\nPerplexity cost (same configuration, 7/8 of the documentation, held-out 1/8): "
              f"full {cost['full']:.2f}, exported {cost['exported']:.2f} ({cost['exported'] / cost['full'] - 1:+.2%})")


if __name__ == "__main__":
    main()
