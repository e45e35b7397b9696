"""Looking up the catalog in a given language."""

from __future__ import annotations

from words.catalog import CATALOG

LANGUAGES = {"en": "English", "ru": "Русский"}


def translate(lang: str, key: str, **values) -> str:
    """The catalog's text for `key` in `lang`, with `values` filled in (the key if missing)."""
    entry = CATALOG.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def name_in(row, lang: str, field: str = "name") -> str:
    """A department's, category's or district's name in `lang`, English as fallback."""
    get = row.get if hasattr(row, "get") else (lambda k, d=None: getattr(row, k, d))
    if lang == "ru":
        russian = get(f"{field}_ru")
        if isinstance(russian, str) and russian:
            return russian
    value = get(field)
    return value if isinstance(value, str) else ""
