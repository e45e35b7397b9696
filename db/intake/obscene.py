"""Obscene language, found in any word form.

No maintained package on PyPI fits (their Russian lists flag "бардак" or "корабля", or need a
language model), so the list is ours: `db/data/obscene_*.txt`, one pattern a line, matched
against the dictionary forms of each word, where `*` stands for any letters. Matching lemmas
rather than raw text is what keeps "колебания" and "употребляют" clean.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from db.intake.words import Word, fold


@dataclass(frozen=True)
class ObsceneList:
    exact: frozenset[str]
    patterns: tuple[str, ...]

    def find(self, text_words: Iterable[Word]) -> list[str]:
        """The written words that are obscene, in order."""
        return [w.text for w in text_words if self._obscene(w.forms)]

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
