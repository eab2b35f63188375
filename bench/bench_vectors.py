"""Benchmark count-based word vectors (PPMI + SVD) against gensim's word2vec, same data, same run.

    .venv/bin/python bench/bench_vectors.py                       # books, 1M, 10M, large (those present)
    .venv/bin/python bench/bench_vectors.py --corpora books,1m    # a subset
    .venv/bin/python bench/bench_vectors.py --sweep books         # the settings tried (ours only)

Corpora (pre-tokenized, one sentence per line, case kept): books = ../shared/kenlm/books_head90.txt;
1m, 10m, large = /work/large/{1m,10m,large}.txt built by ../shared/corpus/build-large-corpus.sh
(see /work/large/SETUP_LOG.md). Each becomes one id stream `<s> w1 .. wn </s>` per line.

Ours: `next_token.lookup.build_word_vectors(stream, tokens, VectorSettings())`, timed from the id
stream to the finished unit-length matrix. gensim: `Word2Vec(corpus_file=..., sg=1, negative=5,
window=5, vector_size=100, sample=1e-3, epochs=5, min_count=<ours>, workers=2)` (its defaults
but skip-gram and two workers), timed from its reading of the same tokens (written one sentence
per line, lower-cased when ours pools case) to the trained model. Both are evaluated by the same
code (next_token.lookup.word_benchmarks): WordSim-353 and SimLex-999 Spearman, Google analogies
(3CosAdd and 3CosMul over the whole vocabulary, inputs excluded), words looked up
case-insensitively (most frequent spelling). Same stream + same min_count = same vocabulary, so
both have the same coverage.

Corpora under 2M tokens are run with 3 seeds per model (ours: subsampling and the randomized SVD;
gensim: its initialisation and sampling) and the table shows the mean (min-max), because single runs
differ by about as much as the models do. A "frequency only" row shows how much of each similarity
score word frequency alone explains.

Needs `pip install gensim scipy` in the venv (the evaluation sets ship inside gensim's wheel).
"""

from __future__ import annotations

import os

# One BLAS thread: the 2 cores are shared, and OpenBLAS threads that wait for a busy core slow
# the small dense products of the SVD down several-fold (0.5 s -> 3.4 s on the books, measured).
# gensim keeps its 2 worker threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import dataclasses
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from next_token.lookup import VectorSettings, WordVectors, build_word_vectors
from next_token.lookup.word_benchmarks import (
    evaluate_analogies,
    evaluate_similarity,
    read_analogies,
    read_word_pairs,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
LARGE = Path(os.environ.get("NTP_LARGE_DIR", "/work/large"))
CORPORA = {
    "books": SHARED / "kenlm" / "books_head90.txt",
    "1m": LARGE / "1m.txt",
    "10m": LARGE / "10m.txt",
    "large": LARGE / "large.txt",
}
SPECIALS = ["<unk>", "<s>", "</s>"]


def read_ids(path: Path) -> tuple[np.ndarray, list[str]]:
    """Whitespace tokens, `<s> ... </s>` per non-empty line, ids in order of first appearance."""
    index = {t: i for i, t in enumerate(SPECIALS)}
    setdefault = index.setdefault
    out: list[int] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if words:
                out.append(1)
                out.extend(setdefault(w, len(index)) for w in words)
                out.append(2)
    return np.asarray(out, dtype=np.uint32), list(index)


def write_sentences(stream: np.ndarray, tokens: list[str], path: Path, lowercase: bool) -> None:
    """The id stream back as text, one sentence per line (what gensim reads)."""
    words = np.array([t.lower() if lowercase else t for t in tokens], dtype=object)
    bounds = np.flatnonzero(stream == 1)
    ends = np.flatnonzero(stream == 2)
    with open(path, "w", encoding="utf-8") as f:
        for lo, hi in zip(bounds, ends):
            f.write(" ".join(words[stream[lo + 1 : hi]]) + "\n")


def eval_sets():
    import gensim

    d = Path(gensim.__file__).parent / "test" / "test_data"
    return (
        read_word_pairs(d / "wordsim353.tsv"),
        read_word_pairs(d / "simlex999.txt"),
        read_analogies(d / "questions-words.txt"),
    )


def evaluate(vectors: WordVectors, sets) -> dict:
    ws, sl, qa = sets
    return {
        "ws": evaluate_similarity(vectors, ws),
        "sl": evaluate_similarity(vectors, sl),
        "add": evaluate_analogies(vectors, qa, "3cosadd"),
        "mul": evaluate_analogies(vectors, qa, "3cosmul"),
    }


EXAMPLE_WORDS = ["sea", "king", "said", "red", "water", "quickly", "file", "function"]
EXAMPLE_ANALOGIES = [("paris", "france", "london"), ("man", "king", "woman"), ("good", "better", "bad"),
                     ("walk", "walked", "go")]

# gensim's defaults, but skip-gram (sg=1) and two worker threads (the machine has two cores).
GENSIM_PARAMS = dict(sg=1, vector_size=100, window=5, negative=5, sample=1e-3, epochs=5, workers=2)


def train_gensim(stream, tokens, settings: VectorSettings, workdir: Path, **overrides):
    from gensim.models import Word2Vec

    path = workdir / "gensim_corpus.txt"
    write_sentences(stream, tokens, path, settings.lowercase)
    params = dict(GENSIM_PARAMS, min_count=settings.min_count, seed=1)
    params.update(overrides)
    t0 = time.perf_counter()
    model = Word2Vec(corpus_file=str(path), **params)
    seconds = time.perf_counter() - t0
    path.unlink()
    kv = model.wv
    matrix = kv.get_normed_vectors().astype(np.float32)
    vectors = WordVectors(matrix, np.arange(len(kv.index_to_key), dtype=np.uint32), list(kv.index_to_key))
    return vectors, seconds, params


METRICS = ("ws", "sl", "add", "mul")


def score(r) -> float:
    return r.spearman if hasattr(r, "spearman") else r.accuracy


def summarize(results: list[dict]) -> dict[str, tuple[float, float, float]]:
    """Mean, min and max of each metric over runs (seeds)."""
    out = {}
    for m in METRICS:
        xs = np.array([score(r[m]) for r in results])
        out[m] = (float(xs.mean()), float(xs.min()), float(xs.max()))
    return out


def cells(summary: dict, runs: int) -> list[str]:
    if runs == 1:
        return [f"{summary[m][0]:.3f}" for m in METRICS]
    return [f"{summary[m][0]:.3f} ({summary[m][1]:.3f}-{summary[m][2]:.3f})" for m in METRICS]


def frequency_baseline(stream, tokens, settings: VectorSettings, sets) -> tuple[float, float]:
    """Spearman of the human scores with -(log #a + log #b): how much frequency alone explains.

    SimLex-999's similar pairs are rarer words than its dissimilar ones, so a model whose cosines
    rise for rare words gains there without knowing anything about meaning."""
    from next_token.lookup.vector_vocabulary import VectorVocabulary
    from next_token.lookup.word_benchmarks import spearman

    vocab = VectorVocabulary.build(stream, tokens, settings.min_count, settings.lowercase)
    lookup = WordVectors(np.zeros((len(vocab), 1), np.float32), vocab.ids, tokens)
    out = []
    for pairs in sets[:2]:
        human, freq = [], []
        for a, b, h in pairs:
            ra, rb = lookup.find_folded(a), lookup.find_folded(b)
            if ra is not None and rb is not None:
                human.append(h)
                freq.append(-np.log(vocab.counts[ra]) - np.log(vocab.counts[rb]))
        out.append(spearman(np.array(human), np.array(freq)))
    return out[0], out[1]


def run_main(args) -> None:
    settings = VectorSettings()
    sets = eval_sets()
    table = [
        "| corpus | tokens | words with vectors | model | train s | WS-353 rho | SimLex-999 rho | analogy 3CosAdd | analogy 3CosMul |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    coverage = [
        "| corpus | WS-353 pairs covered | SimLex-999 pairs covered | analogy questions covered |",
        "|---|---|---|---|",
    ]
    details: list[str] = []
    examples: list[str] = []
    for name in args.corpora.split(","):
        path = CORPORA[name]
        if not path.exists():
            print(f"skipping {name}: {path} not found", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        stream, tokens = read_ids(path)
        read_s = time.perf_counter() - t0
        n_tok = int((stream > 2).sum())
        # Small corpora: both models are noisy from one seed to the next, so 3 seeds each.
        runs = args.seeds if n_tok < 2_000_000 else 1
        ours_runs, ours_times, same_weighting = [], [], []
        shown: dict[str, WordVectors] = {}
        for i in range(runs):
            t0 = time.perf_counter()
            ours = build_word_vectors(stream, tokens, dataclasses.replace(settings, seed=i), progress=args.progress)
            ours_times.append(time.perf_counter() - t0)
            ours_runs.append(evaluate(ours, sets))
            shown.setdefault("ours", ours)
            # The analogies again on the similarity weighting itself (no analogy_scale).
            plain = WordVectors(ours.matrix, ours.ids, tokens)
            same_weighting.append([score(evaluate_analogies(plain, sets[2], m)) for m in ("3cosadd", "3cosmul")])
            print(f"{name}: ours seed {i}: {ours_times[-1]:.1f} s, {len(ours):,} words", flush=True)
        r_ours = ours_runs[0]
        label = f"{name} ({runs} seeds)" if runs > 1 else name
        head = [label, f"{n_tok:,}", f"{len(ours):,}"]
        table.append(
            "| " + " | ".join(head + ["**PPMI-SVD (ours)**", f"**{np.median(ours_times):.1f}**"]
            + cells(summarize(ours_runs), runs)) + " |"
        )
        g_note = ""
        if not args.no_gensim:
            g_runs, g_times = [], []
            for i in range(runs):
                with tempfile.TemporaryDirectory() as tmp:
                    g, g_s, params = train_gensim(stream, tokens, settings, Path(tmp), seed=1 + i)
                g_times.append(g_s)
                shown.setdefault("gensim", g)
                g_runs.append(evaluate(g, sets))
                print(f"{name}: gensim seed {1 + i}: {g_s:.1f} s, {len(g):,} words", flush=True)
            table.append(
                "| " + " | ".join(head[:2] + [f"{len(g):,}", "word2vec SGNS (gensim)", f"{np.median(g_times):.1f}"]
                + cells(summarize(g_runs), runs)) + " |"
            )
            if len(g) != len(ours):
                details.append(f"- {name}: gensim kept {len(g):,} words, ours {len(ours):,}.")
            gm = g_runs[0]
            g_note = (
                f"; gensim semantic/syntactic 3CosAdd {gm['add'].semantic:.3f}/{gm['add'].syntactic:.3f}, "
                f"3CosMul {gm['mul'].semantic:.3f}/{gm['mul'].syntactic:.3f}"
            )
        fws, fsl = frequency_baseline(stream, tokens, settings, sets)
        table.append(f"| {label} | | | frequency only, -(log #a + log #b) | | {fws:.3f} | {fsl:.3f} | | |")
        coverage.append(
            f"| {name} | {r_ours['ws'].covered}/{r_ours['ws'].total} | {r_ours['sl'].covered}/{r_ours['sl'].total} "
            f"| {r_ours['mul'].covered:,}/{r_ours['mul'].total:,} |"
        )
        a, m = r_ours["add"], r_ours["mul"]
        sw = np.mean(same_weighting, axis=0)
        details.append(
            f"- {name}: ours (seed 0) semantic/syntactic 3CosAdd {a.semantic:.3f}/{a.syntactic:.3f}, "
            f"3CosMul {m.semantic:.3f}/{m.syntactic:.3f}{g_note}. Ours with analogies on the similarity "
            f"weighting (p = {settings.eig}, no `analogy_eig`): 3CosAdd {sw[0]:.3f}, 3CosMul {sw[1]:.3f}. "
            f"Corpus read into ids in {read_s:.1f} s (in neither training time); training times are medians "
            f"of {runs} run(s): ours {', '.join(f'{t:.1f}' for t in ours_times)} s"
            + (f", gensim {', '.join(f'{t:.1f}' for t in g_times)} s." if not args.no_gensim else ".")
        )
        examples.append(f"{name}:")
        for word in EXAMPLE_WORDS:
            for who, v in shown.items():
                if word in v:
                    examples.append(f"  {word:8s} {who:6s} " + ", ".join(n.word for n in v.similar(word, 8)))
        for q in EXAMPLE_ANALOGIES:
            for who, v in shown.items():
                if all(w in v for w in q):
                    answer = [n.word for n in v.analogy(*q, k=3)]
                    examples.append(f"  {q[0]} : {q[1]} :: {q[2]} : ?  {who:6s} {', '.join(answer)}")
        print("\n".join(table), flush=True)
    report = "\n".join(
        table + [""] + coverage + [""] + details
        + ["", "Nearest words (`similar(word, 8)`, seed 0) and analogies (`analogy(a, b, c, k=3)`, 3CosMul):", "", "```"]
        + examples + ["```"]
    )
    print(report)
    if args.write:
        write_results(args, settings, report)


def write_results(args, settings: VectorSettings, report: str) -> None:
    import gensim
    import scipy

    cmd = ".venv/bin/python bench/bench_vectors.py" + (f" --corpora {args.corpora}" if args.corpora != DEFAULT_CORPORA else "")
    head = f"""## Word vectors: PPMI + SVD against word2vec

Command (from the project root):

    {cmd}

Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs (load average
{LOAD_AT_START:.1f} when the run started, {os.getloadavg()[0]:.1f} when it ended; times move with it);
Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, gensim {gensim.__version__};
BLAS limited to one thread for our build, gensim with `workers=2`.

Our settings (`VectorSettings()` defaults, the same for every corpus):
`{dataclasses.asdict(settings)}`

gensim: `Word2Vec(corpus_file=..., {", ".join(f"{k}={v}" for k, v in GENSIM_PARAMS.items())}, min_count={settings.min_count})`

"""
    out = ROOT / "bench" / "VECTORS_RESULTS.md"
    previous = out.read_text(encoding="utf-8") if out.exists() else ""
    marker = "<!-- notes: kept when the script rewrites the figures above -->"
    notes = previous[previous.index(marker):] if marker in previous else marker + "\n"
    out.write_text(head + report + "\n\n" + notes, encoding="utf-8")
    print(f"wrote {out}")


# -- the sweep: which settings were tried ------------------------------------------------------

SWEEP = [
    ("base", {}),
    ("window 2", {"window": 2}),
    ("window 10", {"window": 10}),
    ("plain window", {"dynamic_window": False}),
    ("no subsampling", {"subsample": None}),
    ("subsample 1e-3", {"subsample": 1e-3}),
    ("subsample 1e-5", {"subsample": 1e-5}),
    ("shift k=5", {"shift": 5.0}),
    ("shift k=2", {"shift": 2.0}),
    ("alpha 1 (no smoothing)", {"alpha": 1.0}),
    ("eig p=0", {"eig": 0.0}),
    ("eig p=1", {"eig": 1.0}),
    ("analogy_eig = eig (one weighting)", {"analogy_eig": None}),
    ("analogy_eig 1.25", {"analogy_eig": 1.25}),
    ("W only (no +C)", {"add_contexts": False}),
    ("dim 100", {"dim": 100}),
    ("dim 200", {"dim": 200}),
    ("dim 500", {"dim": 500}),
    ("case kept", {"lowercase": False}),
    ("float16", {"dtype": "float16"}),
    ("power iterations 2", {"power_iterations": 2}),
    ("power iterations 6", {"power_iterations": 6}),
]


def run_sweep(args) -> None:
    sets = eval_sets()
    stream, tokens = read_ids(CORPORA[args.sweep])
    print(f"sweep on {args.sweep}: {(stream > 2).sum():,} tokens; base = VectorSettings() defaults")
    print("| setting | s | WS-353 | SimLex | 3CosAdd | 3CosMul | mean |")
    print("|---|---|---|---|---|---|---|")
    for label, change in SWEEP:
        s = dataclasses.replace(VectorSettings(), **change)
        t0 = time.perf_counter()
        v = build_word_vectors(stream, tokens, s)
        secs = time.perf_counter() - t0
        r = evaluate(v, sets)
        vals = [r["ws"].spearman, r["sl"].spearman, r["add"].accuracy, r["mul"].accuracy]
        print(f"| {label} | {secs:.1f} | " + " | ".join(f"{x:.3f}" for x in vals) + f" | {np.mean(vals):.3f} |", flush=True)


DEFAULT_CORPORA = "books,1m,10m,large"
LOAD_AT_START = os.getloadavg()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", default=DEFAULT_CORPORA)
    ap.add_argument("--sweep", choices=list(CORPORA), help="try the settings of SWEEP on one corpus (ours only)")
    ap.add_argument("--no-gensim", action="store_true")
    ap.add_argument("--seeds", type=int, default=3, help="runs per model on corpora under 2M tokens")
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--no-write", dest="write", action="store_false", help="do not write bench/VECTORS_RESULTS.md")
    args = ap.parse_args()
    if args.sweep:
        run_sweep(args)
    else:
        run_main(args)


if __name__ == "__main__":
    main()
