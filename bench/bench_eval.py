"""Evaluation figures on the books corpus: perplexity, next-token accuracy, keystroke savings.

    .venv/bin/python bench/bench_eval.py                         # orders 2-5, word and BPE (~3-5 min)
    .venv/bin/python bench/bench_eval.py --orders 3 5 --tokenizers whitespace
    .venv/bin/python bench/bench_eval.py --keystroke-sentences 300 --out bench/EVAL_RESULTS.md

Train: /work/shared/kenlm/books_head90.txt; test: books_tail10.txt (pre-tokenized by KenLM's
prep.py: one sentence per line, tokens separated by spaces).

- word models use the "whitespace" tokenizer, so they see exactly KenLM's tokens and their
  perplexity is checked against KenLM's `query` figures from /work/shared/kenlm/README.md;
- BPE models are trained on the SAME whitespace-tokenized text (not a detokenized
  reconstruction), written one line per paragraph so every line stays a sentence (the sentence
  splitter still splits the few lines with an inner ". X", e.g. "Mr . Smith"). On this text the
  BPE tokens' characters add up to exactly the keystrokes of the word tokens plus their spaces,
  so keystroke savings compare directly between word and BPE models.

Metrics are those of `next_token.evaluate` (see its docstring for exactly what is counted).
For BPE, perplexity and accuracy are per BPE token; "PPL/word" spreads the same total log-prob
over the word model's 32,859 scored tokens (31,524 words + 1,335 sentence ends), which is the
comparable figure (the word model's own PPL maps its 1,612 unknown words to <unk>, which makes it
look better than it is; the BPE model has no unknown words).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

from next_token.evaluate import evaluate
from next_token.language_model import LanguageModel
from next_token.ngram.kneser_ney import DiscountFallbackWarning

warnings.simplefilter("ignore", DiscountFallbackWarning)

KENLM = Path(__file__).resolve().parents[1].parent / "shared" / "kenlm"
KENLM_PPL = {3: (250.27, 173.35), 5: (245.98, 170.44)}  # /work/shared/kenlm/README.md, `query -v summary`


def paragraphs(path: Path) -> str:
    """The file with a blank line after every line: each line is then its own sentence."""
    return "\n\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, nargs="+", default=[2, 3, 4, 5])
    ap.add_argument("--tokenizers", nargs="+", default=["whitespace", "bpe"], choices=["whitespace", "bpe"])
    ap.add_argument("--bpe-vocab-size", type=int, default=8000)
    ap.add_argument("--rankings", nargs="+", default=["exact", "seen"], choices=["exact", "seen"],
                    help="suggestion order: exact (predict) and/or seen (suggestions, what pages show)")
    ap.add_argument("--keystroke-sentences", type=int, default=None,
                    help="simulate typing only the first N test sentences (default: all)")
    ap.add_argument("--out", type=Path, default=None, help="also write the results as Markdown here")
    args = ap.parse_args()

    train_path, test_path = KENLM / "books_head90.txt", KENLM / "books_tail10.txt"
    if not train_path.exists():
        sys.exit(f"{train_path} is absent: this benchmark needs ../shared/kenlm")
    test_plain = test_path.read_text(encoding="utf-8")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        bpe_train = Path(tmp) / "books_head90.paragraphs.txt"
        bpe_train.write_text(paragraphs(train_path), encoding="utf-8")
        bpe_test = paragraphs(test_path)
        for tok in args.tokenizers:
            for order in args.orders:
                t0 = time.perf_counter()
                if tok == "whitespace":
                    lm = LanguageModel.train([str(train_path)], order=order, tokenizer="whitespace")
                    text = test_plain
                else:
                    lm = LanguageModel.train([str(bpe_train)], order=order, tokenizer="bpe",
                                             bpe_vocab_size=args.bpe_vocab_size)
                    text = bpe_test
                train_s = time.perf_counter() - t0
                for ranking in args.rankings:
                    ev = evaluate(lm, text, accuracy_ks=(1, 5), keystroke_ks=(1, 3, 5), ranking=ranking,
                                  keystroke_sentences=args.keystroke_sentences, progress=sys.stderr.isatty())
                    report(rows, lm, tok, order, ranking, train_s, ev)
    if args.out:
        args.out.write_text(markdown(rows, args), encoding="utf-8")
        print(f"wrote {args.out}")


def report(rows, lm, tok, order, ranking, train_s, ev) -> None:
    row = {"tokenizer": "word" if tok == "whitespace" else "bpe", "order": order, "ranking": ranking,
           "vocab": len(lm.vocab), "train_s": round(train_s, 2), **ev.to_dict()}
    row["ppl_per_word"] = 10 ** (-ev.logprob / 32_859)
    rows.append(row)
    ks = ev.keystrokes
    print(f"{row['tokenizer']:>4} o{order} {ranking}: PPL {ev.perplexity:8.2f} (excl. OOV {ev.perplexity_excl_oov:7.2f}, "
          f"per word {row['ppl_per_word']:7.2f})  top-1 {100 * ev.accuracy[1]:5.2f}%  "
          f"top-5 {100 * ev.accuracy[5]:5.2f}%  KS k=1/3/5 "
          + " / ".join(f"{100 * ks[k].saved_share:4.1f}%" for k in (1, 3, 5))
          + f"  [{ev.tokens} tokens, {ev.sentences} sent., eval {ev.seconds:.1f} s]", flush=True)
    if row["tokenizer"] == "word" and order in KENLM_PPL:
        ref = KENLM_PPL[order]
        print(f"       KenLM o{order}: PPL {ref[0]} (excl. OOV {ref[1]}); ours / KenLM = "
              f"{ev.perplexity / ref[0]:.4f}", flush=True)


def markdown(rows, args) -> str:
    cmd = ".venv/bin/python bench/bench_eval.py " + " ".join(sys.argv[1:])
    ks_n = rows[0]["keystroke_sentences"] if rows else 0
    out = [
        "# Evaluation on the books corpus (bench/bench_eval.py)",
        "",
        f"Command: `{cmd}`",
        "",
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
        "2 cores shared with other work, so the seconds are indicative.",
        "",
        "Train `books_head90.txt` (274,710 tokens), test `books_tail10.txt` (31,524 tokens + 1,335 `</s>`). "
        "Word = the `whitespace` tokenizer on the pre-tokenized text (KenLM's tokens). "
        f"BPE = {args.bpe_vocab_size:,}-unit BPE trained on the same whitespace-tokenized text, one line per "
        "paragraph (not a detokenized reconstruction), so both see the same characters. "
        f"Keystroke simulation over the first {ks_n:,} test sentences"
        + (" (all of them)." if args.keystroke_sentences is None else "."),
        "",
        "| tokens | order | ranking | vocab | PPL | PPL excl. OOV | PPL per word | top-1 | top-5 | keystrokes saved k=1 | k=3 | k=5 | train s | eval s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ks = r["keystrokes"]
        out.append(
            f"| {r['tokenizer']} | {r['order']} | {r['ranking']} | {r['vocab']:,} | {r['perplexity']:.2f} | {r['perplexity_excl_oov']:.2f} | "
            f"{r['ppl_per_word']:.2f} | {100 * r['accuracy']['1']:.2f}% | {100 * r['accuracy']['5']:.2f}% | "
            + " | ".join(f"{100 * ks[k]['saved_share']:.1f}%" for k in ("1", "3", "5"))
            + f" | {r['train_s']:.2f} | {r['seconds']:.1f} |"
        )
    out += [
        "",
        "Scored tokens, OOV and keystroke totals per row:",
        "",
        "| tokens | order | scored tokens | OOV | sentences | typed tokens | keystrokes without help | with k=1 / 3 / 5 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ks = r["keystrokes"]
        out.append(f"| {r['tokenizer']} | {r['order']} | {r['tokens']:,} | {r['oov']:,} | {r['sentences']:,} | "
                   f"{ks['1']['tokens']:,} | {ks['1']['keystrokes']:,} | "
                   + " / ".join(f"{ks[k]['with_suggestions']:,}" for k in ("1", "3", "5")) + " |")
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    main()
