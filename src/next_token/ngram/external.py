"""Counting a corpus larger than memory: chunks, a running table, sorted runs on disk, a merge.

The bounded-memory build (`LanguageModel.train(..., memory="2G")`, `ntp train --memory 2G`) is
lmplz's disk-based pipeline in numpy. The corpus arrives as chunks of whole sentences (already
ids). Each chunk is counted on its own (`counting.count_chunk`) and folded into a running table
(`merge.merge`): n-grams seen before only add to counts, so a corpus that repeats itself costs
little memory. When the table outgrows its share of the budget it is written to the temporary
folder as a sorted run and a new table starts. At the end the runs are merged order by order in
blocks (a k-way merge of sorted files), giving the whole corpus's count tables on disk:

    keys.n   int64, sorted: parent * V + word   (the trie's keys, V the final vocabulary size)
    raw.n    int64 counts

which `blockwise.estimate_files` turns into the model, again block by block. Every step reads
and writes whole sorted arrays in bounded pieces; nothing holds the corpus.

How the budget is spent (`MemoryPlan`): a quarter on counting a chunk (`count_chunk` peaks at
about 45 bytes a token), three fifths on the running table (12 bytes an n-gram with its count,
about twice that while a chunk is folded in: `TABLE_BYTES_PER_NGRAM` counts both), the rest on
blocks and on reading ahead. A chunk that would take the table past its share is not folded
in: the table goes to disk first. Estimation needs, besides its blocks, about 26 bytes per
n-gram of the order below its largest (that order's probabilities, keys and counts, looked up
at random); `estimation_bytes` says how much, so a caller can warn when a budget is too small.
Outside the budget: the interpreter and numpy (about 60 MB), the vocabulary (about 100 bytes a
distinct token, in a Python dict) and the text being read (a few MB).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from .counting import WORD_BITS, WORD_MASK, PartialCounts, count_chunk, unique_inverse
from .disk import DiskArray
from .merge import count_dtype, empty_counts, merge, to_ngram_keys

_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
MIN_MEMORY = 64 << 20
CHUNK_BYTES_PER_TOKEN = 48  # count_chunk's peak, measured (bench/bench_scale.py)
TABLE_BYTES_PER_NGRAM = 24  # key + count in the running table, and the merge's temporaries
ESTIMATE_BYTES_PER_NGRAM = 26  # random-access arrays of the order below, per n-gram of it
ESTIMATE_BYTES_PER_BLOCK_ELEMENT = 160  # the temporaries of estimating and ranking one n-gram


class MemoryBudgetWarning(UserWarning):
    """A bounded-memory build needs more memory than its budget for some stage."""


def parse_memory(value) -> int:
    """Bytes from "2G", "500M", "1.5GB", "800MiB" or a number of bytes; at least 64 MB."""
    if isinstance(value, bool):
        raise InputError(f"memory must be a size such as '2G', got {value!r}")
    if isinstance(value, (int, float)):
        n = int(value)
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", str(value), re.IGNORECASE)
        if not m:
            raise InputError(f"memory must be a size such as 2G, 500M or 1.5GB, got {value!r}")
        n = int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    if n < MIN_MEMORY:
        raise InputError(f"memory must be at least 64M, got {value!r}")
    return n


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


@dataclass(frozen=True)
class MemoryPlan:
    """How a memory budget is split (see the module docstring). All sizes in elements."""

    budget: int
    chunk_tokens: int  # tokens counted at once
    table_entries: int  # n-grams the running table may hold, merged; past that it goes to disk
    block: int  # elements per block when merging runs and estimating

    @classmethod
    def for_budget(cls, budget: int) -> "MemoryPlan":
        budget = int(budget)
        chunk = max(10_000, int(budget * 0.25) // CHUNK_BYTES_PER_TOKEN)
        table = max(10_000, int(budget * 0.60) // TABLE_BYTES_PER_NGRAM)
        block = max(4096, int(budget * 0.10) // ESTIMATE_BYTES_PER_BLOCK_ELEMENT)
        return cls(budget, min(chunk, 2**30), table, block)

    @classmethod
    def tiny(cls, chunk_tokens: int, table_entries: int, block: int) -> "MemoryPlan":
        """A plan with explicit sizes (tests use tiny ones to force many chunks, runs and blocks)."""
        return cls(0, int(chunk_tokens), int(table_entries), int(block))


@dataclass
class CountFiles:
    """The whole corpus's raw counts: unigrams in memory, higher orders on disk (module doc)."""

    order: int
    vocab_size: int
    unigrams: np.ndarray
    keys: list = field(default_factory=list)  # index n-1: DiskArray of order n (index 0: None)
    raw: list = field(default_factory=list)

    @property
    def sizes(self) -> list[int]:
        return [self.vocab_size] + [len(k) for k in self.keys[1:]]


class ExternalCounter:
    """Counts chunks of a sentence stream in bounded memory (see the module docstring).

        counter = ExternalCounter(order, workdir, plan)
        for chunk in chunks:          # uint32 ids, whole sentences
            counter.add(chunk)
        counts = counter.finish(vocab_size)
    """

    def __init__(self, order: int, workdir: Path, plan: MemoryPlan, progress=None):
        self.order = order
        self.workdir = Path(workdir)
        self.plan = plan
        self.progress = progress  # a tqdm bar counting tokens, or None
        self.table = empty_counts(order)
        self.unigrams = np.zeros(0, dtype=np.int64)
        self.runs: list[Path] = []
        self.tokens = 0
        self.chunks = 0

    def add(self, stream: np.ndarray) -> None:
        """Count one chunk: whole sentences `<s> ... </s>`, uint32 ids."""
        if len(stream) == 0:
            return
        part = count_chunk(stream, self.order)
        self.tokens += len(stream)
        self.chunks += 1
        self.unigrams = _add_unigrams(self.unigrams, part.unigrams)
        part.unigrams = np.zeros(0, dtype=np.int64)
        dtype = count_dtype(self.tokens)
        if self.table.entries + part.entries > 1.5 * self.plan.table_entries and self.table.entries:
            self._spill()  # folding in a chunk of mostly new n-grams could overrun the budget
        if self.table.entries >= part.entries:
            self.table = merge(self.table, part, dtype, consume=True)
        else:
            self.table = merge(part, self.table, dtype, consume=True)
        del part
        if self.table.entries > self.plan.table_entries:
            self._spill()
        if self.progress is not None:
            self.progress.update(len(stream))

    def _spill(self) -> None:
        """Write the running table as a sorted run and start a new one."""
        run = self.workdir / f"run{len(self.runs)}"
        run.mkdir()
        for n in range(1, self.order):
            DiskArray.write(run / f"keys.{n + 1}", self.table.keys[n])
            DiskArray.write(run / f"raw.{n + 1}", self.table.raw[n])
        self.runs.append(run)
        self.table = empty_counts(self.order)

    def finish(self, vocab_size: int, progress=None) -> CountFiles:
        """The whole corpus's count tables (`CountFiles`), in the work folder."""
        V = int(vocab_size)
        unigrams = np.zeros(V, dtype=np.int64)
        unigrams[: len(self.unigrams)] = self.unigrams
        out = self.workdir / "counts"
        out.mkdir()
        files = CountFiles(self.order, V, unigrams, [None], [None])
        if not self.runs:  # everything fit in one table: write it as the final counts
            table, self.table = self.table, empty_counts(self.order)
            return write_counts(table, unigrams, V, out, progress)
        if self.table.entries:
            self._spill()
        merge_runs(self.runs, files, out, self.plan.block, progress)
        return files


def write_counts(table: PartialCounts, unigrams: np.ndarray, vocab_size: int, out: Path, progress=None) -> CountFiles:
    """A whole corpus's counts held in one table, written as `CountFiles` in `out` (the table is
    emptied order by order as it is written)."""
    V = int(vocab_size)
    all_unigrams = np.zeros(V, dtype=np.int64)
    all_unigrams[: len(unigrams)] = unigrams
    files = CountFiles(table.order, V, all_unigrams, [None], [None])
    for n in range(1, table.order):
        files.keys.append(DiskArray.write(out / f"keys.{n + 1}", to_ngram_keys(table.keys[n], V)))
        files.raw.append(DiskArray.write(out / f"raw.{n + 1}", table.raw[n], np.int64))
        table.keys[n] = table.raw[n] = None
        if progress is not None:
            progress.update(1)
    return files


def _add_unigrams(total: np.ndarray, part: np.ndarray) -> np.ndarray:
    if len(part) > len(total):
        grown = np.zeros(len(part), dtype=np.int64)
        grown[: len(total)] = total
        total = grown
    total[: len(part)] += part
    return total


class _RunReader:
    """One run's order-n keys, read in blocks and converted to final keys parent * V + word, the
    parent renumbered through the run's map of order n-1 (where its entries landed)."""

    def __init__(self, run: Path, n: int, V: int, parent_map: DiskArray | None):
        self.keys = DiskArray(run / f"keys.{n}", np.uint64, _length(run / f"keys.{n}", 8))
        dtype = np.uint32 if _length(run / f"raw.{n}", 4) == len(self.keys) else np.uint64
        self.raw = DiskArray(run / f"raw.{n}", dtype, len(self.keys))
        self.V = V
        self.parent_map = parent_map
        self.at = 0
        self.buf = np.zeros(0, dtype=np.int64)
        self.buf_raw = np.zeros(0, dtype=np.int64)

    @property
    def done(self) -> bool:
        return self.at >= len(self.keys)

    def fill(self, want: int) -> None:
        need = want - len(self.buf)
        if need <= 0 or self.done:
            return
        k = self.keys.read(self.at, self.at + need)
        r = self.raw.read(self.at, self.at + len(k)).astype(np.int64)
        self.at += len(k)
        parent = (k >> np.uint64(WORD_BITS)).astype(np.int64)
        word = (k & WORD_MASK).astype(np.int64)
        if self.parent_map is not None and len(parent):
            lo = int(parent[0])  # parents are sorted: read just the part of the map they use
            parent = self.parent_map.read(lo, int(parent[-1]) + 1)[parent - lo]
        key = parent * self.V + word
        self.buf = np.concatenate([self.buf, key])
        self.buf_raw = np.concatenate([self.buf_raw, r])

    def take(self, bound) -> tuple[np.ndarray, np.ndarray]:
        """Pop the buffered keys <= bound (None: all)."""
        j = len(self.buf) if bound is None else int(np.searchsorted(self.buf, bound, side="right"))
        keys, raw = self.buf[:j], self.buf_raw[:j]
        self.buf, self.buf_raw = self.buf[j:], self.buf_raw[j:]
        return keys, raw


def _length(path: Path, itemsize: int) -> int:
    return path.stat().st_size // itemsize


def merge_runs(runs: list[Path], files: CountFiles, out: Path, block: int, progress=None) -> None:
    """k-way merge of sorted runs into `files`, order by order, `block` elements at a time.

    Each round reads up to block / R keys of every run and takes, from every run, the keys up to
    the smallest last key among the runs that have more on disk: every key up to there is then in
    memory, and at least one run gives all it read. The taken keys are sorted and counted
    together; where each run's entries landed is written beside the run, for renumbering its
    next order's parents.
    """
    V = files.vocab_size
    R = len(runs)
    per_run = max(1, block // R)
    maps: list[DiskArray | None] = [None] * R
    n_prev = V
    for n in range(2, files.order + 1):
        readers = [_RunReader(run, n, V, maps[r]) for r, run in enumerate(runs)]
        keys_out = DiskArray(out / f"keys.{n}", np.int64)
        raw_out = DiskArray(out / f"raw.{n}", np.int64)
        last = n == files.order
        new_maps = [None if last else DiskArray(run / f"at.{n}", np.int64) for run in runs]
        written = 0
        while True:
            for rd in readers:
                rd.fill(per_run)
            waiting = [rd.buf[-1] for rd in readers if not rd.done and len(rd.buf)]
            bound = min(waiting) if waiting else None
            taken = [rd.take(bound) for rd in readers]
            sizes = [len(k) for k, _ in taken]
            total = sum(sizes)
            if total == 0:
                if all(rd.done and not len(rd.buf) for rd in readers):
                    break
                continue
            keys = np.concatenate([k for k, _ in taken])
            raw = np.concatenate([r for _, r in taken])
            uniq, inverse, _ = unique_inverse(keys, n_prev * V)
            counts = np.bincount(inverse, weights=raw, minlength=len(uniq)).astype(np.int64)
            keys_out.append(uniq)
            raw_out.append(counts)
            if not last:
                at = 0
                for r, size in enumerate(sizes):
                    new_maps[r].append(inverse[at : at + size] + written)
                    at += size
            written += len(uniq)
        keys_out.close()
        raw_out.close()
        for r, m in enumerate(maps):
            if m is not None:
                m.delete()
            (runs[r] / f"keys.{n}").unlink()
            (runs[r] / f"raw.{n}").unlink()
        maps = [m.close() if m is not None else None for m in new_maps]
        files.keys.append(keys_out)
        files.raw.append(raw_out)
        n_prev = written
        if progress is not None:
            progress.update(1)
    for m in maps:
        if m is not None:
            m.delete()


def estimation_bytes(sizes: list[int]) -> int:
    """About the most memory estimation needs at once, besides its blocks (module docstring)."""
    return ESTIMATE_BYTES_PER_NGRAM * max(sizes[:-1] or [0])


def count_stream_external(chunks, order: int, workdir: Path, plan: MemoryPlan, vocab_size: int) -> CountFiles:
    """Count an iterable of stream chunks (whole sentences each) into `CountFiles` (for tests and
    callers that already hold ids; training uses `ExternalCounter` directly)."""
    counter = ExternalCounter(order, workdir, plan)
    for chunk in chunks:
        counter.add(np.asarray(chunk, dtype=np.uint32))
    return counter.finish(vocab_size)


__all__ = ["CountFiles", "ExternalCounter", "MemoryPlan", "PartialCounts", "count_stream_external",
           "estimation_bytes", "human_size", "merge_runs", "parse_memory", "write_counts"]
