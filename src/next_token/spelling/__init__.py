"""Spelling in context, with the language model as the judge.

    from next_token import LanguageModel
    from next_token.spelling import Corrector

    lm = LanguageModel.train(["books/"])
    speller = Corrector(lm, counts=...)          # or Corrector(lm): counts from the model
    speller.correct("He went form the house.")   # Correction(text, edits)
    speller.suggest("thier", context="I saw")    # [Suggestion(word, probability, distance)]
    speller.segment("thequickbrownfox")          # Segmentation(words, logprob)
    speller.complete("Chirs", context="I saw")   # [Completion(word, probability, distance)]

Modules, in the order the data flows:

    judge.py        the only door to the language model (token ids, tokenizing, scores)
    distance.py     OSA (Damerau) edit distance: a reference and a vectorized banded version
    deletes.py      the symmetric-deletes index: every word within distance 2, no scan
    char_model.py   how word-like a spelling is (character n-grams over the lexicon)
    inflection.py   endings that alternate between known words ("quarrel" / "quarrels")
    lexicon.py      the correctable words, their counts and case variants, and the indexes
    error_model.py  P(typed | intended): keyboard, doubling, swaps; learnable from pairs
    corrector.py    the noisy channel: correct(), suggest(); batched model calls
    segment.py      run-together text split by dynamic programming with the model
    prefix.py       typo-tolerant completion of a word being typed

Everything stored (lexicon, error model) is flat numpy arrays (`to_arrays`/`from_arrays`), so
it can live in the memory-mapped model file.
"""

from .corrector import Correction, Corrector, Edit, Settings, Suggestion
from .deletes import DeletesIndex
from .distance import osa_distance, osa_distances
from .error_model import ErrorModel
from .judge import Judge
from .lexicon import Lexicon
from .prefix import Completion, complete_prefix
from .segment import Segmentation, segment

__all__ = [
    "Completion",
    "Correction",
    "Corrector",
    "DeletesIndex",
    "Edit",
    "ErrorModel",
    "Judge",
    "Lexicon",
    "Segmentation",
    "Settings",
    "Suggestion",
    "complete_prefix",
    "osa_distance",
    "osa_distances",
    "segment",
]
