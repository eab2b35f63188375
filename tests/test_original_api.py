"""The original library's API (`next_token.Language`): result shapes and what we fixed."""

import pytest

from next_token.errors import CorpusError, InputError, ModelFileError
from next_token.language_model import LanguageModel
from next_token.original_api import Language
from shared_data import KENLM_DIR, need_shared

pytestmark = pytest.mark.filterwarnings("ignore::next_token.ngram.kneser_ney.DiscountFallbackWarning")

TEXT = """The cat sat on the mat. The cat sat on the mat, and the dog sat on the log.
The dog ran to the park. The sun was warm, and the cat slept.
The sun rose over the hills. The sun was bright. Then the cat sat on the mat again.
What is the time? What is the cat doing? What is that noise?
Hopefully the rain stops soon. Hopefully the sun comes out.
"""


@pytest.fixture(scope="module")
def agent():
    return Language(text=TEXT, order=3)


@pytest.fixture(scope="session")
def default_lm(tmp_path_factory):
    """The built-in model, built at most once per session into the test cache (never the user's)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NTP_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "ntp-cache"))
        yield LanguageModel.default()


def check_shapes(agent):
    """The original's four demo calls, with the original's result shapes."""
    p = agent.get_token_prediction("what")
    assert set(p) == {"token", "ranked_token_list"}
    assert isinstance(p["token"], str) and p["token"] == p["ranked_token_list"][0]
    assert len(p["ranked_token_list"]) == agent.top_k

    s = agent.get_token_sequence_prediction("what is", 5)
    assert set(s) == {"completion", "sequence_length", "token", "ranked_token_list"}
    assert s["sequence_length"] == 5 and isinstance(s["completion"], str) and s["completion"]
    assert s["completion"] == s["completion"].strip()
    assert s["token"] == agent.get_token_prediction("what is")["token"]

    c = agent.complete("hopefully")
    assert isinstance(c, str) and c and c == c.strip()

    g = agent.get_completions("The sun")
    assert set(g) == {"completion", "token", "ranked_token_list", "completions"}
    assert g["completions"][0] == g["completion"] == agent.complete("The sun")
    assert len(g["completions"]) == len(set(g["completions"])) <= agent.n_completions
    assert len(g["completions"]) >= 2
    assert g["token"] == g["ranked_token_list"][0]
    return p, s, c, g


def test_shapes_and_ranking_by_probability(agent):
    check_shapes(agent)
    ranked = agent.get_token_prediction("The cat")["ranked_token_list"]
    preds = [p for p in agent.model.predict("The cat", k=agent.top_k + 2) if p.token not in ("</s>", "<unk>")]
    assert ranked == [p.token for p in preds][: agent.top_k]
    assert ranked[0] == "sat"  # 3 of 4 "The cat" continue with "sat"
    # "</s>" is a likely successor of "The cat sat" in the model, but not a word to show.
    assert "</s>" in [p.token for p in agent.model.predict("The cat sat", k=agent.top_k)]
    assert "</s>" not in agent.get_token_prediction("The cat sat")["ranked_token_list"]


def test_contexts_match_anywhere_and_punctuation_is_kept(agent):
    # "sat on" never starts a sentence; the original only matched sentence starts.
    assert agent.get_token_prediction("the dog sat on")["token"] == "the"
    # The comma after "mat" is a real token of the ranking.
    assert "," in agent.get_token_prediction("the cat sat on the mat")["ranked_token_list"]
    # Completions keep punctuation and repeated words ("the ... the").
    seq = agent.get_token_sequence_prediction("The cat sat", 4)
    assert seq["completion"] == "on the mat." or seq["completion"].split()[:2] == ["on", "the"]


def test_sequence_length_is_honoured(agent):
    for n in (1, 3, 6):
        s = agent.get_token_sequence_prediction("The", n)
        assert len(agent.model.predict_sequence("The", n).tokens) == n
        assert s["sequence_length"] == n


def test_complete_is_the_model_completion_without_prompt(agent):
    assert agent.complete("The cat sat on") == agent.model.complete("The cat sat on", max_tokens=30).strip()


def test_files_are_found_like_the_original(tmp_path, monkeypatch):
    docs = tmp_path / "training" / "documents"
    docs.mkdir(parents=True)
    (docs / "cats.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "plain.txt").write_text(TEXT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for files in (["cats"], ["plain"], ["plain.txt"], [str(docs / "cats.txt")], "plain"):
        agent = Language(files=files, order=2)
        assert agent.get_token_prediction("The cat")["token"] == "sat"
    with pytest.raises(CorpusError):
        Language(files=["no-such-book"])
    with pytest.raises(CorpusError):
        Language(files=[])


def test_datasets(tmp_path, default_lm):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    by_folder = Language(dataset=str(tmp_path), order=3)
    by_dict = Language(dataset={"name": "Cats", "files": [str(tmp_path / "a.txt")]}, order=3)
    assert by_dict.name == "Cats"
    assert by_folder.get_token_prediction("The cat") == by_dict.get_token_prediction("The cat")
    builtin = Language(dataset="python-docs")
    assert builtin.model.info()["ngrams"] == default_lm.info()["ngrams"]
    with pytest.raises(InputError):
        Language(dataset={"name": "x"})
    with pytest.raises(InputError):
        Language(dataset=42)


def test_bootstrap_runs_the_original_demo(default_lm):
    agent = Language(bootstrap=True)
    assert Language().model.info()["ngrams"] == agent.model.info()["ngrams"] == default_lm.info()["ngrams"]
    check_shapes(agent)


def test_original_demo_on_the_books():
    train = need_shared(KENLM_DIR / "books_head90.txt")
    agent = Language(files=[str(train)], order=3, tokenizer="whitespace")
    p, s, c, g = check_shapes(agent)
    assert len(s["completion"].split()) >= 5  # five tokens (some may be punctuation)


def test_model_argument_and_errors(tmp_path, agent):
    path = tmp_path / "m.ntp"
    agent.model.save(path)
    again = Language(model=str(path))
    assert again.get_token_prediction("The cat") == agent.get_token_prediction("The cat")
    assert Language(model=agent.model).model is agent.model
    with pytest.raises(ModelFileError):
        Language(model=str(tmp_path / "missing.ntp"))
    with pytest.raises(InputError):
        Language(bootstrap=True, files=["x"])
    with pytest.raises(InputError):
        Language(text=TEXT, files=["x"])
    with pytest.raises(InputError):
        Language(text=TEXT, top_k=0)
    with pytest.raises(InputError):
        agent.get_token_prediction(None)
    with pytest.raises(InputError):
        agent.complete("   ")
