"""Phrase search latency on a model's corpus index, against a brute-force scan, same run.

    .venv/bin/python bench/bench_search.py --model /work/large/ntp/large.ntp
    .venv/bin/python bench/bench_search.py --text /work/large/large.txt    # trains first (index only)

Queries are phrases of 1 to 4 tokens taken from held-out text (/work/large/test.txt, or the
books' tail), so most occur in the corpus and some do not, plus the 20 most frequent words (the
slowest case: millions of hits to count, a page of 10 to take in text order, neighbours to
tally). Each query runs `lm.search(phrase, limit=10)` (count, first page with sources and
keyword-in-context lines, 10 neighbours each side) and, separately, the count alone.

The baseline is a vectorized brute-force scan of the same id stream (numpy: compare the stream
with each phrase token at its offset and AND the masks), on a sample of the queries: the ratio
is what the suffix array buys. Every sampled count is also checked equal to the scan's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from common import LARGE, SHARED, machine, stats, table  # noqa: E402
from next_token import LanguageModel  # noqa: E402


def queries(lm, held_out: str, n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    lines = [ln for ln in held_out.splitlines() if len(ln.split()) >= 4]
    out = []
    while len(out) < n:
        words = lines[rng.integers(len(lines))].split()
        m = int(rng.integers(1, 5))
        start = int(rng.integers(0, len(words) - m + 1))
        out.append(" ".join(words[start : start + m]))
    counts = np.asarray(lm.index.unigram_counts)
    frequent = [lm.vocab.tokens[i] for i in np.argsort(-counts)[:40] if lm.vocab.tokens[i].isalpha()][:20]
    return out + frequent


def brute_count(stream: np.ndarray, ids: list[int]) -> int:
    n = len(stream) - len(ids) + 1
    mask = stream[:n] == ids[0]
    for j, t in enumerate(ids[1:], 1):
        mask &= stream[j : j + n] == t
    return int(mask.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path)
    ap.add_argument("--text", type=Path, help="train on this text (index only, no vectors) instead of --model")
    ap.add_argument("--held-out", type=Path, default=LARGE / "test.txt")
    ap.add_argument("-n", type=int, default=1000, help="random phrases (plus 20 frequent words)")
    ap.add_argument("--scan-sample", type=int, default=30, help="queries also answered by the brute-force scan")
    args = ap.parse_args()
    if args.model:
        t0 = time.perf_counter()
        lm = LanguageModel.load(args.model)
        print(f"loaded {args.model} in {time.perf_counter() - t0:.3f} s")
    else:
        t0 = time.perf_counter()
        lm = LanguageModel.train([args.text], spelling=False, progress=True)
        print(f"trained on {args.text} in {time.perf_counter() - t0:.1f} s")
    held = args.held_out if args.held_out.exists() else SHARED / "kenlm" / "books_tail10.txt"
    qs = queries(lm, held.read_text(encoding="utf-8"), args.n)
    index = lm.require_index()
    print(f"{machine()}; corpus index of {index.n:,} ids ({index.bytes_per_token:.2f} bytes per token); "
          f"{len(qs)} queries from {held}")

    full, count_only, found = [], [], 0
    for q in qs:
        t = time.perf_counter()
        r = lm.search(q, limit=10)
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        lm.search(q, limit=0, neighbours=0)
        count_only.append(time.perf_counter() - t)
        found += r.count > 0
    stream = index.stream.slice(0, index.n).astype(np.int32)
    sample = qs[:: max(1, len(qs) // args.scan_sample)][: args.scan_sample]
    scan, ours = [], []
    for q in sample:
        ids = [lm.vocab.id(t) for t in lm.tokenizer.tokenize(q)]
        t = time.perf_counter()
        want = brute_count(stream, ids)
        scan.append(time.perf_counter() - t)
        t = time.perf_counter()
        got = lm.search(q, limit=0, neighbours=0).count
        ours.append(time.perf_counter() - t)
        assert got == want, (q, got, want)
    frequent = [full[i] for i in range(len(qs) - 20, len(qs))]
    rows = []
    for name, values in [("search (count, page of 10, neighbours)", full), ("count only", count_only),
                         ("search, the 20 most frequent words", frequent)]:
        med, p99 = stats(values)
        rows.append([name, f"{med * 1e3:.2f} ms", f"{p99 * 1e3:.2f} ms"])
    print(table(["query", "median", "p99"], rows))
    print(f"\n{found}/{len(qs)} queries occur in the corpus. Brute-force numpy scan of the stream, "
          f"{len(sample)} queries: median {np.median(scan) * 1e3:.1f} ms vs count by the index "
          f"{np.median(ours) * 1e3:.3f} ms ({np.median(scan) / np.median(ours):,.0f}x); all counts equal.")


if __name__ == "__main__":
    main()
