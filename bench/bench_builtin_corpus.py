"""The built-in corpus before and after a change to its cleaner: size, code left in it, samples,
and what the default model writes on it.

    python bench/bench_builtin_corpus.py                  # before = the cleaner at git HEAD
    python bench/bench_builtin_corpus.py --before old.py  # before = any other copy of builtin.py

"Before" is a copy of src/next_token/text/builtin.py (by default read with `git show HEAD:...`,
which changes nothing in the worktree), loaded as a module beside the real one; "after" is the
working copy. Both yield the corpus on this Python installation and train the same 5-gram word
model `LanguageModel.default()` trains. Printed as markdown: words and sentences; the share of
sentences holding a code-like token (by one yardstick for both sides, described below); 20
sentences drawn with a fixed seed; `complete()` and `generate(max_tokens=30, seed=1)` on 20
prompts; and the time to clean and to build.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, machine, table
from next_token.language_model import LanguageModel
from next_token.text import builtin as after
from next_token.text.corpus import split_sentences
from next_token.training import TrainingConfig, train_model

PROMPTS = [
    "The function returns",
    "This module provides",
    "If the file does not exist,",
    "To read a file,",
    "The default value is",
    "An exception is raised if",
    "This method is called when",
    "The first argument",
    "A list of",
    "The string",
    "Return the number of",
    "If the key is not found,",
    "The class",
    "Each thread",
    "The server",
    "By default,",
    "The result is",
    "When the object is",
    "It is possible to",
    "Note that the",
]

# The yardstick: a whitespace piece is code-like when it looks like a name from code (snake_case,
# _private, __dunder__, ALL_CAPS_CONSTANT, dotted.name, CamelCase inside a word, a call "f()"), a
# word in single quotes, or code proper (an operator, brackets, "->", a URL, an option "-v").
# The same test for both sides; plain capitalized words ("Return", "True", "HTTP") are not code.
_YARDSTICK = re.compile(
    r"""\w_|_\w|\w\(|[A-Za-z_]\w+\.[A-Za-z_]|[a-z][A-Z]|^['‘][^\s'‘’]+['’]\W*$|[=<>{}\[\]|\\^~#@$`]
    |://|^\W*-{1,2}[A-Za-z]""",
    re.VERBOSE,
)


def has_code(sentence: str) -> bool:
    return any(_YARDSTICK.search(piece) for piece in sentence.split())


def load_before(path: str | None):
    """The other copy of builtin.py as module next_token.text._builtin_before (relative imports work)."""
    if path is None:
        source = subprocess.run(["git", "show", "HEAD:src/next_token/text/builtin.py"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    else:
        source = Path(path).read_text(encoding="utf-8")
    tmp = Path(tempfile.mkdtemp()) / "builtin_before.py"
    tmp.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("next_token.text._builtin_before", tmp)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def cpu_timed(fn):
    """(CPU seconds, result): on a shared machine the process's own time is steadier than wall."""
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def measure(module) -> dict:
    clean, texts = cpu_timed(lambda: list(module.python_docs_texts()))
    sentences = [s for _, text in texts for s in split_sentences(text)]
    # what LanguageModel.default() does, on this module's texts
    config = TrainingConfig(order=5, tokenizer="word")
    train, lm = cpu_timed(lambda: LanguageModel._from_trained(train_model(texts, config)))
    return {
        "version": module.CLEANER_VERSION,
        "clean": clean,
        "train": train,
        "words": sum(len(text.split()) for _, text in texts),
        "sentences": sentences,
        "code": sum(map(has_code, sentences)),
        "lm": lm,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", help="a copy of builtin.py to compare with (default: git HEAD)")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    sides = {"before": measure(load_before(args.before)), "after": measure(after)}
    print(f"# Built-in corpus: before and after\n\n{machine()}; `python {' '.join(sys.argv)}`\n")
    rows = []
    for name, m in sides.items():
        n = len(m["sentences"])
        rows.append([f"{name} (CLEANER_VERSION {m['version']})", f"{m['words']:,}", f"{n:,}",
                     f"{m['code']:,} ({m['code'] / n:.1%})", f"{m['clean']:.2f} s", f"{m['train']:.2f} s"])
    print(table(["corpus", "words", "sentences", "sentences with a code-like token", "clean (CPU)", "train (CPU)"],
                rows))
    before, after_ = (m["clean"] + m["train"] for m in sides.values())
    print(f"\nclean + train, CPU: after / before = {after_:.2f} s / {before:.2f} s = {after_ / before:.2f}")

    for name, m in sides.items():
        picked = random.Random(args.seed).sample(m["sentences"], args.samples)
        print(f"\n## {args.samples} sentences, {name} (random.Random({args.seed}).sample)\n")
        print("\n".join(f"{i}. {s}" for i, s in enumerate(picked, 1)))

    for call, fn in (("complete(prompt)", lambda lm, p: lm.complete(p)),
                     ("generate(prompt, max_tokens=30, seed=1)",
                      lambda lm, p: lm.generate(p, max_tokens=30, seed=1))):
        print(f"\n## {call}\n")
        rows = [[p, *(fn(m["lm"], p).strip().replace("|", "\\|") for m in sides.values())] for p in PROMPTS]
        print(table(["prompt", "before", "after"], rows))


if __name__ == "__main__":
    main()
