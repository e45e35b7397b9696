"""Obscene language, found in any word form.

No maintained package on PyPI fits (their Russian lists flag "бардак" or "корабля", or need a
language model), so the list is ours: `db/data/obscene_*.txt`, one pattern a line, matched
against the dictionary forms of each word, where `*` stands for any letters. Matching lemmas
rather than raw text is what keeps "колебания" and "употребляют" clean.

A word with letters hidden behind `*`, `@`, `#`, `$` or `%` ("х*й", "п***ц", "бл@ть", "f*cking")
is obscene when some letters in place of the marks would make a word the list names. Each run of
k marks may hide one to k + 1 letters, since people seldom count them. A masked word keeps its
first letter, so "#ямы" and "@name" are tags, not masks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

from feeds.intake.words import CYRILLIC, LOOKALIKES, Word, fold

MARKS = "*@#$%"
MARKED = re.compile(r"[0-9A-Za-zА-Яа-яЁё*@#$%]+")
# Besides letters, a masked word holds marks, each run one hidden letter (ANY) and then one
# optional letter per mark (MAYBE); a list entry holds `*`, any letters (STAR).
ANY, MAYBE, STAR = 1, 2, 3


@dataclass(frozen=True)
class ObsceneList:
    exact: frozenset[str]
    patterns: tuple[str, ...]

    def find(self, text_words: Iterable[Word]) -> list[str]:
        """The written words that are obscene, in order."""
        return [w.text for w in text_words if self._obscene(w.forms)]

    def masked(self, text: str) -> list[str]:
        """The words of `text` with letters hidden behind marks that may hide an obscene one."""
        found = []
        for m in MARKED.finditer(text):
            token = fold(m.group())
            if token[0].isalpha() and any(c in MARKS for c in token):  # not #tag or @name
                shape = _masked_shape(token)
                if any(_meet(shape, _entry_shape(e)) for e in self.exact | set(self.patterns)):
                    found.append(token)
        return found

    def _obscene(self, word_forms: frozenset[str]) -> bool:
        if word_forms & self.exact:
            return True
        return any(fnmatchcase(f, p) for f in word_forms for p in self.patterns)


def load_obscene(paths: Iterable[Path]) -> ObsceneList:
    """Read word lists: `#` starts a comment; a line with `*` is a pattern, else a word."""
    exact: set[str] = set()
    patterns: list[str] = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = fold(line.split("#", 1)[0].strip())
            if not entry:
                continue
            if "*" in entry:
                patterns.append(entry)
            else:
                exact.add(entry)
    return ObsceneList(frozenset(exact), tuple(patterns))


def _masked_shape(token: str) -> tuple[str | int, ...]:
    """A masked word as letters and marks: a run of k marks is one letter and k optional ones."""
    if CYRILLIC.search(token):
        token = token.translate(LOOKALIKES)
    shape: list[str | int] = []
    for run in re.finditer(f"[{re.escape(MARKS)}]+|[^{re.escape(MARKS)}]", token):
        text = run.group()
        shape += [ANY] + [MAYBE] * len(text) if text[0] in MARKS else [text]
    return tuple(shape)


@cache
def _entry_shape(entry: str) -> tuple[str | int, ...]:
    return tuple(STAR if c == "*" else c for c in entry)


@cache
def _meet(masked: tuple[str | int, ...], entry: tuple[str | int, ...]) -> bool:
    """Whether one word can fit both a masked word and a list entry."""

    @cache
    def fits(i: int, j: int) -> bool:  # masked[i:] and entry[j:] can spell the same ending
        if j < len(entry) and entry[j] == STAR:
            return fits(i, j + 1) or (i < len(masked) and fits(i + 1, j))
        if i < len(masked) and masked[i] == MAYBE and fits(i + 1, j):
            return True
        if i == len(masked) or j == len(entry):
            return i == len(masked) and j == len(entry)
        return masked[i] in (ANY, MAYBE, entry[j]) and fits(i + 1, j + 1)

    return fits(0, 0)
