"""`ntp export web`: the folder's files, the packed model, size targets, and what cannot be exported."""

from __future__ import annotations

import json
import warnings

import pytest
from click.testing import CliRunner

from next_token import LanguageModel
from next_token.cli import main
from next_token.errors import InputError
from next_token.ngram.packed import PackedNgramModel
from next_token.text.corpus import Text
from next_token.web.export import MODEL_FILE, PAGE_FILES, export_web


def test_the_folder_holds_the_page_the_engine_and_a_packed_model(full_lm, tmp_path):
    report = export_web(full_lm, tmp_path / "site")
    assert sorted(report["files"]) == sorted((*PAGE_FILES, MODEL_FILE))
    for name in PAGE_FILES:
        assert (tmp_path / "site" / name).stat().st_size > 0
    html = (tmp_path / "site" / "index.html").read_text()
    assert 'from "./next-token.js"' in html and 'load("model.ntp")' in html  # relative: any static host
    small = LanguageModel.load(tmp_path / "site" / MODEL_FILE)
    assert isinstance(small.model, PackedNgramModel) and report["bits"] == 8
    assert report["gzip_bytes"] < report["bytes"]
    assert small.predict("The function", k=3)[0].token == full_lm.predict("The function", k=3)[0].token


def test_a_target_size_is_met_by_pruning(full_lm, tmp_path):
    unpruned = export_web(full_lm, tmp_path / "a", bits=8)["files"][MODEL_FILE]["bytes"]
    target = int(unpruned * 0.6)
    report = export_web(full_lm, tmp_path / "b", target=target)
    assert report["files"][MODEL_FILE]["bytes"] <= target
    assert report["threshold"] is not None and sum(report["ngrams"]) < sum(full_lm.model.sizes)


def test_the_command_line(full_lm, tmp_path):
    full_lm.save(tmp_path / "m.ntp")
    result = CliRunner().invoke(main, ["export", "web", str(tmp_path / "m.ntp"), "-o", str(tmp_path / "site"),
                                       "--bits", "16", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["bits"] == 16
    result = CliRunner().invoke(main, ["export", "web", str(tmp_path / "m.ntp"), "-o", str(tmp_path / "site")])
    assert result.exit_code == 0 and "python -m http.server" in result.output


def test_bpe_models_are_refused_with_a_reason(tmp_path):
    pytest.importorskip("tokenizers")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = LanguageModel.train([Text("The cat sat on the mat. The dog sat on the log. " * 20)], order=2,
                                 tokenizer="bpe", bpe_vocab_size=60)
    with pytest.raises(InputError, match="bpe"):
        export_web(lm, tmp_path / "site")
