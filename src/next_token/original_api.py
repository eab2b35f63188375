"""The original JavaScript library's API (next-token-prediction on npm), in Python spelling.

    from next_token import Language

    agent = Language(bootstrap=True)                   # JS: await LM({ bootstrap: true })
    agent.get_token_prediction("what")                 # JS: agent.getTokenPrediction('what')
    agent.get_token_sequence_prediction("what is", 5)  # JS: agent.getTokenSequencePrediction('what is', 5)
    agent.complete("hopefully")                        # JS: agent.complete('hopefully')
    agent.get_completions("The sun")                   # JS: agent.getCompletions('The sun')

The result shapes are the original's, with snake_case keys:

    get_token_prediction(text)             -> {"token", "ranked_token_list"}
    get_token_sequence_prediction(text, n) -> {"completion", "sequence_length", "token", "ranked_token_list"}
    complete(text)                         -> str
    get_completions(text)                  -> {"completion", "token", "ranked_token_list", "completions"}

"completion" strings are the continuation only (without the prompt, no leading space), as in the
original. What differs, on purpose: tokens are ranked by probability (the original kept insertion
order); a context matches wherever it occurred, not only at sentence starts (Kneser-Ney backoff);
punctuation and repeated words are kept in completions (the end-of-sentence marker `</s>` is left
out of ranked lists: it is not something to type); a prompt the model has never seen still
gets predictions (from shorter contexts) instead of an error. `agent.model` is the underlying
`LanguageModel`, for probabilities, generation and scoring.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from .arguments import check_int
from .errors import CorpusError, InputError
from .language_model import LanguageModel
from .text.builtin import BUILTIN_CORPORA
from .text.corpus import Text

DEFAULT_RANKED = 10
DEFAULT_COMPLETIONS = 5
DEFAULT_SEQUENCE_LENGTH = 2  # the original's default for getTokenSequencePrediction
MAX_COMPLETION_TOKENS = 30


class Language:
    """A language model with the original library's methods.

    Exactly one way to get the model:

    - ``Language()`` or ``Language(bootstrap=True)``: the built-in model (Python's documentation),
      built on first use and cached;
    - ``Language(files=["a.txt", "docs/"])``: train on files, folders or globs. A bare name such as
      ``"pride-and-prejudice"`` is also looked up as ``name.txt`` and, as the original did, as
      ``training/documents/name.txt``;
    - ``Language(dataset="python-docs")`` (a built-in corpus name), ``Language(dataset="books/")``
      (a folder, glob or file), or ``Language(dataset={"name": ..., "files": [...]})`` (the shape of
      the original's dataset objects);
    - ``Language(text="Some training text. ...")`` or ``Language(model=lm_or_path)``.

    order / tokenizer are passed to `LanguageModel.train`; top_k is the length of
    "ranked_token_list"; completions is how many alternatives `get_completions` returns.
    """

    def __init__(
        self,
        bootstrap: bool = False,
        *,
        dataset: Any = None,
        files: Iterable[str | os.PathLike] | None = None,
        text: str | None = None,
        model: LanguageModel | str | os.PathLike | None = None,
        name: str | None = None,
        order: int = 5,
        tokenizer: str = "word",
        top_k: int = DEFAULT_RANKED,
        completions: int = DEFAULT_COMPLETIONS,
        progress: bool = False,
    ):
        given = [what for what, v in (("dataset", dataset), ("files", files), ("text", text), ("model", model))
                 if v is not None]
        if len(given) > 1 or (bootstrap and given):
            raise InputError(f"give only one of bootstrap, dataset, files, text or model (got {', '.join(given)})")
        self.top_k = check_int(top_k, "top_k")
        self.n_completions = check_int(completions, "completions")
        train = dict(order=order, tokenizer=tokenizer, progress=progress)
        if model is not None:
            self.model = model if isinstance(model, LanguageModel) else LanguageModel.load(model)
            self.name = name or (self.model.path or "model")
        elif files is not None:
            if isinstance(files, (str, os.PathLike)):
                files = [files]
            paths = [_resolve_file(f) for f in files]
            if not paths:
                raise CorpusError("files is empty: give at least one file to train on")
            self.model = LanguageModel.train(paths, **train)
            self.name = name or "New Dataset"
        elif text is not None:
            self.model = LanguageModel.train([Text(text)], **train)
            self.name = name or "New Dataset"
        elif dataset is not None:
            self.model, self.name = _from_dataset(dataset, train)
            self.name = name or self.name
        else:  # bootstrap=True, or nothing at all (the original fell back to its bootstrap too)
            self.model = LanguageModel.default(progress=progress)
            self.name = name or "python-docs"

    def __repr__(self) -> str:
        return f"Language(name={self.name!r}, model={self.model!r})"

    # ------------------------------------------------------------------ the original's API

    def get_token_prediction(self, text: str) -> dict:
        """The most probable next token and the top-k ranked list: {"token", "ranked_token_list"}."""
        ranked = self._ranked(_text(text))
        return {"token": ranked[0] if ranked else None, "ranked_token_list": ranked}

    def get_token_sequence_prediction(self, text: str, sequence_length: int = DEFAULT_SEQUENCE_LENGTH) -> dict:
        """The next `sequence_length` tokens (greedy), the first of them and the ranked list."""
        text = _text(text)
        seq = self.model.predict_sequence(text, sequence_length)
        ranked = self._ranked(text)
        return {
            "completion": seq.text.strip(),
            "sequence_length": sequence_length,
            "token": seq.tokens[0] if seq.tokens else None,
            "ranked_token_list": ranked,
        }

    def complete(self, text: str) -> str:
        """The most likely continuation of `text` to the end of its sentence (without `text`)."""
        return self.model.complete(_text(text), max_tokens=MAX_COMPLETION_TOKENS).strip()

    def get_completions(self, text: str) -> dict:
        """The best completion, the next token, the ranked list and alternative completions.

        "completions" starts with "completion" (the greedy one, as in the original), followed by
        the best distinct alternatives from beam search, `completions` in all.
        """
        text = _text(text)
        best = self.complete(text)
        alts = [best] if best else []
        for c in self.model.completions(text, k=self.n_completions + 1, max_tokens=MAX_COMPLETION_TOKENS):
            s = c.text.strip()
            if s and s not in alts:
                alts.append(s)
        ranked = self._ranked(text)
        return {
            "completion": best,
            "token": ranked[0] if ranked else None,
            "ranked_token_list": ranked,
            "completions": alts[: self.n_completions],
        }

    def _ranked(self, text: str) -> list[str]:
        """The top_k next tokens by probability; the markers `</s>` and `<unk>` are left out, as
        the original's lists held only words and punctuation."""
        preds = self.model.predict(text, k=self.top_k + len(_MARKERS))
        return [p.token for p in preds if p.token not in _MARKERS][: self.top_k]


_MARKERS = ("</s>", "<unk>")


def _text(text) -> str:
    if not isinstance(text, str):
        raise InputError(f"the text must be a string, got {type(text).__name__}")
    return text


def _resolve_file(f) -> str:
    """A path as given, else `name.txt`, else the original's `training/documents/name.txt`."""
    s = os.fspath(f)
    if Path(s).exists() or any(c in s for c in "*?["):
        return s
    for candidate in (Path(s + ".txt"), Path("training") / "documents" / (s + ".txt")):
        if candidate.exists():
            return str(candidate)
    return s  # let the corpus reader report the missing file


def _from_dataset(dataset, train: dict) -> tuple[LanguageModel, str]:
    if isinstance(dataset, dict):  # the original's {name, files} dataset objects
        files = dataset.get("files")
        if not files:
            raise InputError("a dataset dict needs a non-empty 'files' list")
        paths = [_resolve_file(f) for f in ([files] if isinstance(files, str) else files)]
        return LanguageModel.train(paths, **train), str(dataset.get("name") or "New Dataset")
    if isinstance(dataset, (str, os.PathLike)):
        s = os.fspath(dataset)
        if s in BUILTIN_CORPORA:
            return LanguageModel.default(progress=train.get("progress", False)), s
        return LanguageModel.train([_resolve_file(s)], **train), s
    raise InputError(
        f"dataset must be a built-in name ({', '.join(BUILTIN_CORPORA)}), a path, folder or glob, "
        f"or a dict with 'files'; got {type(dataset).__name__}"
    )
