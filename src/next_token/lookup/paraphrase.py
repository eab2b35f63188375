"""Paraphrase by substitution in context: the word vectors propose, the language model disposes.

For the word w at one position of a sentence S, the candidates are w's nearest neighbours by
cosine in the word vectors (words used in the same contexts: "ghost" -> "phantom", "spirit",
but also "man"). Each candidate c is put in w's place and the sentence scored by the model:

    score(c) = [log10 P(S with c) - log10 P(S)]  +  SIMILARITY_WEIGHT * cos(w, c)

The first term is fluency in this very sentence (a substitute that does not fit its neighbours
loses orders of magnitude); the second keeps the meaning near w when fluency ties. All
candidate sentences are scored in one batched call of the model.

A paraphrase substitutes one or two content words (words that are not among the most frequent
tokens, whose substitutes change the grammar rather than the meaning), keeping the best
single substitutions and the best pairs of them, ranked by the sum of their scores.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..arguments import check_int
from ..errors import InputError
from ..text.tokenizer import token_offsets

SIMILARITY_WEIGHT = 3.0  # log10 units per unit of cosine: 0.1 of cosine ~ a factor 2 of fluency
POOL = 30  # neighbours considered per word
FUNCTION_WORDS = 100  # the most frequent tokens (at most a tenth of the vocabulary) are not substituted


@dataclass(frozen=True)
class Substitute:
    """A word for the one at `position`, the sentence it makes, and why it ranks where it does."""

    word: str
    text: str
    fluency: float  # log10 P(sentence with it) - log10 P(sentence as given)
    similarity: float  # cosine between the two words' vectors
    score: float  # fluency + SIMILARITY_WEIGHT * similarity


@dataclass(frozen=True)
class Paraphrase:
    text: str
    score: float  # the sum of its substitutions' scores
    changes: tuple[tuple[str, str], ...]  # (original word, substitute), left to right


def sentence_tokens(lm, sentence: str) -> list[str]:
    """The tokens of a one-sentence text, refusing what paraphrase cannot work on."""
    if not isinstance(sentence, str):
        raise InputError(f"the sentence must be a string, got {type(sentence).__name__}")
    if lm.tokenizer.space_in_token:
        raise InputError(f"substitution needs a word model, not tokenizer {lm.tokenizer.name!r}")
    tokens = lm.tokenizer.tokenize(sentence)
    if not tokens:
        raise InputError("the sentence is empty: give a sentence to paraphrase")
    if len(tokens) > 200:
        raise InputError("the sentence has more than 200 tokens: give one sentence")
    return tokens


def substitutes(lm, sentence: str, position: int | str, k: int = 5) -> list[Substitute]:
    """The k best substitutes for the token at `position` (a token number, or a word of the
    sentence: its first occurrence), best first."""
    lm.require_vectors()
    tokens = sentence_tokens(lm, sentence)
    k = check_int(k, "k", 1, 100)
    if isinstance(position, str):
        if position not in tokens:
            raise InputError(f"{position!r} is not a word of the sentence (its words: {' '.join(tokens[:12])})")
        position = tokens.index(position)
    position = check_int(position, "position", 0, len(tokens) - 1)
    found = _candidates(lm, tokens, [position])
    return [_substitute(lm, sentence, tokens, position, c) for c in found.get(position, [])[:k]]


def paraphrase(lm, sentence: str, n: int = 3, per_word: int = 3) -> list[Paraphrase]:
    """Up to n fluent variants of `sentence` with one or two content words substituted, best
    first (an empty list when no word has a substitute the model finds fluent enough)."""
    lm.require_vectors()
    tokens = sentence_tokens(lm, sentence)
    n = check_int(n, "n", 1, 50)
    content = _content_positions(lm, tokens)
    found = _candidates(lm, tokens, content)
    singles = [(p, c) for p in found for c in found[p][:per_word] if c[3] > -1.0]
    options = [[s] for s in singles]
    options += [[a, b] for a, b in itertools.combinations(singles, 2) if a[0] != b[0]]
    ranked = sorted(options, key=lambda opt: -sum(c[3] for _, c in opt))
    out, seen = [], set()
    for opt in ranked:
        opt = sorted(opt, key=lambda s: s[0])
        text = _rewrite(sentence, tokens, {p: c[0] for p, c in opt})
        if text not in seen:
            seen.add(text)
            out.append(Paraphrase(text, round(sum(c[3] for _, c in opt), 4), tuple((tokens[p], c[0]) for p, c in opt)))
        if len(out) == n:
            break
    return out


def _content_positions(lm, tokens: list[str]) -> list[int]:
    """Positions of words (letters only) that are neither among the most frequent tokens
    (function words: "the", "of", "was") nor unknown to the vectors."""
    unigram = lm.model.probabilities([], np.arange(len(lm.vocab)))
    top = min(FUNCTION_WORDS, len(lm.vocab) // 10)
    cutoff = np.partition(unigram, len(unigram) - top)[len(unigram) - top] if top else np.inf
    return [i for i, t in enumerate(tokens)
            if t.isalpha() and unigram[lm.vocab.id(t)] < cutoff and lm.vectors.find_folded(t) is not None]


def _candidates(lm, tokens: list[str], positions: list[int]) -> dict[int, list[tuple]]:
    """Per position: (word, fluency, similarity, score) of its neighbours, best first."""
    vectors = lm.require_vectors()
    rows, meta = [], []
    for p in positions:
        word = tokens[p]
        for nb in vectors.similar(word, POOL):  # raises UnknownWordError, an InputError
            cand = _same_case(nb.word, word, lm.vocab)
            if cand is None or cand.lower() == word.lower():
                continue
            rows.append(tokens[:p] + [cand] + tokens[p + 1:])
            meta.append((p, cand, float(nb.score)))
    if not rows:
        return {}
    totals = _sentence_logprobs(lm, [tokens] + rows)
    out: dict[int, list[tuple]] = {}
    for (p, cand, sim), total in zip(meta, totals[1:].tolist()):
        fluency = total - float(totals[0])
        out.setdefault(p, []).append((cand, round(fluency, 4), round(sim, 4), round(fluency + SIMILARITY_WEIGHT * sim, 4)))
    for cands in out.values():
        cands.sort(key=lambda c: -c[3])
    return out


def _sentence_logprobs(lm, sentences: list[list[str]]) -> np.ndarray:
    """log10 P of each token list as one sentence (with its </s>), in one batched call."""
    scores = lm._score_sentences(sentences)
    lengths = np.array([len(s) + 1 for s in sentences])
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return np.add.reduceat(scores.logprob.astype(np.float64), starts)


def _same_case(candidate: str, original: str, vocab) -> str | None:
    """The candidate spelled in the original's case (Capitalized for Capitalized), if the
    vocabulary knows that spelling; None for candidates that are not words."""
    if not candidate.isalpha():
        return None
    if original[:1].isupper() and not original.isupper():
        candidate = candidate[:1].upper() + candidate[1:]
    elif original.islower():
        candidate = candidate.lower()
    return candidate if vocab.id(candidate) > 2 else None


def _substitute(lm, sentence, tokens, position, cand) -> Substitute:
    word, fluency, similarity, score = cand
    return Substitute(word, _rewrite(sentence, tokens, {position: word}), fluency, similarity, score)


def _rewrite(sentence: str, tokens: list[str], changes: dict[int, str]) -> str:
    """`sentence` with the tokens at the given positions replaced, the rest of the text as it was."""
    offsets = token_offsets(sentence, tokens)
    out, last = [], 0
    for p in sorted(changes):
        a = offsets[p]
        if a < 0:
            continue  # a token the tokenizer reshaped: not found in the text as such
        out += [sentence[last:a], changes[p]]
        last = a + len(tokens[p])
    out.append(sentence[last:])
    return "".join(out)
