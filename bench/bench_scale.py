"""Beyond one machine's memory: the bounded-memory build against lmplz, Dask counting, scoring speed.

    python bench/bench_scale.py build --memory 2G                 # 22M tokens, ours vs lmplz -S 2G
    python bench/bench_scale.py build --text /work/large/train_x6.txt --memory 4G
    python bench/bench_scale.py dask                              # counting with 1 and 2 local workers
    python bench/bench_scale.py score                             # from text, against kenlm.Model.score

Every figure is printed next to a baseline measured in the same run (machines are noisy, and
this one is shared). Builds run in child processes and are measured with os.wait4, so each peak
RSS is that build's own: ours is `ntp train --memory SIZE` (the whole command: reading,
counting, merging, estimating and saving the model file), KenLM's is `lmplz -o 5 -S SIZE`. The
repeated corpora (train_x6.txt, train_x9.txt: train.txt 6 and 9 times; every count a multiple,
so no n-gram has count 1 and both need a discount fallback) are made with `cat` outside the repo:

    for i in 1 2 3 4 5 6; do cat /work/large/train.txt; done > /work/large/train_x6.txt

`dask` counts raw text split into many files (the shape Dask is for) with the word tokenizer,
on 1 and 2 local worker processes, and prints tokens per second next to the single-machine
in-memory build of the same files. `score` scores /work/large/test.txt (pre-tokenized, one
sentence per line) with a model of /work/large/train.txt, built first if absent.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import kenlm_tools  # noqa: E402
from common import LARGE, machine, table  # noqa: E402

NTP = [sys.executable, "-c", "from next_token.cli import main; main()"]


def measured(cmd: list[str], stdout_path: str | None = None) -> dict:
    return kenlm_tools._run_measured(cmd, None, stdout_path)


# ---------------------------------------------------------------- build


def run_ours(text: Path, order: int, memory: str | None, out: Path, tokenizer: str) -> dict:
    cmd = NTP + ["train", str(text), "-o", str(out), "--order", str(order), "--tokenizer", tokenizer, "-q", "--json"]
    if memory:
        cmd += ["--memory", memory]
    with tempfile.NamedTemporaryFile("r", suffix=".json") as log:
        r = measured(cmd, log.name)
        summary = json.loads(Path(log.name).read_text())
    r["ngrams"] = summary["ngrams"]
    r["tokens"] = summary["tokens"]
    r["file_mb"] = out.stat().st_size / 1e6
    return r


def build(args) -> None:
    rows = []
    print(f"# bounded-memory build, order {args.order} ({machine()})")
    for text in args.text or [LARGE / "train.txt"]:
        if not text.exists():
            print(f"skipping {text}: not found")
            continue
        with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
            ours = run_ours(text, args.order, args.memory, Path(tmp) / "m.ntp", args.tokenizer)
            row = [text.name, f"{ours['tokens'] / 1e6:.0f}M", f"ntp --memory {args.memory}", f"{ours['wall_s']:.0f} s",
                   f"{ours['peak_rss_mb']:.0f} MB", f"{ours['file_mb']:.0f} MB"]
            k = None
            if kenlm_tools.find_lmplz() and not args.no_lmplz:
                extra = ("--discount_fallback",) if "_x" in text.name else ()
                k = kenlm_tools.run_lmplz(text, args.order, os.devnull, memory=args.memory, extra_args=extra)
            rows.append(row + ([f"{k['wall_s']:.0f} s", f"{k['peak_rss_mb']:.0f} MB",
                                f"{ours['wall_s'] / k['wall_s']:.2f}x"] if k else ["-", "-", "-"]))
            if args.in_memory:
                whole = run_ours(text, args.order, None, Path(tmp) / "w.ntp", args.tokenizer)
                rows.append([text.name, "", "ntp in memory", f"{whole['wall_s']:.0f} s", f"{whole['peak_rss_mb']:.0f} MB",
                             f"{whole['file_mb']:.0f} MB", "", "", ""])
                same = _same_tables(Path(tmp) / "m.ntp", Path(tmp) / "w.ntp")
                print(f"{text.name}: bounded and in-memory model files {'identical' if same else 'DIFFER'}")
        print(table(["corpus", "tokens", "build", "wall", "peak RSS", "model file", "lmplz wall", "lmplz RSS",
                     "ours/lmplz"], rows[-2 if args.in_memory else -1:]), flush=True)
    print()
    print(table(["corpus", "tokens", "build", "wall", "peak RSS", "model file", "lmplz wall", "lmplz RSS", "ours/lmplz"],
                rows))


def _same_tables(a: Path, b: Path) -> bool:
    from next_token.model_file import read_model_file

    _, ma, xa = read_model_file(a)
    _, mb, xb = read_model_file(b)
    ma["info"].pop("train_seconds", None)
    mb["info"].pop("train_seconds", None)
    return ma == mb and xa.keys() == xb.keys() and all(xa[k].tobytes() == xb[k].tobytes() for k in xa)


# ---------------------------------------------------------------- dask


def dask_bench(args) -> None:
    from next_token import LanguageModel
    from next_token.distributed import connect, train_on_dask

    files = sorted(p for p in (args.raw or LARGE / "raw").rglob("*.txt"))
    if args.max_files:
        files = files[: args.max_files]
    size = sum(f.stat().st_size for f in files)
    print(f"# Dask counting: {len(files)} files, {size / 1e6:.0f} MB of raw text, word tokenizer, order {args.order}"
          f" ({machine()})")
    t = time.perf_counter()
    lm = LanguageModel.train(files, order=args.order, discount_fallback="ignore")
    one = time.perf_counter() - t
    tokens = lm.meta["tokens"]
    rows = [["one process, in memory", f"{one:.1f} s", f"{tokens / one / 1e6:.2f} M tok/s", "1.00x"]]
    for workers in (1, 2):
        with connect(workers=workers) as client:
            t = time.perf_counter()
            d = train_on_dask(files, client, order=args.order, discount_fallback="ignore")
            dt = time.perf_counter() - t
        assert d.meta["tokens"] == tokens
        rows.append([f"Dask, {workers} local worker{'s' * (workers > 1)}", f"{dt:.1f} s",
                     f"{tokens / dt / 1e6:.2f} M tok/s", f"{one / dt:.2f}x"])
        print(rows[-1], flush=True)
    print(table(["counting + estimating", "wall", "throughput", "vs one process"], rows))


# ---------------------------------------------------------------- score


def score_bench(args) -> None:
    import kenlm

    from next_token import LanguageModel

    model = args.model or LARGE / "ntp" / "train.o5.ntp"
    if not model.exists():
        model.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(NTP + ["train", str(LARGE / "train.txt"), "-o", str(model), "--tokenizer", "whitespace",
                              "--memory", "2G", "-q"], check=True)
    text = (args.test or LARGE / "test.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    n = sum(len(line.split()) + 1 for line in lines)
    print(f"# scoring {n:,} tokens ({len(lines):,} sentences, </s> counted) ({machine()})")
    t = time.perf_counter()
    km = kenlm.Model(str(args.kenlm or LARGE / "train.o5.probing"))
    k_load = time.perf_counter() - t
    t = time.perf_counter()
    lm = LanguageModel.load(model)
    load = time.perf_counter() - t
    t = time.perf_counter()
    lm.score(text, per_token=False)
    first_s = time.perf_counter() - t
    k_best = o_best = b_best = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        k_total = sum(km.score(line, bos=True, eos=True) for line in lines)
        k_best = min(k_best, time.perf_counter() - t)
        t = time.perf_counter()
        s = lm.score(text, per_token=False)
        o_best = min(o_best, time.perf_counter() - t)
        t = time.perf_counter()
        lm.score_batch(lines)
        b_best = min(b_best, time.perf_counter() - t)
    assert abs(s.logprob - k_total) < 1e-2 * len(lines), (s.logprob, k_total)
    rows = [
        ["kenlm.Model.score, per sentence", f"{k_load:.2f} s", f"{k_best * 1e3:.0f} ms", f"{n / k_best / 1e6:.2f}", "1.00x"],
        ["LanguageModel.score(text)", f"{load * 1e3:.1f} ms", f"{o_best * 1e3:.0f} ms", f"{n / o_best / 1e6:.2f}",
         f"{k_best / o_best:.2f}x"],
        ["  first call after load", "", f"{first_s * 1e3:.0f} ms", f"{n / first_s / 1e6:.2f}", f"{k_best / first_s:.2f}x"],
        ["LanguageModel.score_batch(lines), a score per line", "", f"{b_best * 1e3:.0f} ms", f"{n / b_best / 1e6:.2f}",
         f"{k_best / b_best:.2f}x"],
    ]
    print(f"log10 total: ours {s.logprob:.2f}, KenLM {k_total:.2f}")
    print(table(["scorer", "load", "time (best of %d)" % args.repeat, "M tokens/s", "speed vs KenLM"], rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    b = sub.add_parser("build")
    b.add_argument("--text", action="append", type=Path, help="pre-tokenized text (repeatable)")
    b.add_argument("--memory", default="2G")
    b.add_argument("--order", type=int, default=5)
    b.add_argument("--tokenizer", default="whitespace")
    b.add_argument("--in-memory", action="store_true", help="also the in-memory build, and check the files match")
    b.add_argument("--no-lmplz", action="store_true")
    b.add_argument("--tmp", default=None, help="where the model files go while measured")
    d = sub.add_parser("dask")
    d.add_argument("--raw", type=Path, default=None, help="a folder of text files (default /work/large/raw)")
    d.add_argument("--max-files", type=int, default=None)
    d.add_argument("--order", type=int, default=5)
    s = sub.add_parser("score")
    s.add_argument("--model", type=Path, default=None)
    s.add_argument("--kenlm", type=Path, default=None)
    s.add_argument("--test", type=Path, default=None)
    s.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    {"build": build, "dask": dask_bench, "score": score_bench}[args.what](args)


if __name__ == "__main__":
    main()
