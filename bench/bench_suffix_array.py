"""Benchmark the suffix-array index and the unbounded-context (infinity-gram) model.

    .venv/bin/python bench/bench_suffix_array.py                      # books, plus the large corpus if present
    .venv/bin/python bench/bench_suffix_array.py --large /work/large/large.txt --queries 1000

Books: the index is built on ../shared/kenlm/books_head90.txt and queried with n-grams and contexts
taken from books_tail10.txt; the unbounded model's next-token top-1 accuracy is measured on
books_tail10.txt (vocabulary from head90, unknown words -> <unk> = 0, one <s> ... </s> per line,
every token but <s> predicted from its sentence so far, as KenLM scores).
Large corpus (one pre-tokenized sentence per line): the last 1% of each of 100 blocks of sentences
is held out; the index is built on the rest and queried with the held-out text.

Every latency is compared with a brute-force numpy scan of the same in-memory id stream, measured
in the same run, and the answers of both are checked to be equal on those queries. Each query is
timed 3 times and its fastest time kept (the machine is shared; this measures the query, not the
neighbours); medians and 99th percentiles are over queries.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from next_token.model_file import read_model_file, write_model_file
from next_token.ngram.build import ngram_from_stream
from next_token.text.vocab import BOS, EOS
from next_token.unbounded.build import build_index, suffix_array
from next_token.unbounded.estimate import UnboundedModel
from next_token.unbounded.index import SuffixArray
from next_token.unbounded.mixing import (
    DEFAULT_COPY_GUARD,
    CopyGuard,
    fit_weights,
    heldout_split,
    hybrid_distribution,
    hybrid_logprobs,
    longest_copied_span,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def read_ids(path: Path, vocab: dict[str, int], grow: bool) -> np.ndarray:
    """Whitespace tokens, <s> ... </s> per non-empty line; unknown words -> 0 unless `grow`."""
    out: list[int] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            out.append(BOS)
            if grow:
                out.extend(vocab.setdefault(w, len(vocab)) for w in words)
            else:
                out.extend(vocab.get(w, 0) for w in words)
            out.append(EOS)
    return np.array(out, np.uint32)


def new_vocab() -> dict[str, int]:
    return {"<unk>": 0, "<s>": BOS, "</s>": EOS}


# -- brute-force baselines over the in-memory stream ---------------------------------------------


def brute_positions(s: np.ndarray, pat: list[int]) -> np.ndarray:
    """Start positions of `pat` in `s`: filter the first token's positions by each next token."""
    n, m = s.size, len(pat)
    if m == 0:
        return np.arange(n)
    cand = np.flatnonzero(s[: n - m + 1] == pat[0])
    for j in range(1, m):
        cand = cand[s[cand + j] == pat[j]]
    return cand


def brute_next_counts(s: np.ndarray, ctx: list[int]) -> tuple[int, np.ndarray, np.ndarray]:
    """Longest suffix of ctx followed by a token in s, and its continuation counts, by scanning."""
    n = s.size
    best = np.arange(n)
    length = 0
    for L in range(1, len(ctx) + 1):
        pos = brute_positions(s, ctx[len(ctx) - L :])
        pos = pos[pos + L < n]
        if not pos.size:
            break
        best, length = pos, L
    tokens, counts = np.unique(s[best + length], return_counts=True)
    return length, tokens, counts


# -- helpers --------------------------------------------------------------------------------------


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def best_of(fn, arg, k: int = 3) -> tuple[float, object]:
    """The fastest of k timings of fn(arg): the machine is shared, and the minimum measures the
    query's own cost rather than the neighbours' load."""
    best, out = float("inf"), None
    for _ in range(k):
        t, out = timed(fn, arg)
        best = min(best, t)
    return best, out


def cold(index: SuffixArray, fn):
    """fn with the index's block cache cleared first (measures a first-time query)."""
    def call(arg):
        index.clear_cache()
        return fn(arg)
    return call


def lat_stats(seconds: list[float]) -> tuple[float, float]:
    us = np.array(seconds) * 1e6
    return float(np.median(us)), float(np.percentile(us, 99))


def queries_from(held: np.ndarray, k: int, rng: np.random.Generator):
    """k n-grams (length 1-8, inside one sentence) and k contexts (a sentence up to a token)."""
    bos = np.flatnonzero(held == BOS)
    sent_of = np.searchsorted(bos, np.arange(held.size), side="right") - 1
    pos = rng.choice(np.flatnonzero(held != BOS), size=k, replace=True)
    ngrams, contexts = [], []
    for t in pos.tolist():
        start = int(bos[sent_of[t]]) if sent_of[t] >= 0 else 0
        contexts.append(held[start:t].tolist())
        m = int(rng.integers(1, 9))
        ngrams.append(held[max(start + 1, t - m + 1) : t + 1].tolist())
    return ngrams, contexts


def bench_index(name: str, train: np.ndarray, held: np.ndarray, n_queries: int, n_brute: int, repeat: int, rows: list):
    print(f"\n## {name}: {train.size:,} training tokens, {held.size:,} held-out tokens", flush=True)
    rng = np.random.default_rng(0)

    # build
    times, idx = [], None
    for _ in range(repeat):
        t, idx = timed(build_index, train)
        times.append(t)
    build_s = float(np.median(times))
    plain = build_index(train, compact=False)
    rows.append((name, "index build (median of %d)" % repeat, f"{build_s:.2f} s", f"{train.size / build_s / 1e6:.2f} M tokens/s"))
    rows.append((name, "index size, compact", f"{idx.bytes_per_token:.2f} bytes/token",
                 f"stream {idx.stream.width} B + SA {idx.meta()['sa_width']} B per token + tables; {idx.nbytes / 1e6:.1f} MB"))
    rows.append((name, "index size, compact=False", f"{plain.bytes_per_token:.2f} bytes/token",
                 f"stream {plain.stream.width} B + SA {plain.meta()['sa_width']} B per token + tables"))
    try:
        import pydivsufsort  # noqa: F401  (optional: only to compare against a C library)

        t_c, sa_c = timed(suffix_array, train, False, "divsufsort")
        t_np, sa_np = timed(suffix_array, train, False, "numpy")
        same = bool(np.array_equal(sa_c, sa_np))
        rows.append((name, "SA build: numpy doubling vs pydivsufsort (C)", f"{t_np:.2f} s vs {t_c:.2f} s",
                     f"ratio {t_np / t_c:.2f}x, identical arrays: {same}"))
    except ImportError:
        pass

    # save and memory-mapped load
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.ntp"
        t_save, _ = timed(write_model_file, path, "suffix-array-bench", {"index": idx.meta()}, idx.to_arrays("u."))
        t_load, (_, meta, arrays) = timed(read_model_file, path)
        t_from, mapped = timed(SuffixArray.from_arrays, arrays, meta["index"], "u.")
        rows.append((name, "save / mmap load + from_arrays", f"{t_save * 1e3:.0f} ms / {(t_load + t_from) * 1e3:.2f} ms", ""))
        ngrams, contexts = queries_from(held, n_queries, rng)
        for label, index in (("in memory", idx), ("memory-mapped", mapped), ("compact=False", plain)):
            c_lat = [best_of(index.count, p)[0] for p in ngrams]
            n_lat = [best_of(cold(index, index.next_token_counts), c)[0] for c in contexts]
            cm, cp = lat_stats(c_lat)
            nm, np99 = lat_stats(n_lat)
            rows.append((name, f"count, {label} ({len(ngrams)} n-grams of 1-8 tokens)", f"median {cm:.0f} us, p99 {cp:.0f} us", ""))
            rows.append((name, f"next_token_counts, {label}, cold ({len(contexts)} held-out contexts)", f"median {nm:.0f} us, p99 {np99:.0f} us",
                         "block cache cleared before every call"))
        index = idx
        index.clear_cache()
        warm = [timed(index.next_token_counts, c)[0] for c in contexts]
        wm, wp = lat_stats(warm)
        rows.append((name, f"next_token_counts, in memory, warm ({len(contexts)} held-out contexts, each once)", f"median {wm:.0f} us, p99 {wp:.0f} us",
                     "huge blocks cached as they are met"))
        del mapped, arrays

    # brute force on a subset, same queries, checked equal
    b_c, b_n, i_c, i_n = [], [], [], []
    for p in ngrams[:n_brute]:
        t, want = best_of(lambda q: brute_positions(train, q).size, p)
        b_c.append(t)
        t, got = best_of(idx.count, p)
        i_c.append(t)
        assert got == want, (p, got, want)
    for c in contexts[:n_brute]:
        t, want = best_of(lambda q: brute_next_counts(train, q), c)
        b_n.append(t)
        t, got = best_of(cold(idx, idx.next_token_counts), c)
        i_n.append(t)
        assert got[0] == want[0] and np.array_equal(got[1], want[1]) and np.array_equal(got[2], want[2]), c
    rows.append((name, f"count vs brute-force scan ({n_brute} queries, answers equal)",
                 f"median {np.median(i_c) * 1e6:.0f} us vs {np.median(b_c) * 1e6:.0f} us",
                 f"{np.median(b_c) / np.median(i_c):.0f}x faster"))
    rows.append((name, f"next_token_counts vs brute-force scan ({n_brute} queries, answers equal)",
                 f"median {np.median(i_n) * 1e6:.0f} us vs {np.median(b_n) * 1e6:.0f} us",
                 f"{np.median(b_n) / np.median(i_n):.0f}x faster"))

    # the worst contexts: the most frequent single tokens (largest continuation blocks)
    top_ids = np.argsort(-idx.unigram_counts)[:12]
    top_ids = [int(t) for t in top_ids if t not in (BOS, EOS)][:5]
    worst, worst_b = [], []
    warm_top = []
    for t_id in top_ids:
        worst.append(best_of(cold(idx, idx.next_token_counts), [t_id])[0])
        warm_top.append(best_of(idx.next_token_counts, [t_id])[0])
        worst_b.append(best_of(lambda q: brute_next_counts(train, q), [t_id])[0])
    rows.append((name, "next_token_counts after the 5 most frequent words (max), cold / cached",
                 f"{max(worst) * 1e3:.1f} ms / {max(warm_top) * 1e3:.2f} ms (brute {max(worst_b) * 1e3:.1f} ms)",
                 f"blocks of {int(idx.unigram_counts[top_ids].min()):,}-{int(idx.unigram_counts[top_ids].max()):,}"))

    # the unbounded model over the held-out stream
    model = UnboundedModel(idx)
    t_s, scores = timed(model.logprobs_stream, held)
    t_k, top = timed(model.top_k_stream, scores, 1)
    y = held[scores.positions]
    acc = float(np.mean(top[:, 0] == y))
    rows.append((name, "unbounded: score held-out stream", f"{t_s:.2f} s", f"{len(scores) / t_s / 1e3:.0f} k tokens/s"))
    rows.append((name, "unbounded: top-1 for every held-out token", f"{t_k:.2f} s", ""))
    rows.append((name, f"unbounded: next-token top-1 accuracy ({len(scores):,} tokens incl. </s>)", f"{100 * acc:.2f}%",
                 f"P=0 for {100 * np.mean(scores.prob == 0):.1f}% of tokens; mean matched suffix {scores.suffix_len.mean():.2f} tokens"))
    hist = np.bincount(scores.suffix_len)
    rows.append((name, "unbounded: matched suffix length histogram (0,1,2,...)", " ".join(str(int(h)) for h in hist[:12]) + (" ..." if hist.size > 12 else ""), ""))
    return idx


def bench_hybrid(name: str, train: np.ndarray, held: np.ndarray, vocab_size: int, index: SuffixArray,
                 rows: list, order: int = 5, top1_sample: int | None = None, n_gen: int = 60):
    """5-gram (the lead's modified Kneser-Ney engine) vs unbounded vs hybrid on the held-out text.

    The mixing weights are fitted on a development split of the *training* text (the last 5% of
    each of 20 blocks of sentences; models rebuilt on the other 95%, dev words unseen there
    mapped to <unk> as the test's are), never on the held-out text."""
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    fit_train, dev = heldout_split(train, 0.05, 20)
    seen = np.bincount(fit_train, minlength=vocab_size) > 0
    dev = np.where(seen[dev] | (dev <= EOS), dev, 0).astype(np.uint32)
    ng_dev = ngram_from_stream(fit_train, order, vocab_size)
    um_dev = UnboundedModel(build_index(fit_train))
    su_dev, sn_dev = um_dev.logprobs_stream(dev), ng_dev.score_stream(dev)
    assert np.array_equal(su_dev.positions, sn_dev.positions)
    weights = fit_weights(su_dev, su_dev.prob, 10.0**sn_dev.logprob)
    t_fit = time.perf_counter() - t0
    del ng_dev, um_dev
    rows.append((name, f"hybrid: fit weights on a dev split of training ({len(su_dev):,} dev tokens)", f"{t_fit:.1f} s",
                 "models rebuilt on 95% of training, EM"))
    t_ng, ng = timed(ngram_from_stream, train, order, vocab_size)
    rows.append((name, f"{order}-gram build (lead's engine, for reference)", f"{t_ng:.2f} s", ""))
    model = UnboundedModel(index)
    su, sn = model.logprobs_stream(held), ng.score_stream(held)
    assert np.array_equal(su.positions, sn.positions)
    hl = hybrid_logprobs(su, su.prob, sn.logprob, weights)
    ppl_n, ppl_h = 10 ** (-sn.logprob.mean()), 10 ** (-hl.mean())
    rows.append((name, f"perplexity, {order}-gram alone (incl. OOV, </s> counted)", f"{ppl_n:.2f}", ""))
    rows.append((name, "perplexity, hybrid", f"{ppl_h:.2f}", f"{100 * (ppl_h / ppl_n - 1):+.2f}% vs the {order}-gram"))
    long_ = su.suffix_len >= order
    if long_.any():
        ln_n, ln_h = 10 ** (-sn.logprob[long_].mean()), 10 ** (-hl[long_].mean())
        rows.append((name, f"perplexity on the {int(long_.sum()):,} tokens whose matched suffix >= {order}",
                     f"{ln_n:.2f} -> {ln_h:.2f}", f"{100 * (ln_h / ln_n - 1):+.1f}%"))
    lam = weights.lam(su.suffix_len, su.count, su.sparse)
    y = held[su.positions]
    bos = np.flatnonzero(held == BOS)
    starts = bos[np.maximum(np.searchsorted(bos, su.positions, side="right") - 1, 0)]
    pick = np.arange(len(su)) if top1_sample is None or top1_sample >= len(su) else np.sort(
        rng.choice(len(su), top1_sample, replace=False))
    top_u = model.top_k_stream(su, 1)[pick, 0]
    top_n, top_h = np.empty(pick.size, np.int64), np.empty(pick.size, np.int64)
    for j, i in enumerate(pick.tolist()):
        pn = ng.distribution(held[starts[i] : su.positions[i]])
        top_n[j] = int(np.argmax(pn))
        toks, cnts = index.continuations(int(su.lo[i]), int(su.hi[i]), int(su.suffix_len[i]))
        mixed = (1 - lam[i]) * pn
        mixed[toks] += lam[i] * cnts / cnts.sum()
        top_h[j] = int(np.argmax(mixed))
    yy = y[pick]
    what = f"{pick.size:,} tokens" + ("" if pick.size == len(su) else f" sampled of {len(su):,}")
    rows.append((name, f"next-token top-1 accuracy ({what})",
                 f"unbounded {100 * np.mean(top_u == yy):.2f}%, {order}-gram {100 * np.mean(top_n == yy):.2f}%, "
                 f"hybrid {100 * np.mean(top_h == yy):.2f}%", ""))

    # Copying: sample continuations of training-sentence openings (the most copy-prone prompts).
    tb = np.flatnonzero(train == BOS)
    lens = np.diff(np.append(tb, train.size))
    long_sent = tb[lens >= 32]
    if long_sent.size == 0:
        return
    prompts = [train[s : s + 6] for s in rng.choice(long_sent, n_gen, replace=True).tolist()]
    for label, guard, use_unbounded in (
        ("5-gram alone", None, False),
        ("hybrid, no guard", None, True),
        (f"hybrid, default guard (max_copy_run={DEFAULT_COPY_GUARD.max_copy_run})", DEFAULT_COPY_GUARD, True),
        ("hybrid, guard max_copy_run=8", CopyGuard(max_copy_run=8), True),
    ):
        gen_rng = np.random.default_rng(7)
        spans = []
        for prompt in prompts:
            ctx = prompt.tolist()
            out: list[int] = []
            for _ in range(40):
                pn = ng.distribution(ctx)
                p = hybrid_distribution(model, ctx, pn, weights, guard=guard, n_generated=len(out)).probs if use_unbounded else pn
                tok = int(gen_rng.choice(p.size, p=p / p.sum()))
                if tok == EOS:
                    break
                out.append(tok)
                ctx.append(tok)
            spans.append(longest_copied_span(out, index).length)
        spans = np.array(spans)
        rows.append((name, f"generation, {label}: outputs copying a 20+ token corpus span", f"{int((spans >= 20).sum())} of {len(spans)}",
                     f"longest copied span of generated tokens: median {np.median(spans):.0f}, max {spans.max()}"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kenlm-dir", type=Path, default=SHARED / "kenlm")
    ap.add_argument("--large", type=Path, default=Path("/work/large/large.txt"))
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--brute", type=int, default=200, help="queries also answered by brute force")
    ap.add_argument("--repeat", type=int, default=3, help="builds per corpus for the median (books)")
    ap.add_argument("--skip-books", action="store_true")
    ap.add_argument("--skip-hybrid", action="store_true", help="index and unbounded model only")
    args = ap.parse_args(argv)
    rows: list[tuple[str, str, str, str]] = []

    if not args.skip_books:
        head, tail = args.kenlm_dir / "books_head90.txt", args.kenlm_dir / "books_tail10.txt"
        if not head.exists():
            sys.exit(f"missing {head}: the books benchmark needs ../shared/kenlm")
        vocab = new_vocab()
        train = read_ids(head, vocab, grow=True)
        held = read_ids(tail, vocab, grow=False)
        print(f"books: vocabulary {len(vocab):,}; held-out <unk> tokens {int((held == 0).sum()):,}")
        idx = bench_index("books", train, held, args.queries, args.brute, args.repeat, rows)
        if not args.skip_hybrid:
            bench_hybrid("books", train, held, len(vocab), idx, rows)

    if args.large.exists():
        vocab = new_vocab()
        t_read, ids = timed(read_ids, args.large, vocab, True)
        train, held = heldout_split(ids, fraction=0.01, blocks=100)
        print(f"large: {ids.size:,} tokens read in {t_read:.1f} s, vocabulary {len(vocab):,}")
        idx = bench_index("large", train, held, min(args.queries, 1000), min(args.brute, 50), 1, rows)
        if not args.skip_hybrid:
            bench_hybrid("large", train, held, len(vocab), idx, rows, top1_sample=3000, n_gen=30)
    else:
        print(f"\n(no large corpus at {args.large}; skipped)")

    print(f"\npeak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print("\n| corpus | what | figure | note |\n|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
