"""The JSON shapes of the lookup and spelling endpoints (lookup_routes.py).

Requests are as strict as the rest of the API (schemas.py: no "5" for 5, no unknown fields); the
numeric maxima are the server's `Limits`, checked by the routes. Responses mirror the library's
results: /api/search's body is `SearchResult.to_dict()` itself.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from .schemas import _Strict

# ---- requests -------------------------------------------------------------------------------


class SearchRequest(_Strict):
    phrase: str = Field(..., description="The words to find in the training text (at most limits.max_search_chars).")
    ignore_case: bool = Field(False, description="Match any case of each word (\"opera\" finds \"Opera\").")
    offset: int = Field(0, ge=0, lt=2**63, description="The first hit to return (hits are in text order).")
    limit: int = Field(10, ge=0, description="How many hits to return (at most limits.max_search_hits; "
                       "0: the count and the neighbours only).")
    context: int = Field(12, ge=0, description="Tokens of text on each side of a hit "
                         "(at most limits.max_search_context).")
    neighbours: int = Field(10, ge=0, description="How many of the words seen most often before and after "
                            "the phrase (at most limits.max_k).")


class SimilarRequest(_Strict):
    word: str = Field(..., description="A word of the model's vocabulary.")
    k: int = Field(10, ge=1, description="How many neighbours (at most limits.max_k).")


class AnalogyRequest(_Strict):
    a: str = Field(..., description="a is to b as c is to ...")
    b: str
    c: str
    k: int = Field(1, ge=1, description="How many answers (at most limits.max_k).")


class ParaphraseRequest(_Strict):
    sentence: str = Field(..., description="One sentence (at most limits.max_sentence_chars).")
    n: int = Field(3, ge=1, description="How many variants (at most limits.max_completions).")
    word: str | int | None = Field(
        None, description="Only substitutes for this word of the sentence (its first occurrence), or for the "
        "token at this position (0 = the first): each variant then changes that one word.")


class CorrectRequest(_Strict):
    text: str = Field(..., description="The text to check (at most limits.max_correct_chars).")
    open_end: bool = Field(False, description="The text is still being typed: its end is not taken for the end "
                           "of a sentence (so the last word is judged without a full stop after it).")


class SuggestRequest(_Strict):
    word: str = Field(..., description="The word as typed.")
    context: str = Field("", description="The text before the word.")
    right_context: str = Field("", description="The text after the word.")
    k: int = Field(5, ge=1, description="How many suggestions (at most limits.max_k).")


# ---- responses ------------------------------------------------------------------------------


class HitOut(BaseModel):
    position: int = Field(..., description="Where the hit starts in the training stream (tokens).")
    source: str | None = Field(..., description="The training file, as it was named when the model was trained.")
    line: int | None = Field(..., description="The line of that file (1 = the first).")
    before: str
    match: str
    after: str


class TokenCount(BaseModel):
    token: str
    count: int


class SearchResponse(BaseModel):
    phrase: str
    tokens: list[str] = Field(..., description="The phrase as the model's tokens.")
    count: int = Field(..., description="How often the phrase occurs in the training text.")
    offset: int
    hits: list[HitOut]
    before: list[TokenCount] = Field(..., description="The tokens seen most often just before the phrase.")
    after: list[TokenCount] = Field(..., description="... and just after it.")


class NeighbourOut(BaseModel):
    word: str
    score: float = Field(..., description="The cosine between the two words' vectors (for analogies, "
                         "3CosMul's objective).")


class SimilarResponse(BaseModel):
    word: str
    neighbours: list[NeighbourOut]


class AnalogyResponse(BaseModel):
    a: str
    b: str
    c: str
    neighbours: list[NeighbourOut]


class ParaphraseOut(BaseModel):
    text: str
    score: float | None = Field(..., description="Fluency gained plus similarity (log10 units; higher is better).")
    changes: list[tuple[str, str]] = Field(..., description="(original word, substitute), left to right.")
    fluency: float | None = Field(None, description="With `word`: log10 P(this sentence) - log10 P(the original).")
    similarity: float | None = Field(None, description="With `word`: the cosine between the two words.")


class ParaphraseResponse(BaseModel):
    sentence: str
    word: str | int | None
    paraphrases: list[ParaphraseOut]


class EditOut(BaseModel):
    start: int = Field(..., description="Where `original` starts in the text, in characters (code points).")
    end: int
    start_utf16: int = Field(..., description="The same in UTF-16 code units: JavaScript's string offsets "
                             "(a character beyond U+FFFF, most emoji, counts two).")
    end_utf16: int
    original: str
    replacement: str
    confidence: float = Field(..., description="The replacement's probability among the candidates for this "
                              "word, the word as typed included.")


class CorrectResponse(BaseModel):
    text: str = Field(..., description="The text with every edit applied.")
    edits: list[EditOut]


class SuggestionOut(BaseModel):
    word: str
    probability: float
    distance: int = Field(..., description="Edits between the typed word and this one.")


class SuggestResponse(BaseModel):
    word: str
    suggestions: list[SuggestionOut]
