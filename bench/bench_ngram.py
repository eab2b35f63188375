"""Benchmark of the n-gram engine: build, top-k queries, scoring, file size and load time.

    python bench/bench_ngram.py                       # books (275k tokens), orders 3 and 5
    python bench/bench_ngram.py --text /work/large/1m.txt --text /work/large/10m.txt

Every figure is printed next to a baseline measured in the same run, because machines are
noisy: build time against KenLM's lmplz on the same file when `lmplz` is on PATH (else the
reference figure from ../shared/kenlm/README.md is quoted); top-k against a brute-force scan
of the whole vocabulary (what KenLM must do: score every word); file size against the ARPA
file. Builds run in a child process so that peak memory (max RSS) is the build's alone.
Inputs are pre-tokenized text, one sentence per line (KenLM's input format).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
BOOKS = SHARED / "kenlm" / "books_head90.txt"
HELDOUT = SHARED / "kenlm" / "books_tail10.txt"


def build_child(text: str, order: int, out: str | None) -> None:
    """Child process: read, encode, count, estimate (and optionally save); print JSON timings."""
    sys.path.insert(0, str(ROOT / "src"))
    from next_token.ngram.build import ngram_from_stream
    from next_token.text.vocab import Vocabulary

    t0 = time.perf_counter()
    with open(text, encoding="utf-8") as f:
        vocab, stream = Vocabulary.build(line.split() for line in f)
    t1 = time.perf_counter()
    model = ngram_from_stream(stream, order, len(vocab))
    t2 = time.perf_counter()
    if out:
        from next_token.language_model import LanguageModel
        from next_token.text.tokenizer import get_tokenizer

        LanguageModel(model, vocab, get_tokenizer("whitespace")).save(out)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"read_s": t1 - t0, "estimate_s": t2 - t1, "total_s": t2 - t0,
                      "tokens": int(len(stream)), "ngrams": model.sizes, "peak_rss_mb": rss}))


def run_build(text: Path, order: int, out: Path | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", str(text), str(order)] + ([str(out)] if out else [])
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def run_lmplz(text: Path, order: int) -> dict | None:
    """lmplz on the same file, timed with its own rusage (see kenlm_tools.py), or None."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import kenlm_tools

    if not kenlm_tools.find_lmplz():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        r = kenlm_tools.run_lmplz(text, order, os.path.join(tmp, "o.arpa"))
    return {"total_s": r["wall_s"], "peak_rss_mb": r["peak_rss_mb"]}


def bench_queries(model_path: Path, heldout: Path, n_queries: int = 3000) -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    from next_token.language_model import LanguageModel

    t0 = time.perf_counter()
    lm = LanguageModel.load(model_path)
    load_ms = (time.perf_counter() - t0) * 1e3
    m = lm.model
    with open(heldout, encoding="utf-8") as f:
        stream = lm.vocab.encode_sentences(line.split() for line in f)
    rng = np.random.default_rng(0)
    ends = rng.integers(1, len(stream), n_queries)
    contexts = []
    for e in ends.tolist():
        start = e
        while start > 0 and stream[start - 1] != 1 and e - start < m.order - 1:
            start -= 1
        ctx = stream[max(start - 1, 0) : e] if stream[max(start - 1, 0)] == 1 else stream[start:e]
        contexts.append(ctx.tolist())
    for c in contexts[:200]:  # warm caches and the page cache of the mapped file
        m.top_k(c, 10)
    lat = []
    for c in contexts:
        t = time.perf_counter()
        m.top_k(c, 10)
        lat.append(time.perf_counter() - t)
    brute = []
    for c in contexts[:300]:
        t = time.perf_counter()
        d = m.distribution(c)
        best = np.argpartition(-d, 10)[:10]
        best[np.argsort(-d[best])]
        brute.append(time.perf_counter() - t)
    lat_us, brute_us = np.array(lat) * 1e6, np.array(brute) * 1e6
    # Batch scoring: the held-out text repeated to about 330k tokens per call, 3 calls.
    batch = np.tile(stream, max(1, 330_000 // len(stream)))
    t = time.perf_counter()
    for _ in range(3):
        m.score_stream(batch)
    score_tps = 3 * len(batch) / (time.perf_counter() - t)
    return {
        "load_ms": load_ms,
        "topk_median_us": float(np.median(lat_us)),
        "topk_p99_us": float(np.percentile(lat_us, 99)),
        "brute_median_us": float(np.median(brute_us)),
        "brute_p99_us": float(np.percentile(brute_us, 99)),
        "score_tokens_per_s": score_tps,
        "vocab": len(lm.vocab),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        build_child(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--text", action="append", type=Path, help="pre-tokenized training text (repeatable)")
    ap.add_argument("--orders", default="3,5")
    ap.add_argument("--heldout", type=Path, default=HELDOUT)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    texts = args.text or [BOOKS]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for text in texts:
            if not text.exists():
                print(f"skipping {text}: not found", file=sys.stderr)
                continue
            for order in [int(o) for o in args.orders.split(",")]:
                model_path = Path(tmp) / f"{text.stem}.o{order}.ntp"
                ours = run_build(text, order, model_path)
                kenlm = run_lmplz(text, order)
                row = {"text": str(text), "order": order, "ours": ours, "lmplz": kenlm,
                       "file_mb": model_path.stat().st_size / 1e6}
                arpa = Path(tmp) / "m.arpa"
                if sum(ours["ngrams"]) < 5_000_000:
                    sys.path.insert(0, str(ROOT / "src"))
                    from next_token.language_model import LanguageModel

                    LanguageModel.load(model_path).to_arpa(arpa)
                    row["arpa_mb"] = arpa.stat().st_size / 1e6
                    arpa.unlink()
                if args.heldout.exists():
                    row["queries"] = bench_queries(model_path, args.heldout)
                results.append(row)
                _print_row(row)
                model_path.unlink()
    if args.json:
        print(json.dumps(results, indent=2))


def _print_row(r: dict) -> None:
    o, k = r["ours"], r["lmplz"]
    print(f"\n== {Path(r['text']).name}, order {r['order']}: {o['tokens']:,} tokens, "
          f"{sum(o['ngrams']):,} n-grams {o['ngrams']}")
    line = f"build {o['total_s']:.2f} s (read+encode {o['read_s']:.2f}, count+estimate {o['estimate_s']:.2f}), " \
           f"peak RSS {o['peak_rss_mb']:.0f} MB"
    if k:
        line += f" | lmplz {k['total_s']:.2f} s, {k['peak_rss_mb']:.0f} MB -> ours/KenLM = {o['total_s'] / k['total_s']:.2f}x"
    else:
        line += " | lmplz not on PATH"
    print(line)
    print(f"model file {r['file_mb']:.1f} MB" + (f", ARPA {r['arpa_mb']:.1f} MB" if "arpa_mb" in r else ""))
    q = r.get("queries")
    if q:
        print(f"load {q['load_ms']:.1f} ms; top-10 median {q['topk_median_us']:.0f} us, p99 {q['topk_p99_us']:.0f} us "
              f"| brute-force scan of {q['vocab']:,} words median {q['brute_median_us']:.0f} us "
              f"-> speed-up {q['brute_median_us'] / q['topk_median_us']:.0f}x")
        print(f"scoring {q['score_tokens_per_s'] / 1e6:.2f} M tokens/s")


if __name__ == "__main__":
    main()
