"""Whitespace-tokenized lines to an id stream, in numpy: the fast path of scoring large texts.

`encode_lines(text, hashed(vocab))` gives exactly the stream of
`vocab.encode_sentences(WhitespaceTokenizer().sentences(text))`: one sentence per line that holds
a token, tokens cut at whitespace, `<s>` and `</s>` around each sentence, unknown tokens as
`<unk>`. It gets there without a Python string per token:

1. The text becomes its code points (one `encode("utf-32-le")`), and two small tables say which
   code points are whitespace (`str.split`'s set) and which end a line (`str.splitlines`'s set),
   so both rules are Python's own, not an approximation.
2. Each token (a run of non-space code points) is hashed with a polynomial hash mod 2^64,

       H(t) = sum_i c_i * P^i   over the token's code points c_0 .. c_{L-1},

   taken for all tokens at once from one running sum over the text: with S the prefix sums of
   c_j * P^j, a token spanning [a, b) has H = (S[b] - S[a]) * P^-a (P is odd, so P^-a exists
   mod 2^64 and numpy's wrapping uint64 arithmetic is exactly arithmetic mod 2^64). The length
   is folded in and the bits mixed (the splitmix64 finalizer), so the buckets below are even.
3. The vocabulary is hashed the same way once, sorted by hash, and given a directory over the
   top bits of the hash: a lookup reads the directory, then one or two neighbouring slots.
4. A hash match is checked code point by code point against the vocabulary's token, so two
   strings that share a hash can never be mistaken for one another: a token either is the
   vocabulary's token, or is `<unk>`. (A vocabulary with two tokens of one hash, odds about
   V^2 / 2^65, is not hashed at all: the caller keeps the dict path.)

Every step is a numpy call over whole arrays, so threads scoring parts of a text run in parallel
(the GIL is released inside them), which a loop of dict lookups cannot do.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from .vocab import BOS, EOS, UNK, Vocabulary, _MappedTokens

_P = 0x9E3779B97F4A7C15  # odd: invertible mod 2^64
_P_INV = pow(_P, -1, 1 << 64)
_TABLE = 0x3001  # code points from here up are neither whitespace nor line breaks
_BLOCK_BITS = 16
_BLOCK = 1 << _BLOCK_BITS  # powers of P are tabled per block: 4 tables of 2^16, not one per position

_lock = threading.Lock()
_powers: list[np.ndarray] = []
_tables: list[np.ndarray] = []
_hashed: "weakref.WeakKeyDictionary[Vocabulary, HashedVocabulary | None]" = weakref.WeakKeyDictionary()


def _char_tables() -> tuple[np.ndarray, np.ndarray]:
    """is_space[c] and is_break[c] for c < _TABLE (the last entry stands for every c above)."""
    with _lock:
        if not _tables:
            space = np.array([chr(c).isspace() for c in range(_TABLE)] + [False])
            brk = np.array([len(f"a{chr(c)}a".splitlines()) == 2 for c in range(_TABLE)] + [False])
            _tables.extend((space, brk))
    return _tables[0], _tables[1]


def _power_tables() -> tuple[np.ndarray, ...]:
    """P^i, P^(i * BLOCK), P^-i and P^-(i * BLOCK) mod 2^64 for i < BLOCK (running products, which
    wrap mod 2^64 in uint64): P^k for any k < 2^32 is one entry of each kind multiplied."""
    with _lock:
        if not _powers:
            for base in (_P, pow(_P, _BLOCK, 1 << 64), _P_INV, pow(_P_INV, _BLOCK, 1 << 64)):
                steps = np.full(_BLOCK, base, dtype=np.uint64)
                steps[0] = 1
                _powers.append(np.multiply.accumulate(steps, dtype=np.uint64))
    return tuple(_powers)


def _mix(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer, in place: every input bit moves every output bit."""
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def hash_runs(cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The hash of each run cp[starts[i]:ends[i]] of code points (see the module docstring)."""
    low, high, inv_low, inv_high = _power_tables()
    blocks = -(-len(cp) // _BLOCK)
    if blocks > _BLOCK:
        raise ValueError(f"at most {_BLOCK ** 2:,} code points are hashed at once")
    prefix = np.zeros(blocks * _BLOCK + 1, dtype=np.uint64)
    terms = prefix[1:].reshape(blocks, _BLOCK)  # row r, column c: position r * BLOCK + c
    prefix[1 : len(cp) + 1] = cp
    terms *= low  # c_j * P^j, as P^c * P^(r * BLOCK)
    terms *= high[:blocks, None]
    np.cumsum(prefix, out=prefix)
    h = prefix[ends] - prefix[starts]
    h *= inv_low[starts & (_BLOCK - 1)]
    h *= inv_high[starts >> _BLOCK_BITS]
    h ^= (ends - starts).astype(np.uint64) << np.uint64(40)
    return _mix(h)


class HashedVocabulary:
    """A vocabulary's tokens as code points, and a hash table over them (see the module docstring)."""

    def __init__(self, cp: np.ndarray, starts: np.ndarray, ends: np.ndarray):
        self.cp, self.starts, self.lengths = cp, starts, ends - starts
        h = hash_runs(cp, starts, ends)
        self.ids = np.argsort(h).astype(np.int64)
        self.hashes = h[self.ids]
        self.unique = bool(len(h) < 2 or (self.hashes[1:] != self.hashes[:-1]).all())
        # directory[b]: where the hashes with top bits b begin, with about two buckets per token,
        # so a bucket holds under one token on average; each lookup starts there
        bits = min(max(len(h).bit_length() + 1, 8), 28)
        self.shift = np.uint64(64 - bits)
        self.directory = np.searchsorted(self.hashes >> self.shift, np.arange((1 << bits) + 1)).astype(np.int64)

    @classmethod
    def of(cls, vocab: Vocabulary) -> "HashedVocabulary":
        tokens = vocab.tokens
        if isinstance(tokens, _MappedTokens):  # decode the blob once; count code points per token
            blob = np.frombuffer(tokens._blob, dtype=np.uint8)
            byte_ends = np.frombuffer(tokens._ends, dtype=np.int64)
            leads = np.concatenate(([0], np.cumsum((blob & 0xC0) != 0x80)))  # UTF-8 lead bytes
            ends = leads[byte_ends]
            text = blob.tobytes().decode("utf-8")
        else:
            ends = np.cumsum(np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens)))
            text = "".join(tokens)
        cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        return cls(cp, np.concatenate(([0], ends[:-1])).astype(np.int64), ends.astype(np.int64))

    def find(self, cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The id of each run cp[starts[i]:ends[i]], or UNK where the vocabulary lacks it."""
        h = hash_runs(cp, starts, ends)
        slot = self.directory[h >> self.shift]
        stop = self.directory[(h >> self.shift) + np.uint64(1)]
        ids = np.full(len(h), UNK, dtype=np.int64)
        todo = np.flatnonzero(slot < stop)
        while len(todo):  # the slots of each bucket, one at a time (rarely more than two)
            at = slot[todo]
            hit = self.hashes[at] == h[todo]
            ids[todo[hit]] = self.ids[at[hit]]
            slot[todo] += 1
            todo = todo[~hit & (slot[todo] < stop[todo])]
        # The check: same length, then every code point equal (positions built with two repeats;
        # the few tokens that differ are found from their positions afterwards).
        found = np.flatnonzero(ids != UNK)
        length = ends[found] - starts[found]
        same = self.lengths[ids[found]] == length
        ids[found[~same]] = UNK
        found, length = found[same], length[same]
        total = int(length.sum())
        if total:
            before = np.cumsum(length) - length  # where each token's code points begin in the check
            at = np.repeat(starts[found] - before, length) + np.arange(total)  # in the text
            shift = np.repeat(self.starts[ids[found]] - starts[found], length)  # text -> vocabulary
            differ = np.flatnonzero(cp[at] != self.cp[at + shift])
            if len(differ):
                ids[found[np.searchsorted(before, differ, side="right") - 1]] = UNK
        return ids


def hashed(vocab: Vocabulary) -> HashedVocabulary | None:
    """The vocabulary's hash table (built once, then kept with it), or None if two tokens share a
    hash."""
    with _lock:
        if vocab in _hashed:
            return _hashed[vocab]
    table = HashedVocabulary.of(vocab)
    with _lock:
        _hashed[vocab] = table if table.unique else None
    return _hashed[vocab]


def encode_lines(text: str, table: HashedVocabulary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The id stream of `text` read as one whitespace-tokenized sentence per line (lines without a
    token skipped); where each sentence's `<s>` sits in the stream; and the code-point offset in
    `text` of each sentence's first token."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    is_space, is_break = _char_tables()
    folded = np.minimum(cp, _TABLE)
    word = ~is_space[folded]
    edge = np.diff(word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edge == 1)
    ends = np.flatnonzero(edge == -1)
    if not len(starts):
        nothing = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint32), nothing, nothing
    line = np.cumsum(is_break[folded])[starts]  # line breaks before each token
    first = np.empty(len(starts), dtype=bool)
    first[0] = True
    np.not_equal(line[1:], line[:-1], out=first[1:])
    ids = table.find(cp, starts, ends)
    sentence = np.cumsum(first)  # 1-based sentence of each token
    where = np.arange(len(ids)) + 2 * sentence - 1  # after one <s> and one </s> per earlier sentence
    out = np.empty(len(ids) + 2 * int(sentence[-1]), dtype=np.uint32)
    out[where] = ids
    bos = where[first] - 1
    out[bos] = BOS
    out[bos[1:] - 1] = EOS
    out[-1] = EOS
    return out, bos, starts[first]
