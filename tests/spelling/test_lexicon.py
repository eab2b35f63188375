"""The lexicon: word-like tokens only, case variants, plain arrays that round-trip."""

import numpy as np

from next_token.spelling import Corrector, Lexicon


def test_keys_variants_and_counts():
    tokens = ["<unk>", "<s>", "</s>", "May", "may", "London", "42", ",", "x_y", "don't", "Paris"]
    counts = [0, 0, 0, 3, 10, 5, 7, 9, 1, 2, 0]
    lex = Lexicon.build(tokens, counts)
    keys = [lex.key(k) for k in range(len(lex))]
    assert keys == ["don't", "london", "may"]  # no numbers, punctuation, code, or unseen words
    m = keys.index("may")
    assert lex.key_lower[m] == 4 and lex.key_title[m] == 3 and lex.key_best[m] == 4 and lex.key_count[m] == 13
    ldn = keys.index("london")
    assert lex.key_lower[ldn] == -1 and lex.key_best[ldn] == 5


def test_round_trip_through_plain_arrays(small):
    arrays = small.lexicon.to_arrays()
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    again = Lexicon.from_arrays({k: v.copy() for k, v in arrays.items()})
    other = Corrector(small.judge, again, small.error_model, small.settings)
    text = "Christine sang at teh opera houze."
    assert other.correct(text) == small.correct(text)


def test_lives_in_a_memory_mapped_model_file(small, tmp_path):
    """What the lead stores at training time: the lexicon's arrays in the model file."""
    from next_token.model_file import read_model_file, write_model_file

    arrays = small.lexicon.to_arrays()
    arrays.update(small.error_model.to_arrays("spelling.error_model."))
    write_model_file(tmp_path / "spell.ntp", "spelling-test", {}, arrays)
    _, _, mapped = read_model_file(tmp_path / "spell.ntp", expected_kind="spelling-test")
    assert isinstance(mapped["spelling.deletes.hashes"], np.memmap) or mapped["spelling.deletes.hashes"].base is not None
    from next_token.spelling import ErrorModel

    other = Corrector(small.judge, Lexicon.from_arrays(mapped), ErrorModel.from_arrays(mapped, "spelling.error_model."),
                      small.settings)
    text = "Christine sang at teh opera houze."
    assert other.correct(text) == small.correct(text)
    assert [c.word for c in other.complete("Chirs", k=2)] == [c.word for c in small.complete("Chirs", k=2)]
