"""Where ../shared lives, and a helper that skips a test cleanly when it is absent."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
KENLM_DIR = SHARED / "kenlm"
BOOKS_DIR = SHARED / "corpus" / "books"


def need_shared(path: Path) -> Path:
    """Skip the calling test when ../shared (the book corpus, KenLM files) is absent."""
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is only on the developers' and CI machines)")
    return path
