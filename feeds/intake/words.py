"""Words as the rules see them: every Russian lemma (pymorphy3) or the English stem (Snowball).

A rule's word matches a written word when the rule's form is among the written word's forms, so
"ямы", "ямой" and "яму" all match "яма" without any suffix rules of our own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import pymorphy3
import snowballstemmer

WORD = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+(?:['’\-][A-Za-zА-Яа-яЁё]+)*")
CYRILLIC = re.compile(r"[а-яё]")
# Latin letters that look like Cyrillic ones, as typed into a Russian word to dodge filters.
LOOKALIKES = str.maketrans("aceopxyk", "асеорхук")


@dataclass(frozen=True)
class Word:
    """One written word: its lower-case text (ё as е), all its forms, and where it stands."""

    text: str
    forms: frozenset[str]
    start: int
    end: int
    capitalized: bool


@cache
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@cache
def _english() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lower case with ё written as е, the way both rules and messages are compared."""
    return text.lower().replace("ё", "е")


@lru_cache(maxsize=65536)
def forms(token: str) -> frozenset[str]:
    """Every dictionary form a written word may be (Russian) or its stem (English), and itself."""
    token = fold(token)
    if CYRILLIC.search(token):
        token = token.translate(LOOKALIKES)
        lemmas = {fold(p.normal_form) for p in _morph().parse(token)}
        return frozenset(lemmas | {token})
    if token.isdigit():
        return frozenset({token})
    return frozenset({token, _english().stemWord(token.replace("’", "'"))})


@lru_cache(maxsize=16384)
def lemma(token: str) -> str:
    """The single most likely form of a word, as a rule's word is written down for matching."""
    token = fold(token)
    if CYRILLIC.search(token):
        return fold(_morph().parse(token.translate(LOOKALIKES))[0].normal_form)
    if token.isdigit():
        return token
    return _english().stemWord(token)


def words(text: str) -> list[Word]:
    """The words of a text, in order."""
    return [
        Word(fold(m.group()), forms(m.group()), m.start(), m.end(), m.group()[:1].isupper())
        for m in WORD.finditer(text)
    ]
