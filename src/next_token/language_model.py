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

import gc
import math
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from . import __version__
from .arguments import check_int, check_number
from .decode import beam_search, candidates, check_decoding, greedy, sample
from .errors import CorpusError, InputError, ModelFileError
from .model_file import read_model_file, should_verify, write_model_file
from .protocol import StreamScores, TokenModel
from .stops import StopScanner
from .text.corpus import Text
from .text.spacing import SpacingModel
from .text.tokenizer import Tokenizer, get_tokenizer, tokenizer_from_config
from .text.vocab import BOS, EOS, UNK, Vocabulary
from .training import TrainingConfig, train_model, train_sources

_SCORE_THREADS = max(1, min(4, os.cpu_count() or 1))
_TOKENS_PER_PART = 100_000  # a batch is cut in parts of at least this many tokens, scored on threads
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
    """A continuation of a prompt: its text (to append to the prompt), its probability, its
    tokens, and the length-aware score completions are ranked by: ln p / len^0.7, len counting
    the sentence end (Wu et al. 2016), so that a longer sentence can beat a short one."""

    text: str
    probability: float
    tokens: tuple[str, ...] = ()
    score: float = 0.0


@dataclass(frozen=True)
class Step:
    """One step of generation: the text it lets out (stop strings cut: text that could still
    grow into a stop string is held back and let out by a later step), the token (None on the
    last step, which ends the stream), the text the token writes (`piece`: "" for the end of a
    sentence), its probability, why generation ended (on the last step: "stop" for a stop
    string, "length" for max_tokens), and the likeliest tokens at that point as (text,
    probability) pairs when asked for."""

    text: str
    token: str | None
    probability: float | None
    finish_reason: str | None = None
    alternatives: tuple[tuple[str, float], ...] = ()
    piece: str = ""


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
    """A trained model over token ids plus its tokenizer and vocabulary."""

    def __init__(self, model: TokenModel, vocab: Vocabulary, tokenizer: Tokenizer, meta: dict | None = None):
        self.model = model
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
        discount_fallback: str = "warn",
        progress: bool = False,
        memory: str | int | None = None,
        workdir: str | None = None,
        prune: Sequence[int] | None = None,
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
        """
        config = TrainingConfig(order=order, tokenizer=tokenizer, vocab_size=bpe_vocab_size,
                                unbounded=unbounded, discount_fallback=discount_fallback, progress=progress,
                                memory=memory, workdir=workdir, prune=tuple(prune or ()))
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
        return cls(trained.model, trained.vocab, trained.tokenizer, trained.info)

    @classmethod
    def default(cls, progress: bool = False, rebuild: bool = False) -> "LanguageModel":
        """The model of the built-in corpus (Python's own documentation), cached on disk.

        The cache is keyed by this package's version and the corpus fingerprint (the Python
        version), so an upgrade rebuilds it.
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
        meta = {
            "package_version": __version__,
            "tokenizer": self.tokenizer.to_config(),
            "ngram": ngram_meta,
            "info": self.meta,
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
            used = set(model.to_arrays()[1]) | set(Vocabulary.ARRAYS)  # names only: nothing is read
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
        lm = cls(model, vocab, tok, info)
        lm.path = str(path)
        return lm

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

    def context_ids(self, prompt: str | Sequence[str]) -> list[int]:
        """The ids the model is asked about after `prompt`: the context policy of every face.

        `prompt` is text, or a list of tokens (taken as the sentence so far). Text is cut into
        sentences and only the last one counts; a prompt that ends a sentence and then a space
        ("The cat sat. ") asks what starts the next one. The ids are `<s>` followed by the
        sentence's tokens (unknown ones as `<unk>`), trimmed to the model's context window.
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
        return self.trim([BOS] + [self.vocab.id(t) for t in last])

    def trim(self, ids: Sequence[int]) -> list[int]:
        """The last `context_window` ids of a context that starts at `<s>` (all, when unbounded)."""
        ids = list(ids)
        w = self.model.context_window
        return ids if w is None else ids[max(0, len(ids) - w) :] if w else []

    def _text_of(self, prompt: str, ids: Sequence[int]) -> str:
        """The text to append to `prompt` for the generated ids; sentences end where `</s>` is."""
        speller = self.tokenizer.speller(prompt)
        out = []
        for i in ids:
            if i == EOS:
                speller.end_sentence()
            else:
                out.append(speller.append(self.vocab.tokens[i]))
        return "".join(out)

    # ------------------------------------------------------------------ predictions

    def predict(self, context: str | Sequence[str] = "", k: int = 10, prefix: str | None = None) -> list[Prediction]:
        """The k most probable next tokens after `context`, best first (exact, with probabilities).

        `context` is text or a list of tokens. `</s>` stands for the end of the sentence. With
        `prefix`, only tokens that start with it are ranked (autocomplete of a word being
        typed); probabilities stay unnormalized. A prefix in lower case matches any case
        ("chri" finds "Christine"); one with a capital letter matches exactly ("smart case").

        This order is also what the faces show. Ranking what the corpus showed after the context
        first would put "same" before "," after "but the", but on held-out books text it lowers
        top-1 accuracy (21.04% -> 20.41%) and keystroke savings (bench/bench_eval.py --rankings).
        """
        k = check_int(k, "k", 1, MAX_K)
        ctx = self.context_ids(context)
        tokens = self.vocab.tokens
        if prefix:
            cand = self.vocab.with_prefix(prefix, ignore_case=not any(c.isupper() for c in prefix))
            if len(cand) == 0:
                return []
            probs = self.model.probabilities(ctx, cand)
            best = np.lexsort((cand, -probs))[:k]
            return [Prediction(tokens[int(cand[i])], float(probs[i])) for i in best]
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

    def predict_sequence(self, context: str, n: int = 5, no_repeat_ngram: int | None = 3) -> Completion:
        """The n most likely next tokens, one step at a time among what the corpus showed after
        the context (decode.py's "seen" policy; may run past a sentence end)."""
        n = check_int(n, "n", 1, MAX_TOKENS)
        ctx = self.context_ids(context)
        steps = greedy(self._decoder(ctx), ctx, n, no_repeat_ngram, stop_at_eos=False)
        ids = [t for t, _ in steps]
        prob = math.prod(p for _, p in steps) if steps else 1.0
        return Completion(self._text_of(context, ids), prob, tuple(self.vocab.tokens[i] for i in ids))

    def complete(self, prompt: str, max_tokens: int = 30, no_repeat_ngram: int | None = 3) -> str:
        """The most probable continuation of `prompt` to the end of its sentence: the best of a
        beam search over what the corpus showed after each context, by probability with a
        length-aware score (log p / len^0.7), so that a longer sentence can beat a short one."""
        found = self.completions(prompt, 1, max_tokens, no_repeat_ngram)
        return found[0].text if found else ""

    def completions(self, prompt: str, k: int = 5, max_tokens: int = 30,
                    no_repeat_ngram: int | None = 3) -> list[Completion]:
        """k different continuations to the end of the sentence, best first by their length-aware
        `score` (beam search over what the corpus showed after each context)."""
        self._nonempty(prompt)
        k = check_int(k, "k", 1, 100)
        max_tokens = check_int(max_tokens, "max_tokens", 1, MAX_TOKENS if k == 1 else 200)
        ctx = self.context_ids(prompt)
        found = beam_search(self._decoder(ctx), ctx, k, min(max_tokens, 200), no_repeat_ngram=no_repeat_ngram,
                            is_word=self.vocab.word_mask())
        out, seen = [], set()
        for ids, lp, score in found:
            text = self._text_of(prompt, ids)
            if text.strip() and text not in seen:
                seen.add(text)
                out.append(Completion(text, math.exp(lp), tuple(self.vocab.tokens[i] for i in ids), score))
            if len(out) == k:
                break
        return out

    def steps(self, prompt: str = "", max_tokens: int = 50, temperature: float = 1.0, top_k: int | None = None,
              top_p: float | None = None, min_p: float | None = None, seed: int | None = None,
              stop: Sequence[str] | None = None, no_repeat_ngram: int | None = None, decoding: str = "seen",
              alternatives: int = 0, stop_at_sentence_end: bool = False) -> Iterator[Step]:
        """Generate token by token: one `Step` per token (its text, the token, its probability,
        and `alternatives` of the likeliest tokens with theirs), then a last `Step` that carries
        the text held back for stop strings and the `finish_reason` ("stop" or "length").

        `decoding="seen"` writes only what the corpus showed after each context (decode.py);
        "smoothed" samples the whole distribution. With `stop_at_sentence_end`, the first
        sentence end after some text ends generation ("stop"), as an answer ends. Each token's
        text costs the same whatever the length of the text before it (the tokenizer's
        incremental speller).
        """
        max_tokens = check_int(max_tokens, "max_tokens", 1, MAX_TOKENS)
        temperature = check_number(temperature, "temperature", 0, 100)
        if top_k is not None:
            top_k = check_int(top_k, "top_k", 1, MAX_K)
        if top_p is not None:
            top_p = check_number(top_p, "top_p", 0, 1, low_open=True)
        if min_p is not None:
            min_p = check_number(min_p, "min_p", 0, 1)
        if seed is not None:
            seed = check_int(seed, "seed", 0)
        check_decoding(decoding)
        alternatives = check_int(alternatives, "alternatives", 0, MAX_K)
        scanner = StopScanner(stop)  # holds back text that could still grow into a stop string
        rng = np.random.default_rng(seed)
        ctx = self.context_ids(prompt)
        model = self._decoder(ctx)
        speller = self.tokenizer.speller(prompt)
        tokens = self.vocab.tokens
        history = list(ctx)  # the context of the next token, for the alternatives
        wrote = False
        for tok, p in sample(model, ctx, max_tokens, rng, temperature, top_k, top_p, no_repeat_ngram,
                             decoding=decoding, min_p=min_p):
            alts: tuple = ()
            if alternatives:
                ids, probs = model.top_k(history, alternatives)
                alts = tuple((speller.copy().append(tokens[i]) if i > EOS else tokens[i], float(q))
                             for i, q in zip(ids.tolist(), probs.tolist()))
            if tok == EOS:
                speller.end_sentence()  # the next token's spacing starts the new sentence
                history = [BOS]
                yield Step(scanner.feed(""), END_OF_SENTENCE, p, None, alts)
                if stop_at_sentence_end and wrote:
                    yield Step(scanner.flush(), None, None, "stop")
                    return
                continue
            wrote = True
            history = self.trim(history + [tok])
            piece = speller.append(tokens[tok])
            yield Step(scanner.feed(piece), tokens[tok], p, None, alts, piece)
            if scanner.stopped:
                yield Step("", None, None, "stop")
                return
        yield Step(scanner.flush(), None, None, "length")

    def stream(self, prompt: str = "", max_tokens: int = 50, temperature: float = 1.0, top_k: int | None = None,
               top_p: float | None = None, seed: int | None = None, stop: Sequence[str] | None = None,
               no_repeat_ngram: int | None = None, decoding: str = "seen", min_p: float | None = None) -> Iterator[str]:
        """Generate text piece by piece; `"".join(stream(...)) == generate(...)`."""
        for step in self.steps(prompt, max_tokens, temperature, top_k, top_p, min_p, seed, stop, no_repeat_ngram,
                               decoding):
            if step.text:
                yield step.text

    def generate(self, prompt: str = "", max_tokens: int = 50, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, seed: int | None = None, stop: Sequence[str] | None = None,
                 no_repeat_ngram: int | None = None, decoding: str = "seen", min_p: float | None = None) -> str:
        """Sample a continuation of `prompt` (the continuation only). Same seed, same text.

        By default only what the corpus showed after each context is written (`decoding="seen"`,
        see decode.py), which reads like the corpus; `decoding="smoothed"` samples the model's
        whole distribution. temperature, top_k, top_p and min_p apply to either.
        """
        return "".join(self.stream(prompt, max_tokens, temperature, top_k, top_p, seed, stop, no_repeat_ngram,
                                   decoding, min_p))

    def _decoder(self, context: list[int]) -> TokenModel:
        """The model decoding runs on (with unbounded context, its copy guard is switched on)."""
        return self.model.generation_view(context)

    def explain(self, context: str, limit: int = 2) -> dict:
        """Where a prediction comes from: the longest part of the context seen in the corpus,
        how often, and `limit` places it occurs, with the sentence around each (unbounded models)."""
        if self.model.corpus_index is None:
            raise InputError("this model has no corpus index: train it with unbounded=True (ntp train --unbounded)")
        from .unbounded.estimate import UnboundedModel

        e = UnboundedModel(self.model.corpus_index).explain(self.context_ids(context), limit)
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
        with _bulk():
            sents = list(self.tokenizer.sentences(text))
            if not sents:
                raise InputError("the text is empty: nothing to score")
            s = self._score_sentences(sents)
        pairs = []
        if per_token:  # the text's own tokens (an OOV keeps its spelling), then </s> per sentence
            flat = [t for sent in sents for t in sent + [END_OF_SENTENCE]]
            pairs = [(t, float(lp)) for t, lp in zip(flat, s.logprob.tolist())]
        return Score(s.total, len(s.logprob), s.oov, s.perplexity(True), s.perplexity(False), pairs)

    def score_batch(self, texts: Sequence[str]) -> list[Score]:
        """`score(text, per_token=False)` of each text, in one vectorized pass over all of them (how
        a collection of documents is scored for filtering, one perplexity each). A text with no
        token gets a Score of 0 tokens and nan perplexities."""
        if isinstance(texts, str):
            raise InputError("score_batch takes a list of texts; score() takes one")
        sents: list = []
        counts = np.zeros(len(texts), dtype=np.int64)  # scored tokens (with </s>) per text
        with _bulk():
            for i, text in enumerate(texts):
                if not isinstance(text, str):
                    raise InputError(f"each text must be a string, got {type(text).__name__}")
                doc = list(self.tokenizer.sentences(text))
                counts[i] = sum(map(len, doc)) + len(doc)
                sents.extend(doc)
            if not sents:
                return [Score(0.0, 0, 0, float("nan"), float("nan")) for _ in texts]
            s = self._score_sentences(sents)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        has = counts > 0
        lp = np.zeros(len(texts))
        oov = np.zeros(len(texts), dtype=np.int64)
        lp_known = np.zeros(len(texts))
        is_oov = s.token_ids == UNK
        lp[has] = np.add.reduceat(s.logprob.astype(np.float64), starts[has])
        oov[has] = np.add.reduceat(is_oov.astype(np.int64), starts[has])
        lp_known[has] = np.add.reduceat(np.where(is_oov, 0.0, s.logprob), starts[has])
        out = []
        with np.errstate(divide="ignore", invalid="ignore"):
            for total, n, k, known in zip(lp.tolist(), counts.tolist(), oov.tolist(), lp_known.tolist()):
                ppl = 10.0 ** (-total / n) if n else float("nan")
                ppl_known = 10.0 ** (-known / (n - k)) if n > k else float("nan")
                out.append(Score(total, n, k, ppl, ppl_known))
        return out

    def _score_sentences(self, sents: list) -> StreamScores:
        """Scores of the tokens of `sents` (lists of tokens), `</s>` after each sentence. A large
        batch is encoded (Python), then cut at sentence starts into parts whose lookups (numpy,
        which lets other threads run) go on threads, one per core."""
        stream = self.vocab.encode_sentences(sents)
        parts = min(_SCORE_THREADS, len(stream) // _TOKENS_PER_PART)
        if parts <= 1 or self.model.corpus_index is not None:  # the n-gram's lookups only
            return self.model.score_stream(stream)
        starts = np.flatnonzero(stream == BOS)
        cuts = [0, *starts[np.linspace(0, len(starts), parts + 1).astype(int)[1:-1]].tolist(), len(stream)]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(parts) as pool:
            results = list(pool.map(self.model.score_stream, [stream[a:b] for a, b in zip(cuts[:-1], cuts[1:])]))
        return StreamScores(np.concatenate([r.logprob for r in results]),
                            np.concatenate([r.token_ids for r in results]),
                            np.concatenate([r.positions + a for r, a in zip(results, cuts[:-1])]))

    def perplexity(self, text: str, include_oov: bool = True) -> float:
        sc = self.score(text, per_token=False)
        return sc.perplexity if include_oov else sc.perplexity_excl_oov

    def info(self) -> dict:
        """What this model is, as JSON-able data."""
        return {
            "order": self.order,
            "vocab_size": len(self.vocab),
            "ngrams": self.model.sizes,
            "tokenizer": self.tokenizer.name,
            "unbounded": self.model.corpus_index is not None,
            "package_version": __version__,
            "path": self.path,
            **self.meta,
        }

    def __repr__(self) -> str:
        return f"LanguageModel(order={self.order}, vocab={len(self.vocab)}, tokenizer={self.tokenizer.name!r})"


@contextmanager
def _bulk():
    """Bulk tokenizing makes hundreds of thousands of small lists and strings, none of them in a
    reference cycle: the cycle collector would only rescan them, over and over (a fifth of the
    time of scoring a large text). It is paused for the duration, then restored."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def default_model_path() -> Path:
    """Where the default model is cached: $NTP_CACHE_DIR, else the user's cache directory."""
    from .files import cache_dir
    from .text.builtin import python_docs_fingerprint

    tag = "".join(c if c.isalnum() or c in ".-" else "_" for c in python_docs_fingerprint())
    return cache_dir() / f"default-{__version__}-{tag}.ntp"
