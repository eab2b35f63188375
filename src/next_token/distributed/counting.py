"""Training on Dask: the vocabulary in a first pass, counts in a second, estimation on the client.

See the package docstring for the plan. The tasks are module-level functions of plain data
(documents are paths or texts, the tokenizer travels as its config), so any worker that can
import next_token and read the paths can run them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from ..errors import CorpusError, InputError
from ..ngram.counting import PartialCounts, count_chunk
from ..ngram.merge import count_dtype, empty_counts, merge
from ..text.corpus import _EMPTY_CORPUS, PIECE_CHARS, Text, iter_documents
from ..text.spacing_tally import SpacingTally
from ..text.tokenizer import tokenizer_from_config
from ..text.vocab import SPECIALS, VocabularyBuilder, _NextId
from ..training import Trained, TrainingConfig, _encoded_chunks, _pieces, _Totals
from .cluster import require_dask

CHUNK_TOKENS = 4_000_000  # tokens a worker counts at once (about 200 MB of work memory)


@dataclass
class GroupCounts:
    """What a counting task returns: its files' counts, spacing statistics and totals."""

    table: PartialCounts
    tally: SpacingTally | None
    totals: _Totals


def _cut(tok) -> str:
    return "line" if tok.lines_are_sentences else "paragraph"


def first_seen_tokens(docs: list, tok_config: dict) -> tuple[list[str], bool]:
    """Task of pass 1: the tokens of `docs` in first-seen order, and whether any text was found."""
    tok = tokenizer_from_config(tok_config)
    builder = VocabularyBuilder()
    totals = _Totals()
    for piece in _pieces(docs, _cut(tok), totals, None, whole=False):
        builder.encode(tok.sentences(piece))
    return builder.tokens[len(SPECIALS):], totals.found_text


def count_group(docs: list, tok_config: dict, index: dict, order: int, chunk_tokens: int = CHUNK_TOKENS) -> GroupCounts:
    """Task of pass 2: count `docs` with the corpus's vocabulary `index` (token -> id)."""
    tok = tokenizer_from_config(tok_config)
    builder = VocabularyBuilder()
    builder.index = _NextId(index)
    tally = SpacingTally() if tok.learns_spacing else None
    totals = _Totals()
    table = empty_counts(order)
    for ids in _encoded_chunks(docs, tok, builder, tally, chunk_tokens, _cut(tok), totals, whole=False):
        part = count_chunk(ids, order)
        dtype = count_dtype(totals.ids)
        table = merge(table, part, dtype, consume=True) if table.entries >= part.entries else \
            merge(part, table, dtype, consume=True)
    if len(builder.index) != len(index):
        raise RuntimeError("a worker met tokens the vocabulary pass did not: are the files the same everywhere?")
    return GroupCounts(table, tally, totals)


def add_groups(a: GroupCounts, b: GroupCounts) -> GroupCounts:
    """Task of the reduction: the counts of both groups."""
    total = a.totals.ids + b.totals.ids
    big, small = (a.table, b.table) if a.table.entries >= b.table.entries else (b.table, a.table)
    table = merge(big, small, count_dtype(total), consume=True)
    tally = a.tally.merge(b.tally) if a.tally is not None else None
    t = _Totals(a.totals.documents + b.totals.documents, a.totals.sentences + b.totals.sentences,
                total, a.totals.found_text or b.totals.found_text)
    return GroupCounts(table, tally, t)


def _groups(docs: list, n: int) -> list[list]:
    """`docs` cut into at most n runs of consecutive documents of about equal size (in order)."""
    from ..training import _text_size

    sizes = np.array([max(1, _text_size(d)) for d in docs], dtype=np.float64)
    if len(docs) <= n:
        return [[d] for d in docs]
    edges = np.searchsorted(np.cumsum(sizes), np.linspace(0, sizes.sum(), n + 1)[1:-1], side="right")
    bounds = [0, *sorted(set(int(e) for e in edges if 0 < e < len(docs))), len(docs)]
    return [docs[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def train_on_dask(sources, client, *, order: int = 5, tokenizer="word", bpe_vocab_size: int = 8000,
                  discount_fallback: str = "warn", tasks: int | None = None, memory="2G",
                  workdir: str | None = None, chunk_tokens: int = CHUNK_TOKENS):
    """Train a `LanguageModel` on `sources` (paths, folders, globs, `Text`s) with a Dask `client`:
    the same model, bit for bit, as `LanguageModel.train(sources, order=..., tokenizer=...)`.

    `tasks`: how many groups of files to count separately (default: one per worker, at most
    one per file). `memory`: the client's budget for estimating (as `memory=` of the bounded build).
    """
    from ..language_model import LanguageModel
    from ..ngram.blockwise import estimate_files
    from ..ngram.disk import BuildDir
    from ..ngram.external import MemoryPlan, write_counts

    require_dask()
    t0 = time.perf_counter()
    config = TrainingConfig(order=order, tokenizer=tokenizer, vocab_size=bpe_vocab_size,
                            discount_fallback=discount_fallback, memory=memory)
    srcs = [sources] if isinstance(sources, (str, os.PathLike, Text)) else list(sources)
    names = [str(s) if not isinstance(s, Text) else "<text>" for s in srcs]
    docs = list(iter_documents(srcs))
    if any(d.path is None and d.text is None for d in docs):
        raise InputError("standard input cannot be read by Dask workers: give files")
    tok = config.make_tokenizer()
    if tok.needs_training:  # learned on the client, reading the files once
        tok = tok.fit(_pieces(docs, _cut(tok), _Totals(), None))
    tok_config = tok.to_config()
    # One group per worker by default: adding two groups' tables costs about as much as counting
    # them, so fewer, larger groups win until the stragglers matter.
    n_tasks = tasks or max(1, len(client.scheduler_info().get("workers", {})))
    groups = _groups(docs, n_tasks)

    # Pass 1: ids in first-seen order, group by group in corpus order.
    index = _NextId((t, i) for i, t in enumerate(SPECIALS))
    found_text = False
    for tokens, found in client.gather(client.map(first_seen_tokens, groups, tok_config=tok_config, pure=False)):
        found_text |= found
        for t in tokens:
            index[t]  # a new token gets the next id
    if not found_text:
        raise CorpusError(_EMPTY_CORPUS)
    vocab = VocabularyBuilder()
    vocab.index = index
    vocabulary = vocab.vocabulary()

    # Pass 2: counts per group, added pairwise on the workers.
    [shared] = client.scatter([dict(index)], broadcast=True)  # in a list: a dict would be scattered entry by entry
    parts = client.map(count_group, groups, tok_config=tok_config, index=shared, order=order,
                       chunk_tokens=chunk_tokens, pure=False)
    while len(parts) > 1:
        pairs = [client.submit(add_groups, a, b, pure=False) for a, b in zip(parts[::2], parts[1::2])]
        parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
    result: GroupCounts = parts[0].result()
    del parts
    if result.totals.sentences == 0:
        raise CorpusError("the corpus is empty: no sentence with a token was found in it")
    if result.tally is not None:
        tok = tok.with_spacing(result.tally.model(vocabulary))
    plan = config.memory if isinstance(config.memory, MemoryPlan) else MemoryPlan.for_budget(config.memory)
    with BuildDir(workdir) as wd:
        out = wd / "counts"
        out.mkdir()
        table = result.table
        result.table = None
        counts = write_counts(table, table.unigrams, len(vocabulary), out)
        del table
        model = estimate_files(counts, wd, plan.block, discount_fallback)
    info = {
        "source": names,
        "documents": result.totals.documents,
        "sentences": result.totals.sentences,
        "tokens": result.totals.ids - 2 * result.totals.sentences,
        "train_seconds": round(time.perf_counter() - t0, 3),
    }
    return LanguageModel._from_trained(Trained(model, vocabulary, tok, info))


__all__ = ["train_on_dask", "first_seen_tokens", "count_group", "add_groups", "PIECE_CHARS"]
