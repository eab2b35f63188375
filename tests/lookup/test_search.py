"""Phrase search against a brute-force scan of the stream: every hit real, every occurrence found."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from next_token import LanguageModel
from next_token.lookup.documents import DocumentMap
from next_token.lookup.search import search
from next_token.unbounded.build import build_index

DOCS = {
    "a.txt": "The Opera ghost was seen.\nThe opera ghost spoke to Christine.\n\nA ghost is a ghost.",
    "b.txt": "Nobody saw the opera ghost.\nThe OPERA ghost laughed. The ghost left.",
}


def setup():
    from next_token.text.corpus import split_sentences

    lm = LanguageModel.train(text="\n\n".join(DOCS.values()), order=2, discount_fallback="ignore")
    sents, names, per_doc, lines = [], [], [], []
    for name, text in DOCS.items():
        names.append(name)
        n = 0
        for line_no, line in enumerate(text.splitlines(), 1):
            for s in split_sentences(line):
                sents.append(lm.tokenizer.tokenize(s))
                lines.append(line_no)
                n += 1
        per_doc.append(n)
    stream = lm.vocab.encode_sentences(sents)
    index = build_index(stream, vocab_size=len(lm.vocab))
    return lm, stream, index, DocumentMap.build(names, per_doc, lines, stream)


LM, STREAM, INDEX, DOCS_MAP = setup()


def brute(ids):
    s = STREAM.tolist()
    return [i for i in range(len(s) - len(ids) + 1) if s[i : i + len(ids)] == ids]


def test_counts_hits_sources_and_lines():
    r = search(INDEX, LM.vocab, LM.tokenizer, "opera ghost", documents=DOCS_MAP)
    assert r.count == 2 and [h.match for h in r.hits] == ["opera ghost"] * 2
    assert [(h.source, h.line) for h in r.hits] == [("a.txt", 2), ("b.txt", 1)]
    assert r.hits[0].before == "The" and r.hits[0].after.startswith("spoke to Christine")
    r = search(INDEX, LM.vocab, LM.tokenizer, "opera ghost", documents=DOCS_MAP, ignore_case=True)
    assert r.count == 4 and {h.match for h in r.hits} == {"Opera ghost", "opera ghost", "OPERA ghost"}
    assert dict(r.before)["The"] == 3 and dict(r.after)["was"] == 1


def test_paging_walks_every_hit_in_text_order():
    all_hits = search(INDEX, LM.vocab, LM.tokenizer, "ghost", limit=100).hits
    paged = [h for off in range(0, 10, 3) for h in search(INDEX, LM.vocab, LM.tokenizer, "ghost", offset=off, limit=3).hits]
    assert [h.position for h in paged] == [h.position for h in all_hits] == sorted(h.position for h in all_hits)


words = [t for t in LM.vocab.tokens[3:]]


@given(st.lists(st.sampled_from(words), min_size=1, max_size=3))
@settings(max_examples=150, deadline=None)
def test_every_hit_is_real_and_every_occurrence_is_found(tokens):
    phrase = LM.tokenizer.detokenize(tokens)
    found = search(INDEX, LM.vocab, LM.tokenizer, phrase, limit=1000)
    ids = [LM.vocab.id(t) for t in found.tokens]
    want = brute(ids)
    assert found.count == len(want)
    assert [h.position for h in found.hits] == want


@given(st.lists(st.sampled_from(words), min_size=1, max_size=3))
@settings(max_examples=150, deadline=None)
def test_ignoring_case_finds_every_occurrence_in_any_case(tokens):
    phrase = LM.tokenizer.detokenize(tokens)
    found = search(INDEX, LM.vocab, LM.tokenizer, phrase, limit=1000, ignore_case=True)
    lower = [LM.vocab.tokens[i].lower() for i in STREAM.tolist()]
    want_words = [t.lower() for t in found.tokens]  # the phrase as searched (sentence marks included)
    n = len(want_words)
    want = [i for i in range(len(lower) - n + 1) if lower[i : i + n] == want_words]
    assert found.count == len(want)
    assert [h.position for h in found.hits] == want


def test_unknown_words_and_bad_input():
    assert search(INDEX, LM.vocab, LM.tokenizer, "zebra").count == 0
    for bad in ("", "  "):
        try:
            search(INDEX, LM.vocab, LM.tokenizer, bad)
        except ValueError:
            continue
        raise AssertionError("expected an InputError")


def test_document_map_round_trip():
    meta, arrays = DOCS_MAP.to_arrays()
    again = DocumentMap.from_arrays(meta, arrays)
    pos = np.arange(len(STREAM))
    assert [a.tolist() for a in again.locate(pos)] == [a.tolist() for a in DOCS_MAP.locate(pos)]
