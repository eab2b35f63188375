"""Latency of completion and generation, per token, on the books 5-gram model.

    .venv/bin/python bench/bench_decode.py                  # ~1 min on 2 cores
    .venv/bin/python bench/bench_decode.py --prompts 100 --out bench/DECODE_RESULTS.md

Model: /work/shared/kenlm/books_head90.txt, order 5, whitespace tokenizer (20,817 tokens).
Prompts: the first 3 to 6 tokens of test sentences (books_tail10.txt), so contexts are real and
mostly unseen as a whole.

Baseline, measured in the same run on the same contexts: one exact top-10 query
(`NgramModel.top_k(context_ids, 10)`), the unit step of greedy decoding. Every other figure is
also printed as a ratio to it. Per-token figures divide each call's time by the tokens it produced
(the calls' medians and 99th percentiles are taken over prompts).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from next_token.language_model import LanguageModel
from next_token.ngram.kneser_ney import DiscountFallbackWarning

warnings.simplefilter("ignore", DiscountFallbackWarning)

KENLM = Path(__file__).resolve().parents[1].parent / "shared" / "kenlm"


def timed(fn, *args, **kw):
    t = time.perf_counter_ns()
    out = fn(*args, **kw)
    return (time.perf_counter_ns() - t) / 1e3, out  # microseconds


def stats(values):
    a = np.asarray(values, dtype=np.float64)
    return float(np.median(a)), float(np.percentile(a, 99))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prompts", type=int, default=200)
    ap.add_argument("--order", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    train, test = KENLM / "books_head90.txt", KENLM / "books_tail10.txt"
    if not train.exists():
        sys.exit(f"{train} is absent: this benchmark needs ../shared/kenlm")

    lm = LanguageModel.train([str(train)], order=args.order, tokenizer="whitespace")
    rng = np.random.default_rng(0)
    prompts = []
    for line in test.read_text(encoding="utf-8").splitlines():
        toks = line.split()
        if len(toks) >= 7:
            prompts.append(" ".join(toks[: int(rng.integers(3, 7))]))
        if len(prompts) == args.prompts:
            break

    # Warm-up: page in the memory, fill per-thread scratch arrays.
    for p in prompts[:20]:
        lm.complete(p)
        lm.generate(p, max_tokens=5, seed=0)

    rows = []  # (name, unit, median us, p99 us, extra)

    def add(name, unit, values, extra=""):
        med, p99 = stats(values)
        rows.append((name, unit, med, p99, extra))
        print(f"{name:<52} {unit:<10} median {med:9.1f} us   p99 {p99:9.1f} us  {extra}", flush=True)

    ctxs = [lm.context_ids(p) for p in prompts]
    base = [timed(lm.model.top_k, c, 10)[0] for c in ctxs for _ in range(3)]
    add("baseline: NgramModel.top_k(context, 10)", "per call", base)
    add("predict(prompt, k=10)", "per call", [timed(lm.predict, p, 10)[0] for p in prompts])
    dist = [timed(lm.model.distribution, c)[0] for c in ctxs]
    add("NgramModel.distribution(context) (all 20,817 tokens)", "per call", dist)

    per_tok, n_tok = [], []
    for p in prompts:
        us, text = timed(lm.complete, p)
        n = len(text.split()) or 1  # whitespace tokens: one per space-separated piece
        per_tok.append(us / n)
        n_tok.append(n)
    add("complete(prompt) (beam search, best completion, to </s>)", "per token", per_tok,
        f"({np.mean(n_tok):.1f} tokens per completion)")

    per_tok, per_call = [], []
    for p in prompts[: max(20, len(prompts) // 4)]:
        us, comps = timed(lm.completions, p, 5)
        n = len(comps[0].tokens) if comps else 1
        per_call.append(us)
        per_tok.append(us / max(n, 1))
    add("completions(prompt, k=5) (beam search)", "per call", per_call)
    add("completions(prompt, k=5)", "per token", per_tok, "(tokens of the best completion)")

    for label, kw in [
        ("generate(max_tokens=50, temperature=1) (default: seen continuations)", {}),
        ("generate(max_tokens=50, top_k=40)", {"top_k": 40}),
        ("generate(max_tokens=50, top_p=0.9)", {"top_p": 0.9}),
        ("generate(max_tokens=50, temperature=0) (greedy)", {"temperature": 0.0}),
        ("generate(..., decoding='smoothed') (the full distribution)", {"decoding": "smoothed"}),
        ("generate(..., decoding='smoothed', top_p=0.9)", {"decoding": "smoothed", "top_p": 0.9}),
    ]:
        per_tok = []
        for i, p in enumerate(prompts[: max(20, len(prompts) // 4)]):
            t = time.perf_counter_ns()
            n = sum(1 for _ in lm.stream(p, max_tokens=50, seed=i, **kw))
            per_tok.append((time.perf_counter_ns() - t) / 1e3 / max(n, 1))
        add(label, "per token", per_tok)

    first = []
    for i, p in enumerate(prompts[:50]):
        t = time.perf_counter_ns()
        next(iter(lm.stream(p, max_tokens=50, seed=i)))
        first.append((time.perf_counter_ns() - t) / 1e3)
    add("stream(): time to first token (temperature=1)", "per call", first)

    base_med = rows[0][2]
    print("\nratios of medians to the baseline (one topk call):")
    for name, unit, med, p99, extra in rows[1:]:
        print(f"  {name:<52} {med / base_med:7.1f}x")
    if args.out:
        args.out.write_text(markdown(rows, args, len(prompts)), encoding="utf-8")
        print(f"wrote {args.out}")


def markdown(rows, args, n_prompts) -> str:
    cmd = "cd /work/main && .venv/bin/python bench/bench_decode.py " + " ".join(sys.argv[1:])
    base = rows[0][2]
    out = [
        "# Completion and generation latency (bench/bench_decode.py)",
        "",
        f"Command: `{cmd}`",
        "",
        f"Model: books_head90.txt, order {args.order}, whitespace tokens. {n_prompts} prompts = the first 3-6 "
        "tokens of test sentences. Python "
        f"{platform.python_version()}, 2 cores shared with other work (medians are robust to that; p99s less so).",
        "",
        "| what | unit | median | p99 | median / baseline | note |",
        "|---|---|---|---|---|---|",
    ]
    for name, unit, med, p99, extra in rows:
        out.append(f"| {name} | {unit} | {med:,.1f} us | {p99:,.1f} us | {med / base:.1f}x | {extra} |")
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    main()
