"""ARPA, the text format of backoff n-gram models that KenLM, SRILM and IRSTLM read and write.

    \\data\\
    ngram 1=3
    ngram 2=2

    \\1-grams:
    -1.2    word    -0.3          log10 p(word), then log10 backoff (absent means 0)
    ...
    \\2-grams:
    -0.5    word other            the top order has no backoff column
    \\end\\

Our trie stores exactly these numbers, so conversion is a relabelling: reading maps each n-gram
to its key (parent index * V + word) and sorts; writing rebuilds the word strings along the
parent chain. Files ending in .gz are compressed or decompressed on the fly.
"""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import numpy as np

from ..errors import ModelFileError
from ..files import atomic_write
from ..text.vocab import SPECIALS, Vocabulary
from .model import NgramModel


def _open_text(path: Path, mode: str):
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, mode.replace("t", "") + "b"), encoding="utf-8", newline="\n")
    return open(path, mode, encoding="utf-8", newline="\n")


def read_arpa(path: str | os.PathLike, progress: bool = False) -> tuple[NgramModel, Vocabulary]:
    """Read an ARPA file into a queryable model and its vocabulary."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"ARPA file not found: {path}")
    try:
        with _open_text(path, "rt") as f:
            sections = _parse(f, path)
    except UnicodeDecodeError as e:
        raise ModelFileError(f"{path} is not UTF-8 text (byte {e.start}); is it an ARPA file?") from None
    except (OSError, EOFError) as e:
        raise ModelFileError(f"cannot read ARPA file {path}: {e}") from None
    order = len(sections)

    # Vocabulary: KenLM's specials first (adding <unk> if the model has none), then file order.
    uni_words, uni_lp, uni_bo = sections[0]
    tokens = list(SPECIALS) + [w[0] for w in uni_words if w[0] not in SPECIALS]
    vocab = Vocabulary(tokens)
    V = len(vocab)
    lp1 = np.full(V, -99.0, dtype=np.float32)
    bo1 = np.zeros(V, dtype=np.float32)
    ids = np.array([vocab.index[w[0]] for w in uni_words], dtype=np.int64)
    lp1[ids] = uni_lp
    bo1[ids] = uni_bo
    model_keys = [None]
    logprob, backoff = [lp1], [bo1]
    partial = NgramModel(1, V, [None], [lp1], [], ranked=([], []), sentence_mode=True)
    for n in range(2, order + 1):
        words, lp, bo = sections[n - 1]
        try:
            grid = np.array([[vocab.index[t] for t in w] for w in words], dtype=np.int64).reshape(len(words), n)
        except KeyError as e:
            raise ModelFileError(f"{path}: the {n}-gram section uses the word {e} missing from the unigrams") from None
        # Walk each n-gram's prefix down the trie built so far to find its parent index.
        parent = grid[:, 0]
        for j in range(2, n):
            parent = partial.lookup(j, parent, grid[:, j - 1])
        if (parent < 0).any():
            bad = " ".join(words[int(np.flatnonzero(parent < 0)[0])])
            raise ModelFileError(f"{path}: the prefix of the {n}-gram '{bad}' is not in the model")
        keys = parent * V + grid[:, -1]
        perm = np.argsort(keys, kind="stable")
        keys = keys[perm]
        if len(keys) > 1 and (np.diff(keys) == 0).any():
            raise ModelFileError(f"{path}: a {n}-gram is listed twice")
        model_keys.append(keys)
        logprob.append(np.asarray(lp, dtype=np.float32)[perm])
        if n < order:
            backoff.append(np.asarray(bo, dtype=np.float32)[perm])
        partial = NgramModel(n, V, list(model_keys), list(logprob), list(backoff), ranked=([], []))
    backoff = backoff[: order - 1]
    model = NgramModel(order, V, model_keys, logprob, backoff, sentence_mode=True, meta={"imported_from": str(path)})
    return model, vocab


def _parse(f, path):
    """Sections as (list of word tuples, logprobs, backoffs) per order, checked against \\data\\."""
    declared: dict[int, int] = {}
    line = f.readline()
    while line and line.strip() != "\\data\\":
        line = f.readline()
    if not line:
        raise ModelFileError(f"{path} is not an ARPA file (no \\data\\ header)")
    for line in f:
        s = line.strip()
        if not s:
            if declared:
                break
            continue
        if not s.startswith("ngram "):
            raise ModelFileError(f"{path}: unexpected line in the \\data\\ header: {s[:80]!r}")
        n, count = s[6:].split("=")
        declared[int(n)] = int(count)
    if not declared or sorted(declared) != list(range(1, len(declared) + 1)):
        raise ModelFileError(f"{path}: the \\data\\ header must declare orders 1..N")
    sections = []
    for n in range(1, len(declared) + 1):
        for line in f:
            s = line.strip()
            if s:
                break
        if s != f"\\{n}-grams:":
            raise ModelFileError(f"{path}: expected '\\{n}-grams:', found {s[:80]!r}")
        words, lps, bos = [], [], []
        for line in f:
            s = line.rstrip("\n")
            if not s.strip():
                break
            parts = s.split("\t") if "\t" in s else s.split()
            try:
                if "\t" in s:
                    lp, gram = float(parts[0]), parts[1].split(" ")
                    bo = float(parts[2]) if len(parts) > 2 else 0.0
                else:  # space separated: log10 p, n words, optional backoff
                    lp, gram = float(parts[0]), parts[1 : 1 + n]
                    bo = float(parts[1 + n]) if len(parts) > 1 + n else 0.0
            except (ValueError, IndexError):
                raise ModelFileError(f"{path}: malformed {n}-gram line {s[:80]!r}") from None
            if len(gram) != n:
                raise ModelFileError(f"{path}: the line {s[:80]!r} in the {n}-gram section has {len(gram)} words")
            words.append(gram)
            lps.append(lp)
            bos.append(bo)
        if len(words) != declared[n]:
            raise ModelFileError(
                f"{path}: the header declares {declared[n]} {n}-grams but the file lists {len(words)} "
                "(a truncated file?)"
            )
        sections.append((words, lps, bos))
    return sections


def write_arpa(model: NgramModel, vocab: Vocabulary, path: str | os.PathLike) -> None:
    """Write `model` as ARPA, atomically (`files.atomic_write`); a .gz name is compressed."""
    path = Path(path)
    V = model.vocab_size
    toks = vocab.tokens
    with atomic_write(path) as raw:
        packed = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if path.suffix == ".gz" else None
        f = io.TextIOWrapper(packed or raw, encoding="utf-8", newline="\n")
        f.write("\\data\\\n")
        for n, size in enumerate(model.sizes, start=1):
            f.write(f"ngram {n}={size}\n")
        text = list(toks)
        for n in range(1, model.order + 1):
            f.write(f"\n\\{n}-grams:\n")
            lp = model.logprob[n - 1].tolist()
            if n > 1:
                keys = model.keys[n - 1].astype(np.int64)
                prev = text
                text = [prev[p] + " " + toks[w] for p, w in zip((keys // V).tolist(), (keys % V).tolist())]
            if n < model.order:
                bo = model.backoff[n - 1].tolist()
                f.writelines(f"{a:.7g}\t{g}\t{b:.7g}\n" for a, g, b in zip(lp, text, bo))
            else:
                f.writelines(f"{a:.7g}\t{g}\n" for a, g in zip(lp, text))
        f.write("\n\\end\\\n")
        f.flush()
        f.detach()  # keep `raw` open: atomic_write fsyncs and renames it
        if packed is not None:
            packed.close()  # writes the gzip trailer into `raw`
