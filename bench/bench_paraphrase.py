"""Substitutes and paraphrases to read: 20 sentences, their paraphrases and one word's substitutes.

    .venv/bin/python bench/bench_paraphrase.py --model /work/large/10m-vectors.ntp
    .venv/bin/python bench/bench_paraphrase.py --text /work/large/10m.txt   # trains first (with vectors)

Prints markdown for BENCHMARKS.md: for each sentence, the top 3 paraphrases (score = fluency
minus the price of each substitution, lookup/paraphrase.py) and the top 5 substitutes of the
marked word with their fluency (log10 of how much likelier the sentence became) and cosine,
then the median and p99 time of one `paraphrase` call. The point is to read them: a score
cannot say whether "sea" for "ocean" keeps the meaning and "ditch" for "castle" does not.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from common import machine, stats  # noqa: E402
from next_token import LanguageModel  # noqa: E402

# (sentence, the word whose substitutes are listed): plain English of the kind the corpus holds,
# written for this benchmark (not taken from the corpus).
SENTENCES = [
    ("The old man walked slowly down the road.", "road"),
    ("She opened the door and looked into the dark room.", "dark"),
    ("He was a brave soldier and a loyal friend.", "brave"),
    ("The ship sailed across the ocean in a storm.", "storm"),
    ("They ate bread and cheese by the fire.", "fire"),
    ("The children played in the garden all afternoon.", "garden"),
    ("I am afraid that the answer is wrong.", "afraid"),
    ("The king gave a great feast in the castle.", "feast"),
    ("It was a cold and quiet night.", "quiet"),
    ("She smiled and took his hand.", "smiled"),
    ("The doctor said that the fever would soon pass.", "fever"),
    ("We must leave the city before dawn.", "leave"),
    ("His voice was soft and his eyes were sad.", "sad"),
    ("The river was wide and the water was deep.", "wide"),
    ("He wrote a long letter to his mother.", "letter"),
    ("The people of the village were poor but happy.", "poor"),
    ("A strange noise woke me in the middle of the night.", "strange"),
    ("The general ordered his men to attack the town.", "attack"),
    ("She was tired after the long journey.", "tired"),
    ("The sun rose over the hills and the birds began to sing.", "hills"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path)
    ap.add_argument("--text", type=Path, help="train on this text with vectors=True instead of --model")
    args = ap.parse_args()
    if args.model:
        lm = LanguageModel.load(args.model)
    else:
        lm = LanguageModel.train([args.text], vectors=True, progress=True)
    info = lm.info()
    print(f"{machine()}; model: {info.get('source')}, {info.get('tokens', 0):,} tokens, "
          f"{len(lm.vectors):,} word vectors\n")
    lm.paraphrase(SENTENCES[0][0])  # first call: unigram table and caches
    times = []
    for sentence, word in SENTENCES:
        t = time.perf_counter()
        found = lm.paraphrase(sentence, n=3)
        times.append(time.perf_counter() - t)
        print(f"**{sentence}**\n")
        for p in found or []:
            changes = ", ".join(f"{a} → {b}" for a, b in p.changes)
            print(f"- {p.text} ({changes}; score {p.score:+.2f})")
        if not found:
            print("- (no paraphrase fluent enough)")
        subs = lm.substitutes(sentence, word, k=5)
        print(f"- substitutes for *{word}*: " + (", ".join(
            f"{s.word} ({s.fluency:+.1f}, cos {s.similarity:.2f})" for s in subs) or "(none fluent and close enough)") + "\n")
    med, p99 = stats(times)
    print(f"paraphrase(): median {med * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms per sentence")


if __name__ == "__main__":
    main()
