"""KenLM's command-line tools and the large benchmark corpus, for bench scripts that print
our/KenLM ratios measured in the same run.

    import kenlm_tools                      # bench scripts run as `python bench/x.py`
    if kenlm_tools.find_lmplz():
        k = kenlm_tools.run_lmplz("/work/large/1m.txt", 5, "/tmp/o5.arpa")
        print(k["wall_s"], k["peak_rss_mb"])

KenLM is an outside reference, never a dependency of the package: every helper here degrades
to None / an exception a bench can catch when the tools or the corpus are absent (CI machines
and fresh developer machines have neither unless someone installed them).

Where the pieces come from (none of it lives in this repo):
- lmplz, build_binary, query: built from the PyPI `kenlm` sdist (it ships lm/builder) against
  Debian's boost, installed into /usr/local/bin.
- /work/large: ../shared/corpus/build-large-corpus.sh into /work/large/raw, then
  ../shared/kenlm/prep.py over its *.txt (sorted) into large.txt; 1m.txt and 10m.txt are cut
  from it. Override the folder with the environment variable NTP_LARGE_DIR.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

LARGE_DIR = Path(os.environ.get("NTP_LARGE_DIR", "/work/large"))

# name -> path under LARGE_DIR; token / sentence counts are the ones measured when they were made.
LARGE_FILES = {
    "1m": "1m.txt",          # books_head90 + the head of large.txt: ~1.10M tokens, 66,785 lines
    "10m": "10m.txt",        # the first ~10.0M tokens of large.txt (whole lines), 818,996 lines
    "large": "large.txt",    # all of it: ~22.5M tokens, 1,448,889 lines
    "raw": "raw",            # the untokenized corpus (a folder)
    "manifest": "raw/MANIFEST.tsv",
}


def find_tool(name: str) -> str | None:
    """Absolute path of a KenLM program on PATH (or in /usr/local/bin), else None."""
    found = shutil.which(name)
    if found is None and os.access(f"/usr/local/bin/{name}", os.X_OK):
        found = f"/usr/local/bin/{name}"
    return found


def find_lmplz() -> str | None:
    """Path of lmplz, or None when KenLM's estimator is not installed."""
    return find_tool("lmplz")


def _run_measured(cmd: list[str], stdin_path: str | None, stdout_path: str | None) -> dict:
    """Run cmd to completion; return its wall time and the child's own peak RSS.

    os.wait4 gives the rusage of exactly this child, unlike RUSAGE_CHILDREN, whose ru_maxrss is
    the maximum over every child the process has ever waited for (a bigger earlier build would
    mask a smaller later one). stderr goes to a file, not a pipe: lmplz's progress output on a
    large corpus could fill a pipe nobody reads and stall it.
    """
    with tempfile.TemporaryFile() as err, open(stdin_path or os.devnull, "rb") as fin, \
            open(stdout_path or os.devnull, "wb") as fout:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read()[-2000:].decode("utf-8", "replace")
            raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{tail}")
    # Linux reports ru_maxrss in KiB.
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024,
            "cpu_s": usage.ru_utime + usage.ru_stime}


def run_lmplz(text_path, order: int, arpa_out, memory: str = "2G",
              extra_args: tuple[str, ...] = ()) -> dict:
    """Estimate an interpolated modified Kneser-Ney model of `order` with lmplz.

    text_path is pre-tokenized text, one sentence per line; arpa_out receives the ARPA file.
    `memory` is lmplz's -S: the README's reference figures used 2G for the books and 4G for
    the 22.5M-token corpus (lmplz reserves about that much up front, so it shows in peak RSS).
    Returns {"wall_s", "peak_rss_mb", "cpu_s"}. Raises FileNotFoundError when lmplz is absent
    and RuntimeError (with lmplz's last output) when it fails.
    """
    lmplz = find_lmplz()
    if lmplz is None:
        raise FileNotFoundError("lmplz is not on PATH (see bench/kenlm_tools.py's docstring)")
    cmd = [lmplz, "-o", str(int(order)), "-S", memory, "-T", tempfile.gettempdir(), *extra_args]
    return _run_measured(cmd, str(text_path), str(arpa_out))


def build_binary(arpa, out, kind: str = "probing") -> dict:
    """Convert an ARPA file to KenLM's binary format ("probing" hash tables or "trie").

    Returns {"size_bytes", "wall_s", "peak_rss_mb", "cpu_s"}: size_bytes is what to compare
    our model file's size against (the README quotes probing 19.1 MB / trie 9.1 MB for o5 on
    the books).
    """
    if kind not in ("probing", "trie"):
        raise ValueError(f"kind must be 'probing' or 'trie', not {kind!r}")
    tool = find_tool("build_binary")
    if tool is None:
        raise FileNotFoundError("build_binary is not on PATH (see bench/kenlm_tools.py's docstring)")
    res = _run_measured([tool, kind, str(arpa), str(out)], None, None)
    res["size_bytes"] = os.path.getsize(out)
    return res


def large_corpus_paths(root=None) -> dict:
    """{"1m", "10m", "large", "raw", "manifest"} -> Path if it exists under root, else None."""
    base = Path(root) if root is not None else LARGE_DIR
    return {key: (p if (p := base / rel).exists() else None) for key, rel in LARGE_FILES.items()}


if __name__ == "__main__":
    # A quick look at what this machine has: `python bench/kenlm_tools.py`.
    for tool in ("lmplz", "build_binary", "query"):
        print(f"{tool:12s} {find_tool(tool) or 'absent'}")
    for key, path in large_corpus_paths().items():
        print(f"{key:12s} {path or 'absent'}")
