"""Cell values in and out of spreadsheets: formula neutralising on write, its exact inverse on read, and
the normalisation of whatever a reader library returns into the few CellValue types.

A text cell that starts with `= + - @`, tab or CR can be run as a formula by a spreadsheet (CSV
injection); writers prefix such text with `'`. So that a value written by us reads back exactly, a text
that already starts with `'` gets the prefix too, and the reader strips one `'` only when the next
character is one of those or another `'`. A user's own `'abc` is therefore kept as typed.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from typing import Final

import numpy as np

from geo_service.interchange.tables import CellValue

FORMULA_TRIGGERS: Final = frozenset("=+-@\t\r")
_QUOTE: Final = "'"


def neutralise(text: str) -> str:
    """`text` as a spreadsheet cell that no spreadsheet evaluates."""
    if text and (text[0] in FORMULA_TRIGGERS or text[0] == _QUOTE):
        return _QUOTE + text
    return text


def restore(text: str) -> str:
    """The inverse of `neutralise` (applied to every text cell read from CSV and XLSX)."""
    if len(text) >= 2 and text[0] == _QUOTE and (text[1] in FORMULA_TRIGGERS or text[1] == _QUOTE):
        return text[1:]
    return text


def _float(value: float) -> CellValue:
    return None if math.isnan(value) else value


def normalise(value: object) -> CellValue:
    """A library's cell value as CellValue: blank text and NaN are empty, dates are ISO text."""
    if isinstance(value, np.generic):  # pyogrio's columns hold NumPy scalars
        value = value.item()
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None
