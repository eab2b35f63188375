"""What the product writes: spacing round trip, completions, sampled text against markovify, cost.

    .venv/bin/python bench/bench_writing.py --out bench/WRITING_RESULTS.md     # ~5 min on 2 cores

Data: the raw books (../shared/corpus/books), each cut 90/10 by lines (training / held out), and
Python's documentation (the built-in corpus), every 10th document held out.

1. Spacing round trip: for held-out sentences, detokenize(tokenize(s)) == s (whitespace runs
   collapsed), with spacing learned from the training part, against the fixed rules alone; the
   ceiling of any rule that sees one or two word tokens on each side of a gap; and the round trip
   of the BPE and character tokenizers, whose tokens carry their spaces.
2. Completions on 200 held-out prompts (the first 3-6 words of held-out sentences): how many end
   a sentence, the largest share of prompts whose completions end with the same 4 tokens, and
   whether alternatives come best first. Before = greedy decoding of the full distribution.
3. Sampled sentences against markovify (state size 2) trained on the same text, judged by an
   independent 5-gram (KenLM, trained on the large corpus of ../shared/corpus, never on the
   books): judge perplexity per token, distinct-2, the longest span copied from the training
   text, and how often a determiner is followed by punctuation ("the ,"), against its rate in
   the corpus.
4. Generation cost: per-token time after a 20-character and a 10,000-character prompt.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from common import LARGE, books_split, machine, table
from next_token import LanguageModel, Text
from next_token.decode import greedy
from next_token.ngram.kneser_ney import DiscountFallbackWarning
from next_token.text.builtin import python_docs_texts
from next_token.text.corpus import split_sentences
from next_token.text.spacing_rules import detokenize as rules_detokenize
from next_token.text.tokenizer import WordTokenizer, word_tokens
from next_token.unbounded.build import build_index
from next_token.unbounded.mixing import longest_copied_span

warnings.simplefilter("ignore", DiscountFallbackWarning)
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "my", "your", "his", "her", "its", "our", "their"}
PUNCT = set(",.;:!?)\"'")
out_lines: list[str] = []


def say(text: str = "") -> None:
    print(text, flush=True)
    out_lines.append(text)


def squash(s: str) -> str:
    return " ".join(s.split())


# ------------------------------------------------------------------------------ 1. round trip


def round_trip(name, train_texts, test_texts) -> list:
    lm = LanguageModel.train([Text(t, n) for n, t in train_texts], order=2)
    tok = lm.tokenizer
    sents = [s for _, t in test_texts for s in split_sentences(t)]
    learned = rules = 0
    misses = []
    for s in sents:
        tokens = tok.tokenize(s)
        got = tok.detokenize(tokens)
        learned += squash(got) == squash(s)
        rules += squash(rules_detokenize(tokens)) == squash(s)
        if squash(got) != squash(s) and len(misses) < 8:
            misses.append((s, got))
    n = len(sents)
    say(f"\n{name}: {n:,} held-out sentences; examples the learned spacing gets wrong:")
    for s, got in misses[:5]:
        say(f"    original: {s[:110]}\n    written:  {got[:110]}")
    ceilings = [window_ceiling(sents, width) for width in (1, 2)]
    others = [other_round_trip(train_texts, sents, kind) for kind in ("bpe", "char")]
    return [name, f"{n:,}", f"{100 * learned / n:.2f}%", f"{100 * rules / n:.2f}%",
            *(f"{100 * c:.2f}%" for c in ceilings), *(f"{100 * o:.2f}%" for o in others)]


def window_ceiling(sents, width: int) -> float:
    """The best any spacing rule that sees `width` word tokens on each side of a gap can do: the
    majority choice of each window, counted on the held-out sentences themselves (so an upper
    bound, not a model). Same tokens, two spacings (". . ." and "...") cap it below 100%."""
    found = (list(WordTokenizer().spaced_sentences(s)) for s in sents)
    data = [one[0] for one in found if len(one) == 1]  # (tokens, space before each)

    def window(tokens, i):
        return tuple(tokens[max(0, i - width) : i]), tokens[i], tuple(tokens[i + 1 : i + 1 + width])

    votes = defaultdict(Counter)
    for tokens, spaces in data:
        for i in range(1, len(tokens)):
            votes[window(tokens, i)][spaces[i]] += 1
    best = sum(all(votes[window(t, i)].most_common(1)[0][0] == sp[i] for i in range(1, len(t))) for t, sp in data)
    return best / len(data)


def other_round_trip(train_texts, sents, kind: str) -> float:
    """The round trip of a tokenizer whose tokens carry their spaces (BPE's "▁", characters)."""
    tok = LanguageModel.train([Text(t, n) for n, t in train_texts], order=2, tokenizer=kind).tokenizer
    return sum(squash(tok.detokenize(tok.tokenize(s))) == squash(s) for s in sents) / len(sents)


# ------------------------------------------------------------------------------ 2. completions


def prompts_from(lm, test_texts, n=200, seed=0):
    rng = np.random.default_rng(seed)
    sents = [s for _, t in test_texts for s in split_sentences(t)]
    long = [s for s in sents if len(word_tokens(s)) >= 8]
    picks = rng.choice(len(long), size=min(n, len(long)), replace=False)
    out = []
    for i in sorted(picks.tolist()):
        toks = lm.tokenizer.tokenize(long[i])
        out.append(lm.tokenizer.detokenize(toks[: int(rng.integers(3, 7))]))
    return out


def completion_stats(lm, prompts, complete):
    """End-of-sentence rate, and the most shared ending: the last 4 tokens, and the last 3 words
    (punctuation left out, so "... the house." and "... the house!" count as one)."""
    ends = 0
    endings, word_endings = Counter(), Counter()
    texts = []
    for p in prompts:
        text = complete(p)
        texts.append(text)
        toks = lm.tokenizer.tokenize(text)
        ends += bool(toks) and lm.tokenizer.ends_sentence(toks)
        endings[" ".join(toks[-4:])] += 1
        word_endings[" ".join([t for t in toks if re.search(r"\w", t)][-3:])] += 1
    (top, count), = endings.most_common(1)
    (wtop, wcount), = word_endings.most_common(1)
    return ends / len(prompts), (count / len(prompts), top), (wcount / len(prompts), wtop), texts


def _scores(completions):
    return [c.score for c in completions]


def greedy_complete(lm):
    def run(prompt):
        ctx = lm.context_ids(prompt)
        steps = greedy(lm.model, ctx, 30, 3, decoding="smoothed")
        return lm._text_of(prompt, [t for t, _ in steps])
    return run


# ------------------------------------------------------------------------------ 3. fluency


def our_sentences(lm, n, **kw):
    out = []
    for seed in range(n):
        pieces = []
        for step in lm.steps("", max_tokens=80, seed=seed, **kw):
            if step.token == "</s>" or step.token is None:
                break
            pieces.append(step.text)
        out.append("".join(pieces).strip())
    return out


def markovify_sentences(train_texts, n):
    import random

    import markovify

    random.seed(0)  # markovify draws with the random module
    model = markovify.Text("\n".join(t for _, t in train_texts), state_size=2)
    out, tries = [], 0
    while len(out) < n and tries < 20 * n:
        tries += 1
        s = model.make_sentence(tries=100)
        if s:
            out.append(s)
    return out


def judge_scores(judge, sentences, index, vocab, corpus_rate):
    tokens_total = lp_total = 0.0
    bigrams, det_punct, pairs = Counter(), 0, 0
    copied = []
    for s in sentences:
        toks = word_tokens(s)
        if not toks:
            continue
        lp_total += judge.score(" ".join(toks), bos=True, eos=True)
        tokens_total += len(toks) + 1
        for a, b in zip(toks, toks[1:]):
            bigrams[(a, b)] += 1
            pairs += 1
            det_punct += a.lower() in DETERMINERS and b in PUNCT
        ids = [vocab.id(t) for t in toks]
        copied.append(longest_copied_span(ids, index).length if all(ids) else _copied_known(ids, index))
    ppl = 10 ** (-lp_total / tokens_total)
    distinct2 = len(bigrams) / max(1, sum(bigrams.values()))
    rate = det_punct / max(1, pairs)
    return [f"{ppl:.1f}", f"{distinct2:.3f}", f"{max(copied)} / {np.mean(copied):.1f}",
            f"{100 * rate:.3f}% ({rate / corpus_rate:.1f}x)" if corpus_rate else f"{100 * rate:.3f}%",
            f"{np.mean([len(word_tokens(s)) for s in sentences]):.1f}"]


def _copied_known(ids, index):
    """Longest copied span of a sentence with unknown words: the longest over its known runs."""
    best, run = 0, []
    for i in ids + [0]:
        if i:
            run.append(i)
        else:
            if run:
                best = max(best, longest_copied_span(run, index).length)
            run = []
    return best


def corpus_det_punct(train_texts):
    det = pairs = 0
    for _, t in train_texts:
        for s in split_sentences(t):
            toks = word_tokens(s)
            pairs += max(0, len(toks) - 1)
            det += sum(a.lower() in DETERMINERS and b in PUNCT for a, b in zip(toks, toks[1:]))
    return det / pairs


# ------------------------------------------------------------------------------ 4. cost


def cost(lm):
    rows = []
    short = "The ghost walked alo"
    filler = " ".join(["Nobody saw him go, and the corridor was dark."] * 250)
    long_prompt = filler[: 10_000 - len(short) - 1] + " " + short  # the same last sentence
    for decoding in ("seen", "smoothed"):
        per = {}
        for name, prompt in (("20 chars", short), ("10,000 chars", long_prompt)):
            t = time.perf_counter()
            n = sum(1 for _ in lm.steps(prompt, max_tokens=1000, seed=1, decoding=decoding)) - 1
            per[name] = (time.perf_counter() - t) / n
        t = time.perf_counter()
        n = sum(1 for _ in lm.steps("", max_tokens=10_000, seed=2, decoding=decoding)) - 1
        total = time.perf_counter() - t
        rows.append([decoding, f"{per['20 chars'] * 1e6:.0f} us", f"{per['10,000 chars'] * 1e6:.0f} us",
                     f"{per['10,000 chars'] / per['20 chars']:.2f}x", f"{n:,} tokens in {total:.2f} s"])
    return rows


# What a new user might type at `ntp demo`'s prompt after the three prompts it shows itself.
DEMO_MORE = ("To open a file", "The default value is", "An exception is raised", "This method returns",
             "A list of", "The return value", "If the argument is", "Python", "The module",
             "Use this function to", "Note that", "In this case", "The following example",
             "When the", "It is", "The string", "Each thread")


def unbalanced_brackets(n: int = 300, seed: int = 0) -> tuple[int, int]:
    """Of `complete()` on held-out Python-docs prompts (the first 3-6 tokens of every 10th
    document's sentences), how many leave the prompt and completion with a bracket closed that
    was never opened, or one opened and never closed; and how many were completed."""
    lm = LanguageModel.default()
    sents = [s for _, t in list(python_docs_texts())[::10] for s in split_sentences(t)]
    rng = np.random.default_rng(seed)
    bad = done = 0
    for i in rng.choice(len(sents), min(n, len(sents)), replace=False).tolist():
        toks = lm.tokenizer.tokenize(sents[i])
        if len(toks) < 8:
            continue
        prompt = lm.tokenizer.detokenize(toks[: int(rng.integers(3, 7))])
        depth, stray = 0, False
        for t in lm.tokenizer.tokenize(prompt + lm.complete(prompt)):
            depth += (t in "([") - (t in ")]")
            stray |= depth < 0
            depth = max(depth, 0)
        bad += stray or depth > 0
        done += 1
    return bad, done


def demo_outputs(k: int = 5) -> list[str]:
    """What `ntp demo` prints for each prompt (its best completion and top next words), on the
    built-in model, for the three prompts it shows and seventeen more."""
    from next_token.cli.interactive import DEMO_PROMPTS_DEFAULT

    lm = LanguageModel.default()
    lines = []
    for p in (*DEMO_PROMPTS_DEFAULT, *DEMO_MORE):
        best = lm.completions(p, k=4)
        nxt = ", ".join(f"{q.token} {q.probability:.2f}" for q in lm.predict(p, k=k))
        lines.append(f"- {p}**{best[0].text if best else ''}** (next: {nxt})")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=300, help="sentences per generator")
    ap.add_argument("--judge", type=Path, default=LARGE / "train.o5.probing")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    train, test = books_split()
    say(f"# What the product writes\n\nCommand: `.venv/bin/python bench/bench_writing.py"
        f"{' --out ' + str(args.out) if args.out else ''}` ({machine()}).")

    say("\n## 1. Spacing round trip (detokenize(tokenize(s)) == s, whitespace runs collapsed)")
    docs = list(python_docs_texts())
    rows = [round_trip("books", train, test),
            round_trip("Python docs", [d for i, d in enumerate(docs) if i % 10], docs[::10])]
    say("\n" + table(["held-out text", "sentences", "word tokens: learned spacing", "fixed rules (before)",
                      "ceiling, 1 token each side", "ceiling, 2 tokens", "bpe tokens", "char tokens"], rows))
    say("\nThe ceilings are not models: they are the majority spacing of each window of word tokens, "
        "counted on the held-out sentences themselves, the best any rule seeing that much context "
        "could score. The word tokens must equal ../shared/kenlm/prep.py's, which write \". . .\" and "
        "\"...\", \"dead ...\" and \"dead...\" alike; BPE and character tokens carry their spaces.")

    lm = LanguageModel.train([Text(t, n) for n, t in train], order=5)
    prompts = prompts_from(lm, test)
    say(f"\n## 2. Completions on {len(prompts)} held-out prompts (books model, order 5)\n")
    rows = []
    for name, fn in (("greedy, full distribution (before)", greedy_complete(lm)), ("`complete()`", lm.complete)):
        ends, (share, top), (wshare, wtop), texts = completion_stats(lm, prompts, fn)
        rows.append([name, f"{100 * ends:.1f}%", f"{100 * share:.1f}% (\"{top}\")",
                     f"{100 * wshare:.1f}% (\"{wtop}\")"])
    say(table(["decoder", "end a sentence", "most shared last 4 tokens", "most shared last 3 words"], rows))
    unsorted = sum(1 for p in prompts[:50] if _scores(lm.completions(p, 5)) != sorted(_scores(lm.completions(p, 5)),
                                                                                          reverse=True))
    say(f"\nAlternatives (`completions(k=5)`) out of best-first order in {unsorted} of 50 prompts.")
    say("\n20 completions (prompt, then the completion in bold):\n")
    for p, text in list(zip(prompts, texts))[:20]:
        say(f"- {p}**{text}**")

    say(f"\n## 3. Sampled sentences against markovify ({args.samples} sentences each, books training text)")
    if not args.judge.exists():
        say(f"(judge model {args.judge} absent: section skipped)")
    else:
        import kenlm

        judge = kenlm.Model(str(args.judge))
        stream = lm.vocab.encode_sentences(
            [lm.tokenizer.tokenize(s) for _, t in train for s in split_sentences(t)])
        index = build_index(stream, vocab_size=len(lm.vocab))
        rate = corpus_det_punct(train)
        say(f"\nJudge: KenLM 5-gram of {args.judge.name} (22M tokens of other text). Corpus rate of "
            f"determiner + punctuation: {100 * rate:.3f}% of word pairs.\n")
        gens = [
            ("markovify, state size 2", lambda: markovify_sentences(train, args.samples)),
            ("ours, default (seen, T=1)", lambda: our_sentences(lm, args.samples)),
            ("ours, seen, T=0.7, top-p 0.9", lambda: our_sentences(lm, args.samples, temperature=0.7, top_p=0.9)),
            ("ours, seen, top-k 10", lambda: our_sentences(lm, args.samples, top_k=10)),
            ("ours, smoothed, T=1 (before)", lambda: our_sentences(lm, args.samples, decoding="smoothed")),
            ("ours, smoothed, T=0.7, top-p 0.9", lambda: our_sentences(lm, args.samples, decoding="smoothed",
                                                                       temperature=0.7, top_p=0.9)),
            ("ours, smoothed, top-k 10", lambda: our_sentences(lm, args.samples, decoding="smoothed", top_k=10)),
        ]
        rows, examples = [], {}
        for name, make in gens:
            t = time.perf_counter()
            sents = make()
            dt = time.perf_counter() - t
            rows.append([name] + judge_scores(judge, sents, index, lm.vocab, rate) + [f"{len(sents) / dt:.0f}"])
            examples[name] = sents[:5]
        say(table(["generator", "judge PPL", "distinct-2", "longest copied span, max / mean", "det + punct",
                   "words per sentence", "sentences/s"], rows))
        for name, sents in examples.items():
            say(f"\n{name}:\n")
            for s in sents:
                say(f"- {s}")

    say("\n## 4. Generation cost per token (books model, 1,000 tokens after each prompt)\n")
    say(table(["decoding", "after 20 chars", "after 10,000 chars", "ratio", "10,000 tokens"], cost(lm)))
    say("\n## 5. What `ntp demo` shows on the built-in model (Python's docs), 20 prompts\n")
    say("The prompt, the completion in bold (the best of `completions(k=4)`), the top 5 next tokens.\n")
    for line in demo_outputs():
        say(line)
    bad, done = unbalanced_brackets()
    say(f"\nBrackets: {bad} of {done} completions of held-out Python-docs prompts leave a bracket closed "
        "that was never opened, or open (an open one may be the prompt's own).")
    spaced, glued = call_spacing()
    say(f"Calls in 300 samples of the built-in model (`generate(max_tokens=60, seed=0..299)`): {spaced} written "
        f"\"name ()\", {glued} \"name()\" (a gap the token after \"(\" decides).")
    if args.out:
        args.out.write_text("\n".join(out_lines) + "\n", encoding="utf-8")


def call_spacing(n: int = 300) -> tuple[int, int]:
    """How often sampled text writes an empty call spaced ("len ()") and glued ("len()")."""
    lm = LanguageModel.default()
    text = "\n".join(lm.generate(max_tokens=60, seed=i) for i in range(n))
    return len(re.findall(r"\w \(\)", text)), len(re.findall(r"\w\(\)", text))


if __name__ == "__main__":
    sys.exit(main())
