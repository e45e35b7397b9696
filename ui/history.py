"""A ticket's history in words: what each step did and why, an undo named as one (the desk
writes an undo's note itself, so it is read back here, not shown as written)."""

from __future__ import annotations

from desk.actions import undone_event
from words.language import translate


def event_kind(kind: str, note, lang: str) -> str:
    """What a step of a ticket's history did; a reassignment that undid another says so."""
    if kind == "reassigned" and undone_event(_text(note)):
        return translate(lang, "event.undo")
    return translate(lang, f"event.{kind}")


def event_note(note, lang: str) -> str:
    """A step's note; an undo's, which the desk wrote itself (desk.actions.UNDO_NOTE), in the
    language, the undone step's own note kept as it was written."""
    undone = undone_event(_text(note))
    if undone is None:
        return _text(note)
    return translate(lang, "event.undo_note", id=undone[0], note=undone[1])


def _text(value) -> str:
    return value if isinstance(value, str) else ""
