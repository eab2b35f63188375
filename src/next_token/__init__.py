"""next_token: fast, exact count-based language models for next-token prediction.

Start with `LanguageModel` (train, load, predict, complete, generate, score); the original
JavaScript library's API lives in `next_token.compat.Language`.
"""

__version__ = "0.1.0"

from .corpus import Text  # noqa: E402
from .errors import CorpusError, EstimationError, InputError, ModelFileError, NtpError  # noqa: E402
from .language_model import Completion, LanguageModel, Prediction, Score  # noqa: E402

__all__ = [
    "LanguageModel", "Prediction", "Completion", "Score", "Text",
    "NtpError", "InputError", "CorpusError", "ModelFileError", "EstimationError",
]
