"""Reading what a card tap carries. A selection is a string from the platform; only a short run of ASCII
digits is an index or an id (str.isdigit() also accepts "²" and "١٢٣", which int() refuses or misreads)."""

from __future__ import annotations


def small_index(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 9
