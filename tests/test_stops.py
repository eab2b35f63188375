"""Stop sequences over streamed pieces (next_token.stops): exact cuts, never a stop string
in the output, streamed == collected."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from next_token.stops import StopScanner, collect, cut_at_stops


def reference(text: str, stops: list[str]) -> tuple[str, bool]:
    """Cut the whole text at the earliest stop string (the obvious, non-streaming definition)."""
    hits = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return (text[: min(hits)], True) if hits else (text, False)


def test_stop_straddling_pieces_is_cut_exactly():
    pieces = [" the", " cat", " sat", " on"]
    assert "".join(cut_at_stops(pieces, ["cat s"])) == " the "
    assert collect(iter(pieces), ["cat s"]) == (" the ", 3, True)


def test_text_that_only_looks_like_a_stop_is_released():
    scanner = StopScanner(["end."])
    assert scanner.feed("the en") == "the "  # "en" might start "end."
    assert scanner.feed("try") == "entry"
    assert scanner.flush() == ""
    assert not scanner.stopped


def test_no_stops_passes_everything_through():
    assert collect(iter(["a", "b"]), None) == ("ab", 2, False)


def test_collect_closes_the_stream_it_stopped():
    closed = []

    def gen():
        try:
            yield from ["x", "STOP", "y"]
        finally:
            closed.append(True)

    assert collect(gen(), ["STOP"]) == ("x", 2, True)
    assert closed == [True]


pieces_strategy = st.lists(st.text(alphabet="ab c.", max_size=4), max_size=12)
stops_strategy = st.lists(st.text(alphabet="ab c.", min_size=1, max_size=3), max_size=3)


@given(pieces_strategy, stops_strategy)
def test_streamed_cut_equals_the_cut_of_the_whole_text(pieces, stops):
    expected, stopped = reference("".join(pieces), stops)
    streamed = list(cut_at_stops(pieces, stops))
    assert "".join(streamed) == expected
    assert all(streamed)
    text, _, did_stop = collect(iter(pieces), stops)
    assert (text, did_stop) == (expected, stopped)
    for s in stops:
        assert s not in text
