"""Stop sequences over streamed pieces (next_token.stops): exact cuts, never a stop string in
the output, the streamed text equal to the cut of the whole text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from next_token.stops import StopScanner


def reference(text: str, stops: list[str]) -> tuple[str, bool]:
    """Cut the whole text at the earliest stop string (the obvious, non-streaming definition)."""
    hits = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return (text[: min(hits)], True) if hits else (text, False)


def run(pieces: list[str], stops) -> tuple[list[str], bool]:
    """Feed pieces until a stop; the emitted texts and whether a stop string ended them."""
    scanner = StopScanner(stops)
    out = []
    for piece in pieces:
        out.append(scanner.feed(piece))
        if scanner.stopped:
            return out, True
    out.append(scanner.flush())
    return out, False


def test_stop_straddling_pieces_is_cut_exactly():
    out, stopped = run([" the", " cat", " sat", " on"], ["cat s"])
    assert "".join(out) == " the " and stopped


def test_text_that_only_looks_like_a_stop_is_released():
    scanner = StopScanner(["end."])
    assert scanner.feed("the en") == "the "  # "en" might start "end."
    assert scanner.feed("try") == "entry"
    assert scanner.flush() == ""
    assert not scanner.stopped


def test_no_stops_passes_everything_through():
    assert run(["a", "b"], None) == (["a", "b", ""], False)


@given(st.lists(st.text(alphabet="ab .", max_size=4), max_size=12), st.lists(st.text(alphabet="ab .", min_size=1, max_size=3), max_size=3))
def test_streamed_cut_equals_the_cut_of_the_whole_text(pieces, stops):
    out, stopped = run(pieces, stops)
    assert ("".join(out), stopped) == reference("".join(pieces), stops)
    assert not any(s in "".join(out) for s in stops)
