"""LanguageModel: the one object a user touches. Text in, ranked predictions and text out.

    from next_token import LanguageModel
    lm = LanguageModel.train(["books/"], order=5)          # or LanguageModel.default()
    lm.predict("The sun", k=5)        # [Prediction(token='was', probability=0.08), ...]
    lm.complete("The sun")            # ' was setting, and the ...'
    lm.generate("The sun", max_tokens=30, temperature=0.8, seed=1)
    lm.perplexity("Some held-out text.")
    lm.save("books.ntp"); LanguageModel.load("books.ntp")

It holds a model over token ids (`protocol.TokenModel`: an n-gram, or the hybrid with unbounded
context), its vocabulary and its tokenizer, and owns the one context policy every face shares
(predict, evaluate, the REPL, the server): the context of a prompt is its last sentence, after
`<s>`, trimmed to what the model reads (`context_window`). So "The sun" is scored as a sentence
start, and backoff lets any fragment match wherever it occurred in the corpus.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from . import __version__
from .arguments import check_int
from .decode import candidates
from .errors import CorpusError, InputError, ModelFileError
from .generation import END_OF_SENTENCE, MAX_K, MAX_TOKENS, Writing  # noqa: F401 - part of this module's API
from .lookup.methods import Lookup
from .model_file import FORMAT_VERSION, read_model_file, should_verify, write_model_file
from .model_parts import Parts, parts_from_arrays, parts_to_arrays
from .protocol import TokenModel
from .results import Completion, Prediction, Score, Step  # noqa: F401 - part of this module's API
from .scoring import Scoring
from .spelling.methods import Spelling
from .text.corpus import Text
from .text.spacing import SpacingModel
from .text.tokenizer import Tokenizer, get_tokenizer, tokenizer_from_config
from .text.vocab import BOS, Vocabulary
from .training import TrainingConfig, train_model, train_sources


class LanguageModel(Writing, Scoring, Lookup, Spelling):
    """A trained model over token ids plus its tokenizer and vocabulary, and the optional parts
    the lookup and spelling methods read (model_parts.py): the corpus index and where its
    sentences came from, the spelling lexicon, and word vectors."""

    def __init__(self, model: TokenModel, vocab: Vocabulary, tokenizer: Tokenizer, meta: dict | None = None,
                 *, index=None, documents=None, lexicon=None, vectors=None):
        self.model = model
        self.vocab = vocab
        self.tokenizer = tokenizer
        self.meta = dict(meta or {})
        self.path: str | None = None
        self.index = index if index is not None else model.corpus_index
        self.documents = documents
        self.lexicon = lexicon
        self.vectors = vectors

    # ------------------------------------------------------------------ building

    @classmethod
    def train(
        cls,
        sources=None,
        *,
        text: str | None = None,
        order: int = 5,
        tokenizer: str | Tokenizer = "word",
        bpe_vocab_size: int = 8000,
        unbounded: bool = False,
        discount_fallback: str = "warn",
        progress: bool = False,
        memory: str | int | None = None,
        workdir: str | None = None,
        prune: Sequence[int] | None = None,
        index: bool | None = None,
        spelling: bool | None = None,
        vectors=False,
    ) -> "LanguageModel":
        """Train on files, folders, globs, "-" (stdin) or `Text` objects; or on `text=` directly.

        `unbounded=True` also indexes the corpus with a suffix array and mixes the longest
        matching context's continuations into every prediction (see unbounded/hybrid.py).
        `discount_fallback` says what to do when the text is too small for Kneser-Ney
        discounts: "warn" (substitute fixed ones), "ignore" or "raise".
        `memory="2G"` builds in bounded memory: files are read in pieces and n-grams counted
        into sorted runs on a temporary disk folder, then merged and estimated in blocks; the
        model is the same, bit for bit (see training.py). Without it, a corpus that clearly
        will not fit in the memory available is refused up front with a message saying so.
        `workdir` is where the bounded-memory build keeps its temporary files.
        `prune=(0, 1, 1)` drops n-grams seen at most that often per order, as lmplz --prune
        (ngram/prune.py; `ntp prune` makes small files of any model).
        `index` keeps a suffix array of the text for `search` and `explain` (default: built
        unless `memory` is given); `spelling` keeps the lexicon of `correct` and `suggest`
        (default: for word models); `vectors=True` learns word vectors for `similar`,
        `analogy` and `paraphrase` (needs scipy). See training.TrainingConfig for their costs.
        """
        config = TrainingConfig(order=order, tokenizer=tokenizer, vocab_size=bpe_vocab_size,
                                unbounded=unbounded, discount_fallback=discount_fallback, progress=progress,
                                memory=memory, workdir=workdir, prune=tuple(prune or ()), index=index,
                                spelling=spelling, vectors=vectors)
        srcs: list = []
        if sources is not None:
            srcs.extend([sources] if isinstance(sources, (str, os.PathLike, Text)) else list(sources))
        if text is not None:
            srcs.append(Text(text))
        if not srcs:
            raise CorpusError("nothing to train on: give files, folders or globs, or text=")
        names = [str(s) if not isinstance(s, Text) else "<text>" for s in srcs]
        return cls._from_trained(train_sources(srcs, config, source=names))

    @classmethod
    def _from_trained(cls, trained) -> "LanguageModel":
        return cls(trained.model, trained.vocab, trained.tokenizer, trained.info, index=trained.index,
                   documents=trained.documents, lexicon=trained.lexicon, vectors=trained.vectors)

    @classmethod
    def default(cls, progress: bool = False, rebuild: bool = False) -> "LanguageModel":
        """The model of the built-in corpus (Python's own documentation), cached on disk.

        The cache is keyed by this package's version, the file format and the corpus fingerprint
        (the Python version), so an upgrade rebuilds it. It has a search index and a spelling
        lexicon; no word vectors: 220k words are too few for useful ones (the neighbours of
        "function" are "mouse-click", "FUNC", "fun"), and they would add 3.9 MB.
        """
        from .text.builtin import python_docs_fingerprint, python_docs_texts

        path = default_model_path()
        if path.exists() and not rebuild:
            try:
                return cls.load(path)
            except ModelFileError:
                pass  # a stale or damaged cache: rebuild it
        config = TrainingConfig(order=5, tokenizer="word", progress=progress)
        lm = cls._from_trained(train_model(python_docs_texts(), config, source=["python-docs"]))
        lm.meta["corpus"] = f"python-docs ({python_docs_fingerprint()})"
        try:
            lm.save(path)
        except OSError:
            pass  # a read-only cache directory must not stop the user
        return lm

    # ------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike) -> None:
        """Write the model to one file, atomically (see model_file.py)."""
        ngram_meta, arrays = self.model.to_arrays()
        arrays.update(self.vocab.to_arrays())
        if self.tokenizer.spacing is not None:
            arrays.update(self.tokenizer.spacing.to_arrays())
        parts_meta, parts_arrays = parts_to_arrays(self._parts(), self.model)
        arrays.update(parts_arrays)
        meta = {
            "package_version": __version__,
            "tokenizer": self.tokenizer.to_config(),
            "ngram": ngram_meta,
            "info": self.meta,
            **parts_meta,
        }
        write_model_file(path, "language-model", meta, arrays)
        self.path = str(path)

    @classmethod
    def load(cls, path: str | os.PathLike, verify: bool | None = None) -> "LanguageModel":
        """Memory-map a model file written by `save` (loading costs milliseconds at any size).

        `verify=True` checks every array's checksum and what every table means (ids in range,
        sorted keys), which reads the whole file; None (the default) does so for files up to
        32 MB and for files from untrusted places, and otherwise checks only the header and
        the tables' shapes (see model_file.py). A damaged or forged file raises ModelFileError.
        """
        if verify is None:
            try:
                verify = should_verify(os.stat(path))
            except OSError:
                verify = False  # read_model_file reports the missing or unreadable file
        _, meta, arrays = read_model_file(path, expected_kind="language-model", verify=verify)
        try:
            ngram_meta, info = meta["ngram"], meta.get("info", {})
            if not isinstance(ngram_meta, dict) or not isinstance(info, dict):
                raise ValueError("the header's model description is malformed")
            if "unbounded" in ngram_meta:
                from .unbounded.hybrid import HybridModel

                model = HybridModel.from_arrays(ngram_meta, arrays)
            elif ngram_meta.get("storage") == "packed":  # the compact layout (ngram/packed.py)
                from .ngram.packed import PackedNgramModel

                model = PackedNgramModel.from_arrays(ngram_meta, arrays)
            else:
                from .ngram.model import NgramModel

                model = NgramModel.from_arrays(ngram_meta, arrays)
            vocab = Vocabulary.from_arrays(arrays)
            tok = tokenizer_from_config(meta["tokenizer"])
            tok = tok.with_spacing(SpacingModel.from_arrays(arrays, vocab))
            if len(vocab) != model.vocab_size:
                raise ValueError("vocabulary and n-gram tables disagree")
            if model.corpus_index is not None and model.corpus_index.id_bound > len(vocab):
                raise ValueError("the corpus index holds ids beyond the vocabulary")
            parts, used = parts_from_arrays(meta, arrays, model, vocab, verify)
            used |= set(model.to_arrays()[1]) | set(Vocabulary.ARRAYS)  # names only: nothing is read
            if tok.spacing is not None:
                used |= set(tok.spacing.to_arrays())
            if set(arrays) - used:
                raise ValueError(f"the file holds tables this model does not use: {sorted(set(arrays) - used)[:3]}")
            if verify:
                model.ngram.validate()
                vocab.validate()
                if tok.spacing is not None:
                    tok.spacing.validate()
                if model.corpus_index is not None:
                    model.corpus_index.validate()
        except ModelFileError as e:
            raise ModelFileError(f"{path}: {e}") from None
        except (KeyError, TypeError, ValueError, UnicodeDecodeError, OverflowError) as e:
            raise ModelFileError(f"{path} is corrupted or incomplete: {e}") from None
        lm = cls(model, vocab, tok, info, index=parts.index, documents=parts.documents, lexicon=parts.lexicon,
                 vectors=parts.vectors)
        lm.path = str(path)
        return lm

    def _parts(self) -> Parts:
        return Parts(self.index, self.documents, self.lexicon, self.vectors)

    @classmethod
    def from_arpa(cls, path: str | os.PathLike, tokenizer: str = "whitespace") -> "LanguageModel":
        """Read an ARPA file (KenLM, SRILM, ...) into a queryable model."""
        from .ngram.arpa import read_arpa

        ngram, vocab = read_arpa(path)
        return cls(ngram, vocab, get_tokenizer(tokenizer), {"source": [str(path)], "imported_from": "arpa"})

    def to_arpa(self, path: str | os.PathLike) -> None:
        """Write the model as an ARPA file that KenLM and SRILM load."""
        from .ngram.arpa import write_arpa

        write_arpa(self.model.ngram, self.vocab, path)

    # ------------------------------------------------------------------ prompts

    @property
    def order(self) -> int:
        return self.model.order

    def context_ids(self, prompt: str | Sequence[str], whole: bool = False) -> list[int]:
        """The ids the model is asked about after `prompt`: the context policy of every face.

        `prompt` is text, or a list of tokens (taken as the sentence so far). Text is cut into
        sentences and only the last one counts; a prompt that ends a sentence and then a space
        ("The cat sat. ") asks what starts the next one. The ids are `<s>` followed by the
        sentence's tokens (unknown ones as `<unk>`), trimmed to the model's context window
        (unless `whole`: the corpus index reads any length).
        """
        if isinstance(prompt, str):
            last: list[str] = []
            for sent in self.tokenizer.sentences(prompt):
                last = sent
            if last and prompt[-1:].isspace() and self.tokenizer.ends_sentence(last):
                last = []  # "The cat sat. " : the next token starts a new sentence
        elif isinstance(prompt, (list, tuple)) and all(isinstance(t, str) for t in prompt):
            last = list(prompt)
        else:
            raise InputError(f"the prompt must be a string or a list of tokens, got {type(prompt).__name__}")
        ids = [BOS] + [self.vocab.id(t) for t in last]
        return ids if whole else self.trim(ids)

    def trim(self, ids: Sequence[int]) -> list[int]:
        """The last `context_window` ids of a context that starts at `<s>` (all, when unbounded)."""
        ids = list(ids)
        w = self.model.context_window
        return ids if w is None else ids[max(0, len(ids) - w) :] if w else []

    # ------------------------------------------------------------------ predictions

    def predict(self, context: str | Sequence[str] = "", k: int = 10, prefix: str | None = None,
                typos: bool = True) -> list[Prediction]:
        """The k most probable next tokens after `context`, best first (exact, with probabilities).

        `context` is text or a list of tokens. `</s>` stands for the end of the sentence. With
        `prefix`, only tokens that start with it are ranked (autocomplete of a word being
        typed); probabilities stay unnormalized. A prefix in lower case matches any case
        ("chri" finds "Christine"); one with a capital letter matches exactly ("smart case").
        When fewer than k tokens start with the prefix, words whose beginning is one or two
        edits away fill the list, after them ("Chirs" finds "Christine", `distance` 1; word
        models, spelling/methods.py), unless `typos=False`.

        This order is also what the faces show. Ranking what the corpus showed after the context
        first would put "same" before "," after "but the", but on held-out books text it lowers
        top-1 accuracy (21.20% -> 20.55%) and keystroke savings (bench/bench_eval.py --rankings).
        """
        k = check_int(k, "k", 1, MAX_K)
        ctx = self.context_ids(context)
        tokens = self.vocab.tokens
        if prefix:
            cand = self.vocab.with_prefix(prefix, ignore_case=not any(c.isupper() for c in prefix))
            probs = self.model.probabilities(ctx, cand) if len(cand) else np.zeros(0)
            best = np.lexsort((cand, -probs))[:k]
            out = [Prediction(tokens[int(cand[i])], float(probs[i])) for i in best]
            if len(out) < k and typos:
                out += [Prediction(tokens[i], p, d) for i, p, d in self._typo_matches(ctx, prefix, k - len(out), cand)]
            return out
        ids, probs = self.model.top_k(ctx, k)
        return [Prediction(tokens[i], float(p)) for i, p in zip(ids.tolist(), probs.tolist())]

    def ranked_ids(self, ctx: Sequence[int], k: int, ranking: str = "exact") -> tuple[np.ndarray, np.ndarray]:
        """The k first ids after the context ids `ctx` and their exact probabilities, in the
        order of `ranking`: "exact" (by probability, as `predict`) or "seen" (what the corpus
        showed after the context first: measured by `evaluate(ranking="seen")`, not shown)."""
        if ranking == "exact":
            return self.model.top_k(ctx, k)
        ids, probs = candidates(self.model, ctx, k, "seen")
        if len(ids) < k:  # fewer seen tokens than asked: the rest in the model's order
            more_ids, more_probs = self.model.top_k(ctx, k + len(ids))
            fresh = ~np.isin(more_ids, ids)
            ids = np.concatenate([ids, more_ids[fresh]])[:k]
            probs = np.concatenate([probs, more_probs[fresh]])[:k]
        return ids, probs

    def info(self) -> dict:
        """What this model is, as JSON-able data."""
        return {
            "order": self.order,
            "vocab_size": len(self.vocab),
            "ngrams": self.model.sizes,
            "tokenizer": self.tokenizer.name,
            "unbounded": self.model.corpus_index is not None,
            "index": self.index is not None,
            "spelling": not self.tokenizer.space_in_token,  # word models correct (a lexicon is made if none is stored)
            "vectors": self.vectors is not None,
            "package_version": __version__,
            "path": self.path,
            **self.meta,
        }

    def __repr__(self) -> str:
        return f"LanguageModel(order={self.order}, vocab={len(self.vocab)}, tokenizer={self.tokenizer.name!r})"


DEFAULT_BUILD = 2  # what training learns, for the default model's cache: 2 = spacing that looks ahead


def default_model_path() -> Path:
    """Where the default model is cached: $NTP_CACHE_DIR, else the user's cache directory."""
    from .files import cache_dir
    from .text.builtin import python_docs_fingerprint

    tag = "".join(c if c.isalnum() or c in ".-" else "_" for c in python_docs_fingerprint())
    # the file format is in the name: a cache written before the lookup parts existed is rebuilt;
    # so is what training learns (`DEFAULT_BUILD`), so a cache without the newer tables is too
    return cache_dir() / f"default-{__version__}-f{FORMAT_VERSION}-b{DEFAULT_BUILD}-{tag}.ntp"
