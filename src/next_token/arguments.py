"""Checks of the numbers callers pass, written once so every face words its errors the same way.

Booleans are refused although `True` is an `int` in Python: `k=True` is a mistake, not a 1.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError


def check_int(value, name: str, low: int = 1, high: int | None = None) -> int:
    """`value` as an int if it is an integer in [low, high], else `InputError` naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low or (
        high is not None and value > high
    ):
        if high is not None:
            want = f"an integer from {low} to {high}"
        elif low == 1:
            want = "a positive integer"
        elif low == 0:
            want = "a non-negative integer"
        else:
            want = f"an integer >= {low}"
        raise InputError(f"{name} must be {want}, got {value!r}")
    return int(value)


def check_number(value, name: str, low: float, high: float, *, low_open: bool = False) -> float:
    """`value` as a float if it is a finite number in [low, high] (or (low, high]), else `InputError`."""
    ok = (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and np.isfinite(value)
        and (value > low if low_open else value >= low)
        and value <= high
    )
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise InputError(f"{name} must be a number in {interval}, got {value!r}")
    return float(value)
