import re
import sys
import textwrap
import unicodedata

from next_token.text import builtin as dc
from next_token.text.builtin import (
    clean_rest,
    module_docstrings,
    python_docs_fingerprint,
    python_docs_texts,
    stdlib_sources,
)
from next_token.text.corpus import split_sentences


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
    got = list(python_docs_texts())
    assert [name for name, _ in got] == ["stdlib:alpha", "stdlib:cafe", "stdlib:pkg", "stdlib:pkg.beta"]
    assert got[2][1] == "The pkg package does several useful things.\n"
    assert "SECRET" not in "".join(text for _, text in got)
    assert got[1][1].startswith("Caf\u00e9 ")  # NFC
    assert list(python_docs_texts()) == got  # deterministic


def test_fingerprint_changes_with_the_stdlib(tmp_path, monkeypatch):
    _fake_stdlib(tmp_path)
    monkeypatch.setattr(dc, "stdlib_dir", lambda: tmp_path)
    first = python_docs_fingerprint()
    assert first == python_docs_fingerprint()
    assert "4mods" not in first and "mods-" in first
    (tmp_path / "alpha.py").write_text('"""Alpha module explains alpha things better now."""\n', encoding="utf-8")
    assert python_docs_fingerprint() != first
    (tmp_path / "gamma.py").write_text('"""New."""\n', encoding="utf-8")
    assert "mods-" in python_docs_fingerprint()


def test_real_stdlib_sources_skip_tests_and_idle():
    files = stdlib_sources()
    root = dc.stdlib_dir()
    rel = [f.relative_to(root).parts for f in files]
    assert ("json", "__init__.py") in rel and ("textwrap.py",) in rel
    for skipped in ("test", "idlelib", "site-packages", "encodings"):
        assert not any(skipped in parts[:-1] for parts in rel), skipped
    assert files == sorted(files, key=lambda p: p.relative_to(root).as_posix())


def test_real_fingerprint_names_python_version():
    fp = python_docs_fingerprint()
    version = ".".join(map(str, sys.version_info[:3]))
    assert fp.startswith(f"python-docs-v{dc.CLEANER_VERSION}-{sys.implementation.name}{version}-")
    assert fp == python_docs_fingerprint()


def test_help_topics_are_clean_prose():
    topics = dict(dc._topic_texts())
    assert len(topics) > 50
    text = topics["pydoc:for"]
    assert "is used to iterate over the elements of a sequence" in text
    assert "for_stmt ::=" not in text and "print(i)" not in text and "****" not in text


def test_full_default_corpus():
    # The real build: a few seconds of ast parsing (its time is measured in bench, not here).
    texts = list(python_docs_texts())
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
