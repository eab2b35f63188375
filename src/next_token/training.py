"""Training, as one pipeline with one config: texts -> tokens -> id stream -> counts -> model.

    config = TrainingConfig(order=5, tokenizer="word", unbounded=False)
    trained = train_model(iter_texts(["books/"]), config)
    trained.model, trained.vocab, trained.tokenizer, trained.info

Every way of training goes through `train_model`: `LanguageModel.train`, the built-in default
model, the original library's `Language(...)` and `ntp train`. The stages:

1. the tokenizer learns from the texts if its kind needs it (BPE units);
2. texts are split into sentences and tokens, and tokens become ids in first-seen order, as one
   uint32 stream of `<s> ... </s>` sentences (`Vocabulary.build`); a word tokenizer also learns
   how the corpus spaced its tokens (`text.spacing`);
3. the stream is counted and estimated into an n-gram model (`ngram.build`), or, with
   `unbounded=True`, also indexed with a suffix array and mixed (`unbounded.build`).

`train_sources(sources, config)` is the entry point from paths and `Text`s. With
`config.memory` (a budget such as "2G") it runs `train_bounded` instead: the same stages, with
nothing proportional to the corpus in memory. Files are read in pieces (`corpus.iter_text_pieces`),
ids are assigned chunk by chunk in the same first-seen order (`VocabularyBuilder`), the spacing
statistics are added up chunk by chunk (`spacing_tally`), and the n-grams are counted into sorted
runs on disk, merged and estimated in blocks (`ngram.external`, `ngram.blockwise`). The model
file it gives is byte for byte the one the in-memory build gives. Without a budget, a corpus
that clearly will not fit in the memory available is refused before any work, with a message
suggesting one (`check_fits_in_memory`).

This module is a little over 450 lines on purpose: the in-memory and the bounded-memory builds
are two routes of one pipeline whose results must be byte-identical, and they read best side by
side (each stage of one has its counterpart in the other).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .arguments import check_int
from .errors import CorpusError, InputError
from .ngram.counting import MAX_ORDER
from .ngram.kneser_ney import FALLBACK_POLICIES
from .ngram.prune import check_thresholds
from .protocol import TokenModel
from .text.spacing import SpacingModel
from .text.tokenizer import Tokenizer, tokenizer_for_training
from .text.vocab import BOS, Vocabulary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. `tokenizer` is a kind ("word", "char", "bpe", "whitespace") or a Tokenizer.

    vocab_size: units to learn, for tokenizers that learn them (BPE).
    unbounded: also index the corpus for unbounded context (see unbounded/).
    discount_fallback: "warn", "ignore" or "raise" when the text is too small or artificial for
    Kneser-Ney discounts (see ngram/kneser_ney.py).
    progress: show progress bars.
    memory: build in bounded memory (`train_bounded`): a budget such as "2G", "500M" or a number
    of bytes (or an `ngram.external.MemoryPlan`); None builds in memory.
    workdir: where the bounded-memory build keeps its temporary files (default: the system's
    temporary folder); they are removed when training ends, however it ends.
    prune: count cutoffs per order, as lmplz's --prune: (0, 1, 1) drops the bigrams and longer
    n-grams seen once (ngram/prune.py); () keeps every n-gram.
    index: keep a suffix-array index of the training text, with where each sentence came from,
    for phrase search and explanations (lookup/search.py). None (the default) builds it when the
    text is built in memory: it costs 5-7 bytes per token, about a tenth of the model file, and
    a bounded-memory build is for corpora whose index would not fit either.
    spelling: keep the spelling lexicon (spelling/lexicon.py) for `correct` and `suggest`. None
    (the default) keeps it for word models (tokens that are words, not characters or subwords).
    vectors: learn word vectors from the text's co-occurrences (lookup/, needs scipy): True, or
    a `lookup.VectorSettings`. Off by default: it costs a few seconds per million tokens.
    """

    order: int = 5
    tokenizer: str | Tokenizer = "word"
    vocab_size: int = 8000
    unbounded: bool = False
    discount_fallback: str = "warn"
    progress: bool = False
    memory: object = None
    workdir: str | None = None
    prune: tuple = ()
    index: bool | None = None
    spelling: bool | None = None
    vectors: object = False

    def __post_init__(self):
        from .ngram.external import MemoryPlan, parse_memory

        check_int(self.order, "order", 1, MAX_ORDER)
        if self.memory is not None and not isinstance(self.memory, MemoryPlan):
            object.__setattr__(self, "memory", parse_memory(self.memory))
        if self.memory is not None and self.unbounded:
            raise InputError("unbounded=True indexes the whole corpus in memory; it cannot be combined with memory=")
        check_int(self.vocab_size, "vocab_size")
        if self.discount_fallback not in FALLBACK_POLICIES:
            raise InputError(f"discount_fallback must be one of {', '.join(FALLBACK_POLICIES)}")
        if not isinstance(self.tokenizer, (str, Tokenizer)):
            raise InputError(f"tokenizer must be a kind name or a Tokenizer, got {type(self.tokenizer).__name__}")
        if self.memory is not None and (self.index or self.vectors):
            raise InputError("the index and word vectors are built in memory: "
                             "they cannot be combined with memory= (train without them, or without memory=)")
        if self.prune:
            if self.memory is not None or self.unbounded:
                raise InputError("count cutoffs (prune) are made by the in-memory n-gram build: "
                                 "they cannot be combined with memory= or unbounded=")
            object.__setattr__(self, "prune", tuple(check_thresholds(self.prune, self.order)))

    def make_tokenizer(self) -> Tokenizer:
        if isinstance(self.tokenizer, Tokenizer):
            return self.tokenizer
        return tokenizer_for_training(self.tokenizer, self.vocab_size)


@dataclass
class Trained:
    """What training produced: the model over ids, its vocabulary and tokenizer, facts, and the
    lookup parts (each None when not built): the corpus index and where its sentences came
    from, the spelling lexicon, and word vectors."""

    model: TokenModel
    vocab: Vocabulary
    tokenizer: Tokenizer
    info: dict = field(default_factory=dict)
    index: object = None
    documents: object = None
    lexicon: object = None
    vectors: object = None


def train_model(texts: Iterable[tuple[str, str]], config: TrainingConfig, source: list[str] | None = None) -> Trained:
    """Run the pipeline on (name, text) pairs (as `text.corpus.iter_texts` yields them)."""
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    texts = list(texts)
    tok = config.make_tokenizer()
    if tok.needs_training:
        tok = tok.fit(t for _, t in texts)
    total_chars = sum(len(t) for _, t in texts)
    bar = tqdm(total=total_chars, unit="char", unit_scale=True, desc="tokenizing", disable=not config.progress)
    spaces = bytearray()  # per stream position: did whitespace precede the token in the text
    lines: list[int] = []  # per sentence: the line of its document where it starts
    per_document: list[int] = []  # sentences per document

    def sentences():
        for _, t in texts:
            before = len(lines)
            if tok.learns_spacing:
                for tokens, flags in tok.spaced_sentences(t, lines):
                    spaces.append(0)
                    spaces.extend(flags)
                    spaces.append(0)
                    yield tokens
            else:
                yield from tok.sentences(t, lines)
            per_document.append(len(lines) - before)
            bar.update(len(t))

    vocab, stream = Vocabulary.build(sentences())
    bar.close()
    if tok.learns_spacing:
        tok = tok.with_spacing(SpacingModel.learn(stream, np.frombuffer(bytes(spaces), np.uint8), vocab))
        del spaces
    n_sent = int((stream == BOS).sum())
    if n_sent == 0:
        raise CorpusError("the corpus is empty: no sentence with a token was found in it")
    order = config.order
    with tqdm(total=order, desc=f"counting {order}-grams", disable=not config.progress) as cbar:
        if config.unbounded:
            from .unbounded.build import build_hybrid

            cbar.set_description("fitting the mix, indexing and counting")
            model = build_hybrid(stream, order, len(vocab), progress=cbar, discount_fallback=config.discount_fallback)
        else:
            from .ngram.build import ngram_from_stream

            model = ngram_from_stream(stream, order, len(vocab), progress=cbar,
                                      discount_fallback=config.discount_fallback, prune=config.prune or None)
    trained = Trained(model, vocab, tok)
    _lookup_parts(trained, stream, config, [name for name, _ in texts], per_document, lines)
    trained.info = {
        "source": list(source or []),
        "documents": len(texts),
        "sentences": n_sent,
        "tokens": int(len(stream) - 2 * n_sent),
        "train_seconds": round(time.perf_counter() - t0, 3),
    }
    return trained


def _lookup_parts(trained: Trained, stream: np.ndarray, config: TrainingConfig, names: list[str],
                  per_document: list[int], lines: list[int]) -> None:
    """The index with its document map, the spelling lexicon and word vectors, as configured."""
    from tqdm.auto import tqdm

    vocab, tok = trained.vocab, trained.tokenizer
    word_model = not tok.space_in_token
    steps = [("index", config.index is not False), ("spelling", config.spelling is not False and word_model),
             ("vectors", bool(config.vectors))]
    with tqdm(total=sum(on for _, on in steps), desc="lookup", disable=not config.progress) as bar:
        if steps[0][1]:
            bar.set_description("indexing the text")
            from .lookup.documents import DocumentMap

            trained.index = trained.model.corpus_index  # an unbounded model has one already
            if trained.index is None:
                from .unbounded.build import build_index

                trained.index = build_index(stream, vocab_size=len(vocab))
            trained.documents = DocumentMap.build(names, per_document, lines, stream)
            bar.update(1)
        if steps[1][1]:
            bar.set_description("spelling lexicon")
            from .spelling.lexicon import Lexicon

            trained.lexicon = Lexicon.build(vocab.tokens, np.bincount(stream, minlength=len(vocab)))
            bar.update(1)
        if steps[2][1]:
            bar.set_description("word vectors")
            from .lookup.build import VectorSettings, build_word_vectors

            settings = config.vectors if isinstance(config.vectors, VectorSettings) else None
            trained.vectors = build_word_vectors(stream, vocab.tokens, settings, progress=config.progress)
            bar.update(1)


# ---------------------------------------------------------------------------------- from sources

IN_MEMORY_BYTES_PER_CHAR = 32
"""Peak memory of the in-memory build per character of text, for `check_fits_in_memory`: 38 bytes
for the 106 MB, 22M-token corpus of bench/bench_scale.py (4.1 GB), 23 for the same text six times
over (14.6 GB); nine times over it is killed for lack of memory on a machine with 22 GB free."""


def train_sources(sources: list, config: TrainingConfig, source: list[str] | None = None) -> Trained:
    """Train on paths, globs, folders, "-" and `Text`s: in bounded memory when `config.memory` is
    set, else in memory after `check_fits_in_memory`."""
    from .text.corpus import iter_texts

    if config.memory is not None:
        return train_bounded(sources, config, source)
    check_fits_in_memory(sources)
    return train_model(iter_texts(sources), config, source)


def check_fits_in_memory(sources, available: int | None = None) -> None:
    """Raise `InputError` before any work when the in-memory build of `sources` clearly needs
    more memory than is available, suggesting a `memory=` budget (`--memory` in the CLI)."""
    from .ngram.external import human_size
    from .text.corpus import iter_documents

    chars = sum(_text_size(doc) for doc in iter_documents(sources))
    need = chars * IN_MEMORY_BYTES_PER_CHAR
    available = available_memory() if available is None else available
    if available is None or need <= 0.9 * available:  # the system and other programs need some too
        return
    budget = max(1 << 30, (available // 2) >> 30 << 30)
    raise InputError(
        f"building this corpus in memory ({human_size(chars)} of text) needs about {human_size(need)}, "
        f"but only {human_size(available)} of memory is available. Build it in bounded memory instead: "
        f"ntp train ... --memory {budget >> 30}G (in Python: LanguageModel.train(..., memory=\"{budget >> 30}G\"))"
    )


def _text_size(doc) -> int:
    """About how many characters a document holds, without reading it (0 when unknown)."""
    if doc.text is not None:
        return len(doc.text)
    if doc.path is None:
        return 0  # standard input: unknown
    try:
        size = os.path.getsize(doc.path)
        if doc.path.endswith(".gz") and size >= 18:
            with open(doc.path, "rb") as f:  # gzip's last 4 bytes: the size modulo 2**32
                f.seek(-4, os.SEEK_END)
                size = max(size, int.from_bytes(f.read(4), "little"))
        return size
    except OSError:
        return 0


def available_memory() -> int | None:
    """Bytes of memory available to this process (Linux: MemAvailable, capped by a cgroup limit)."""
    found = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        return None
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        if limit.isdigit():
            found = min(found, int(limit)) if found is not None else int(limit)
    except OSError:
        pass
    return found


# ---------------------------------------------------------------------------------- bounded memory


@dataclass
class _Totals:
    documents: int = 0
    sentences: int = 0
    ids: int = 0
    found_text: bool = False


def train_bounded(sources: list, config: TrainingConfig, source: list[str] | None = None) -> Trained:
    """`train_model` in bounded memory (see the module docstring); the same model, bit for bit."""
    from tqdm.auto import tqdm

    from .ngram.blockwise import estimate_files
    from .ngram.disk import BuildDir
    from .ngram.external import ExternalCounter, MemoryPlan, estimation_bytes, human_size
    from .text.corpus import iter_documents
    from .text.spacing_tally import SpacingTally
    from .text.vocab import VocabularyBuilder

    t0 = time.perf_counter()
    plan = config.memory if isinstance(config.memory, MemoryPlan) else MemoryPlan.for_budget(config.memory)
    tok = config.make_tokenizer()
    cut = "line" if tok.lines_are_sentences else "paragraph"
    docs = list(iter_documents(sources))  # path errors surface here, before any work
    quiet = not config.progress
    with BuildDir(config.workdir) as workdir:
        if tok.needs_training:
            docs = _replayable(docs, workdir, cut)
            with tqdm(desc="learning the tokenizer", unit="char", unit_scale=True, disable=quiet) as bar:
                tok = tok.fit(_counted(_pieces(docs, cut, _Totals()), bar))
        builder = VocabularyBuilder()
        tally = SpacingTally() if tok.learns_spacing else None
        totals = _Totals()
        counter = ExternalCounter(config.order, workdir, plan)
        chunks = _encoded_chunks(docs, tok, builder, tally, plan.chunk_tokens, cut, totals)
        with tqdm(desc="counting", unit="tok", unit_scale=True, disable=quiet) as bar:
            for ids in _prefetched(chunks):
                counter.add(ids)
                bar.update(len(ids))
        if totals.sentences == 0:
            raise CorpusError("the corpus is empty: no sentence with a token was found in it")
        log.info("counted %d tokens in %d chunks, %d runs on disk: %.1f s", totals.ids, counter.chunks,
                 len(counter.runs), time.perf_counter() - t0)
        vocab = builder.vocabulary()
        if tally is not None:
            tok = tok.with_spacing(tally.model(vocab))
        with tqdm(total=config.order - 1, desc="merging counts", unit="order", disable=quiet) as bar:
            counts = counter.finish(len(vocab), bar)
        log.info("merged the counts (%s n-grams): %.1f s", counts.sizes, time.perf_counter() - t0)
        need = estimation_bytes(counts.sizes)
        if plan.budget and need > plan.budget:
            import warnings

            from .ngram.external import MemoryBudgetWarning

            warnings.warn(f"estimating {sum(counts.sizes):,} n-grams needs about {human_size(need)} besides its "
                          f"blocks, more than the memory budget of {human_size(plan.budget)}", MemoryBudgetWarning,
                          stacklevel=3)
        with tqdm(total=config.order, desc="estimating", unit="order", disable=quiet) as bar:
            model = estimate_files(counts, workdir, plan.block, config.discount_fallback, bar)
        log.info("estimated: %.1f s", time.perf_counter() - t0)
    info = {
        "source": list(source or []),
        "documents": totals.documents,
        "sentences": totals.sentences,
        "tokens": totals.ids - 2 * totals.sentences,
        "train_seconds": round(time.perf_counter() - t0, 3),
    }
    return Trained(model, vocab, tok, info)


def _pieces(docs, cut: str, totals: _Totals, chunk_tokens: int | None = None, whole: bool = True) -> Iterator[str]:
    """Every document's text in pieces (a few characters a token, so a piece is well inside a
    chunk); the empty-corpus error of `iter_texts` at the end when `docs` are the `whole` corpus."""
    from .text.corpus import _EMPTY_CORPUS, PIECE_CHARS

    piece_chars = PIECE_CHARS if chunk_tokens is None else max(1024, min(PIECE_CHARS, 2 * chunk_tokens))
    for doc in docs:
        totals.documents += 1
        for piece in doc.pieces(piece_chars, cut):
            if not totals.found_text and piece.strip():
                totals.found_text = True
            yield piece
    if whole and not totals.found_text:
        raise CorpusError(_EMPTY_CORPUS)


def _counted(pieces, bar):
    for piece in pieces:
        bar.update(len(piece))
        yield piece


def _encoded_chunks(docs, tok, builder, tally, chunk_tokens: int, cut: str, totals: _Totals,
                    whole: bool = True) -> Iterator[np.ndarray]:
    """uint32 id chunks of whole sentences, about `chunk_tokens` long, in corpus order; the spacing
    statistics of each chunk go to `tally` here, where the vocabulary is not changing."""
    ids_parts: list[np.ndarray] = []
    space_parts: list[np.ndarray] = []
    have = 0

    def flush():
        ids = np.concatenate(ids_parts) if len(ids_parts) > 1 else ids_parts[0]
        if tally is not None:
            spaces = np.concatenate(space_parts) if len(space_parts) > 1 else space_parts[0]
            tally.add(ids, spaces, builder)
        ids_parts.clear()
        space_parts.clear()
        return ids

    for piece in _pieces(docs, cut, totals, chunk_tokens, whole):
        if tally is not None:
            spaces = bytearray()  # per position: did whitespace precede the token in the text

            def sentences():
                for tokens, flags in tok.spaced_sentences(piece):
                    spaces.append(0)
                    spaces.extend(flags)
                    spaces.append(0)
                    yield tokens

            ids = builder.encode(sentences())
            space_parts.append(np.frombuffer(bytes(spaces), np.uint8))
        else:
            ids = builder.encode(tok.sentences(piece))
        if not len(ids):
            continue
        totals.sentences += int(np.count_nonzero(ids == BOS))
        totals.ids += len(ids)
        ids_parts.append(ids)
        have += len(ids)
        if have >= chunk_tokens:
            yield flush()
            have = 0
    if ids_parts:
        yield flush()


def _replayable(docs, workdir: Path, cut: str) -> list:
    """The documents, with standard input copied to a file so that it can be read twice (a
    tokenizer that learns from the corpus reads it once before counting)."""
    from .text.corpus import PIECE_CHARS, Document

    out = []
    for doc in docs:
        if doc.path is None and doc.text is None:
            spool = workdir / "stdin.txt"
            with open(spool, "w", encoding="utf-8", newline="") as f:
                for piece in doc.pieces(PIECE_CHARS, cut):
                    f.write(piece)
            doc = Document(doc.name, path=str(spool))
        out.append(doc)
    return out


_DONE = object()


def _prefetched(items: Iterable, depth: int = 1) -> Iterator:
    """Iterate `items` on a background thread, `depth` items ahead: reading and tokenizing the next
    chunk (Python) overlaps counting this one (numpy, which lets other threads run meanwhile).
    Errors are raised here; stopping early stops the thread at its next item."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run():
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failure(exc))

    thread = threading.Thread(target=run, name="ntp-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join(timeout=1.0)


class _Failure:
    def __init__(self, exc: BaseException):
        self.exc = exc
