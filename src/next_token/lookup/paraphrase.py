"""Paraphrase by substitution in context: the word vectors propose, the language model disposes.

For the word w at one position of a sentence S, the candidates are w's nearest neighbours by
cosine in the word vectors (words used in the same contexts: "storm" -> "tempest", "gale", but
also "violent"). Each candidate c is put in w's place and the new sentence scored by the model,
in one batched call for all candidates. Its fluency is log10 P(S with c) - log10 P(S), in two
parts: on the left, how well c follows the words before it (its own token's log-probability),
and on the right, how well the words after it follow c (the rest of the sentence). A candidate
is kept when neither part loses more than MAX_LOSS (a factor 10): "store" after "The general"
fits the left ("general store") and breaks the right ("store his men"); and when the bigrams the
original word made with its neighbours were seen in the corpus, the candidate's must have been
seen too ("strange noise" was, "strange loud" was not). The kept ones rank by

    score(c) = min(fluency, 0)  -  SIMILARITY_WEIGHT * (1 - cos(w, c))

the fluency lost, and the price of the change, higher the further the meaning drifts. A gain in
fluency earns nothing: it mostly means c is a more frequent word ("got" for "woke"), not a
better paraphrase.

A paraphrase substitutes one or two content words (not among the most frequent tokens, whose
substitutes change the grammar rather than the meaning), never by another form of the same word
("threads" for "thread", "playing" for "played"); a pair is scored again as a whole sentence (two
substitutes that each fit may not fit together), with the price of both changes.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from dataclasses import dataclass

import numpy as np

from ..arguments import check_int
from ..errors import InputError
from ..text.tokenizer import token_offsets
from ..text.vocab import BOS, EOS

SIMILARITY_WEIGHT = 3.0  # log10 units per unit of cosine: 0.1 of cosine ~ a factor 2 of probability
POOL = 30  # neighbours considered per word
MIN_SCORE = -2.0  # a paraphrase scoring lower is not offered (e.g. cosine 0.5 and a third of the probability)
MAX_LOSS = 1.0  # log10: a substitute may lose at most a factor 10 on its left, and on its right
FUNCTION_WORDS = 250  # the most frequent tokens (at most a tenth of the vocabulary) are not substituted
# English pronouns, which a corpus of manuals may use too rarely to rank among its most frequent
# tokens: swapping one ("She" -> "He") changes who the sentence is about, never how it is said.
PRONOUNS = frozenset(("i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "yourselves",
                      "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself",
                      "we", "us", "our", "ours", "ourselves", "they", "them", "their", "theirs", "themselves"))


@dataclass(frozen=True)
class Substitute:
    """A word for the one at `position`, the sentence it makes, and why it ranks where it does."""

    word: str
    text: str
    fluency: float  # log10 P(sentence with it) - log10 P(sentence as given)
    similarity: float  # cosine between the two words' vectors
    score: float  # min(fluency, 0) - SIMILARITY_WEIGHT * (1 - similarity)


@dataclass(frozen=True)
class Paraphrase:
    text: str
    score: float  # min(fluency, 0) - SIMILARITY_WEIGHT * sum of (1 - similarity)
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
    return [_substitute(sentence, tokens, position, c) for c in found.get(position, [])[:k]]


def paraphrase(lm, sentence: str, n: int = 3, per_word: int = 3) -> list[Paraphrase]:
    """Up to n fluent variants of `sentence` with one or two content words substituted, best
    first, none scoring under MIN_SCORE (an empty list when nothing is close and fluent enough:
    small corpora give poor vectors, and no paraphrase is better than a wrong one).

    Each word keeps its `per_word` best substitutes; the variants are those and every pair of
    them at two positions."""
    lm.require_vectors()
    tokens = sentence_tokens(lm, sentence)
    n = check_int(n, "n", 1, 50)
    found = _candidates(lm, tokens, _content_positions(lm, tokens))
    singles = [(p, c) for p in found for c in found[p][:per_word]]
    pairs = [[a, b] for a, b in itertools.combinations(singles, 2) if a[0] != b[0]]
    rows = [_variant(tokens, {p: c.word for p, c in pair}) for pair in pairs]
    totals = _sentence_logprobs(lm, [tokens] + rows).sum(axis=1) if rows else np.zeros(1)
    ranked = [(c.score, [(p, c)]) for p, c in singles]
    for pair, total in zip(pairs, totals[1:].tolist()):
        fluency = total - totals[0]
        if fluency >= -MAX_LOSS * 2:
            ranked.append((min(fluency, 0.0) - SIMILARITY_WEIGHT * sum(1 - c.similarity for _, c in pair), pair))
    ranked.sort(key=lambda r: -r[0])
    out, seen = [], set()
    for score, subs in ranked:
        if score < MIN_SCORE:
            break
        text = _rewrite(sentence, tokens, _variant(tokens, {p: c.word for p, c in subs}))
        if text not in seen:
            seen.add(text)
            out.append(Paraphrase(text, round(score, 4), tuple((tokens[p], c.word) for p, c in sorted(subs))))
        if len(out) == n:
            break
    return out


def _variant(tokens: list[str], subs: dict[int, str]) -> list[str]:
    """The tokens with the substitutions made, and an "a"/"an" before a substitute made to agree
    with it ("an intrepid", "a brave") where the sentence followed that rule already (so only
    English-like articles are touched)."""
    out = list(tokens)
    for p, word in subs.items():
        out[p] = word
        before = tokens[p - 1] if p else ""
        if before.lower() in ("a", "an") and _article(tokens[p]) == before.lower():
            out[p - 1] = _article(word) if before.islower() else _article(word).capitalize()
    return out


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _inflection(a: str, b: str) -> bool:
    """Whether two words look like forms of one word ("thread"/"threads", "played"/"playing"):
    a paraphrase should change the word, not its grammar."""
    a, b = a.lower(), b.lower()
    common = len(os.path.commonprefix([a, b]))
    return common >= 3 and common >= min(len(a), len(b)) - 2 and abs(len(a) - len(b)) <= 3


def _content_positions(lm, tokens: list[str]) -> list[int]:
    """Positions of words (letters only) that are neither among the most frequent tokens
    (function words: "the", "of", "she"), nor pronouns, nor unknown to the vectors. Frequency is the corpus's
    own count (the index's, else the spelling lexicon's); only a model with neither falls back
    on its unigram probabilities, which rank by contexts, not occurrences ("she" comes late)."""
    if lm.index is not None:
        counts = np.asarray(lm.index.unigram_counts, dtype=np.float64)
    elif lm.lexicon is not None:
        counts = np.asarray(lm.lexicon.counts, dtype=np.float64)
    else:
        counts = lm.model.probabilities([], np.arange(len(lm.vocab)))
    top = min(FUNCTION_WORDS, len(lm.vocab) // 10)
    cutoff = np.partition(counts, len(counts) - top)[len(counts) - top] if top else np.inf

    def frequency(t: str) -> float:  # "She" is as much a function word as "she"
        return max(counts[lm.vocab.id(t)], counts[lm.vocab.id(t.lower())])

    return [i for i, t in enumerate(tokens)
            if t.isalpha() and t.lower() not in PRONOUNS and frequency(t) < cutoff
            and lm.vectors.find_folded(t) is not None]


def _candidates(lm, tokens: list[str], positions: list[int]) -> dict[int, list[Substitute]]:
    """Per position: the neighbours that keep both sides of the sentence fluent, best first (their
    `text` is filled in by the caller)."""
    vectors = lm.require_vectors()
    rows, meta = [], []
    for p in positions:
        word = tokens[p]
        for nb in vectors.similar(word, POOL):  # raises UnknownWordError, an InputError
            cand = _same_case(nb.word, word, lm.vocab)
            if cand is None or cand.lower() == word.lower() or _inflection(cand, word):
                continue
            rows.append(_variant(tokens, {p: cand}))
            meta.append((p, cand, float(nb.score)))
    if not rows:
        return {}
    lp = _sentence_logprobs(lm, [tokens] + rows)
    bonds = _bonds_kept(lm, tokens, rows, [m[0] for m in meta])
    out: dict[int, list[Substitute]] = {}
    for (p, cand, sim), row, kept in zip(meta, lp[1:], bonds):
        left, right = row[p] - lp[0][p], row[p + 1:].sum() - lp[0][p + 1:].sum()
        if left < -MAX_LOSS or right < -MAX_LOSS or not kept:
            continue
        fluency = float(left + right + row[:p].sum() - lp[0][:p].sum())  # an article before it may change too
        score = min(fluency, 0.0) - SIMILARITY_WEIGHT * (1 - sim)
        out.setdefault(p, []).append(Substitute(cand, "", round(fluency, 4), round(sim, 4), round(score, 4)))
    for cands in out.values():
        cands.sort(key=lambda c: -c.score)
    return out


def _bonds_kept(lm, tokens: list[str], rows: list[list[str]], positions: list[int]) -> np.ndarray:
    """Per candidate row: whether it keeps the corpus-attested bigrams of the word it replaces.
    When the corpus has seen the original word after its left neighbour (or before its right
    one), the substitute must have been seen there too: the model's backoff scores an unseen
    "strange loud" or "cutaneous would" too kindly, and this is the cheap test that it is not a
    word of the same kind."""
    ngram = lm.model.ngram
    if ngram.order < 2:
        return np.ones(len(rows), dtype=bool)
    ids = np.array([[BOS] + [lm.vocab.id(t) for t in row] + [EOS] for row in [tokens] + rows], dtype=np.int64)
    at = np.asarray(positions) + 1  # positions in the padded rows
    rows_i = np.arange(1, len(ids))
    kept = np.ones(len(rows), dtype=bool)
    for a, b in ((at - 1, at), (at, at + 1)):  # the bigram on the left, then the one on the right
        was = ngram.lookup(2, ids[0, a], ids[0, b]) >= 0
        now = ngram.lookup(2, ids[rows_i, a], ids[rows_i, b]) >= 0
        kept &= now | ~was
    return kept


def _sentence_logprobs(lm, sentences: list[list[str]]) -> np.ndarray:
    """(sentences, tokens + 1) log10 probabilities of each token of each token list (all of the
    same length) as one sentence, its </s> last, in one batched call."""
    scores = lm._score_sentences(sentences)
    return scores.logprob.astype(np.float64).reshape(len(sentences), len(sentences[0]) + 1)


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


def _substitute(sentence, tokens, position, cand: Substitute) -> Substitute:
    return dataclasses.replace(cand, text=_rewrite(sentence, tokens, _variant(tokens, {position: cand.word})))


def _rewrite(sentence: str, tokens: list[str], new: list[str]) -> str:
    """`sentence` with its tokens replaced by `new` where they differ, the rest of the text as it was."""
    offsets = token_offsets(sentence, tokens)
    out, last = [], 0
    for p in range(len(tokens)):
        a = offsets[p]
        if new[p] == tokens[p] or a < 0:
            continue  # unchanged, or a token the tokenizer reshaped (not in the text as such)
        out += [sentence[last:a], new[p]]
        last = a + len(tokens[p])
    out.append(sentence[last:])
    return "".join(out)
