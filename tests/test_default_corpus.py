import re
import sys
import textwrap
import unicodedata

import pytest

from next_token import default_corpus as dc
from next_token.corpus import split_sentences
from next_token.default_corpus import (
    CORPORA,
    clean_rest,
    corpus_fingerprint,
    default_corpus_texts,
    folder_corpus,
    get_corpus,
    module_docstrings,
    register_corpus,
    stdlib_sources,
)
from next_token.errors import CorpusError, InputError


def test_clean_rest_markup_roles_and_fields():
    doc = textwrap.dedent(
        """\
        Join paths with :func:`os.path.join` and :class:`~collections.abc.Mapping` types.

        See :ref:`the tutorial <tut-intro>` and `Python <https://python.org>`_ for ``*args``.
        A *very* **strong** claim about "None" values [1]_.

        :param path: the path to read from disk.
        :returns: the text of the whole file.
        :mod:`marshal` and :mod:`pickle` modules are related, not fields.
        """
    )
    assert clean_rest(doc) == [
        "Join paths with os.path.join and Mapping types.",
        "See the tutorial and Python for *args. A very strong claim about None values.",
        "the path to read from disk.",
        "the text of the whole file. marshal and pickle modules are related, not fields.",
    ]


def test_clean_rest_drops_code_doctests_tables_headings():
    doc = textwrap.dedent(
        """\
        Usage Notes
        ===========

        Here is how to loop over it::

            for i in range(10):
                print(i)

        >>> f(1, 2)
        3
        ... more

        +-------+-------+
        | a     | b     |
        +-------+-------+

        =====  =====
        col1   col2
        =====  =====

           for_stmt ::= "for" target_list "in" starred_list ":" suite

        .. _label-target:

        .. versionchanged:: 3.2
           Added the spam argument.

        .. note::
           Notes keep their body text.

        * First bullet item is here.
        * Second bullet item is here.

        Final sentence of the text.
        """
    )
    assert clean_rest(doc) == [
        "Here is how to loop over it:",
        "Changed in version 3.2: Added the spam argument.",
        "Notes keep their body text.",
        "First bullet item is here.",
        "Second bullet item is here.",
        "Final sentence of the text.",
    ]


def test_clean_rest_keeps_indented_prose_but_not_indented_code():
    doc = "object.__len__(self)\n\n   Called to implement the built-in function len().\n\n   x = len(obj) + 1\n"
    assert clean_rest(doc) == ["Called to implement the built-in function len()."]


def test_clean_rest_drops_fragments():
    assert clean_rest("Constructor.\n\nx = f(a, b, c, d, e)\n\nSee also:") == []


def test_module_docstrings_in_source_order_without_running_code():
    source = textwrap.dedent(
        '''\
        """Module doc."""
        raise SystemExit("must never run")

        class A:
            """Class doc."""

            def m(self):
                """Method doc."""

            def nodoc(self):
                x = "not a docstring"

        async def g():
            """Async doc."""

        def f():
            """Function doc."""
        '''
    )
    assert module_docstrings(source) == ["Module doc.", "Class doc.", "Method doc.", "Async doc.", "Function doc."]


def _fake_stdlib(root):
    files = {
        "alpha.py": '"""Alpha module explains alpha things well."""\n',
        "pkg/__init__.py": '"""The pkg package does several useful things."""\n',
        "pkg/beta.py": 'def f():\n    """Return the beta value of the thing."""\n',
        "test/test_alpha.py": '"""SECRET test docstring must be skipped."""\n',
        "idlelib/editor.py": '"""SECRET idle docstring must be skipped."""\n',
        "site-packages/thing.py": '"""SECRET third party docstring here."""\n',
        "encodings/cp0.py": '"""SECRET codec boilerplate docstring here."""\n',
        "broken.py": 'print "python two syntax"\n',
        "nodoc.py": "x = 1\n",
        "cafe.py": '"""Cafe\u0301 docstring with a combining accent here."""\n',
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_docstring_texts_on_a_fake_stdlib(tmp_path, monkeypatch):
    _fake_stdlib(tmp_path)
    monkeypatch.setattr(dc, "stdlib_dir", lambda: tmp_path)
    monkeypatch.setattr(dc, "_topic_texts", lambda: iter(()))
    got = list(default_corpus_texts())
    assert [name for name, _ in got] == ["stdlib:alpha", "stdlib:cafe", "stdlib:pkg", "stdlib:pkg.beta"]
    assert got[2][1] == "The pkg package does several useful things.\n"
    assert "SECRET" not in "".join(text for _, text in got)
    assert got[1][1].startswith("Caf\u00e9 ")  # NFC
    assert list(default_corpus_texts()) == got  # deterministic


def test_fingerprint_changes_with_the_stdlib(tmp_path, monkeypatch):
    _fake_stdlib(tmp_path)
    monkeypatch.setattr(dc, "stdlib_dir", lambda: tmp_path)
    first = corpus_fingerprint("python-docs")
    assert first == corpus_fingerprint()
    assert "4mods" not in first and "mods-" in first
    (tmp_path / "alpha.py").write_text('"""Alpha module explains alpha things better now."""\n', encoding="utf-8")
    assert corpus_fingerprint() != first
    (tmp_path / "gamma.py").write_text('"""New."""\n', encoding="utf-8")
    assert "mods-" in corpus_fingerprint()


def test_real_stdlib_sources_skip_tests_and_idle():
    files = stdlib_sources()
    root = dc.stdlib_dir()
    rel = [f.relative_to(root).parts for f in files]
    assert ("json", "__init__.py") in rel and ("textwrap.py",) in rel
    for skipped in ("test", "idlelib", "site-packages", "encodings"):
        assert not any(skipped in parts[:-1] for parts in rel), skipped
    assert files == sorted(files, key=lambda p: p.relative_to(root).as_posix())


def test_real_fingerprint_names_python_version():
    fp = corpus_fingerprint()
    version = ".".join(map(str, sys.version_info[:3]))
    assert fp.startswith(f"python-docs-v{dc.CLEANER_VERSION}-{sys.implementation.name}{version}-")
    assert fp == corpus_fingerprint("python-docs")


def test_help_topics_are_clean_prose():
    topics = dict(dc._topic_texts())
    assert len(topics) > 50
    text = topics["pydoc:for"]
    assert "is used to iterate over the elements of a sequence" in text
    assert "for_stmt ::=" not in text and "print(i)" not in text and "****" not in text


def test_full_default_corpus():
    # The real build: a few seconds of ast parsing (its time is measured in bench, not here).
    texts = list(default_corpus_texts())
    names = [name for name, _ in texts]
    assert len(names) == len(set(names)) > 500
    words = sum(len(text.split()) for _, text in texts)
    assert 200_000 < words < 500_000
    joined = "\n".join(text for _, text in texts)
    lines = joined.splitlines()
    assert not any(line.startswith((">>>", "... ", ".. ", "    ")) for line in lines)
    assert ":func:`" not in joined and ":class:`" not in joined
    assert not re.search(r"``[^`\s]+``", joined)  # inline literals unwrapped
    assert unicodedata.is_normalized("NFC", joined)
    sentences = sum(1 for _, text in texts for _ in split_sentences(text))
    assert sentences > 10_000


def test_registry(tmp_path):
    corpus = get_corpus()
    assert corpus is CORPORA["python-docs"] and corpus.texts is default_corpus_texts
    with pytest.raises(InputError, match="unknown corpus 'nope'.*python-docs"):
        get_corpus("nope")
    (tmp_path / "a.txt").write_text("Some words here.", encoding="utf-8")
    mine = folder_corpus("mine", tmp_path)
    register_corpus(mine)
    try:
        assert get_corpus("mine") is mine
        assert list(mine.texts()) == [(str(tmp_path / "a.txt"), "Some words here.")]
        fp = corpus_fingerprint("mine")
        assert fp == corpus_fingerprint("mine")
        (tmp_path / "a.txt").write_text("Some other words here.", encoding="utf-8")
        assert corpus_fingerprint("mine") != fp
    finally:
        CORPORA.pop("mine")


def test_empty_folder_corpus_errors(tmp_path):
    with pytest.raises(CorpusError):
        list(folder_corpus("empty", tmp_path).texts())
