"""Damaged and forged model files, many more trials than the tests run: every outcome is a typed
error or the undamaged model's answers, and how long a load takes to say so.

    .venv/bin/python bench/bench_damaged_files.py                 # 3,000 trials per model kind
    .venv/bin/python bench/bench_damaged_files.py --trials 500

The damage is the test's (tests/test_damaged_files.py, imported from there so the two cannot
drift): truncations, 1-8 bit flips, and headers rewritten with a valid header checksum (wrong
types, sizes, offsets, checksums; missing or swapped tables; malformed parameters). The models
are the test's two kinds: an unbounded model, and a plain one with an index and word vectors,
so every kind of table a model file holds is hit. Any other outcome (a generic exception, a
different answer, a hang past 20 s) stops the run with the trial that caused it.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from next_token import LanguageModel  # noqa: E402
from test_damaged_files import TEXT, answers, crafted, header_of, outcome, with_header  # noqa: E402


def damage(data: bytes, rng: random.Random, doc: dict) -> bytes | None:
    kind = rng.randrange(3)
    if kind == 0:
        return data[: rng.randrange(len(data))]
    if kind == 1:
        buf = bytearray(data)
        for _ in range(rng.choice((1, 1, 2, 8))):
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        return bytes(buf)
    return with_header(data, crafted(doc, rng))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for kind, options in [("unbounded", dict(unbounded=True)), ("index + vectors", dict(vectors=True))]:
            path = Path(tmp) / "m.ntp"
            LanguageModel.train(text=TEXT, order=3, discount_fallback="ignore", **options).save(path)
            data = path.read_bytes()
            want = answers(LanguageModel.load(path))
            doc = header_of(data)
            rng = random.Random(args.seed)
            seen: Counter = Counter()
            bad = Path(tmp) / "bad.ntp"
            t0 = time.perf_counter()
            for _ in range(args.trials):
                damaged = damage(data, rng, doc)
                if damaged is None:
                    continue  # a crafted header that did not fit the header's slot
                bad.write_bytes(damaged)
                seen[outcome(bad, want)] += 1
            per = (time.perf_counter() - t0) / max(sum(seen.values()), 1)
            print(f"{kind}: {len(data):,}-byte file, {sum(seen.values()):,} damaged copies: "
                  f"{seen['error']:,} typed errors, {seen['same']:,} same answers (damage that fell on "
                  f"padding or unused bytes), 0 silent wrong answers; {per * 1e3:.1f} ms per load and queries")


if __name__ == "__main__":
    main()
