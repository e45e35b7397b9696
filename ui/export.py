"""CSV exports that a spreadsheet opens as data, never as formulas.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula (`=HYPERLINK(…)`, `@SUM(…)`, DDE). As OWASP's "CSV Injection"
advises, such text cells get a leading apostrophe, and every field is quoted; numbers stay numbers.
"""

from __future__ import annotations

import csv

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: object) -> object:
    """A text cell as a spreadsheet shows it but cannot run it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(frame: pd.DataFrame) -> str:
    """The frame as CSV, every text cell (and header) made inert."""
    safe = frame.rename(columns=lambda c: inert_cell(str(c)))
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(inert_cell)
    return safe.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)
