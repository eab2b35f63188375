"""The suffix-array index against brute-force scans of small random streams (small alphabets, so
patterns repeat a lot)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import next_token.unbounded.index as sa_mod
from next_token.errors import CorpusError, InputError, ModelFileError
from next_token.model_file import read_model_file, write_model_file
from next_token.text.vocab import BOS, EOS
from next_token.unbounded.build import build_index, suffix_array
from next_token.unbounded.index import SuffixArray
from next_token.unbounded.storage import PackedUInts, TokenStream

SETTINGS = settings(max_examples=150, deadline=None)

streams = st.integers(1, 5).flatmap(lambda v: st.lists(st.integers(0, v - 1), min_size=1, max_size=60))
patterns = st.lists(st.integers(0, 6), max_size=7)  # ids up to 6: some never occur


def brute_count(s: list[int], p: list[int]) -> int:
    if not p:
        return len(s)
    m = len(p)
    return sum(1 for i in range(len(s) - m + 1) if s[i : i + m] == p)


def brute_longest(s: list[int], ctx: list[int], cap: int | None = None) -> tuple[int, dict[int, int]]:
    """Longest suffix of ctx (<= cap) occurring followed by a token, and what follows it."""
    n = len(s)
    best, nexts = 0, {}
    for length in range(0, len(ctx) + 1):
        if cap is not None and length > cap:
            break
        suf = ctx[len(ctx) - length :]
        follow = [s[i + length] for i in range(n - length) if s[i : i + length] == suf]
        if follow:
            best = length
            nexts = {t: follow.count(t) for t in set(follow)}
    return best, nexts


def sentences_stream(rng: np.random.Generator, n_sent: int, vocab: int, max_len: int = 8) -> np.ndarray:
    out = []
    for _ in range(n_sent):
        out.append(BOS)
        out.extend(rng.integers(3, vocab, rng.integers(0, max_len + 1)).tolist())
        out.append(EOS)
    return np.array(out, np.uint32)


@SETTINGS
@given(streams)
def test_suffix_array_sorts_suffixes(s):
    want = sorted(range(len(s)), key=lambda i: s[i:])
    assert suffix_array(np.array(s), method="numpy").tolist() == want


def test_divsufsort_backend_agrees_with_numpy():
    pytest.importorskip("pydivsufsort")
    rng = np.random.default_rng(5)
    for top in (3, 300, 70_000):
        s = rng.integers(0, top, 5000)
        assert np.array_equal(suffix_array(s, method="divsufsort"), suffix_array(s, method="numpy"))


def test_unknown_suffix_array_method():
    with pytest.raises(InputError):
        suffix_array(np.array([1, 2]), method="quick")


@SETTINGS
@given(streams, st.lists(patterns, min_size=1, max_size=6), st.booleans())
def test_count_and_range_match_brute_force(s, pats, compact):
    idx = build_index(np.array(s, np.uint32), compact=compact)
    for p in pats:
        lo, hi = idx.find_range(p)
        assert idx.count(p) == hi - lo == brute_count(s, p)
        for pos in idx.sa_slice(lo, hi).tolist():
            assert s[pos : pos + len(p)] == p


@SETTINGS
@given(streams, patterns, st.one_of(st.none(), st.integers(0, 4)))
def test_next_token_counts_match_brute_force(s, ctx, cap):
    idx = build_index(np.array(s, np.uint32))
    length, tokens, counts = idx.next_token_counts(ctx, max_suffix_len=cap)
    want_len, want = brute_longest(s, ctx, cap)
    assert length == want_len
    assert tokens.tolist() == sorted(want)
    assert counts.tolist() == [want[t] for t in sorted(want)]
    lo_len, lo, hi = idx.longest_suffix_match(ctx, max_suffix_len=cap)
    assert lo_len == length and hi - lo == sum(want.values())


def test_empty_context_and_absent_tokens():
    s = [BOS, 5, 6, 5, EOS, BOS, 5, 7, EOS]
    idx = build_index(np.array(s, np.uint32))
    length, tokens, counts = idx.next_token_counts([])
    assert length == 0 and dict(zip(tokens.tolist(), counts.tolist())) == {1: 2, 2: 2, 5: 3, 6: 1, 7: 1}
    assert idx.count([99]) == 0 and idx.count([5, 99]) == 0 and idx.count([]) == len(s)
    # a context that ends in an unseen token matches nothing: back to the unigram table
    assert idx.next_token_counts([5, 6, 99])[0] == 0
    # longer than any match: only the seen tail is used
    length, tokens, counts = idx.next_token_counts([7, 7, 7, BOS, 5])
    assert length == 2 and dict(zip(tokens.tolist(), counts.tolist())) == {6: 1, 7: 1}


def test_end_of_stream_occurrence_has_no_continuation():
    s = [3, 4, 3, 4]  # "3 4" twice, but only the first is followed by a token
    idx = build_index(np.array(s, np.uint32))
    assert idx.count([3, 4]) == 2
    length, tokens, counts = idx.next_token_counts([3, 4])
    assert length == 2 and tokens.tolist() == [3] and counts.tolist() == [1]
    assert idx.next_token_counts([4, 3, 4])[0] == 2  # "4 3 4" only ends the stream


@pytest.mark.parametrize("seed", range(4))
def test_bisected_columns_equal_full_columns(monkeypatch, seed):
    """Large blocks take the bisection path; shrink the thresholds so small data exercises it."""
    rng = np.random.default_rng(seed)
    s = rng.zipf(1.6, 3000).clip(0, 40).astype(np.uint32)
    idx = build_index(s)
    want = {}
    for ctx in ([], [1], [2], [1, 1], [3]):
        want[tuple(ctx)] = idx.next_token_counts(ctx)
    monkeypatch.setattr(sa_mod, "_DIRECT_COLUMN", 3)
    monkeypatch.setattr(sa_mod, "_SAMPLES", 8)
    monkeypatch.setattr(sa_mod, "_FANOUT", 2)
    for ctx, (length, tokens, counts) in want.items():
        got = idx.next_token_counts(list(ctx))
        assert got[0] == length and got[1].tolist() == tokens.tolist() and got[2].tolist() == counts.tolist()
        # force bisection regardless of the sample's verdict
        _, lo, hi = idx.longest_suffix_match(list(ctx))
        col = idx.column(np.arange(lo, hi), length)
        if hi - lo > 1 and col[0] != col[-1]:
            starts = idx._bisect_runs(lo, np.array([lo]), np.array([hi - 1]), length)
            assert np.diff(np.append(starts, hi)).tolist() == counts.tolist()


@SETTINGS
@given(streams, st.lists(st.integers(0, 6), max_size=25), st.booleans())
def test_match_lengths_match_brute_force(s, q, continuation):
    idx = build_index(np.array(s, np.uint32))
    got = idx.match_lengths(np.array(q, np.int64), continuation=continuation)
    n = len(s)
    for i in range(len(q)):
        best = 0
        for length in range(1, len(q) - i + 1):
            p = q[i : i + length]
            occ = [j for j in range(n - length + 1) if s[j : j + length] == p]
            if continuation:
                occ = [j for j in occ if j + length < n]
            if not occ:
                break
            best = length
        assert got[i] == best


@SETTINGS
@given(streams, st.lists(st.integers(0, 6), min_size=1, max_size=20), st.data())
def test_batched_ranges_equal_single_ranges(s, q, data):
    idx = build_index(np.array(s, np.uint32))
    k = data.draw(st.integers(1, 8))
    starts = np.array(data.draw(st.lists(st.integers(0, len(q) - 1), min_size=k, max_size=k)))
    lengths = np.array([data.draw(st.integers(0, len(q) - a)) for a in starts])
    lo, hi, plo, phi = idx.ranges(np.array(q), starts, lengths, with_prefix=True)
    for a, ln, l_, h_, pl, ph in zip(starts, lengths, lo, hi, plo, phi):
        want = idx.find_range(q[a : a + ln])
        assert h_ - l_ == want[1] - want[0]
        if h_ > l_:
            assert (l_, h_) == want
        if ln == 0:
            assert ph == pl
        else:
            want = idx.find_range(q[a : a + ln - 1])
            assert ph - pl == want[1] - want[0]
            if ph > pl:
                assert (pl, ph) == want


@pytest.mark.parametrize("top", [0, 200, 255, 256, 65_535, 70_000, 2**24 + 5, 2**32 - 1])
def test_token_stream_round_trip_and_byte_order(top):
    rng = np.random.default_rng(top)
    v = rng.integers(0, top + 1, 40, dtype=np.int64)
    v[0] = top
    s = TokenStream.pack(v)
    assert len(s) == 40 and s.raw.size == TokenStream.raw_length(40, s.width)
    assert s.take(np.arange(40)).tolist() == v.tolist() and s.slice(5, 9).tolist() == v[5:9].tolist()
    assert [s.item(i) for i in range(40)] == v.tolist() and s.window(30, 20) == v[30:].tolist()
    # byte order is token order, and a window cut short by the end sorts first
    for i in range(0, 38):
        a, b = s.window_bytes(i, 2), s.window_bytes(i + 1, 2)
        assert (a < b) == (v[i : i + 2].tolist() < v[i + 1 : i + 3].tolist())
        assert s.window_bytes(i, 2) == s.encode(v[i : i + 2].tolist())
    assert s.window_bytes(39, 3) == s.encode([top if v[39] == top else int(v[39])])


@pytest.mark.parametrize("width", range(1, 9))
def test_packed_uints_round_trip(width):
    rng = np.random.default_rng(width)
    top = (1 << (8 * width)) - 1
    v = rng.integers(0, min(top, 2**62), 50, dtype=np.int64)
    v[0] = min(top, 2**63 - 1)
    p = PackedUInts.pack(v, width)
    assert len(p) == 50 and p.raw.size == PackedUInts.raw_length(50, width)
    assert p.take(np.arange(50)).tolist() == v.tolist()
    assert p.slice(3, 9).tolist() == v[3:9].tolist()
    assert [p.item(i) for i in range(50)] == v.tolist()
    assert p.window(40, 20) == v[40:].tolist() and p.window(2, 30) == v[2:32].tolist()


def test_storage_is_compact():
    rng = np.random.default_rng(0)
    s = sentences_stream(rng, 300, 200)
    idx = build_index(s)
    assert idx.stream.width == 1  # ids < 256
    assert idx.meta()["sa_width"] == 2  # n < 65,536
    assert idx.nbytes == idx.stream.nbytes + 2 * s.size + 4 * 201 and idx.bytes_per_token < 3.5
    wide = build_index(s.astype(np.uint32) + 70_000 * (s > 2))
    assert wide.stream.width == 3
    assert build_index(s, compact=False).meta()["sa_width"] == 4


def test_save_and_query_memory_mapped(tmp_path):
    rng = np.random.default_rng(1)
    s = sentences_stream(rng, 200, 30)
    s[s == 7] = 70_000  # a 3-byte stream
    idx = build_index(s)
    path = tmp_path / "m.ntp"
    write_model_file(path, "test", {"index": idx.meta()}, idx.to_arrays("ua."))
    _, meta, arrays = read_model_file(path)
    back = SuffixArray.from_arrays(arrays, meta["index"], "ua.")
    assert not arrays["ua.sa"].flags.owndata and not arrays["ua.sa"].flags.writeable  # views of the map
    for ctx in ([], [BOS], [BOS, 3], [4, 70_000], [EOS, BOS, 5, 6]):
        assert back.count(ctx) == idx.count(ctx)
        a, b = back.next_token_counts(ctx), idx.next_token_counts(ctx)
        assert a[0] == b[0] and a[1].tolist() == b[1].tolist() and a[2].tolist() == b[2].tolist()
    arrays = dict(arrays)
    arrays["ua.sa"] = arrays["ua.sa"][:-1]
    with pytest.raises(ModelFileError):
        SuffixArray.from_arrays(arrays, meta["index"], "ua.")
    with pytest.raises(ModelFileError):
        SuffixArray.from_arrays(arrays, {"format": 1}, "ua.")
    with pytest.raises(ModelFileError):
        SuffixArray.from_arrays(dict(arrays, **{"ua.sa": idx.to_arrays("ua.")["ua.sa"]}), dict(meta["index"], n=5), "ua.")


def test_positions_and_occurrences():
    s = np.array([BOS, 3, 4, 5, EOS, BOS, 6, 3, 4, EOS, BOS, 7, EOS], np.uint32)
    idx = build_index(s)
    assert idx.positions([3, 4]).tolist() == [1, 7]
    assert idx.positions([3, 4], limit=1).size == 1
    occ = sorted(idx.occurrences([3, 4], limit=5), key=lambda o: o.position)
    assert occ[0].ids.tolist() == [BOS, 3, 4, 5, EOS] and occ[0].match_start == 1
    assert occ[1].ids.tolist() == [BOS, 6, 3, 4, EOS] and occ[1].match_start == 2
    # a match spanning a sentence boundary brings both sentences
    span = idx.occurrences([4, EOS, BOS, 7])
    assert span[0].ids.tolist() == [BOS, 6, 3, 4, EOS, BOS, 7, EOS] and span[0].match_len == 4
    assert idx.occurrences([9]) == []
    # huge sentences are clipped around the match
    big = build_index(np.array([BOS] + [3] * 500 + [5] + [3] * 500 + [EOS], np.uint32))
    o = big.occurrences([5], max_tokens=11)[0]
    assert o.ids.size <= 11 and o.ids[o.match_start] == 5


def test_bad_input_raises_typed_errors():
    with pytest.raises(CorpusError):
        build_index(np.array([], np.uint32))
    with pytest.raises(InputError):
        build_index(np.array([1, -2, 3]))
    with pytest.raises(InputError):
        build_index(np.array([1.5, 2.0]))
    idx = build_index(np.array([1, 2, 3], np.uint32))
    with pytest.raises(InputError):
        idx.count("hello")
    with pytest.raises(InputError):
        idx.count([1, -1])
    with pytest.raises(InputError):
        idx.longest_suffix_match([1], max_suffix_len=-1)
    with pytest.raises(InputError):
        idx.positions([1], limit=-3)
    with pytest.raises(InputError):
        build_index(np.array([1, 2, 3]), vocab_size=2)


def test_huge_block_tables_are_cached_and_exact(monkeypatch):
    monkeypatch.setattr(sa_mod, "_CACHE_BLOCK", 50)
    monkeypatch.setattr(sa_mod, "_CACHE_ENTRIES", 6)
    rng = np.random.default_rng(3)
    s = rng.integers(3, 9, 2000).astype(np.uint32)
    idx = build_index(s)
    for ctx in ([3], [4], [3], [5, 3], [6]):
        length, tokens, counts = idx.next_token_counts(ctx)
        follow = [int(s[i + length]) for i in range(len(s) - length) if s[i : i + length].tolist() == ctx[-length:]]
        assert tokens.tolist() == sorted(set(follow)) and counts.tolist() == [follow.count(t) for t in sorted(set(follow))]
        assert idx._cache_size <= 6
    assert idx._cache  # something was kept
    idx.clear_cache()
    assert not idx._cache and idx._cache_size == 0
