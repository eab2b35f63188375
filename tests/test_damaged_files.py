"""Damaged and forged model files: every outcome is a typed error or the undamaged model's answers.

A bounded, seeded fuzz run over truncations, byte flips and crafted headers (with a valid header
checksum, as a forger would write them: wrong types, sizes, offsets, checksums, missing or
swapped tables, malformed model parameters). Zero silent wrong answers, zero generic exceptions,
zero hangs (each trial runs under an alarm). A forger can of course write a different but valid
model (other weights with their checksums recomputed): that is not damage, and no checksum can
tell it from an honest file. bench/bench_damaged_files.py runs more trials.
"""

from __future__ import annotations

import json
import random
import signal
import struct
import zlib
from contextlib import contextmanager

import pytest

from next_token import LanguageModel, NtpError

TEXT = ("The opera ghost was seen again. He said that the ghost lived under the opera. "
        "Christine sang, and the ghost listened. The managers did not believe in ghosts. ") * 6
CONTEXTS = ["The", "the opera", "He said", "Christine"]
PREFIX = struct.Struct("<8sIIQ")


def answers(lm):
    """What every part of the file answers: the n-gram, the index and its document map, the
    spelling lexicon, and the word vectors when there are some."""
    hits = lm.search("the ghost", limit=3)
    return ([[(p.token, round(p.probability, 12), p.distance) for p in lm.predict(c, 5)] for c in CONTEXTS],
            round(lm.score("The ghost sang under the opera.").logprob, 9),
            lm.complete("The ghost"),
            [(p.token, p.distance) for p in lm.predict("The", 5, prefix="gohst")],
            lm.correct("The gohst sang undr the opera.").text,
            (hits.count, [(h.source, h.line, h.before, h.after) for h in hits.hits]),
            [(n.word, round(n.score, 5)) for n in lm.similar("ghost", 3)] if lm.vectors is not None else None)


@pytest.fixture(scope="module", params=["unbounded", "vectors"])
def original(tmp_path_factory, request):
    """A hybrid model (its index inside the model), and a plain one with its own index and word
    vectors: between them, every kind of table a model file holds."""
    path = tmp_path_factory.mktemp("damaged") / "m.ntp"
    kind = {"unbounded": dict(unbounded=True), "vectors": dict(vectors=True)}[request.param]
    LanguageModel.train(text=TEXT, order=3, discount_fallback="ignore", **kind).save(path)
    return path.read_bytes(), answers(LanguageModel.load(path))


@contextmanager
def deadline(seconds: int):
    def stop(*_):
        raise TimeoutError("the load or a query hung")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def outcome(path, want) -> str:
    """'error' (typed), 'same' (identical answers); anything else fails the test."""
    with deadline(20):
        try:
            got = answers(LanguageModel.load(path))
        except NtpError:
            return "error"
    assert got == want, "a damaged file gave different answers without an error"
    return "same"


def with_header(data: bytes, doc: dict) -> bytes | None:
    """`data` with its JSON header replaced by `doc` (same slot, valid checksum), or None if it
    does not fit the slot."""
    _, version, _, length = PREFIX.unpack_from(data)
    header = json.dumps(doc).encode()
    if len(header) > length:
        return None
    header = header.ljust(length, b" ")
    return PREFIX.pack(b"NTPMODEL", version, zlib.crc32(header), length) + header + data[PREFIX.size + length:]


def header_of(data: bytes) -> dict:
    _, _, _, length = PREFIX.unpack_from(data)
    return json.loads(data[PREFIX.size : PREFIX.size + length])


def test_truncations_and_byte_flips(original, tmp_path):
    data, want = original
    rng = random.Random(1)
    path = tmp_path / "bad.ntp"
    seen = {"error": 0, "same": 0}
    for trial in range(160):
        if trial < 30:
            damaged = data[: rng.randrange(len(data))]
        else:
            buf = bytearray(data)
            for _ in range(rng.choice((1, 1, 2, 8))):
                i = rng.randrange(len(buf))
                buf[i] ^= 1 << rng.randrange(8)
            damaged = bytes(buf)
        path.write_bytes(damaged)
        seen[outcome(path, want)] += 1
    assert seen["error"] > 100  # most damage is caught, the rest fell on padding


def crafted(doc: dict, rng: random.Random) -> dict:
    doc = json.loads(json.dumps(doc))
    arrays = doc["arrays"]
    name = rng.choice(sorted(arrays))
    t = arrays[name]
    ngram = doc["meta"]["ngram"]
    choice = rng.randrange(14)
    if choice == 0:
        t["dtype"] = rng.choice(["<u4", "<f4", "<i8", "|u1", "<f8", "object", "<U4", 5])
    elif choice == 1:
        t["shape"] = rng.choice([[t["shape"][0] * 2], [0], [-1], [2**40], "x", [1, 1, 1], []])
    elif choice == 2:
        t["offset"] = rng.choice([t["offset"] + 64, t["offset"] - 64, 0, -64, 2**62, "a"])
    elif choice == 3:
        t["nbytes"] = rng.choice([t["nbytes"] * 2, 0, -1, 2**63])
    elif choice == 4:
        t["crc32"] = rng.randrange(2**32)
    elif choice == 5:
        ngram["order"] = rng.choice([0, -1, 13, 2, 4, "3", 3.5, None, 10**9])
    elif choice == 6:
        ngram["vocab_size"] = rng.choice([0, 1, 2, ngram["vocab_size"] + 1, ngram["vocab_size"] - 1, 2**40, "9"])
    elif choice == 7:
        ngram["sentence_mode"] = rng.choice([False, "no", None])
    elif choice == 8:
        doc["meta"]["tokenizer"] = rng.choice([{"kind": "bpe"}, {"kind": "nope"}, "x", 5, {"kind": "word", "x": 1}])
    elif choice == 9:
        del arrays[name]
    elif choice == 10:
        arrays[name], arrays[rng.choice(sorted(arrays))] = arrays[rng.choice(sorted(arrays))], t
    elif choice == 11:
        doc["meta"]["ngram"] = rng.choice([[], "x", {"order": 3}])
    elif choice == 12:
        weights = ngram.get("unbounded", {}).get("weights", {})
        # (weights of the right shape are a different model, not damage: only malformed ones here)
        weights["lambdas"] = rng.choice([[[1.5]], "x", [[[1.5] * 2] * 5] * 11, None, [[[0.5] * 3] * 5] * 11])
    else:
        doc["meta"]["info"] = rng.choice([[], "x", None, {"a": [[[[[[]]]]]]}])
    return doc


def test_crafted_headers_with_valid_checksums(original, tmp_path):
    data, want = original
    doc = header_of(data)
    rng = random.Random(2)
    path = tmp_path / "forged.ntp"
    tried = 0
    for _ in range(250):
        damaged = with_header(data, crafted(doc, rng))
        if damaged is None:
            continue
        path.write_bytes(damaged)
        outcome(path, want)
        tried += 1
    assert tried > 150


def test_a_deeply_nested_header_is_a_typed_error(original, tmp_path):
    data, want = original
    _, version, _, length = PREFIX.unpack_from(data)
    header = (b"[" * (length // 2)).ljust(length, b" ")
    path = tmp_path / "deep.ntp"
    path.write_bytes(PREFIX.pack(b"NTPMODEL", version, zlib.crc32(header), length) + header
                     + data[PREFIX.size + length:])
    assert outcome(path, want) == "error"


@pytest.mark.parametrize("change", ["signedness", "shape"])
def test_every_array_read_as_another_type_or_shape_is_refused(original, tmp_path, change):
    """The same bytes read as another dtype of the same size ('<u8' keys as '<i8') or in another
    shape are the subtlest forgery: the bytes' checksum still matches. Each array's is seeded
    with its name, dtype and shape, so every such header fails."""
    data, want = original
    doc = header_of(data)
    path = tmp_path / "retyped.ntp"
    swap = {"u": "i", "i": "u", "f": "i"}
    tried = 0
    for name, t in doc["arrays"].items():
        forged = json.loads(json.dumps(doc))
        a = forged["arrays"][name]
        if change == "signedness":
            if a["dtype"][1] not in swap:
                continue
            a["dtype"] = a["dtype"][0] + swap[a["dtype"][1]] + a["dtype"][2:]
        else:
            if len(a["shape"]) != 1 or a["shape"][0] % 2:
                continue
            a["shape"] = [2, a["shape"][0] // 2]
        damaged = with_header(data, forged)
        if damaged is None:
            continue
        path.write_bytes(damaged)
        assert outcome(path, want) == "error", name
        tried += 1
    assert tried > 10
