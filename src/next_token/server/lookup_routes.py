"""Lookup and spelling over the model: the corpus index, the word vectors and the corrector.

    POST /api/search      where a phrase occurs in the training text: count, hits, neighbours
    POST /api/similar     the words whose vectors are closest to a word's
    POST /api/analogy     a is to b as c is to ...
    POST /api/paraphrase  variants of a sentence with one or two words substituted (`word`: that one)
    POST /api/correct     the text with its misspellings corrected, and the edits
    POST /api/suggest     the likeliest intended words for a word as typed

Each part is optional in a model (its `info()` says which it has: "index", "vectors",
"spelling"); asking a model for a part it lacks is a 400 with the library's message, which names
the training option that builds it.

Every call goes through the runner's long lane like the other model work (runner.py): it runs
in a model thread, waits its fair turn, and obeys the request's deadline. None of these calls can
be interrupted once started; the limits keep each one short (schemas.Limits).

Offsets. /api/correct's edits carry the library's offsets (`start`, `end`: code points, what
Python's str counts) and JavaScript's (`start_utf16`, `end_utf16`: UTF-16 code units, what a
browser's strings count); they differ after any character beyond U+FFFF, such as most emoji.

Search hits name their training file as it was given at training time: that is corpus data, and
is returned as recorded. The model's own file is never named.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from fastapi import APIRouter

from .http_errors import check_max, check_text
from .lookup_schemas import (
    AnalogyRequest,
    AnalogyResponse,
    CorrectRequest,
    CorrectResponse,
    ParaphraseRequest,
    ParaphraseResponse,
    SearchRequest,
    SearchResponse,
    SimilarRequest,
    SimilarResponse,
    SuggestRequest,
    SuggestResponse,
)
from .openai_common import Served


def finite(x: Any) -> float | None:
    """JSON has no inf or NaN: a non-finite number is sent as null."""
    x = float(x)
    return x if math.isfinite(x) else None


def utf16_offsets(text: str, offsets: Iterable[int]) -> dict[int, int]:
    """{offset in code points: the same offset in UTF-16 code units} for offsets into `text`.

    A character beyond U+FFFF is one code point in Python and two code units (a surrogate pair)
    in JavaScript; walking the text once, in order, counts those before each offset.
    """
    out: dict[int, int] = {}
    last, extra = 0, 0
    for offset in sorted(set(offsets)):
        extra += sum(1 for ch in text[last:offset] if ord(ch) > 0xFFFF)
        out[offset] = offset + extra
        last = offset
    return out


def neighbours_out(found) -> list[dict]:
    return [{"word": n.word, "score": float(n.score)} for n in found]


def lookup_router(served: Served) -> APIRouter:
    router = APIRouter(prefix="/api")
    runner, limits = served.runner, served.limits

    # ---- the corpus ----------------------------------------------------------------------------

    @router.post("/search", response_model=SearchResponse, tags=["lookup"])
    async def search(req: SearchRequest) -> dict:
        """Where `phrase` occurs in the training text: how often, the hits `offset` to
        `offset + limit` in text order (file, line, the text around them), and the words seen
        most often before and after it. Needs the model's corpus index."""
        check_text("phrase", req.phrase, limits.max_search_chars)
        check_max("limit", req.limit, limits.max_search_hits)
        check_max("context", req.context, limits.max_search_context)
        check_max("neighbours", req.neighbours, limits.max_k)
        model = served.model  # this request's model, whatever reloads happen meanwhile

        def work() -> dict:
            return model.search(req.phrase, ignore_case=req.ignore_case, offset=req.offset, limit=req.limit,
                                context=req.context, neighbours=req.neighbours).to_dict()

        return await runner.call(work)

    # ---- words -----------------------------------------------------------------------------------

    @router.post("/similar", response_model=SimilarResponse, tags=["lookup"])
    async def similar(req: SimilarRequest) -> dict:
        """The k words whose vectors are closest to `word`'s, best first (cosine). Needs word vectors."""
        check_text("word", req.word, limits.max_word_chars)
        check_max("k", req.k, limits.max_k)
        model = served.model
        found = await runner.call(model.similar, req.word, req.k)
        return {"word": req.word, "neighbours": neighbours_out(found)}

    @router.post("/analogy", response_model=AnalogyResponse, tags=["lookup"])
    async def analogy(req: AnalogyRequest) -> dict:
        """a is to b as c is to ...: the k best answers (3CosMul). Needs word vectors."""
        for param in ("a", "b", "c"):
            check_text(param, getattr(req, param), limits.max_word_chars)
        check_max("k", req.k, limits.max_k)
        model = served.model
        found = await runner.call(model.analogy, req.a, req.b, req.c, req.k)
        return {"a": req.a, "b": req.b, "c": req.c, "neighbours": neighbours_out(found)}

    @router.post("/paraphrase", response_model=ParaphraseResponse, tags=["lookup"])
    async def paraphrase(req: ParaphraseRequest) -> dict:
        """Up to n fluent variants of `sentence`, one or two words substituted, best first; with
        `word`, the n best substitutes for that word alone. Needs word vectors."""
        check_text("sentence", req.sentence, limits.max_sentence_chars)
        check_max("n", req.n, limits.max_completions)
        if isinstance(req.word, str):
            check_text("word", req.word, limits.max_word_chars)
        model = served.model

        def work() -> list[dict]:
            if req.word is None:
                return [{"text": p.text, "score": finite(p.score), "changes": [list(c) for c in p.changes]}
                        for p in model.paraphrase(req.sentence, req.n)]
            found = model.substitutes(req.sentence, req.word, req.n)  # validates the word or position
            original = req.word if isinstance(req.word, str) else model.tokenizer.tokenize(req.sentence)[req.word]
            return [{"text": s.text, "score": finite(s.score), "changes": [[original, s.word]],
                     "fluency": finite(s.fluency), "similarity": finite(s.similarity)} for s in found]

        return {"sentence": req.sentence, "word": req.word, "paraphrases": await runner.call(work)}

    # ---- spelling --------------------------------------------------------------------------------

    @router.post("/correct", response_model=CorrectResponse, tags=["spelling"])
    async def correct(req: CorrectRequest) -> dict:
        """`text` with its misspellings corrected in context, and each edit with its offsets (in
        code points and in UTF-16 code units) and confidence. Needs a word model."""
        check_text("text", req.text, limits.max_correct_chars)
        model = served.model

        def work() -> dict:
            fixed = model.correct(req.text, open_end=req.open_end)
            js = utf16_offsets(req.text, [x for e in fixed.edits for x in (e.start, e.end)])
            edits = [{"start": e.start, "end": e.end, "start_utf16": js[e.start], "end_utf16": js[e.end],
                      "original": e.original, "replacement": e.replacement, "confidence": float(e.confidence)}
                     for e in fixed.edits]
            return {"text": fixed.text, "edits": edits}

        return await runner.call(work)

    @router.post("/suggest", response_model=SuggestResponse, tags=["spelling"])
    async def suggest(req: SuggestRequest) -> dict:
        """The k likeliest intended words for `word` typed between `context` and
        `right_context`, with their probabilities and edit distances. Needs a word model."""
        check_text("word", req.word, limits.max_word_chars)
        check_text("context", req.context, limits.max_prompt_chars)
        check_text("right_context", req.right_context, limits.max_prompt_chars)
        check_max("k", req.k, limits.max_k)
        model = served.model
        found = await runner.call(model.suggest, req.word, req.context, req.k, req.right_context)
        return {"word": req.word, "suggestions": [
            {"word": s.word, "probability": float(s.probability), "distance": int(s.distance)} for s in found]}

    return router
