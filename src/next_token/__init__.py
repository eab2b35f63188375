"""next_token: fast, exact count-based language models for next-token prediction.

Start with `LanguageModel` (train, load, predict, complete, generate, score); the original
JavaScript library's API lives in `next_token.compat.Language`.
"""

__version__ = "0.1.0"
