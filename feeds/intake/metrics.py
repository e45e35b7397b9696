"""How well intake decides, measured against messages labelled by hand.

A labelled line is a message plus `expected_*` fields; those are stripped before the message is
decided, so the decision never sees its label.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

COMPLAINT = ("ticket", "duplicate", "rejected")
LABEL_PREFIX = "expected_"


@dataclass(frozen=True)
class Labelled:
    line: str  # the message as a JSON line, without its labels
    decision: str
    category: str | None
    duplicate_of: int | None


@dataclass(frozen=True)
class Figures:
    messages: int
    complaint_precision: float
    complaint_recall: float
    routing_accuracy: float  # category right, of true complaints that became tickets
    rejection_precision: float
    rejection_recall: float
    duplicate_precision: float
    duplicate_recall: float


def read_labelled(path: Path) -> list[Labelled]:
    """A labelled set: each line's message (labels removed) and its labels."""
    found = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(raw)
        message = {k: v for k, v in record.items() if not k.startswith(LABEL_PREFIX)}
        found.append(Labelled(json.dumps(message, ensure_ascii=False),
                              record["expected_decision"], record.get("expected_category"),
                              record.get("expected_duplicate_of")))
    return found


def _share(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def _precision_recall(pairs: Sequence[tuple[bool, bool]]) -> tuple[float, float]:
    """(precision, recall) of (expected, decided) pairs."""
    both = sum(1 for e, d in pairs if e and d)
    return _share(both, sum(d for _, d in pairs)), _share(both, sum(e for e, _ in pairs))


def measure(labels: Sequence[Labelled],
            decided: Iterable[tuple[str, str | None]]) -> Figures:
    """Figures of decisions ((decision, category) per labelled message, in order)."""
    decided = list(decided)
    if len(decided) != len(labels):
        raise ValueError(f"{len(decided)} decisions for {len(labels)} labelled messages")
    pairs = list(zip(labels, decided, strict=True))
    cp, cr = _precision_recall([(e.decision in COMPLAINT, d in COMPLAINT) for e, (d, _) in pairs])
    rp, rr = _precision_recall([(e.decision == "rejected", d == "rejected")
                                for e, (d, _) in pairs])
    dp, dr = _precision_recall([(e.decision == "duplicate", d == "duplicate")
                                for e, (d, _) in pairs])
    routed = [(e.category, c) for e, (d, c) in pairs
              if e.decision in ("ticket", "duplicate") and d in ("ticket", "duplicate")]
    return Figures(
        messages=len(labels),
        complaint_precision=cp,
        complaint_recall=cr,
        routing_accuracy=_share(sum(1 for e, c in routed if e == c), len(routed)),
        rejection_precision=rp,
        rejection_recall=rr,
        duplicate_precision=dp,
        duplicate_recall=dr,
    )
