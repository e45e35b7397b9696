"""Timing a call many times: the median and the 95th percentile, in milliseconds."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    """Wall-clock times of one measured thing, in ms."""

    runs: int
    median_ms: float
    p95_ms: float

    @classmethod
    def of(cls, samples: list[float]) -> Timing:
        ordered = sorted(samples)
        # nearest-rank 95th percentile: the value below which 95 % of the runs fall
        rank = max(0, -(-95 * len(ordered) // 100) - 1)
        return cls(len(ordered), statistics.median(ordered), ordered[rank])


def clock(fn: Callable[[], object]) -> float:
    """One call's wall-clock time in ms."""
    return timed(fn)[0]


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """One call's wall-clock time in ms, and what it returned."""
    start = time.perf_counter()
    value = fn()
    return (time.perf_counter() - start) * 1000, value


def measure(fn: Callable[[], object], runs: int, warmup: int = 1) -> Timing:
    """Time `runs` calls after `warmup` untimed ones (which fill caches and connection pools).

    The heap that was alive before (the harness's modules, frames and earlier results) is set
    aside from the garbage collector while timing: else a full collection, slow in proportion to
    that heap, lands on whichever call happens to trigger it, as a p95 that is not the query's.
    """
    for _ in range(warmup):
        fn()
    gc.collect()
    gc.freeze()
    try:
        return Timing.of([clock(fn) for _ in range(runs)])
    finally:
        gc.unfreeze()
