"""Measure how time grows with input size, instead of waiting for a hang.

``growth(run, make)`` doubles n from ``start`` until ``run(make(n))`` takes ``floor`` seconds
of CPU (so timer noise and fixed costs do not dominate), then returns t(4n) / t(n), each the
best of a few runs. Linear code gives about 4, quadratic about 16. A quadratic stops the
doubling early (it reaches the floor at a small n), so a regression fails in a second, not
in a hang. On a busy machine a linear scan can jump once between two sizes (caches, the
regex engine's backtracking stack), so a ratio over LIMIT gets a second look one step up,
and the smaller of the two counts: a quadratic is about 16 at both.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sized
from typing import Any

LIMIT = 6.0  # t(4n) / t(n) above this is super-linear (linear is 4, quadratic 16)


def best_time(run: Callable[[Any], object], value: Any, repeat: int = 3) -> float:
    """Best CPU time of ``repeat`` runs (CPU, not wall: other processes do not count)."""
    best = float("inf")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.process_time()
            run(value)
            best = min(best, time.process_time() - start)
    finally:
        if enabled:
            gc.enable()
    return best


def growth(
    run: Callable[[Any], object],
    make: Callable[[int], Sized],
    *,
    start: int = 100,
    floor: float = 0.003,
    most: int = 1 << 22,
    second_look: bool = True,
    repeat: int = 3,
) -> tuple[float, int, float]:
    """(ratio, n, t(n)). The ratio is 0.0 if the input stays under ``floor`` up to ``most``
    characters: it does not make the code work at all (constant, not super-linear)."""
    n = start
    value = make(n)
    t = best_time(run, value, 1)  # finding n: one run each; the sizes compared get more
    while True:
        if t >= floor:
            # Confirmed by the best of ``repeat``: a first call that pays a one-off cost (a
            # cache filled, a word list built) must not stop the doubling at a size too small
            # to measure, which returned 0.0 ("does no work") for a case that does.
            t = best_time(run, value, repeat)
            if t >= floor:
                break
        if len(value) >= most:
            return 0.0, n, t
        n *= 4 if t < floor / 8 else 2
        value = make(n)
        t = best_time(run, value, 1)
    t4 = best_time(run, make(4 * n), repeat)
    ratio = t4 / max(t, 1e-9)
    if ratio > LIMIT and second_look and t4 < 1.0:
        t16 = best_time(run, make(16 * n), repeat)
        ratio = min(ratio, t16 / max(t4, 1e-9))
    return ratio, n, t
