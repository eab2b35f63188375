"""next_token: fast, exact count-based language models for next-token prediction.

    from next_token import LanguageModel, Text
    lm = LanguageModel.train(["books/"])          # or LanguageModel.default()
    lm.predict("The sun", k=5)

The original JavaScript library's API is here too, in Python spelling: `Language` (words) and
`ImageModel` (pixels; it needs the [image] extra, Pillow, and is imported only when asked for).
Every error raised on purpose is an `NtpError`.
"""

__version__ = "0.1.0"

from .errors import CorpusError, EstimationError, InputError, ModelFileError, NtpError  # noqa: E402
from .language_model import Completion, LanguageModel, Prediction, Score  # noqa: E402
from .original_api import Language  # noqa: E402
from .text.corpus import Text  # noqa: E402

__all__ = [
    "LanguageModel", "Prediction", "Completion", "Score", "Text",
    "Language", "ImageModel",
    "NtpError", "InputError", "CorpusError", "ModelFileError", "EstimationError",
]


def __getattr__(name: str):
    # The image model needs Pillow, an optional extra: import it only when it is asked for, and
    # say which extra to install when it is missing.
    if name == "ImageModel":
        try:
            from .image.model import ImageModel
        except ImportError as e:
            raise ImportError(f"ImageModel needs the [image] extra ({e}): "
                              "pip install 'next-token-prediction[image]'") from None
        return ImageModel
    raise AttributeError(f"module 'next_token' has no attribute {name!r}")
