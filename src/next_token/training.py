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
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from .arguments import check_int
from .errors import CorpusError, InputError
from .ngram.counting import MAX_ORDER
from .ngram.kneser_ney import FALLBACK_POLICIES
from .protocol import TokenModel
from .text.spacing import SpacingModel
from .text.tokenizer import Tokenizer, tokenizer_for_training
from .text.vocab import BOS, Vocabulary


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. `tokenizer` is a kind ("word", "char", "bpe", "whitespace") or a Tokenizer.

    vocab_size: units to learn, for tokenizers that learn them (BPE).
    unbounded: also index the corpus for unbounded context (see unbounded/).
    discount_fallback: "warn", "ignore" or "raise" when the text is too small or artificial for
    Kneser-Ney discounts (see ngram/kneser_ney.py).
    progress: show progress bars.
    """

    order: int = 5
    tokenizer: str | Tokenizer = "word"
    vocab_size: int = 8000
    unbounded: bool = False
    discount_fallback: str = "warn"
    progress: bool = False

    def __post_init__(self):
        check_int(self.order, "order", 1, MAX_ORDER)
        check_int(self.vocab_size, "vocab_size")
        if self.discount_fallback not in FALLBACK_POLICIES:
            raise InputError(f"discount_fallback must be one of {', '.join(FALLBACK_POLICIES)}")
        if not isinstance(self.tokenizer, (str, Tokenizer)):
            raise InputError(f"tokenizer must be a kind name or a Tokenizer, got {type(self.tokenizer).__name__}")

    def make_tokenizer(self) -> Tokenizer:
        if isinstance(self.tokenizer, Tokenizer):
            return self.tokenizer
        return tokenizer_for_training(self.tokenizer, self.vocab_size)


@dataclass
class Trained:
    """What training produced: the model over ids, its vocabulary and tokenizer, and facts."""

    model: TokenModel
    vocab: Vocabulary
    tokenizer: Tokenizer
    info: dict = field(default_factory=dict)


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

    def sentences():
        for _, t in texts:
            if tok.learns_spacing:
                for tokens, flags in tok.spaced_sentences(t):
                    spaces.append(0)
                    spaces.extend(flags)
                    spaces.append(0)
                    yield tokens
            else:
                yield from tok.sentences(t)
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
                                      discount_fallback=config.discount_fallback)
    info = {
        "source": list(source or []),
        "documents": len(texts),
        "sentences": n_sent,
        "tokens": int(len(stream) - 2 * n_sent),
        "train_seconds": round(time.perf_counter() - t0, 3),
    }
    return Trained(model, vocab, tok, info)
