"""Stop sequences for the server: the scanner lives in the core (next_token.stops)."""

from ..stops import StopScanner, collect, cut_at_stops

__all__ = ["StopScanner", "collect", "cut_at_stops"]
