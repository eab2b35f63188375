"""The single-file format: round trip, memory mapping, atomic writes, and clear errors."""

import os
import struct

import numpy as np
import pytest

from next_token.errors import ModelFileError
from next_token.model_file import FORMAT_VERSION, MAGIC, read_model_file, write_model_file


def _write(path):
    arrays = {"a": np.arange(10, dtype=np.int64), "b": np.linspace(0, 1, 7, dtype=np.float32),
              "empty": np.zeros(0, dtype=np.uint32), "grid": np.ones((3, 4), dtype=np.uint8)}
    write_model_file(path, "test", {"hello": "world", "n": 3}, arrays)
    return arrays


def test_round_trip_is_memory_mapped_and_read_only(tmp_path):
    arrays = _write(tmp_path / "m.ntp")
    kind, meta, back = read_model_file(tmp_path / "m.ntp")
    assert kind == "test" and meta == {"hello": "world", "n": 3}
    for name, a in arrays.items():
        np.testing.assert_array_equal(back[name], a)
        assert back[name].dtype == a.dtype
    assert not back["a"].flags.writeable
    assert back["a"].ctypes.data % 64 == 0


def test_truncated_file_is_reported(tmp_path):
    p = tmp_path / "m.ntp"
    _write(p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) - 20])
    with pytest.raises(ModelFileError, match="truncated"):
        read_model_file(p)


def test_corrupted_header_is_reported(tmp_path):
    p = tmp_path / "m.ntp"
    _write(p)
    data = bytearray(p.read_bytes())
    data[40] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupted"):
        read_model_file(p)


def test_foreign_and_newer_files_are_reported(tmp_path):
    foreign = tmp_path / "x.ntp"
    foreign.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ModelFileError, match="not a next-token-prediction model"):
        read_model_file(foreign)
    arpa = tmp_path / "y.arpa"
    arpa.write_text("\\data\\\nngram 1=1\n")
    with pytest.raises(ModelFileError, match="ARPA"):
        read_model_file(arpa)
    newer = tmp_path / "z.ntp"
    newer.write_bytes(struct.pack("<8sIIQ", MAGIC, FORMAT_VERSION + 1, 0, 0))
    with pytest.raises(ModelFileError, match="newer version"):
        read_model_file(newer)
    with pytest.raises(ModelFileError, match="not found"):
        read_model_file(tmp_path / "missing.ntp")


def test_wrong_kind_is_reported(tmp_path):
    _write(tmp_path / "m.ntp")
    with pytest.raises(ModelFileError, match="'test' model"):
        read_model_file(tmp_path / "m.ntp", expected_kind="language-model")


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    p = tmp_path / "m.ntp"
    _write(p)
    before = p.read_bytes()

    class Boom:  # an array-like whose conversion fails midway through writing
        def __array__(self, dtype=None, copy=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_model_file(p, "test", {}, {"ok": np.arange(3), "bad": Boom()})
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.ntp"]


def _rewrite_header(path, version, change):
    """The file with its header passed through `change` (same slot, valid header checksum)."""
    import json
    import zlib

    prefix = struct.Struct("<8sIIQ")
    data = path.read_bytes()
    _, _, _, length = prefix.unpack_from(data)
    doc = change(json.loads(data[prefix.size : prefix.size + length]))
    header = json.dumps(doc).encode().ljust(length, b" ")
    assert len(header) == length
    path.write_bytes(prefix.pack(MAGIC, version, zlib.crc32(header), length) + header + data[prefix.size + length:])


def test_swapped_tables_fail_their_checksums(tmp_path):
    p = tmp_path / "m.ntp"
    _write(p)

    def swap(doc):
        t = doc["arrays"]
        t["a"], t["b"] = t["b"], t["a"]
        return doc

    _rewrite_header(p, FORMAT_VERSION, swap)
    with pytest.raises(ModelFileError, match="checksum of array"):
        read_model_file(p, verify=True)


def test_files_of_format_2_still_load(tmp_path):
    """Format 2 checksummed each array's bytes alone (no name)."""
    import zlib

    p = tmp_path / "m.ntp"
    arrays = _write(p)

    def unseeded(doc):
        for name, t in doc["arrays"].items():
            t["crc32"] = zlib.crc32(np.ascontiguousarray(arrays[name]).tobytes())
        return doc

    _rewrite_header(p, 2, unseeded)
    _, _, back = read_model_file(p, verify=True)
    np.testing.assert_array_equal(back["grid"], arrays["grid"])
