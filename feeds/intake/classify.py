"""What a message is: a complaint (and about what), or not one; and whether it is obscene.

Pure functions of the text and the rules, so the decision can be measured without a database.
"""

from __future__ import annotations

from dataclasses import dataclass

from feeds.intake.rules import Group, Keyword, Rules
from feeds.intake.words import Word, words


@dataclass(frozen=True)
class Verdict:
    complaint: bool
    category: str | None
    obscene: tuple[str, ...]
    matched: tuple[str, ...]  # the keywords behind the category
    reason: str


def occurs(kw: Keyword, text_words: list[Word], gap: int) -> bool:
    """All the keyword's words stand within `len(words) + gap` words of each other."""
    places = [[i for i, w in enumerate(text_words) if forms & w.forms] for forms in kw.words]
    if not all(places):
        return False
    span = len(kw.words) - 1 + gap
    return any(
        all(any(start <= i <= start + span for i in p) for p in places) for start in places[0]
    ) or any(
        all(any(start - span <= i <= start for i in p) for p in places) for start in places[0]
    )


def score(group: Group, text_words: list[Word], gap: int) -> tuple[float, tuple[str, ...]]:
    """The group's weight times the words of its keywords found, and those keywords.

    Zero when one of the group's `unless` keywords is found.
    """
    if any(occurs(kw, text_words, gap) for kw in group.unless):
        return 0.0, ()
    found = tuple(kw for kw in group.keywords if occurs(kw, text_words, gap))
    return group.weight * sum(kw.weight for kw in found), tuple(kw.text for kw in found)


def classify(text: str, rules: Rules) -> Verdict:
    """Decide whether `text` is a complaint, its category, and the obscene words in it."""
    text_words = words(text)
    gap = rules.thresholds.phrase_gap
    obscene = tuple(rules.obscene.find(text_words) + rules.obscene.masked(text))
    best, best_score, matched = None, 0.0, ()
    for group in rules.categories:
        value, found = score(group, text_words, gap)
        if value > best_score:
            best, best_score, matched = group.name, value, found
    problem, _ = score(rules.problem, text_words, gap)
    against, signs = 0.0, []
    for group in rules.not_complaint:
        value, _ = score(group, text_words, gap)
        if value:
            against += group.weight
            signs.append(group.name)
    t = rules.thresholds
    if best is None or best_score < t.min_category_score:
        if problem >= t.other_min_score and problem > against:
            return Verdict(True, t.fallback_category, obscene, (), "problem words, no category")
        reason = f"not a complaint: {', '.join(signs)}" if signs else "no complaint words"
        return Verdict(False, None, obscene, (), reason)
    if best_score + problem <= against:
        return Verdict(False, None, obscene, matched, f"not a complaint: {', '.join(signs)}")
    return Verdict(True, best, obscene, matched, "matched: " + ", ".join(matched))
