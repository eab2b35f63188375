"""The exceptions the library raises. Every one is a `NtpError`, so a caller can catch them all.

They subclass the matching built-in too (`ValueError`, `OSError`) so code written against plain
Python expectations keeps working.
"""


class NtpError(Exception):
    """Base class of every error raised on purpose by next_token."""


class InputError(NtpError, ValueError):
    """A bad argument from the caller: empty prompt, k <= 0, absurd length, unknown option."""


class CorpusError(NtpError, ValueError):
    """Training text that cannot be used: missing, binary, undecodable or empty."""


class ModelFileError(NtpError, OSError):
    """A model file that is missing, truncated, corrupted, foreign or from a newer version."""


class EstimationError(NtpError, ValueError):
    """Counts that cannot support the requested estimate (e.g. too little data for discounts)."""
