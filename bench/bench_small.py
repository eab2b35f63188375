"""Small models: file size against perplexity for the books o5 model, ours beside KenLM's.

    python bench/bench_small.py                 # books_head90 o5, perplexity of books_tail10
    python bench/bench_small.py --normalized    # also the perplexity of each quantized model
                                                # renormalized per context (slower)

Ours: the plain file; the packed layout with float32 values (exact), 16-bit and 8-bit values;
8-bit values with relative-entropy pruning at several thresholds; count cutoffs (lmplz --prune
semantics) with 8-bit values. KenLM's, built in the same run from the same text with lmplz and
build_binary: probing, trie, trie with pointer compression (-a 255), quantized tries (-q/-b) and
a count-pruned quantized trie. Perplexities are KenLM `query`'s for its files and ours for our
files, on the same pre-tokenized held-out text (`</s>` counted, OOVs as `<unk>`).

A quantized model's distributions do not sum exactly to 1 (KenLM's neither), which can move its
perplexity either way; --normalized divides each probability by its context's sum over the whole
vocabulary, the honest figure for ours (KenLM's binary files cannot be enumerated that way).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import kenlm_tools  # noqa: E402
from common import KENLM, table  # noqa: E402
from next_token.language_model import LanguageModel  # noqa: E402
from next_token.ngram.build import ngram_from_stream  # noqa: E402
from next_token.ngram.packed import pack  # noqa: E402
from next_token.ngram.prune import prune_entropy  # noqa: E402
from next_token.text.tokenizer import get_tokenizer  # noqa: E402
from next_token.text.vocab import BOS, Vocabulary  # noqa: E402

TRAIN, HELD = KENLM / "books_head90.txt", KENLM / "books_tail10.txt"
THRESHOLDS = (1e-10, 1e-9, 3e-9, 1e-8, 3e-8, 1e-7)
COUNT_CUTOFFS = (0, 0, 1, 1, 1)
KENLM_BINARIES = [("probing", []), ("trie", []), ("trie", ["-a", "255"]), ("trie", ["-q", "8", "-b", "8"]),
                  ("trie", ["-q", "8", "-b", "8", "-a", "255"]), ("trie", ["-q", "6", "-b", "6", "-a", "255"]),
                  ("trie", ["-q", "4", "-b", "4", "-a", "255"])]


def normalized_perplexity(lm: LanguageModel, text: str) -> float:
    """Perplexity with every probability divided by its context's total over the vocabulary."""
    stream = lm.vocab.encode_sentences(list(lm.tokenizer.sentences(text))).astype(np.int64)
    scores = lm.model.score_stream(stream)
    starts = np.maximum.accumulate(np.where(stream == BOS, np.arange(len(stream)), 0))
    totals: dict = {}
    log_z = []
    for pos in scores.positions.tolist():
        ctx = tuple(stream[max(starts[pos], pos - lm.order + 1):pos].tolist())
        if ctx not in totals:
            totals[ctx] = float(np.log10(lm.model.distribution(list(ctx)).sum()))
        log_z.append(totals[ctx])
    return float(10 ** -(scores.logprob - np.array(log_z)).mean())


def kenlm_rows(tmp: str, held: str) -> list[list]:
    if not kenlm_tools.find_lmplz() or not kenlm_tools.find_tool("build_binary"):
        print("KenLM's lmplz / build_binary are not installed: their rows are left out", file=sys.stderr)
        return []
    rows = []
    for prune in (None, COUNT_CUTOFFS):
        arpa = os.path.join(tmp, f"k{'p' if prune else ''}.arpa")
        extra = ("--prune", *map(str, prune)) if prune else ()
        kenlm_tools.run_lmplz(TRAIN, 5, arpa, memory="1G", extra_args=extra)
        for kind, flags in KENLM_BINARIES if prune is None else [("trie", ["-q", "8", "-b", "8", "-a", "255"])]:
            out = os.path.join(tmp, "k.bin")
            subprocess.run([kenlm_tools.find_tool("build_binary"), "-S", "300M", "-T", tmp, *flags, kind, arpa, out],
                           check=True, capture_output=True)
            name = f"KenLM {kind} {' '.join(flags)}".strip() + (f", lmplz --prune {' '.join(map(str, prune))}"
                                                              if prune else "")
            rows.append([name, os.path.getsize(out), kenlm_query(out, held), None, None])
    return rows


def kenlm_query(binary: str, held: str) -> float:
    res = subprocess.run([kenlm_tools.find_tool("query"), "-v", "summary", binary], stdin=open(held, "rb"),
                         capture_output=True, text=True, check=True)
    line = next(x for x in res.stdout.splitlines() if x.startswith("Perplexity including OOVs"))
    return float(line.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--normalized", action="store_true", help="also each quantized model's renormalized perplexity")
    args = ap.parse_args()
    held_text = HELD.read_text(encoding="utf-8")
    with open(TRAIN, encoding="utf-8") as f:
        vocab, stream = Vocabulary.build(line.split() for line in f)
    tok = get_tokenizer("whitespace")
    full = ngram_from_stream(stream, 5, len(vocab))
    counted = ngram_from_stream(stream, 5, len(vocab), prune=COUNT_CUTOFFS)
    variants = [("ours: plain file (float32, uint64 keys)", full), ("ours: packed, float32 values (exact)", pack(full, 32, 32)),
                ("ours: packed, 16-bit values", pack(full, 16, 16)), ("ours: packed, 8-bit values", pack(full, 8, 8))]
    variants += [(f"ours: 8-bit, relative-entropy pruned at {t:g}", pack(prune_entropy(full, t), 8, 8)) for t in THRESHOLDS]
    variants.append((f"ours: 8-bit, count cutoffs {' '.join(map(str, COUNT_CUTOFFS))}", pack(counted, 8, 8)))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in variants:
            path = os.path.join(tmp, "m.ntp")
            LanguageModel(model, vocab, tok).save(path)
            lm = LanguageModel.load(path)
            quantized = "bit" in name and "float32" not in name
            norm = normalized_perplexity(lm, held_text) if args.normalized and quantized else None
            rows.append([name, os.path.getsize(path), lm.perplexity(held_text), norm, sum(model.sizes)])
            print(f"{name}: {rows[-1][1]:,} bytes, perplexity {rows[-1][2]:.3f}", file=sys.stderr)
        rows += kenlm_rows(tmp, str(HELD))
    print(f"books_head90 o5 ({sum(full.sizes):,} n-grams), perplexity of books_tail10 (incl. OOVs); "
          f"full model {rows[0][2]:.2f}\n")
    print(table(["model", "file", "perplexity", "renormalized", "n-grams"],
                [[n, f"{b / 1e6:.2f} MB", f"{p:.2f}", "" if z is None else f"{z:.2f}",
                  "" if c is None else f"{c:,}"] for n, b, p, z, c in sorted(rows, key=lambda r: -r[1])]))


if __name__ == "__main__":
    main()
