"""The noisy-channel corrector: for each word w typed as t, choose

    w* = argmax_w  lambda * log10 P(t | w)  +  log10 P(window | w)

where P(t | w) is the error model (error_model.py) and P(window | w) the language model's
probability of the N tokens from w on, each given its N-1 predecessors, with w in place: every
n-gram that w touches on its left and on its right, and nothing else, since the rest of the
sentence scores the same whatever w is. The typed word competes as well ("keep"): as itself when
the vocabulary knows it (then P(t | t) = (1 - error rate) ** len(t)), or as an unknown word (the
model's <unk>). A prior on keeping, tuned on held-out training text, says how sure the evidence
must be before a word is changed: breaking correct text costs more than missing a typo.

The model's <unk> stands for every unknown word at once, so an unknown word kept as typed also
pays for its spelling, as a new word would (all in log10):

    keep(t unknown) = log10 P(window | <unk>) + keep_unknown + spelling_weight * log10 P_char(t)
                      [+ keep_inflection if t is another form of a known word]
                      [+ keep_dictionary if an English dictionary lists t (dictionary.py)]
                      [+ keep_name if t is Capitalized inside a sentence, here or elsewhere in the text]

where P_char is a character n-gram model of the lexicon's spellings (char_model.py): "objectless"
spells like English, "lrke" does not. That one term separates most rare-but-right words from
typos (on the books, AUC 0.89 between the two).

Candidates are the lexicon's words within edit distance 2 of the typed one (1 for words the
vocabulary already knows, whose errors would be real-word errors like "form" for "from"), plus
the error model's whole-word confusions of a known word ("their" for "there"). Before
the language model is asked, a cheap prior (channel + unigram frequency) keeps the few candidates
that could win, and every kept candidate of every word of the text is then scored in ONE batched
call of the model over (candidate, window-row) pairs.

Words that are not plain words (numbers, code, mixed case, all capitals) are never touched;
unknown Capitalized words inside a sentence (names) need overwhelming evidence. Decisions are made
for all words at once, then a second pass re-decides the words next to a change, now judged
with the corrected neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError
from ..text.tokenizer import token_offsets
from .deletes import expand_ranges
from .dictionary import english_words
from .distance import osa_distance
from .error_model import ErrorModel
from .judge import BOS, EOS, UNK, Judge
from .lexicon import Lexicon, is_word_like

MAX_TEXT = 10_000_000  # characters; a caller with more should stream it in pieces
MAX_CACHED_FORMS = 500_000  # distinct word forms remembered between calls (then forgotten)


@dataclass(frozen=True)
class Settings:
    """The corrector's knobs (log10 units). Tuned on a dev split of the books' training text
    (bench/bench_spelling.py --tune, never on test sentences), then kept on the cautious side
    where a model reads text of another domain: the books' own optimum (keep_unknown 5,
    keep_known 1) breaks about 1.8% of a novel's words with the built-in model, these 0.9%."""

    max_distance_known: int = 1  # candidates for a word the vocabulary knows (real-word errors)
    max_distance_unknown: int = 2  # candidates for an unknown word
    short_word: int = 2  # words shorter than this get at most distance 1
    max_candidates: int = 12  # per word, best by channel + unigram prior, before the model
    min_count: int = 1  # a candidate must have been seen this often in training
    channel_weight: float = 0.9  # lambda: the error model's weight against the language model
    keep_known: float = 0.5  # prior for leaving a known word as typed
    keep_unknown: float = 6.0  # prior for leaving an unknown word (scored as <unk>), plus:
    spelling_weight: float = 1.1  # times log10 P(its spelling) (char_model.py)
    length_weight: float = 0.0  # times its length: long unknown words are more often real
    keep_inflection: float = 2.0  # extra prior for an unknown form of a known word (inflection.py)
    keep_dictionary: float = 3.0  # extra prior for an unknown word an English dictionary lists
    keep_name: float = 4.0  # extra prior for an unknown Capitalized word the text has inside a sentence
    max_gain: float = 6.0  # a known word's candidate needs no more than this from context
    passes: int = 2  # decision passes; later ones see the corrected neighbours

    def __post_init__(self):
        for name in ("max_distance_known", "max_distance_unknown"):
            if getattr(self, name) not in (0, 1, 2):
                raise InputError(f"{name} must be 0, 1 or 2")
        if self.max_candidates < 1 or self.passes < 1:
            raise InputError("max_candidates and passes must be at least 1")


@dataclass(frozen=True)
class Edit:
    """One change: `original` at [start, end) (characters of the text, or token numbers for
    token input) becomes `replacement`; `confidence` is its posterior probability among the
    candidates of that word (the typed word included)."""

    start: int
    end: int
    original: str
    replacement: str
    confidence: float


@dataclass(frozen=True)
class Correction:
    text: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Suggestion:
    word: str
    probability: float
    distance: int


@dataclass
class _Form:
    """What the corrector knows about one surface form, whatever its position (cached)."""

    typed_id: int
    eligible: bool
    title: bool
    ids: np.ndarray  # candidate vocabulary ids (the word the model scores)
    words: list  # candidate surface forms, in the typed word's case
    channel: np.ndarray  # lambda * log10 P(typed | candidate)
    distance: np.ndarray
    keep: float  # prior + channel of keeping the typed form


class Corrector:
    """Context-aware spelling correction with a language model as the judge."""

    def __init__(self, lm, lexicon: Lexicon | None = None, error_model: ErrorModel | None = None,
                 settings: Settings | None = None, counts=None):
        self.judge = lm if isinstance(lm, Judge) else Judge(lm)
        self.lexicon = lexicon if lexicon is not None else Lexicon.from_judge(self.judge, counts)
        self.error_model = error_model if error_model is not None else ErrorModel.default()
        self.settings = settings or Settings()
        self._forms: dict[str, _Form] = {}
        self._costs = self.error_model.costs()

    # ------------------------------------------------------------------ public

    def correct(self, text: str, open_end: bool = False) -> Correction:
        """The corrected text and its edits (character offsets into `text`). With `open_end`, the
        text is still being written: its last sentence is not scored as ending where the text
        ends (an autocorrector judging the word just typed must not expect a full stop after it)."""
        if not isinstance(text, str):
            raise InputError(f"the text must be a string, got {type(text).__name__}")
        if len(text) > MAX_TEXT:
            raise InputError(f"the text is longer than {MAX_TEXT} characters: correct it in pieces")
        sents = self.judge.sentences(text)
        flat = [t for s in sents for t in s]
        offsets = token_offsets(text, flat)
        changes = self._correct_tokens(sents, open_end)
        out, edits, last = [], [], 0
        for j, new, conf in changes:
            a = offsets[j]
            if a < 0:
                continue  # a token the tokenizer reshaped: leave the text alone there
            b = a + len(flat[j])
            out.append(text[last:a])
            out.append(new)
            last = b
            edits.append(Edit(a, b, flat[j], new, conf))
        out.append(text[last:])
        return Correction("".join(out), tuple(edits))

    def correct_sentences(self, sentences: Sequence[Sequence[str]]) -> tuple[list[list[str]], list[Edit]]:
        """Token lists in, corrected token lists out; edits count tokens (start = token number
        in the whole input, end = start + 1)."""
        sents = [list(s) for s in sentences]
        for s in sents:
            for t in s:
                if not isinstance(t, str) or not t:
                    raise InputError("tokens must be non-empty strings")
        changes = self._correct_tokens(sents)
        flat = [t for s in sents for t in s]
        edits = [Edit(j, j + 1, flat[j], new, conf) for j, new, conf in changes]
        for j, new, _ in changes:
            flat[j] = new
        out, k = [], 0
        for s in sents:
            out.append(flat[k : k + len(s)])
            k += len(s)
        return out, edits

    def suggest(self, word: str, context: str = "", k: int = 5, right_context: str = "") -> list[Suggestion]:
        """The k likeliest intended words for `word` typed after `context` (and before
        `right_context`), with their posterior probabilities; the word itself is among them
        when the vocabulary knows it."""
        if not isinstance(word, str) or not isinstance(context, str) or not isinstance(right_context, str):
            raise InputError("word, context and right_context must be strings")
        if not word.strip():
            raise InputError("the word is empty: give a word to suggest corrections for")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0 or k > 1000:
            raise InputError(f"k must be a positive integer up to 1000, got {k!r}")
        word = word.strip()
        left = self.judge.sentences(context)
        left = left[-1] if left else []
        right = self.judge.sentences(right_context)
        right = right[0] if right else []
        wide = Settings(**{**self.settings.__dict__, "max_distance_known": 2,
                           "max_candidates": max(int(k) * 3, 24), "max_gain": 99.0})
        form = self._analyze([word], wide)[word]
        ids = np.concatenate([[form.typed_id], form.ids])
        words = [word] + list(form.words)
        dist = np.concatenate([[0], form.distance])
        base = np.concatenate([[form.keep], form.channel])
        S = self.judge.encode([left + [word] + right])
        g = np.full(len(ids), len(left) + 1)
        lm = self._window_scores(S, np.full(len(ids), len(S) - 1), g, ids)
        score = base + lm
        if form.typed_id == UNK and len(ids) > 1:
            score, words, dist = score[1:], words[1:], dist[1:]  # an unknown word is not a suggestion
        p = 10.0 ** (score - score.max())
        p /= p.sum()
        order = np.lexsort((np.arange(len(p)), -p))[: int(k)]
        return [Suggestion(words[i], float(p[i]), int(dist[i])) for i in order.tolist()]

    def segment(self, text: str, **options):
        """Split run-together text into words (segment.segment with this corrector's model)."""
        from .segment import segment

        return segment(self.judge, text, **options)

    def complete(self, prefix: str, context: str = "", k: int = 10, max_distance: int | None = None):
        """Words starting like `prefix`, typos allowed, ranked in context (prefix.py)."""
        from .prefix import complete_prefix

        return complete_prefix(self.judge, self.lexicon, prefix, context, k, max_distance)

    # ------------------------------------------------------------------ candidates per form

    def _analyze(self, forms: Sequence[str], settings: Settings | None = None) -> dict[str, _Form]:
        """Candidates, channel scores and keep prior of each distinct form (batched; cached)."""
        s = settings or self.settings
        if settings is None and len(self._forms) > MAX_CACHED_FORMS:
            self._forms = {}  # a long-running server must not grow without bound
        cache = self._forms if settings is None else {}
        new = [f for f in dict.fromkeys(forms) if f not in cache]
        if new:
            self._build_forms(new, s, cache)
        return cache if settings is None else {f: cache[f] for f in forms}

    def _build_forms(self, new, s: Settings, cache):
        judge, lex, em = self.judge, self.lexicon, self.error_model
        queries, owners, dmax = [], [], []
        for f in new:
            tid = judge.id(f)
            shape = _shape(f)
            ok = shape in ("lower", "title") and is_word_like(f)
            d = s.max_distance_known if tid != UNK else s.max_distance_unknown
            if len(f) < s.short_word:
                d = min(d, 1)
            confusable = tid != UNK and f.lower() in em.confusions
            if ok and (d > 0 or confusable):
                queries.append(f.lower())
                owners.append(f)
                dmax.append(d)
            keep = s.channel_weight * float(em.keep(len(f))) + s.keep_known if tid != UNK else s.keep_unknown
            cache[f] = _Form(tid, ok, shape == "title", _EMPTY_I, [], _EMPTY_F, _EMPTY_I, keep)
        # An unknown word is likelier right when it spells like a word, is long, or is another
        # form of a known word.
        unknown = [f for f in new if cache[f].typed_id == UNK and cache[f].eligible]
        if unknown:
            low = [f.lower() for f in unknown]
            lengths = np.fromiter((len(f) for f in unknown), dtype=np.float64, count=len(unknown))
            extra = s.spelling_weight * lex.chars.logprob(low) + s.length_weight * lengths
            if s.keep_inflection:
                extra += s.keep_inflection * lex.inflections.related(low, lex.contains)
            if s.keep_dictionary:
                words = english_words()
                extra += s.keep_dictionary * np.fromiter((w in words for w in low), dtype=bool, count=len(low))
            for f, e in zip(unknown, extra.tolist()):
                cache[f].keep += e
        if not queries:
            return
        q, key, dist, cost = lex.index.lookup_many(queries, np.array(dmax), self._costs)
        channel = s.channel_weight * em.channel(cost, dist, lex.index.lengths(key))
        q, key, dist, channel = self._add_confusions(owners, cache, q, key, dist, channel, s)
        keep_rows = dist > 0  # distance 0 is the typed word itself, or only a change of case
        key_count = np.asarray(lex.key_count)[key]
        keep_rows &= key_count >= s.min_count
        q, key, dist, channel, key_count = (a[keep_rows] for a in (q, key, dist, channel, key_count))
        title = np.array([o[:1].isupper() for o in owners], dtype=bool)[q]
        kl, kt, kb = (np.asarray(a)[key] for a in (lex.key_lower, lex.key_title, lex.key_best))
        vid = np.where(kl >= 0, kl, kb)
        vid = np.where(title & (kt >= 0), kt, vid)
        prior = channel + np.log10((key_count + 0.5) / lex.total)
        # A known word's candidate must be able to win with at most `max_gain` from context.
        tids = np.array([cache[o].typed_id for o in owners], dtype=np.int64)
        known_prior = np.array([cache[o].keep for o in owners]) + lex.log_prior(tids)
        reachable = (tids[q] == UNK) | (prior + s.max_gain >= known_prior[q])
        q, key, dist, channel, vid, prior = (a[reachable] for a in (q, key, dist, channel, vid, prior))
        order = np.lexsort((-prior, q))
        q, key, dist, channel, vid = q[order], key[order], dist[order], channel[order], vid[order]
        bounds = np.searchsorted(q, np.arange(len(queries) + 1))
        for n, f in enumerate(owners):
            a, b = int(bounds[n]), int(bounds[n + 1])
            b = min(b, a + s.max_candidates)
            if a == b:
                continue
            form = cache[f]
            # The typed word's case decides the output's: correcting never changes case.
            words = [lex.key(int(k)) for k in key[a:b].tolist()]
            if form.title:
                words = [_title(w) for w in words]
            # "Don't" and "Don’t" are one word in two typographic styles, not a misspelling.
            same = _straight(f)
            ok = np.array([_straight(w) != same for w in words], dtype=bool)
            form.ids, form.words = vid[a:b][ok], [w for w, k in zip(words, ok) if k]
            form.channel, form.distance = channel[a:b][ok], dist[a:b][ok]

    def _add_confusions(self, owners, cache, q, key, dist, channel, s: Settings):
        """Add the error model's whole-word confusions of known words ("their" -> "there") as
        candidates; where one is also an edit candidate, the likelier channel counts."""
        em, lex = self.error_model, self.lexicon
        rows, words, logp = [], [], []
        for n, f in enumerate(owners):
            if cache[f].typed_id != UNK:
                for other, lp in em.confusions.get(f.lower(), {}).items():
                    rows.append(n)
                    words.append(other)
                    logp.append(lp)
        if not words:
            return q, key, dist, channel
        found, ckey, _, _ = lex.index.lookup_many(words, 0)
        if len(found) == 0:
            return q, key, dist, channel
        cq = np.asarray(rows, dtype=np.int64)[found]
        pairs = zip(cq.tolist(), found.tolist())
        cdist = np.array([osa_distance(owners[a].lower(), words[i]) for a, i in pairs], dtype=np.int64)
        cchan = s.channel_weight * np.asarray(logp)[found]
        q, key = np.concatenate([q, cq]), np.concatenate([key, ckey])
        dist, channel = np.concatenate([dist, cdist]), np.concatenate([channel, cchan])
        order = np.lexsort((-channel, key, q))
        q, key, dist, channel = q[order], key[order], dist[order], channel[order]
        first = np.append(True, (q[1:] != q[:-1]) | (key[1:] != key[:-1]))
        return q[first], key[first], dist[first], channel[first]

    # ------------------------------------------------------------------ decisions

    def _correct_tokens(self, sents: list[list[str]], open_end: bool = False) -> list[tuple[int, str, float]]:
        """(flat token number, replacement, confidence) of every change, in order. With
        `open_end`, the last sentence's </s> is not scored."""
        if not sents:
            return []
        s = self.settings
        flat = [t for x in sents for t in x]
        forms = self._analyze(flat)
        lens = np.fromiter((len(x) for x in sents), dtype=np.int64, count=len(sents))
        sent_of = np.repeat(np.arange(len(sents)), lens)
        first_tok = np.cumsum(lens) - lens
        stream_pos = np.arange(len(flat)) + 2 * sent_of + 1  # <s> and </s> around each sentence
        S = self.judge.encode(sents)
        sent_end = (np.cumsum(lens + 2) - 1)[sent_of]  # where each token's </s> is
        if open_end:
            sent_end[sent_of == len(sents) - 1] -= 1  # windows stop before the last </s>
        # Tokens with candidates, and each one's form data.
        cand_tok = np.array([j for j, t in enumerate(flat) if len(forms[t].ids)], dtype=np.int64)
        if len(cand_tok) == 0:
            return []
        uniq = list(dict.fromkeys(flat[j] for j in cand_tok.tolist()))
        fid = {f: i for i, f in enumerate(uniq)}
        tok_form = np.array([fid[flat[j]] for j in cand_tok.tolist()], dtype=np.int64)
        table_ids, table_base, table_start, table_n = [], [], [], []
        at = 0
        for f in uniq:
            fm = forms[f]
            table_ids.append(np.concatenate([[fm.typed_id], fm.ids]))
            table_base.append(np.concatenate([[fm.keep], fm.channel]))
            table_start.append(at)
            table_n.append(len(fm.ids) + 1)
            at += len(fm.ids) + 1
        t_ids = np.concatenate(table_ids).astype(np.int64)
        t_base = np.concatenate(table_base)
        t_start = np.array(table_start, dtype=np.int64)
        t_n = np.array(table_n, dtype=np.int64)
        # Names: an unknown Capitalized word that does not start its sentence, or that the text
        # also has inside a sentence ("Corvo" opening one sentence and ending another).
        starts = np.zeros(len(flat), dtype=bool)
        starts[first_tok] = True
        inside = {t for t, first in zip(flat, starts.tolist()) if not first and forms[t].title}
        name = np.array([forms[flat[j]].title and forms[flat[j]].typed_id == UNK
                         and (not starts[j] or flat[j] in inside) for j in cand_tok.tolist()], dtype=bool)
        keep_bonus = np.where(name, s.keep_name, 0.0)

        current = S.copy()
        chosen = np.zeros(len(cand_tok), dtype=np.int64)  # hypothesis number (0 = keep)
        conf = np.ones(len(cand_tok))
        todo = np.arange(len(cand_tok))
        N = self.judge.order
        for _ in range(s.passes):
            if len(todo) == 0:
                break
            h, owner = expand_ranges(t_start[tok_form[todo]], t_start[tok_form[todo]] + t_n[tok_form[todo]])
            g = stream_pos[cand_tok[todo]][owner]
            ids = t_ids[h]
            base = t_base[h].copy()
            is_keep = h == t_start[tok_form[todo]][owner]
            base[is_keep] += keep_bonus[todo][owner[is_keep]]
            total = base + self._window_scores(current, sent_end[cand_tok[todo]][owner], g, ids)
            starts = np.flatnonzero(np.append(True, owner[1:] != owner[:-1]))
            best = np.maximum.reduceat(total, starts)
            post = 10.0 ** (total - best[owner])
            z = np.add.reduceat(post, starts)
            # The first hypothesis reaching the maximum (keep comes first, so ties keep).
            is_best = total >= best[owner]
            first_best = np.minimum.reduceat(np.where(is_best, np.arange(len(total)), len(total)), starts)
            new_choice = first_best - starts
            before = chosen[todo].copy()
            chosen[todo] = new_choice
            conf[todo] = post[first_best] / z
            # Apply, and re-decide next pass the words whose window saw a change.
            pos_todo = stream_pos[cand_tok[todo]]
            current[pos_todo] = ids[first_best]
            changed = pos_todo[new_choice != before]
            if len(changed) == 0:
                break
            near = np.zeros(len(S) + 2 * N, dtype=bool)
            for o in range(-(N - 1), N):
                near[np.clip(changed + o, 0, len(near) - 1)] = True
            todo = np.flatnonzero(near[stream_pos[cand_tok]])
        out = []
        for n in np.flatnonzero(chosen > 0).tolist():
            j = int(cand_tok[n])
            fm = forms[flat[j]]
            out.append((j, fm.words[int(chosen[n]) - 1], float(conf[n])))
        return out

    def _window_scores(self, S: np.ndarray, end: np.ndarray, g: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """log10 P(window) for each hypothesis (id `ids[h]` at stream position `g[h]`): the sum
        of the log-probabilities of the N tokens from g on (up to the sentence's </s>, whose
        position is `end[h]`), each given its N-1 predecessors, in one model call."""
        N = self.judge.order
        H = len(g)
        if H == 0:
            return np.zeros(0)
        SP = np.concatenate([np.full(N - 1, BOS, dtype=np.int64), S, np.full(N, EOS, dtype=np.int64)])
        o = np.arange(N)
        targets = g[:, None] + o[None, :]
        hh, oo = np.nonzero(targets <= end[:, None])
        t = targets[hh, oo]
        rows = SP[t[:, None] + o[None, :]]  # SP[t + N - 1] is S[t]: columns are S[t-N+1 .. t]
        rows[np.arange(len(t)), N - 1 - oo] = ids[hh]
        lp = self.judge.window_logprob(rows)
        return np.bincount(hh, weights=lp, minlength=H)


_EMPTY_I = np.zeros(0, dtype=np.int64)
_EMPTY_F = np.zeros(0)


def _shape(word: str) -> str:
    """lower, title (Capitalized), upper, or mixed (iPhone, McDonald: left alone)."""
    if word.islower():
        return "lower"
    if word[:1].isupper() and (len(word) == 1 or word[1:].islower()):
        return "title"
    if word.isupper():
        return "upper"
    return "mixed"


def _straight(word: str) -> str:
    return word.replace("\u2019", "'").lower()


def _title(word: str) -> str:
    return word[:1].upper() + word[1:]
