"""files.py: atomic writes that respect the umask, refuse non-regular targets, and leave nothing
behind after a signal."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from next_token.errors import InputError
from next_token.files import WrittenThenInterrupted, atomic_write


def test_the_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        with atomic_write(tmp_path / "a.bin") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o640


def test_only_regular_files_are_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target, why in ((fifo, "not a regular file"), (tmp_path, "folder"), ("", "empty")):
        with pytest.raises(InputError, match=why):
            with atomic_write(target) as f:
                f.write(b"x")
    assert fifo.exists() and not fifo.is_file()


def test_an_error_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "m.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write(b"new, half")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["m.bin"]


def test_a_signal_during_the_rename_reports_a_complete_file(tmp_path, monkeypatch):
    target = tmp_path / "m.bin"
    real = os.replace

    def replace_then_interrupt(a, b):
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the rename is being made durable
        return real(a, b)

    monkeypatch.setattr(os, "replace", replace_then_interrupt)
    with pytest.raises(WrittenThenInterrupted):
        with atomic_write(target) as f:
            f.write(b"complete")
    assert target.read_bytes() == b"complete"


WRITER = textwrap.dedent("""
    import sys, time
    from next_token.files import atomic_write, exit_on_sigterm
    exit_on_sigterm()
    with atomic_write(sys.argv[1]) as f:
        f.write(b"partial")
        f.flush()
        print("writing", flush=True)
        time.sleep(60)
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_no_temporary_file_survives_a_signal(tmp_path, sig):
    target = tmp_path / "m.bin"
    target.write_bytes(b"old")
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(sig)
    child.wait(timeout=30)
    if sig == signal.SIGKILL:  # cannot be caught: the next write to the path cleans up after it
        assert len(os.listdir(tmp_path)) == 2
        with atomic_write(target) as f:
            f.write(b"new")
    assert sorted(os.listdir(tmp_path)) == ["m.bin"]
    assert target.read_bytes() in (b"old", b"new")
