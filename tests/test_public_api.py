"""The public face: what `import next_token` offers is pinned, and the image part stays optional."""

import subprocess
import sys

import next_token

PUBLIC = {
    "LanguageModel", "Prediction", "Completion", "Score", "Text",
    "Language", "ImageModel",
    "NtpError", "InputError", "CorpusError", "ModelFileError", "EstimationError",
}


def test_all_is_pinned_and_every_name_resolves():
    assert set(next_token.__all__) == PUBLIC
    for name in next_token.__all__:
        assert getattr(next_token, name) is not None


def test_the_originals_names_import_from_the_top():
    from next_token import ImageModel, Language
    from next_token.image.model import ImageModel as Direct
    from next_token.original_api import Language as Facade

    assert ImageModel is Direct and Language is Facade


def test_every_error_is_an_ntp_error():
    for name in ("InputError", "CorpusError", "ModelFileError", "EstimationError"):
        assert issubclass(getattr(next_token, name), next_token.NtpError)


def test_import_does_not_load_pillow_or_the_server():
    code = "import sys, next_token; print('PIL' in sys.modules, 'fastapi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_unknown_attribute_is_an_attribute_error():
    try:
        next_token.NoSuchThing  # noqa: B018
    except AttributeError as e:
        assert "NoSuchThing" in str(e)
    else:
        raise AssertionError("expected AttributeError")
