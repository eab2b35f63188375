"""Per-document perplexity of a large collection, on Dask workers (or locally, without Dask).

The way KenLM is used to filter web text for training data (CCNet, Wenzek et al. 2020): score
every document with a model of clean text, keep the low-perplexity ones. A document is a file,
or with `lines=True` every line of every file (JSON-free corpora often hold one document per
line). Work is cut into tasks of about `task_bytes` of text (a large file in line mode is cut at
line breaks, so one big file still spreads over the workers); each worker maps the model file
once per process and scores a task's documents in one vectorized pass
(`LanguageModel.score_batch`). Rows come back in input order.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator

from ..errors import CorpusError, InputError
from ..text.corpus import Document, Text, _clean, iter_documents

TASK_BYTES = 8 << 20


@dataclass(frozen=True)
class DocumentScore:
    """One document's score: log10 probability, tokens (`</s>` counted), OOVs and perplexities."""

    document: str
    tokens: int
    oov: int
    logprob: float
    perplexity: float
    perplexity_excl_oov: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Task:
    """Documents to score: whole documents, or lines [start, stop) bytes of one file."""

    docs: tuple = ()
    path: str | None = None
    name: str | None = None
    start: int = 0
    stop: int = -1
    first_line: int = 1


_MODELS: dict = {}
_LOCK = threading.Lock()


def _model(path: str):
    """The model at `path`, loaded once per process (memory-mapped: cheap, and shared pages)."""
    from ..language_model import LanguageModel

    key = (os.path.abspath(path), os.path.getmtime(path))
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = LanguageModel.load(path)
        return _MODELS[key]


def score_task(model_path: str, task: _Task, lines: bool) -> list[DocumentScore]:
    """Score one task's documents (run on a worker, or locally)."""
    lm = _model(model_path)
    names, texts = [], []
    if task.path is not None:  # a byte range of one file, a document per line
        with open(task.path, "rb") as f:
            f.seek(task.start)
            data = f.read(task.stop - task.start)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{task.name!r} is not valid UTF-8: byte offset {task.start + exc.start} "
                              f"cannot be decoded") from exc
        for i, line in enumerate(_lines(text)):
            names.append(f"{task.name}:{task.first_line + i}")
            texts.append(_clean(line))
    else:
        for doc in task.docs:
            text = doc.read()
            if lines:
                for i, line in enumerate(_lines(text)):
                    names.append(f"{doc.name}:{i + 1}")
                    texts.append(line)
            else:
                names.append(doc.name)
                texts.append(text)
    return [DocumentScore(n, s.tokens, s.oov, s.logprob, s.perplexity, s.perplexity_excl_oov)
            for n, s in zip(names, lm.score_batch(texts))]


def _lines(text: str) -> list[str]:
    """The lines of `text` split at "\n" (a last empty line after a final line break dropped)."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return parts


def plan_tasks(sources, lines: bool, task_bytes: int = TASK_BYTES) -> list[_Task]:
    """Cut the documents of `sources` into tasks of about `task_bytes` (see the module docstring)."""
    srcs = [sources] if isinstance(sources, (str, os.PathLike, Text)) else list(sources)
    tasks: list[_Task] = []
    batch: list[Document] = []
    size = 0
    for doc in iter_documents(srcs):
        if doc.path is None and doc.text is None:
            raise InputError("standard input cannot be scored on workers: give files")
        n = len(doc.text) if doc.text is not None else os.path.getsize(doc.path)
        if lines and doc.path is not None and not doc.path.endswith(".gz"):  # read as byte ranges
            if batch:
                tasks.append(_Task(tuple(batch)))
                batch, size = [], 0
            tasks.extend(_line_ranges(doc, n, task_bytes))
            continue
        batch.append(doc)
        size += n
        if size >= task_bytes:
            tasks.append(_Task(tuple(batch)))
            batch, size = [], 0
    if batch:
        tasks.append(_Task(tuple(batch)))
    return tasks


def _line_ranges(doc: Document, n: int, task_bytes: int) -> Iterator[_Task]:
    """Byte ranges of a large plain file, each ending after a line break, with line numbers."""
    with open(doc.path, "rb") as f:
        head = f.read(3)
        start = 3 if head == b"\xef\xbb\xbf" else 0
        line = 1
        while start < n:
            stop = min(n, start + task_bytes)
            if stop < n:
                f.seek(stop)
                rest = f.readline()
                stop += len(rest)
            f.seek(start)
            lines_in = f.read(stop - start).count(b"\n")
            yield _Task(path=doc.path, name=doc.name, start=start, stop=stop, first_line=line)
            line += lines_in
            start = stop


def score_documents(model_path: str, sources, lines: bool = False) -> Iterator[DocumentScore]:
    """Per-document scores on this machine, one task at a time (no Dask needed)."""
    for task in plan_tasks(sources, lines):
        yield from score_task(str(model_path), task, lines)


def score_on_dask(model_path: str, sources, client, lines: bool = False, task_bytes: int = TASK_BYTES,
                  window: int | None = None) -> Iterator[DocumentScore]:
    """Per-document scores computed by the workers of `client`, yielded in input order.

    At most `window` tasks (default: 4 per worker) are in flight, so a collection larger than
    memory streams through: results are yielded, and forgotten, as the first tasks complete.
    """
    from .cluster import require_dask

    require_dask()
    if not os.path.exists(model_path):
        raise InputError(f"model file not found: {model_path}")
    tasks = plan_tasks(sources, lines, task_bytes)
    path = os.path.abspath(str(model_path))
    window = window or 4 * max(1, len(client.scheduler_info().get("workers", {})))
    pending = []
    it = iter(tasks)
    for task in it:
        pending.append(client.submit(score_task, path, task, lines, pure=False))
        if len(pending) >= window:
            break
    while pending:
        future = pending.pop(0)
        rows = future.result()
        nxt = next(it, None)
        if nxt is not None:
            pending.append(client.submit(score_task, path, nxt, lines, pure=False))
        yield from rows


def write_rows(rows: Iterable[DocumentScore], out, as_json: bool) -> int:
    """Write one JSON line or one TSV row per document; returns how many."""
    import json

    n = 0
    if not as_json:
        out.write("document\ttokens\toov\tlogprob\tperplexity\tperplexity_excl_oov\n")
    for r in rows:
        if as_json:  # a document without tokens has no perplexity: null, not NaN (not JSON)
            row = {k: (None if isinstance(v, float) and v != v else v) for k, v in r.to_dict().items()}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            name = r.document.replace("\t", " ").replace("\n", " ")
            out.write(f"{name}\t{r.tokens}\t{r.oov}\t{r.logprob:.6f}\t{r.perplexity:.4f}\t{r.perplexity_excl_oov:.4f}\n")
        n += 1
    return n


__all__ = ["DocumentScore", "score_documents", "score_on_dask", "score_task", "plan_tasks", "write_rows"]
