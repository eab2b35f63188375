"""LanguageModel: the one object a user touches. Text in, ranked predictions and text out.

    from next_token import LanguageModel
    lm = LanguageModel.train(["books/"], order=5)          # or LanguageModel.default()
    lm.predict("The sun", k=5)        # [Prediction(token='was', probability=0.08), ...]
    lm.complete("The sun")            # ' was setting, and the ...'
    lm.generate("The sun", max_tokens=30, temperature=0.8, seed=1)
    lm.perplexity("Some held-out text.")
    lm.save("books.ntp"); LanguageModel.load("books.ntp")

It glues the pipeline together (corpus -> tokenizer -> vocab -> counts -> Kneser-Ney -> decode)
and turns prompts into token-id contexts: the context of a prompt is its last sentence, after
`<s>`, so "The sun" is scored as a sentence start, and backoff lets any fragment match wherever
it occurred in the corpus.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from . import __version__
from .corpus import Text, iter_texts
from .decode import beam_search, greedy, sample
from .errors import CorpusError, InputError, ModelFileError
from .model_file import read_model_file, write_model_file
from .ngram_model import NgramModel
from .stops import StopScanner
from .tokenizer import Tokenizer, get_tokenizer, tokenizer_from_config
from .vocab import BOS, EOS, Vocabulary

MAX_K = 10_000
MAX_TOKENS = 10_000
END_OF_SENTENCE = "</s>"


@dataclass(frozen=True)
class Prediction:
    """One candidate next token and its probability under the model."""

    token: str
    probability: float


@dataclass(frozen=True)
class Completion:
    """A continuation of a prompt: its text (to append to the prompt), tokens and probability."""

    text: str
    probability: float
    tokens: tuple[str, ...] = ()


@dataclass
class Score:
    """How well the model predicts a text (KenLM `query` conventions: `</s>` counted)."""

    logprob: float  # log10 of the probability of the whole text
    tokens: int  # scored tokens, one `</s>` per sentence included
    oov: int  # tokens not in the vocabulary (scored as <unk>)
    perplexity: float
    perplexity_excl_oov: float
    token_logprobs: list[tuple[str, float]] = field(default_factory=list)


class LanguageModel:
    """A trained model plus its tokenizer and vocabulary."""

    def __init__(self, ngram: NgramModel, vocab: Vocabulary, tokenizer: Tokenizer, meta: dict | None = None):
        self.ngram = ngram
        self.vocab = vocab
        self.tokenizer = tokenizer
        self.meta = dict(meta or {})
        self.path: str | None = None

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
        progress: bool = False,
    ) -> "LanguageModel":
        """Train on files, folders, globs, "-" (stdin) or `Text` objects; or on `text=` directly.

        `unbounded=True` also indexes the corpus with a suffix array and mixes the longest
        matching context's continuations into every prediction (see hybrid_model.py).
        """
        if not isinstance(order, int) or not 1 <= order <= 12:
            raise InputError(f"order must be an integer from 1 to 12, got {order!r}")
        srcs: list = []
        if sources is not None:
            srcs.extend([sources] if isinstance(sources, (str, os.PathLike, Text)) else list(sources))
        if text is not None:
            srcs.append(Text(text))
        if not srcs:
            raise CorpusError("nothing to train on: give files, folders or globs, or text=")
        t0 = time.perf_counter()
        texts = list(iter_texts(srcs))
        return cls._train_texts(texts, order, tokenizer, bpe_vocab_size, progress, t0,
                                source=[str(s) if not isinstance(s, Text) else "<text>" for s in srcs],
                                unbounded=unbounded)

    @classmethod
    def _train_texts(cls, texts, order, tokenizer, bpe_vocab_size, progress, t0, source, unbounded=False):
        from tqdm.auto import tqdm

        tok = get_tokenizer(tokenizer, **({"vocab_size": bpe_vocab_size} if tokenizer == "bpe" else {})) \
            if isinstance(tokenizer, str) else tokenizer
        if tok.needs_training:
            tok = tok.fit(t for _, t in texts)
        total_chars = sum(len(t) for _, t in texts)
        bar = tqdm(total=total_chars, unit="char", unit_scale=True, desc="tokenizing", disable=not progress)

        def sentences():
            for _, t in texts:
                yield from tok.sentences(t)
                bar.update(len(t))

        vocab, stream = Vocabulary.build(sentences())
        bar.close()
        n_sent = int((stream == BOS).sum())
        if n_sent == 0:
            raise CorpusError("the corpus is empty: no sentence with a token was found in it")
        with tqdm(total=order, desc=f"counting {order}-grams", disable=not progress) as cbar:
            if unbounded:
                from .hybrid_model import HybridModel

                cbar.set_description("fitting the mix, indexing and counting")
                ngram = HybridModel.build(stream, order, len(vocab), progress=cbar)
            else:
                ngram = NgramModel.from_stream(stream, order, len(vocab), progress=cbar)
        meta = {
            "source": source,
            "documents": len(texts),
            "sentences": n_sent,
            "tokens": int(len(stream) - 2 * n_sent),
            "train_seconds": round(time.perf_counter() - t0, 3),
        }
        return cls(ngram, vocab, tok, meta)

    @classmethod
    def default(cls, progress: bool = False, rebuild: bool = False) -> "LanguageModel":
        """The model of the built-in corpus (Python's own documentation), cached on disk.

        The cache is keyed by this package's version and the corpus fingerprint (the Python
        version), so an upgrade rebuilds it.
        """
        from .default_corpus import corpus_fingerprint, default_corpus_texts

        path = default_model_path()
        if path.exists() and not rebuild:
            try:
                return cls.load(path)
            except ModelFileError:
                pass  # a stale or damaged cache: rebuild it
        t0 = time.perf_counter()
        texts = list(default_corpus_texts())
        lm = cls._train_texts(texts, 5, "word", 0, progress, t0, source=["python-docs"])
        lm.meta["corpus"] = f"python-docs ({corpus_fingerprint('python-docs')})"
        try:
            lm.save(path)
        except OSError:
            pass  # a read-only cache directory must not stop the user
        return lm

    # ------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike) -> None:
        """Write the model to one file, atomically (see model_file.py)."""
        ngram_meta, arrays = self.ngram.to_arrays()
        arrays.update(self.vocab.to_arrays())
        meta = {
            "package_version": __version__,
            "tokenizer": self.tokenizer.to_config(),
            "ngram": ngram_meta,
            "info": self.meta,
        }
        write_model_file(path, "language-model", meta, arrays)
        self.path = str(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "LanguageModel":
        """Memory-map a model file written by `save` (loading costs milliseconds at any size)."""
        _, meta, arrays = read_model_file(path, expected_kind="language-model")
        try:
            if "unbounded" in meta["ngram"]:
                from .hybrid_model import HybridModel

                ngram = HybridModel.from_arrays(meta["ngram"], arrays)
            else:
                ngram = NgramModel.from_arrays(meta["ngram"], arrays)
            vocab = Vocabulary.from_arrays(arrays)
            tok = tokenizer_from_config(meta["tokenizer"])
        except (KeyError, ValueError, UnicodeDecodeError) as e:
            raise ModelFileError(f"{path} is corrupted or incomplete: {e}") from None
        if len(vocab) != ngram.vocab_size:
            raise ModelFileError(f"{path} is corrupted: vocabulary and n-gram tables disagree")
        lm = cls(ngram, vocab, tok, meta.get("info", {}))
        lm.path = str(path)
        return lm

    @classmethod
    def from_arpa(cls, path: str | os.PathLike, tokenizer: str = "whitespace") -> "LanguageModel":
        """Read an ARPA file (KenLM, SRILM, ...) into a queryable model."""
        from .arpa import read_arpa

        ngram, vocab = read_arpa(path)
        return cls(ngram, vocab, get_tokenizer(tokenizer), {"source": [str(path)], "imported_from": "arpa"})

    def to_arpa(self, path: str | os.PathLike) -> None:
        """Write the model as an ARPA file that KenLM and SRILM load."""
        from .arpa import write_arpa

        write_arpa(self.ngram, self.vocab, path)

    # ------------------------------------------------------------------ prompts

    @property
    def order(self) -> int:
        return self.ngram.order

    def context_ids(self, prompt: str) -> list[int]:
        """`<s>` followed by the ids of the prompt's last sentence (unknown tokens -> `<unk>`)."""
        if not isinstance(prompt, str):
            raise InputError(f"the prompt must be a string, got {type(prompt).__name__}")
        last: list[str] = []
        for sent in self.tokenizer.sentences(prompt):
            last = sent
        if last and prompt[-1:].isspace() and _ends_sentence(last):
            last = []  # "The cat sat. " : the next token starts a new sentence
        ids = [BOS] + [self.vocab.id(t) for t in last]
        if getattr(self.ngram, "context_limit", 0) is None:
            return ids  # the unbounded part uses the whole sentence
        return ids[-(self.order - 1) :] if self.order > 1 else [BOS]

    def _check_k(self, k, name="k", limit=MAX_K) -> int:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
            raise InputError(f"{name} must be a positive integer, got {k!r}")
        if k > limit:
            raise InputError(f"{name} must be at most {limit}, got {k}")
        return int(k)

    def _text_of(self, prompt: str, ids: Sequence[int]) -> str:
        """The text to append to `prompt` for the generated ids; sentences end where `</s>` is."""
        out = ""
        sentence: list[str] = []
        for i in list(ids) + [EOS]:
            if i == EOS:
                if sentence:
                    out += self.tokenizer.join_continuation(prompt + out, sentence)
                sentence = []
            else:
                sentence.append(self.vocab.tokens[i])
        return out

    # ------------------------------------------------------------------ predictions

    def predict(self, context: str = "", k: int = 10, prefix: str | None = None) -> list[Prediction]:
        """The k most probable next tokens after `context`, best first (exact, with probabilities).

        `</s>` stands for the end of the sentence. With `prefix`, only tokens that start with it
        are ranked (autocomplete of a word being typed); probabilities stay unnormalized.
        """
        k = self._check_k(k)
        ctx = self.context_ids(context)
        if prefix:
            probs = self.ngram.distribution(ctx)
            cand = self.vocab.with_prefix(prefix)
            if len(cand) == 0:
                return []
            best = cand[np.lexsort((cand, -probs[cand]))[:k]]
            return [Prediction(self.vocab.tokens[i], float(probs[i])) for i in best]
        ids, probs = self.ngram.topk(ctx, k)
        return [Prediction(self.vocab.tokens[i], float(p)) for i, p in zip(ids.tolist(), probs.tolist())]

    def predict_sequence(self, context: str, n: int = 5, no_repeat_ngram: int | None = 3) -> Completion:
        """The n most likely next tokens, one greedy step at a time (may run past a sentence end)."""
        n = self._check_k(n, "n", MAX_TOKENS)
        ctx = self.context_ids(context)
        steps = greedy(self._decoder(ctx), ctx, n, no_repeat_ngram, stop_at_eos=False)
        ids = [t for t, _ in steps]
        prob = math.prod(p for _, p in steps) if steps else 1.0
        return Completion(self._text_of(context, ids), prob, tuple(self.vocab.tokens[i] for i in ids))

    def complete(self, prompt: str, max_tokens: int = 30, no_repeat_ngram: int | None = 3) -> str:
        """The most likely continuation of `prompt` to the end of its sentence (greedy)."""
        self._nonempty(prompt)
        max_tokens = self._check_k(max_tokens, "max_tokens", MAX_TOKENS)
        ctx = self.context_ids(prompt)
        steps = greedy(self._decoder(ctx), ctx, max_tokens, no_repeat_ngram)
        return self._text_of(prompt, [t for t, _ in steps])

    def completions(self, prompt: str, k: int = 5, max_tokens: int = 30,
                    no_repeat_ngram: int | None = 3) -> list[Completion]:
        """k alternative continuations to the end of the sentence (beam search, deduplicated)."""
        self._nonempty(prompt)
        k = self._check_k(k, limit=100)
        max_tokens = self._check_k(max_tokens, "max_tokens", 200)
        ctx = self.context_ids(prompt)
        found = beam_search(self._decoder(ctx), ctx, k, max_tokens, no_repeat_ngram=no_repeat_ngram)
        out, seen = [], set()
        for ids, lp in found:
            text = self._text_of(prompt, ids)
            if text.strip() and text not in seen:
                seen.add(text)
                out.append(Completion(text, math.exp(lp), tuple(self.vocab.tokens[i] for i in ids)))
            if len(out) == k:
                break
        return out

    def stream(self, prompt: str = "", max_tokens: int = 50, temperature: float = 1.0, top_k: int | None = None,
               top_p: float | None = None, seed: int | None = None, stop: Sequence[str] | None = None,
               no_repeat_ngram: int | None = None) -> Iterator[str]:
        """Generate text piece by piece (one token each); `"".join(stream(...)) == generate(...)`."""
        for piece, _, _ in self._generate(prompt, max_tokens, temperature, top_k, top_p, seed, stop, no_repeat_ngram):
            yield piece

    def generate(self, prompt: str = "", max_tokens: int = 50, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, seed: int | None = None, stop: Sequence[str] | None = None,
                 no_repeat_ngram: int | None = None) -> str:
        """Sample a continuation of `prompt` (the continuation only). Same seed, same text."""
        return "".join(self.stream(prompt, max_tokens, temperature, top_k, top_p, seed, stop, no_repeat_ngram))

    def _generate(self, prompt, max_tokens, temperature, top_k, top_p, seed, stop, no_repeat_ngram):
        """Yield (text piece, token, probability); stops before any `stop` string."""
        max_tokens = self._check_k(max_tokens, "max_tokens", MAX_TOKENS)
        if not isinstance(temperature, (int, float)) or not 0 <= temperature <= 100:
            raise InputError(f"temperature must be a number from 0 to 100, got {temperature!r}")
        if top_k is not None:
            top_k = self._check_k(top_k, "top_k")
        if top_p is not None and not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
            raise InputError(f"top_p must be in (0, 1], got {top_p!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise InputError(f"seed must be a non-negative integer, got {seed!r}")
        scanner = StopScanner(stop)  # holds back text that could still grow into a stop string
        rng = np.random.default_rng(seed)
        text = ""  # everything generated so far
        ctx = self.context_ids(prompt)
        for tok, p in sample(self._decoder(ctx), ctx, max_tokens, rng, temperature,
                             top_k, top_p, no_repeat_ngram):
            if tok == EOS:
                continue  # the next token's spacing starts the new sentence
            # Each piece is spaced against everything before it, so pieces simply concatenate.
            piece = self.tokenizer.join_continuation(prompt + text, [self.vocab.tokens[tok]])
            text += piece
            out = scanner.feed(piece)
            if out:
                yield out, tok, p
            if scanner.stopped:
                return
        tail = scanner.flush()
        if tail:
            yield tail, EOS, 1.0

    def _decoder(self, context: list[int]):
        """The model decoding runs on: with the unbounded part, its copy guard is switched on."""
        view = getattr(self.ngram, "generation_view", None)
        return view(context) if view else self.ngram

    def explain(self, context: str, limit: int = 2) -> dict:
        """Where a prediction comes from: the longest part of the context seen in the corpus,
        how often, and `limit` places it occurs, with the sentence around each (unbounded models)."""
        explain = getattr(self.ngram, "explain", None)
        if explain is None:
            raise InputError("this model has no corpus index: train it with unbounded=True (ntp train --unbounded)")
        e = explain(self.context_ids(context), limit)
        toks = self.vocab.tokens
        words = lambda ids: [toks[int(i)] for i in ids if int(i) > 2]  # noqa: E731
        places = []
        for o in e.occurrences:
            ids = [int(i) for i in o.ids]
            a, b = o.match_start, o.match_start + o.match_len
            places.append({
                "position": int(o.position),
                "before": self.tokenizer.detokenize(words(ids[:a])),
                "match": self.tokenizer.detokenize(words(ids[a:b])),
                "after": self.tokenizer.detokenize(words(ids[b:])),
            })
        return {
            "matched": self.tokenizer.detokenize(words(e.suffix)),
            "matched_tokens": int(e.match.suffix_len),
            "count": int(e.match.count),
            "continuations": int(e.match.distinct),
            "occurrences": places,
        }

    @staticmethod
    def _nonempty(prompt):
        if not isinstance(prompt, str):
            raise InputError(f"the prompt must be a string, got {type(prompt).__name__}")
        if not prompt.strip():
            raise InputError("the prompt is empty: give some text to continue")

    # ------------------------------------------------------------------ scoring

    def score(self, text: str, per_token: bool = True) -> Score:
        """log10 probability and perplexity of `text`, sentence by sentence (KenLM's `query` way)."""
        if not isinstance(text, str):
            raise InputError(f"the text must be a string, got {type(text).__name__}")
        sents = list(self.tokenizer.sentences(text))
        if not sents:
            raise InputError("the text is empty: nothing to score")
        stream = self.vocab.encode_sentences(sents)
        s = self.ngram.score_stream(stream)
        pairs = []
        if per_token:  # the text's own tokens (an OOV keeps its spelling), then </s> per sentence
            flat = [t for sent in sents for t in sent + [END_OF_SENTENCE]]
            pairs = [(t, float(lp)) for t, lp in zip(flat, s.logprob.tolist())]
        return Score(s.total, len(s.logprob), s.oov, s.perplexity(True), s.perplexity(False), pairs)

    def perplexity(self, text: str, include_oov: bool = True) -> float:
        sc = self.score(text, per_token=False)
        return sc.perplexity if include_oov else sc.perplexity_excl_oov

    def info(self) -> dict:
        """What this model is, as JSON-able data."""
        return {
            "order": self.order,
            "vocab_size": len(self.vocab),
            "ngrams": self.ngram.sizes,
            "tokenizer": self.tokenizer.name,
            "unbounded": hasattr(self.ngram, "index"),
            "package_version": __version__,
            "path": self.path,
            **self.meta,
        }

    def __repr__(self) -> str:
        return f"LanguageModel(order={self.order}, vocab={len(self.vocab)}, tokenizer={self.tokenizer.name!r})"


_SENTENCE_END = {".", "!", "?", "…"}
_CLOSERS = {'"', "'", "”", "’", ")", "]", "»"}


def _ends_sentence(tokens: Sequence[str]) -> bool:
    """Whether a token list ends with sentence-final punctuation (closing quotes allowed)."""
    i = len(tokens) - 1
    while i >= 0 and tokens[i] in _CLOSERS:
        i -= 1
    return i >= 0 and tokens[i].replace("\u2581", "") in _SENTENCE_END


def default_model_path() -> Path:
    """Where the default model is cached: $NTP_CACHE_DIR, else the user's cache directory."""
    from .default_corpus import corpus_fingerprint

    base = os.environ.get("NTP_CACHE_DIR")
    if not base:
        from platformdirs import user_cache_dir

        base = user_cache_dir("next-token-prediction")
    tag = "".join(c if c.isalnum() or c in ".-" else "_" for c in corpus_fingerprint("python-docs"))
    return Path(base) / f"default-{__version__}-{tag}.ntp"
