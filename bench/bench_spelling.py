"""Spelling correction on the books: our noisy-channel corrector against symspellpy, pyspellchecker,
Hunspell and JamSpell, on the same text, the same typos and the same dictionary, in one run.

    .venv/bin/python bench/bench_spelling.py                 # ~5 min on 2 cores
    .venv/bin/python bench/bench_spelling.py --tune          # re-tune the settings on the dev split first
    .venv/bin/python bench/bench_spelling.py --quick         # ours only, no competitors

Two protocols, both on /work/shared/kenlm (train: books_head90.txt, test: books_tail10.txt):

1. JamSpell's protocol, reimplemented (not copied) from its evaluate/ scripts: text normalized as
   JamSpell does (lower case, letters a-z only, sentences cut at . ! ?), so a model is trained on
   the normalized head90 with our "whitespace" tokenizer; then every held-out word gets typos with
   JamSpell's typo model: each letter goes wrong with probability 3% (a word of n letters gets one
   typo with probability 1 - 0.97^n, a second one in 20% of those), a typo being a replacement by
   a random letter (70%), an inserted letter (10%), a dropped letter (10%) or two letters swapped
   (10%; at distance 1, 2, 3, 4 with probability .8, .15, .04, .01). One difference: a one-letter
   word is never dropped entirely (JamSpell's generator can leave an empty word). Seed 42.
   Metrics as JamSpell's: errors left (share of words still wrong), fix rate (injected errors
   corrected), broken rate (originally correct words changed), words/s.
2. Real misspellings: codespell's dictionary (codespell_lib/data/dictionary.txt). Lines with
   several comma-separated corrections are skipped; pairs are kept when both words are lower-case
   a-z. The pairs are split in two halves by a hash of the misspelling: our error model learns
   from one half (`ErrorModel.learn`), and only the other half is injected into the held-out
   sentences: each occurrence of a word that has a test misspelling is replaced by one of them
   with probability 1/5 (about 10% of the words, like protocol 1). Same metrics.

Tuning (--tune) uses only the training text: a dev split of contiguous blocks (every 10th block of
200 sentences) with its own typos (seed 7) or codespell training-half misspellings, a model
trained on the other 90%; the settings that maximize the dev fix rate at a dev broken rate <= 0.5%
are chosen (the test sentences are never seen). A second, "recall" setting allows 1.5%: a point
further along the same trade-off, still below every other system's broken rate.
The tuned values are written into TUNED below by hand after a --tune run.

Competitors get the same training text's word frequencies as their dictionary (a second row
uses their built-in English dictionary); Hunspell has only its own (en_US). Context-free
checkers correct word by word; symspellpy's lookup_compound and JamSpell see the sentence
(JamSpell corrected left to right, each word in its corrected left context, as its evaluate/ does).
Outputs whose word count changed (splits, merges) are scored by aligning to the original.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.resources
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zlib
from pathlib import Path

import numpy as np

from next_token import LanguageModel, Text
from next_token.ngram.kneser_ney import DiscountFallbackWarning
from next_token.spelling import Corrector, ErrorModel, Judge, Lexicon, Settings

warnings.simplefilter("ignore", DiscountFallbackWarning)

KENLM = Path("/work/shared/kenlm")
TRAIN, TEST = KENLM / "books_head90.txt", KENLM / "books_tail10.txt"
OUT = Path(__file__).resolve().parent / "SPELLING_RESULTS.md"
ALPHABET = "abcdefghijklmnopqrstuvwxyz"
BROKEN_BUDGET = 0.005  # tuning target on dev: below the 0.64%, since test text has more unknown words
RECALL_BUDGET = 0.015  # a second operating point: more fixes, still far fewer breaks than the others

# Chosen by `--tune` on the dev split (see the module docstring). The library's own defaults,
# `Settings()`, are a separate row: they also serve models used on text of another domain (the
# built-in model on prose), where a lower keep_unknown breaks more (see "built-in model" below).
TUNED = {
    "keyboard": {"keep_unknown": 5.0, "short_word": 2, "max_candidates": 12, "keep_known": 1.0},
    "learned": {"keep_unknown": 6.0, "spelling_weight": 1.0, "keep_known": 0.0, "short_word": 2,
                "max_candidates": 12, "keep_inflection": 0.0, "keep_dictionary": 0.0},
    "codespell": {"keep_unknown": 6.0, "channel_weight": 0.8, "min_count": 2, "keep_inflection": 0.0,
                  "keep_known": 1.0, "short_word": 4},
    "keyboard_recall": {"keep_unknown": 2.0, "short_word": 2, "max_candidates": 12, "keep_known": 0.5,
                        "spelling_weight": 1.3},
    "codespell_recall": {"keep_unknown": 2.0, "channel_weight": 1.0, "min_count": 1, "keep_inflection": 0.0,
                         "keep_known": 1.0, "short_word": 4},
}


# ---------------------------------------------------------------------- data


def normalize(text: str) -> list[list[str]]:
    """JamSpell's normalization: lower case, a-z kept, . ! ? end a sentence, the rest is space."""
    out = []
    for ch in text.lower():
        out.append(ch if "a" <= ch <= "z" else (" . " if ch in ".?!" else " "))
    sents, cur = [], []
    for w in "".join(out).split():
        if w == ".":
            if cur:
                sents.append(cur)
            cur = []
        else:
            cur.append(w)
    if cur:
        sents.append(cur)
    return sents


def load(path: Path) -> list[list[str]]:
    return [s for line in path.read_text(encoding="utf-8").splitlines() for s in normalize(line)]


def typo(word: str, rng: random.Random, rate: float = 0.03) -> str:
    """JamSpell's typo model (see the module docstring)."""
    p = 1 - (1 - rate) ** len(word)
    r = rng.random()
    n = 2 if r < 0.2 * p else (1 if r < p else 0)
    for _ in range(n):
        kind = rng.choices((0, 1, 2, 3), (0.7, 0.1, 0.1, 0.1))[0]
        if kind == 0:
            i = rng.randrange(len(word))
            word = word[:i] + rng.choice(ALPHABET) + word[i + 1 :]
        elif kind == 1:
            i = rng.randrange(len(word) + 1)
            word = word[:i] + rng.choice(ALPHABET) + word[i:]
        elif kind == 2 and len(word) > 1:
            i = rng.randrange(len(word))
            word = word[:i] + word[i + 1 :]
        elif kind == 3:
            i = rng.randrange(len(word))
            d = rng.choices((1, 2, 3, 4), (0.8, 0.15, 0.04, 0.01))[0]
            a = max(0, i - d // 2)
            b = min(len(word) - 1, a + d)
            chars = list(word)
            chars[a], chars[b] = chars[b], chars[a]
            word = "".join(chars)
    return word


def inject_typos(sents, seed):
    rng = random.Random(seed)
    return [[typo(w, rng) for w in s] for s in sents]


def codespell_pairs() -> tuple[list[tuple[str, str]], list[tuple[str, str]], int, int]:
    """(train half, test half, lines read, multi-correction lines skipped) of codespell's pairs."""
    import codespell_lib

    path = Path(codespell_lib.__file__).parent / "data" / "dictionary.txt"
    train, test, lines, multi = [], [], 0, 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if "->" not in line:
            continue
        lines += 1
        wrong, right = line.split("->", 1)
        fixes = [f.strip() for f in right.split(",") if f.strip()]
        if len(fixes) != 1:
            multi += 1
            continue
        wrong, right = wrong.strip(), fixes[0]
        if wrong == right or not (wrong.isascii() and right.isascii() and wrong.isalpha() and right.isalpha()):
            continue
        if not (wrong.islower() and right.islower()):
            continue
        (test if zlib.crc32(wrong.encode()) % 2 else train).append((wrong, right))
    return train, test, lines, multi


def inject_misspellings(sents, pairs, seed, share=0.2):
    by_word: dict[str, list[str]] = {}
    for wrong, right in pairs:
        by_word.setdefault(right, []).append(wrong)
    for v in by_word.values():
        v.sort()
    rng = random.Random(seed)
    out = []
    for s in sents:
        row = []
        for w in s:
            if w in by_word and rng.random() < share:
                row.append(rng.choice(by_word[w]))
            else:
                row.append(w)
        out.append(row)
    return out


def dev_split(sents, block=200):
    train, dev = [], []
    for b in range(0, len(sents), block):
        (dev if (b // block) % 10 == 9 else train).extend(sents[b : b + block])
    return train, dev


# ---------------------------------------------------------------------- scoring


def score(orig, errored, fixed) -> dict:
    """JamSpell's counts; a fixed sentence of another length is aligned to the original."""
    words = errors = fixed_n = broken = untouched = left = 0
    for o, e, f in zip(orig, errored, fixed):
        if len(f) == len(o):
            right = [a == c for a, c in zip(o, f)]
        else:
            right = [False] * len(o)
            for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=o, b=f, autojunk=False).get_opcodes():
                if tag == "equal":
                    right[i1:i2] = [True] * (i2 - i1)
        for a, b, ok in zip(o, e, right):
            words += 1
            left += not ok
            if a != b:
                errors += 1
                fixed_n += ok
            else:
                untouched += 1
                broken += not ok
    return {"words": words, "errors": errors, "fix": fixed_n / max(errors, 1),
            "broken": broken / max(untouched, 1), "left": left / max(words, 1), "before": errors / max(words, 1)}


def timed(fn, sents):
    t = time.perf_counter()
    out = fn(sents)
    return out, time.perf_counter() - t


# ---------------------------------------------------------------------- our corrector


def train_model(sents):
    text = "\n".join(" ".join(s) for s in sents)
    lm = LanguageModel.train([Text(text)], order=5, tokenizer="whitespace")
    judge = Judge(lm)
    counts = np.bincount(judge.encode(sents), minlength=judge.vocab_size)
    return lm, judge, Lexicon.build(judge.tokens, counts)


def ours(judge, lexicon, error_model, settings):
    def run(sents):
        c = Corrector(judge, lexicon, error_model, settings)  # a fresh (cold) cache every run
        return c.correct_sentences(sents)[0]
    return run


GRID = {
    "keep_unknown": [2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
    "spelling_weight": [0.8, 0.9, 1.0, 1.1, 1.2, 1.3],
    "keep_known": [-0.5, 0.0, 0.5, 1.0, 1.5],
    "channel_weight": [0.7, 0.8, 0.9, 1.0, 1.1, 1.2],
    "short_word": [2, 3, 4],
    "max_candidates": [8, 12],
    "min_count": [1, 2],
    "keep_inflection": [0.0, 1.0, 2.0, 3.0],
    "keep_dictionary": [0.0, 1.0, 2.0, 3.0, 4.0],
}


def tune(judge, lexicon, error_model, dev, dev_err, start: dict, label: str, budget: float = BROKEN_BUDGET) -> dict:
    """Coordinate search: maximize the dev fix rate with broken <= `budget`."""
    best = dict(start)
    seen = {}

    def value(kw):
        key = json.dumps(kw, sort_keys=True)
        if key not in seen:
            r = score(dev, dev_err, ours(judge, lexicon, error_model, Settings(**kw))(dev_err))
            seen[key] = r["fix"] - (100.0 * (r["broken"] - budget) if r["broken"] > budget else 0.0), r
        return seen[key]

    cur = value(best)
    for _ in range(2):
        improved = False
        for name, values in GRID.items():
            for v in values:
                kw = {**best, name: v}
                val = value(kw)
                if val[0] > cur[0] + 1e-9:
                    best, cur, improved = kw, val, True
        if not improved:
            break
    r = cur[1]
    print(f"  tuned {label}: {best}  dev fix {r['fix']:.2%} broken {r['broken']:.2%} ({len(seen)} runs)")
    return best


# ---------------------------------------------------------------------- competitors


def symspell_system(freq: dict | None, compound: bool):
    from symspellpy import SymSpell, Verbosity

    sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    if freq is None:
        path = importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
        sym.load_dictionary(str(path), term_index=0, count_index=1)
    else:
        for w, c in freq.items():
            sym.create_dictionary_entry(w, c)

    def run(sents):
        out = []
        for s in sents:
            if compound:
                res = sym.lookup_compound(" ".join(s), max_edit_distance=2)
                out.append(res[0].term.split() if res else list(s))
            else:
                row = []
                for w in s:
                    res = sym.lookup(w, Verbosity.TOP, max_edit_distance=2, include_unknown=True)
                    row.append(res[0].term if res else w)
                out.append(row)
        return out
    return run


def pyspell_system(words: list[str] | None, probe: int = 2000):
    """pyspellchecker is slow (milliseconds per unknown word at distance 2): its words/s is timed
    without any cache on the first `probe` words; the rest reuses answers for repeated words
    (it is context-free, so a word always gets the same answer)."""
    from spellchecker import SpellChecker

    sp = SpellChecker() if words is None else SpellChecker(language=None)
    if words is not None:
        sp.word_frequency.load_words(words)

    def run(sents):
        flat = [w for s in sents for w in s]
        t = time.perf_counter()
        fixed = [(sp.correction(w) or w) for w in flat[:probe]]
        run.words_per_second = len(fixed) / (time.perf_counter() - t)
        cache: dict[str, str] = {}
        for w in flat[probe:]:
            if w not in cache:
                cache[w] = sp.correction(w) or w
            fixed.append(cache[w])
        return regroup(fixed, sents)
    return run


def regroup(flat: list[str], sents: list[list[str]]) -> list[list[str]]:
    """`flat` (one word per word of `sents`, in order) cut back into sentences."""
    out, k = [], 0
    for s in sents:
        out.append(flat[k : k + len(s)])
        k += len(s)
    return out


def hunspell_system():
    if not shutil.which("hunspell"):
        return None

    def run(sents):
        flat = [w for s in sents for w in s]
        res = subprocess.run(["hunspell", "-d", "en_US", "-a"], input="\n".join(flat) + "\n",
                             capture_output=True, text=True, check=True).stdout.splitlines()[1:]
        answers = [line for line in res if line.strip()]
        fixed = []
        for w, a in zip(flat, answers):
            if a.startswith("&"):
                fixed.append(a.split(":", 1)[1].split(",")[0].strip())
            else:
                fixed.append(w)  # * correct, + root, - compound, # no suggestion
        return regroup(fixed, sents)
    return run


JAMSPELL_WORKER = r"""
import json, sys, time
import jamspell
job = json.load(open(sys.argv[1]))
c = jamspell.TSpellCorrector()
if job["train"]:
    sys.exit(0 if c.TrainLangModel(job["text"], job["alphabet"], job["model"]) else 1)
# A corrector used right after TrainLangModel dies of SIGFPE (JamSpell 25d3f5c): load afresh.
if not c.LoadLangModel(job["model"]):
    sys.exit(1)
out, t = [], time.perf_counter()
for s in job["sentences"]:
    for i in range(len(s)):
        cands = list(c.GetCandidates(s, i))
        if cands:
            s[i] = cands[0]  # left to right: later words see the corrected ones, as in evaluate/
    out.append(s)
json.dump({"sentences": out, "seconds": time.perf_counter() - t}, open(job["result"], "w"))
"""


def jamspell_system(train_sents, workdir: Path):
    """JamSpell in a child process (a crash there must not take the benchmark down)."""
    try:
        import jamspell  # noqa: F401
    except ImportError:
        return None
    job = {"text": str(workdir / "train.txt"), "alphabet": str(workdir / "alphabet.txt"),
           "model": str(workdir / "jamspell.bin"), "result": str(workdir / "result.json"), "train": True}
    Path(job["text"]).write_text("\n".join(" ".join(s) + " ." for s in train_sents), encoding="utf-8")
    Path(job["alphabet"]).write_text(ALPHABET, encoding="utf-8")

    def call(job):
        path = workdir / "job.json"
        path.write_text(json.dumps(job), encoding="utf-8")
        return subprocess.run([sys.executable, "-c", JAMSPELL_WORKER, str(path)], capture_output=True).returncode

    if call(job) != 0:
        return None

    def run(sents):
        if call({**job, "train": False, "sentences": [list(s) for s in sents]}) != 0:
            raise RuntimeError("JamSpell's worker failed")
        res = json.loads(Path(job["result"]).read_text(encoding="utf-8"))
        run.words_per_second = sum(map(len, sents)) / res["seconds"]
        return res["sentences"]
    return run


# ---------------------------------------------------------------------- the run


def row(name, r, seconds, note=""):
    return {"system": name, **r, "wps": r["words"] / seconds if seconds else float("nan"), "note": note}


def table(rows) -> str:
    lines = ["| system | errors left | fix rate | broken rate | words/s | note |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['system']} | {r['left']:.2%} | {r['fix']:.2%} | {r['broken']:.2%} | "
                     f"{r['wps']:,.0f} | {r['note']} |")
    return "\n".join(lines)


def run_protocol(title, systems, orig, errored):
    print(f"\n== {title}: {sum(map(len, orig)):,} words, {score(orig, errored, errored)['errors']:,} errors injected")
    rows = []
    for name, fn, note in systems:
        if fn is None:
            print(f"  {name}: skipped ({note})")
            continue
        fixed, sec = timed(fn, errored)
        r = row(name, score(orig, errored, fixed), sec, note)
        if getattr(fn, "words_per_second", None):  # timed by the system itself (see its note)
            r["wps"] = fn.words_per_second
        rows.append(r)
        print(f"  {name:48s} left {r['left']:.2%}  fix {r['fix']:.2%}  broken {r['broken']:.2%}  {r['wps']:,.0f} words/s", flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tune", action="store_true", help="re-tune the settings on the dev split first")
    ap.add_argument("--quick", action="store_true", help="our corrector only, no competitors")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if not TRAIN.exists():
        sys.exit(f"{TRAIN} is absent: this benchmark needs /work/shared/kenlm")
    t_start = time.perf_counter()
    load_before = os.getloadavg()[0]
    train_sents, test_sents = load(TRAIN), load(TEST)
    typo_test = inject_typos(test_sents, 42)
    cs_train, cs_test, cs_lines, cs_multi = codespell_pairs()
    cs_test_sents = inject_misspellings(test_sents, cs_test, 42)

    # Error models: the keyboard prior; one learned from dev-split typo pairs (protocol 1);
    # one learned from codespell's training half (protocol 2).
    dev_train, dev = dev_split(train_sents)
    dev_pairs_src = inject_typos(dev, 11)
    typo_pairs = [(b, a) for o, e in zip(dev, dev_pairs_src) for a, b in zip(o, e) if a != b]
    em_keyboard = ErrorModel.default()
    em_typos = em_keyboard.learn(typo_pairs)
    em_codespell = em_keyboard.learn([(w, r) for w, r in cs_train])

    tuned = {k: dict(v) for k, v in TUNED.items()}
    if args.tune:
        print("tuning on the dev split (training text only)")
        _, dj, dlex = train_model(dev_train)
        dev_err = inject_typos(dev, 7)
        tuned["keyboard"] = tune(dj, dlex, em_keyboard, dev, dev_err, tuned["keyboard"], "keyboard error model")
        tuned["learned"] = tune(dj, dlex, em_typos, dev, dev_err, tuned["learned"], "learned error model")
        dev_cs = inject_misspellings(dev, cs_train, 7)
        tuned["codespell"] = tune(dj, dlex, em_codespell, dev, dev_cs, tuned["codespell"], "codespell error model")
        tuned["keyboard_recall"] = tune(dj, dlex, em_keyboard, dev, dev_err, tuned["keyboard"],
                                        "keyboard error model, recall", RECALL_BUDGET)
        tuned["codespell_recall"] = tune(dj, dlex, em_codespell, dev, dev_cs, tuned["codespell"],
                                         "codespell error model, recall", RECALL_BUDGET)
        print("TUNED =", json.dumps(tuned, indent=4))

    t0 = time.perf_counter()
    lm, judge, lexicon = train_model(train_sents)
    build_s = time.perf_counter() - t0
    freq: dict[str, int] = {}
    for s in train_sents:
        for w in s:
            freq[w] = freq.get(w, 0) + 1
    train_words = [w for s in train_sents for w in s]

    def our_rows(em_learned, learned_key, learned_note, recall_model, recall_key):
        note = "5-gram, both contexts; tuned for dev broken <= "
        return [
            ("next_token (keyboard error model)", ours(judge, lexicon, em_keyboard, Settings(**tuned["keyboard"])),
             note + f"{BROKEN_BUDGET:.1%}"),
            ("next_token, library defaults (keyboard error model)", ours(judge, lexicon, em_keyboard, Settings()),
             "5-gram, both contexts; `Settings()` as shipped"),
            (f"next_token (error model {learned_note})", ours(judge, lexicon, em_learned, Settings(**tuned[learned_key])),
             note + f"{BROKEN_BUDGET:.1%}"),
            (f"next_token, recall setting ({recall_model})",
             ours(judge, lexicon, em_keyboard if recall_key == "keyboard_recall" else em_learned,
                  Settings(**tuned[recall_key])), note + f"{RECALL_BUDGET:.1%}"),
        ]

    def competitors(compound_ok=True):
        if args.quick:
            return []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            systems = [
                ("symspellpy lookup (training words)", symspell_system(freq, False), "max distance 2, top-1"),
                ("symspellpy lookup (built-in en dict)", symspell_system(None, False), "82,765 words"),
                ("symspellpy lookup_compound (training words)", symspell_system(freq, True), "whole sentence"),
                ("symspellpy lookup_compound (built-in en dict)", symspell_system(None, True), "whole sentence"),
                ("pyspellchecker (training words)", pyspell_system(train_words), "distance 2; words/s on 2,000 words"),
                ("pyspellchecker (built-in en dict)", pyspell_system(None), "distance 2; words/s on 2,000 words"),
            ]
        hs = hunspell_system()
        systems.append(("hunspell -d en_US -a", hs, "first suggestion" if hs else "hunspell not installed"))
        return systems

    workdir = Path(tempfile.mkdtemp(prefix="bench_spelling_"))
    try:
        js = None if args.quick else jamspell_system(train_sents, workdir)
        js_entry = [("JamSpell (trained on the same text)", js,
                     "3-gram, left context; built from GitHub source; words/s without loading" if js else "not installed (pip install jamspell fails)")]
        rows1 = run_protocol("Protocol 1: JamSpell's synthetic typos", our_rows(em_typos, "learned", "learned on dev typos", "keyboard error model", "keyboard_recall")
                             + competitors() + ([] if args.quick else js_entry), test_sents, typo_test)
        rows2 = run_protocol("Protocol 2: codespell misspellings (held-out half)",
                             our_rows(em_codespell, "codespell", "learned on codespell train half", "codespell-learned error model",
                                      "codespell_recall")
                             + competitors() + ([] if args.quick else js_entry), test_sents, cs_test_sents)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    # Correct text as people type it: cased, punctuated, through correct(text).
    raw_lm = LanguageModel.train([str(TRAIN)], order=5, tokenizer="whitespace")
    raw_judge = Judge(raw_lm)
    raw_counts = raw_judge.token_counts([TRAIN.read_text(encoding="utf-8")])
    raw = Corrector(raw_judge, Lexicon.build(raw_judge.tokens, raw_counts), em_keyboard, Settings(**tuned["keyboard"]))
    raw_text = TEST.read_text(encoding="utf-8")
    raw_words = sum(len(line.split()) for line in raw_text.splitlines())
    t = time.perf_counter()
    res = raw.correct(raw_text)
    raw_s = time.perf_counter() - t
    raw_changed = len(res.edits)
    examples = [f"{e.original} -> {e.replacement}" for e in res.edits[:12]]
    print(f"\n== correct(text) on the clean held-out text (cased, punctuation kept): {raw_words:,} tokens, "
          f"{raw_changed} changed ({raw_changed / raw_words:.2%}), {raw_words / raw_s:,.0f} tokens/s")

    other_domain = builtin_on_prose(raw_text)
    total = time.perf_counter() - t_start
    loadavg = (load_before, os.getloadavg()[0])
    write_results(args, rows1, rows2, tuned, build_s, (raw_words, raw_changed, raw_s, examples),
                  (len(cs_train), len(cs_test), cs_lines, cs_multi), total, lexicon, loadavg, other_domain)
    print(f"\nwrote {args.out} ({total:.0f} s)")


def builtin_on_prose(text: str) -> list[str]:
    """The built-in model (Python's docs) correcting clean prose of another domain, the novels'
    held-out text: how many words it changes with its English dictionary and without it."""
    from collections import Counter

    lm = LanguageModel.default()
    words = sum(len(line.split()) for line in text.splitlines())
    rows = []
    for label, kd in (("with the dictionary (default)", Settings().keep_dictionary), ("without it", 0.0)):
        c = Corrector(lm.corrector.judge, lm.corrector.lexicon, settings=Settings(keep_dictionary=kd))
        edits = c.correct(text).edits
        common = Counter(f"{e.original} -> {e.replacement}" for e in edits).most_common(8)
        rows.append(f"- {label}: {len(edits):,} of {words:,} words changed ({len(edits) / words:.2%}); "
                    f"commonest: {', '.join(f'{k} ({n})' for k, n in common)}")
        print(f"\n== built-in model on the novels' clean text, {rows[-1][2:]}")
    return rows


def verdict(rows, target: bool = True) -> str:
    """The issue's targets, checked on this table (the 79.5% / 0.64% target is protocol 1's)."""
    mine = [r for r in rows if r["system"].startswith("next_token")]
    others = [r for r in rows if not r["system"].startswith("next_token")]
    ok = [r for r in mine if r["broken"] <= 0.0064 and r["wps"] >= 5000]
    best = max(ok, key=lambda r: r["fix"]) if ok else None
    lines = []
    if best and target:
        hit = "met" if best["fix"] > 0.795 else "not met"
        lines.append(f"Target fix > 79.5% at broken <= 0.64% and >= 5,000 words/s: {hit} (best such row: "
                     f"{best['system']}, fix {best['fix']:.2%}, broken {best['broken']:.2%}, {best['wps']:,.0f} words/s).")
    if others:
        top = max(others, key=lambda r: r["fix"])
        beat = [r for r in mine if r["fix"] > top["fix"] and r["broken"] < min(o["broken"] for o in others)]
        lines.append(f"Best other system by fix rate: {top['system']} ({top['fix']:.2%} fixed, {top['broken']:.2%} broken); "
                     + (f"beaten on fix rate at a lower broken rate than every other system by: "
                        f"{'; '.join(r['system'] for r in beat)}." if beat else "no row of ours beats it on fix rate "
                        "at a lower broken rate than every other system."))
    return " ".join(lines)


def write_results(args, rows1, rows2, tuned, build_s, raw, cs, total, lexicon, loadavg, other_domain):
    cmd = ".venv/bin/python bench/bench_spelling.py" + (" --tune" if args.tune else "") + (" --quick" if args.quick else "")
    words, changed, secs, examples = raw
    lines = [
        "# Spelling correction: results",
        "",
        f"Command: `{cmd}` (from /work/main; {total:.0f} s). Machine: {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other jobs (load average {loadavg[0]:.1f} at the start, "
        f"{loadavg[1]:.1f} at the end: words/s are one cold run each and move with the load), "
        f"Python {platform.python_version()}. How everything is counted: the docstring of "
        "bench/bench_spelling.py.",
        "",
        "Training text: /work/shared/kenlm/books_head90.txt, normalized as JamSpell does (lower case, a-z "
        "words, sentences at . ! ?), with our `whitespace` tokenizer; a 5-gram model "
        f"(train + lexicon + deletes index: {build_s:.1f} s; {len(lexicon):,} indexed words). "
        "Test: books_tail10.txt, normalized the same way.",
        "",
        "## Protocol 1: JamSpell's synthetic typos (3% of letters), seed 42",
        "",
        table(rows1),
        "",
        verdict(rows1),
        "",
        f"## Protocol 2: codespell's real misspellings (drawn from {cs[1]:,} held-out pairs; {cs[0]:,} pairs "
        f"for learning; {cs[3]:,} of {cs[2]:,} lines skipped for having several corrections)",
        "",
        table(rows2),
        "",
        verdict(rows2, target=False),
        "",
        "## correct(text) on clean, cased, punctuated held-out text",
        "",
        f"Model trained on books_head90.txt as it is (case and punctuation kept). On the unchanged "
        f"books_tail10.txt (no typos injected), `correct()` changed {changed} of {words:,} tokens "
        f"({changed / words:.2%}) at {words / secs:,.0f} tokens/s. First changes: {', '.join(examples) or 'none'}.",
        "",
        "## The built-in model on clean text of another domain",
        "",
        "`LanguageModel.default()` (Python's documentation, 220k words) correcting the same unchanged "
        "books_tail10.txt: everyday words its corpus lacks (\"he\", \"ghost\") are presumed typos of "
        "its own words unless a dictionary says they are words (spelling/dictionary.py). Many of "
        "the remaining changes are right: the novels' OCR damage (\"tiieir\", \"diis\").",
        "",
        *other_domain,
        "",
        "## Settings",
        "",
        "Tuned on the dev split of the training text (never on test sentences):",
        "",
        "```json",
        json.dumps(tuned, indent=2),
        "```",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
