"""How good is a model on held-out text: perplexity, next-token accuracy and keystroke savings.

    from next_token.evaluate import evaluate
    ev = evaluate(lm, open("test.txt").read(), progress=True)
    ev.perplexity, ev.accuracy[1], ev.keystrokes[3].saved_share

The held-out text is split into sentences and tokens by the model's own tokenizer, and every
sentence is scored as `<s> t1 ... tn </s>`, like training data (and like KenLM's `query`).

Perplexity
    PPL = 10 ** (-(1/T) * sum_t log10 p(t | context)) over the T scored tokens, one `</s>` per
    sentence included; unknown tokens are scored as `<unk>` (incl. OOV), or left out of both the
    sum and T (excl. OOV).

Next-token accuracy (top-1, top-k)
    The share of the T scored positions (`</s>` targets included) whose true next token is among
    the model's exact top-k (`top_k`, ties broken by smaller id, as `predict` does). A
    target the vocabulary does not know (`<unk>`) always counts as a miss, even when `<unk>`
    itself is predicted.

Keystroke savings (the standard autocomplete metric)
    A person types the text token by token. Before each keystroke of a token, the k best
    suggestions for it are shown: `predict(context, k)` before the first character, and
    `predict(context, k, prefix=typed)` once some characters are typed (context = the sentence so
    far). As soon as the token is among them it is accepted with ONE keystroke; otherwise the
    next character is typed. What is counted, per token:

    - the token's *surface*: for word-like tokenizers (word, whitespace) the token plus the space
      that separates it from the next one, ``len(token) + 1`` characters; for tokenizers whose
      tokens carry their spaces ("▁", char and bpe) just the token, ``len(token)`` characters;
    - without help, typing it costs its surface length;
    - with help, accepted after j typed characters, it costs j + 1 (the accept key inserts the
      rest, trailing space included), so it saves ``surface - 1 - j`` keystrokes. Acceptance is
      only offered while it saves at least one keystroke (j <= surface - 2);
    - `</s>` is not typed (a sentence end costs nothing either way); an unknown token (`<unk>`)
      is never suggested, so it is typed in full.

    saved share = 1 - (keystrokes with help) / (keystrokes without help), for each k.

    A char model's tokens are single keystrokes, so it can never save one: the metric is for word
    and subword models.

    For a word model on whitespace-tokenized text the surface of "Hello , world ." is
    "Hello " ", " "world " ". " (16 keystrokes); a BPE model on the same text sees
    "▁Hello" "▁" "," "▁world" "▁" "." -- the same 16 characters, so the figures compare.

Cost: one exact top-k per position, plus one full distribution per token whose best suggestion
before typing is wrong; within a token every typed prefix is a contiguous range of the
lexicographically sorted vocabulary (found by bisection), and the target's rank in it is one
vectorized count.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence

import numpy as np

from .arguments import check_int
from .errors import InputError
from .text.vocab import EOS, UNK

MAX_K = 1000  # top-k lists beyond this cost minutes and gigabytes and measure nothing useful
DEFAULT_ACCURACY_KS = (1, 5)
DEFAULT_KEYSTROKE_KS = (1, 3, 5)


@dataclass
class KeystrokeSavings:
    """Keystroke counts of the typing simulation with k suggestions shown."""

    k: int
    keystrokes: int  # typing every character, no suggestions
    with_suggestions: int  # typed characters plus one accept key per accepted token
    tokens: int  # tokens typed (`</s>` excluded)
    accepted: int  # tokens accepted from a suggestion

    @property
    def saved(self) -> int:
        return self.keystrokes - self.with_suggestions

    @property
    def saved_share(self) -> float:
        return self.saved / self.keystrokes if self.keystrokes else float("nan")

    def to_dict(self) -> dict:
        return {**asdict(self), "saved": self.saved, "saved_share": self.saved_share}


@dataclass
class Evaluation:
    """Everything `evaluate` measured. `accuracy[k]` is the top-k share; `keystrokes[k]` the simulation."""

    sentences: int
    tokens: int  # scored positions, one `</s>` per sentence included
    oov: int
    logprob: float  # log10 of the probability of the whole text
    perplexity: float
    perplexity_excl_oov: float
    accuracy: dict[int, float] = field(default_factory=dict)
    keystrokes: dict[int, KeystrokeSavings] = field(default_factory=dict)
    keystroke_sentences: int = 0  # sentences the typing simulation covered
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "sentences": self.sentences,
            "tokens": self.tokens,
            "oov": self.oov,
            "logprob": self.logprob,
            "perplexity": self.perplexity,
            "perplexity_excl_oov": self.perplexity_excl_oov,
            "accuracy": {str(k): v for k, v in self.accuracy.items()},
            "accuracy_counts_end_of_sentence": True,
            "keystroke_sentences": self.keystroke_sentences,
            "keystrokes": {str(k): v.to_dict() for k, v in self.keystrokes.items()},
            "seconds": self.seconds,
        }


def evaluate(
    model,
    text: str,
    *,
    accuracy_ks: Sequence[int] = DEFAULT_ACCURACY_KS,
    keystroke_ks: Sequence[int] = DEFAULT_KEYSTROKE_KS,
    max_sentences: int | None = None,
    keystroke_sentences: int | None = None,
    ranking: str = "exact",
    progress: bool = False,
) -> Evaluation:
    """Evaluate `model` (a `LanguageModel`) on held-out `text`; see the module doc for the metrics.

    ranking: the order suggestions are shown in for accuracy and keystrokes: "exact" (by
    probability, as `predict` ranks) or "seen" (what the corpus showed after the context
    first; kept to measure it against "exact"). Perplexity does not depend on it.
    max_sentences: use only the first N sentences of the text for everything.
    keystroke_sentences: run the typing simulation on only the first N of those (it is the
    slow part); 0 or an empty `keystroke_ks` skips it.
    """
    t0 = time.perf_counter()
    if not isinstance(text, str):
        raise InputError(f"the text must be a string, got {type(text).__name__}")
    if ranking not in ("exact", "seen"):
        raise InputError(f"ranking must be 'exact' or 'seen', got {ranking!r}")
    accuracy_ks = _positive_ints(accuracy_ks, "accuracy_ks")
    keystroke_ks = _positive_ints(keystroke_ks, "keystroke_ks")
    for name, v in (("max_sentences", max_sentences), ("keystroke_sentences", keystroke_sentences)):
        if v is not None:
            check_int(v, name, 0)

    sents = []
    for s in model.tokenizer.sentences(text):
        if max_sentences is not None and len(sents) >= max_sentences:
            break
        sents.append(s)
    if not sents:
        raise InputError("the text is empty: nothing to evaluate")
    stream = model.vocab.encode_sentences(sents).astype(np.int64)
    scored = model.model.score_stream(stream)

    n_sim = len(sents) if keystroke_sentences is None else min(keystroke_sentences, len(sents))
    if not keystroke_ks:
        n_sim = 0
    kmax = max(accuracy_ks + keystroke_ks, default=1)
    typer = _Typist(model, keystroke_ks, ranking) if n_sim else None

    # rank0[i]: the target's rank in the model's exact top-kmax at scored position i, kmax if absent.
    targets = scored.token_ids.astype(np.int64)
    rank0 = np.full(len(targets), kmax, dtype=np.int64)
    cache: dict[tuple[int, ...], list[int]] = {}
    max_cached = max(1, 2_000_000 // kmax)
    from tqdm.auto import tqdm

    bar = tqdm(total=len(targets), unit="tok", desc="evaluating", disable=not progress, leave=False)
    pos_i = 0
    start = 0
    for si, sent in enumerate(sents):
        end = start + len(sent) + 2  # <s> tokens... </s>
        for p in range(start + 1, end):
            ctx = tuple(model.trim(stream[start:p].tolist()))  # the context policy of predict()
            best = cache.get(ctx)
            if best is None:
                best = model.ranked_ids(list(ctx), kmax, ranking)[0].tolist()
                if len(cache) < max_cached:  # bounded: about 2M ids whatever k is
                    cache[ctx] = best
            t = int(stream[p])
            if t != UNK and t in best:
                rank0[pos_i] = best.index(t)
            if typer is not None and si < n_sim and t != EOS:
                typer.type_token(list(ctx), sent[p - start - 1], t, int(rank0[pos_i]))
            pos_i += 1
        bar.update(end - start - 1)
        start = end
    bar.close()

    accuracy = {k: float(np.mean(rank0 < k)) for k in accuracy_ks}
    return Evaluation(
        sentences=len(sents),
        tokens=len(targets),
        oov=scored.oov,
        logprob=scored.total,
        perplexity=scored.perplexity(True),
        perplexity_excl_oov=scored.perplexity(False),
        accuracy=accuracy,
        keystrokes=typer.results() if typer is not None else {},
        keystroke_sentences=n_sim,
        seconds=round(time.perf_counter() - t0, 3),
    )


class _Typist:
    """The typing simulation of one text, token by token (see the module doc)."""

    def __init__(self, model, ks: Sequence[int], ranking: str = "exact"):
        self.model = model
        self.ranking = ranking
        self.ks = list(ks)
        self.kmax = max(ks)
        self.space_in_token = model.tokenizer.space_in_token
        self.keystrokes = 0
        self.tokens = 0
        self.typed = {k: 0 for k in ks}
        self.accepted = {k: 0 for k in ks}

    def type_token(self, context: list[int], token: str, token_id: int, rank_before_typing: int) -> None:
        surface = len(token) + (0 if self.space_in_token else 1)
        self.tokens += 1
        self.keystrokes += surface
        last_j = surface - 2  # the last point where accepting still saves a keystroke
        accepted_at: dict[int, int] = {}
        if token_id != UNK and last_j >= 0:
            for k in self.ks:
                if rank_before_typing < k:
                    accepted_at[k] = 0
            pending = [k for k in self.ks if k not in accepted_at]
            if pending and last_j >= 1:
                probs = self.model.model.distribution(context)
                pt = probs[token_id]
                seen = None
                if self.ranking == "seen":
                    m = self.model.model
                    seen = m.seen_continuations(context, m.seen_level(context))[0]
                ut = 0 if seen is None else int(token_id not in seen)
                for j in range(1, last_j + 1):
                    # what predict(prefix=...) ranks: by (unseen for "seen" ranking), probability, id
                    typed = token[:j]
                    ids = self.model.vocab.with_prefix(typed, ignore_case=not any(c.isupper() for c in typed))
                    p = probs[ids]
                    unseen = np.zeros(len(ids), np.int8) if seen is None else ~np.isin(ids, seen)
                    ahead = (unseen < ut) | ((unseen == ut) & ((p > pt) | ((p == pt) & (ids < token_id))))
                    rank = int(np.count_nonzero(ahead))
                    for k in pending:
                        if rank < k:
                            accepted_at[k] = j
                    pending = [k for k in pending if k not in accepted_at]
                    if not pending:
                        break
        for k in self.ks:
            j = accepted_at.get(k)
            if j is None:
                self.typed[k] += surface
            else:
                self.typed[k] += j + 1
                self.accepted[k] += 1

    def results(self) -> dict[int, KeystrokeSavings]:
        return {
            k: KeystrokeSavings(k, self.keystrokes, self.typed[k], self.tokens, self.accepted[k]) for k in self.ks
        }


def _positive_ints(values: Iterable[int], name: str) -> list[int]:
    return sorted({check_int(v, f"each of {name}", 1, MAX_K) for v in values})
