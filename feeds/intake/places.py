"""Where a message is about: an address written in it, and the street or district we know.

The streets are the demo city's (demo/city.py), the districts are the `districts` table's rows.
Street and district names are compared by word forms, so "на улице Чапаева", "ул. Чапаева" and
"Chapaeva street" are one street, and "на Корабельной стороне" is the Korabelnaya district.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from demo import city
from feeds.intake.words import Word, forms, lemma, words

EARTH_RADIUS_M = 6_371_008.8
# Abbreviations written with a full stop, and the words (lemmas or English stems) for a street.
ABBREVIATIONS = {"ул", "пр", "пр-т", "просп", "пер", "бул", "наб", "пл", "ш", "st", "ave", "rd"}
STREET_WORDS = {
    "улица", "проспект", "переулок", "бульвар", "набережная", "площадь", "шоссе",
    "street", "avenu", "road", "lane", "highway", "boulevard", "embank",
}
HOUSE = re.compile(
    r"\s*,?\s*(?:д\.|дом|house|no\.)?\s*(\d{1,4}[а-яa-z]?(?:/\d{1,4}[а-яa-z]?)?"
    r"(?:\s*(?:к|корп)\.?\s*\d+)?)(?!\d|:\d)",
    re.IGNORECASE,
)
TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
})


@dataclass(frozen=True)
class Street:
    """One of the city's streets, and the district it lies in."""

    name: str
    district: str
    words: tuple[frozenset[str], ...]
    latin: tuple[str, ...]


@dataclass(frozen=True)
class Place:
    """An address as written (or None), the street and district it resolves to, and the house."""

    address: str | None
    street: Street | None
    house: str | None
    district: str | None

    @property
    def key(self) -> tuple[str, str | None] | None:
        """What two reports of one place share: the street (ours, or as written) and the house."""
        if self.street is not None:
            return self.street.name, self.house
        if self.address:
            name = re.sub(HOUSE.pattern + r".*$", "", self.address, flags=re.IGNORECASE)
            return " ".join(lemma(w.text) for w in words(name)), self.house
        return None


def _name_words(name: str) -> list[Word]:
    name = re.sub(r"\(.*?\)", "", name)
    return [w for w in words(name) if not _is_street_word(w, name)]


@cache
def streets() -> tuple[Street, ...]:
    """The city's streets, from demo/city.py."""
    found = []
    for district in city.DISTRICTS:
        for name in district.streets:
            ws = _name_words(name)
            found.append(Street(
                name, district.code, tuple(w.forms for w in ws),
                tuple(w.text.translate(TRANSLIT) for w in ws),
            ))
    return tuple(found)


@cache
def _street_vocabulary() -> frozenset[str]:
    return frozenset(f for s in streets() for ws in s.words for f in ws)


def _is_street_word(w: Word, text: str) -> bool:
    if w.text in ABBREVIATIONS and text[w.end:w.end + 1] == ".":
        return True
    return bool(w.forms & STREET_WORDS) or w.text in {"st", "ave", "rd", "ул", "пр-т"}


def _same(a: Word, forms_: frozenset[str], latin: str) -> bool:
    return bool(a.forms & forms_) or a.text == latin


def _resolve(name: list[Word]) -> Street | None:
    """Our street whose name has every word of `name`, the one with the fewest other words."""
    best: Street | None = None
    for street in streets():
        if len(name) > len(street.words):
            continue
        pairs = zip(name, street.words, street.latin, strict=False)
        if all(_same(w, f, lat) for w, f, lat in pairs) and (
            best is None or len(street.words) < len(best.words)
        ):
            best = street
    return best


def _house(text: str, end: int) -> tuple[str | None, int]:
    m = HOUSE.match(text, end)
    if not m:
        return None, end
    return re.sub(r"\s+", "", m.group(1).lower()), m.end()


def _typed_address(text: str, ws: list[Word]) -> tuple[list[Word], int, int] | None:
    """The name words next to a street word ("ул. Ленина", "Gagarina Avenue"), and the span."""
    vocabulary = _street_vocabulary()
    for i, w in enumerate(ws):
        if not _is_street_word(w, text):
            continue
        after: list[Word] = []
        for nxt in ws[i + 1:i + 4]:
            gap = text[(after[-1].end if after else w.end):nxt.start]
            if nxt.text.isdigit() or "," in gap or (after and not gap.isspace()):
                break
            if nxt.capitalized or (after and nxt.forms & vocabulary):
                after.append(nxt)
            else:
                break
        if after:
            return after, w.start, after[-1].end
        before = [p for p in ws[max(0, i - 2):i] if p.capitalized and not p.text.isdigit()]
        if before and before[-1] is ws[i - 1]:
            while len(before) > 1 and before[0] is not ws[i - len(before)]:
                before.pop(0)
            return before, before[0].start, w.end
    return None


def _known_street(text: str, ws: list[Word]) -> tuple[Street, int, int] | None:
    """A street of ours named without a street word ("Хрусталёва 115"), first letter capital."""
    for i, w in enumerate(ws):
        if not w.capitalized:
            continue
        for street in streets():
            n = len(street.words)
            span = ws[i:i + n]
            if len(span) == n and all(
                _same(a, f, lat) for a, f, lat in zip(span, street.words, street.latin, strict=True)
            ):
                return street, span[0].start, span[-1].end
    return None


def find_address(text: str) -> Place:
    """The address written in `text`, resolved to our street where we know it."""
    ws = words(text)
    typed = _typed_address(text, ws)
    if typed:
        name, start, end = typed
        street = _resolve(name)
        house, end = _house(text, end)
        return Place(text[start:end].strip(" ,"), street, house,
                     street.district if street else None)
    known = _known_street(text, ws)
    if known:
        street, start, end = known
        house, end = _house(text, end)
        return Place(text[start:end].strip(" ,"), street, house, street.district)
    return Place(None, None, None, None)


def find_district(text: str, districts: dict[str, tuple[str, str | None]]) -> str | None:
    """The code of the district named in `text` ({code: (name, name_ru)}), capital first."""
    ws = words(text)
    for code, names in districts.items():
        for name in names:
            if not name:
                continue
            target = [forms(w.text) for w in words(name)]
            n = len(target)
            for i, w in enumerate(ws):
                span = ws[i:i + n]
                if w.capitalized and len(span) == n and all(
                    a.forms & f for a, f in zip(span, target, strict=True)
                ):
                    return code
    return None


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
