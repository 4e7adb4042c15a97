"""Fuse a lexical (BM25) ranking with a dense (cosine) ranking: pure Python, no numpy.

Both rules were fixed in advance from the team's measurements on public claim-retrieval sets
(notes kept outside this repository; README "Semantic matching" has our own figures): the
weighted min-max fusion gained +0.04 to +0.08 MAP@5 over BM25 alone on every split,
reciprocal rank fusion +0.04 to +0.07. Neither decides whether a claim is *the same* claim:
dense similarity is high for same-topic, different-claim pairs too.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

K = TypeVar("K", bound=Hashable)

DEPTH = 100  # each method's top 100 enters the fusion
LEXICAL_WEIGHT = 0.5
RRF_K = 60  # the usual constant (Cormack et al. 2009); damps the weight of the very top ranks


class Fused(NamedTuple):
    """One fused result: ``lexical``/``cosine`` are the raw input scores, None when absent."""

    key: Any  # the key as given (a claim id, a row number): Any so callers need no cast
    fused: float
    lexical: float | None
    cosine: float | None


def weighted_fusion(
    lexical: Iterable[tuple[K, float]],
    dense: Iterable[tuple[K, float]],
    *,
    weight: float = LEXICAL_WEIGHT,
    depth: int = DEPTH,
) -> list[Fused]:
    """``weight`` x min-max(lexical) + (1 - weight) x min-max(cosine), best first.

    Each list is cut to its ``depth`` best (higher score is better) and min-max normalised over
    what is left, so its best is 1 and its worst 0; a key missing from one list scores 0 there.
    A list whose scores are all equal normalises to 1 for each of its keys (all are its best).
    Ties are broken by the better lexical score, then the better cosine, then first appearance.
    """
    lex = _top(lexical, depth)
    cos = _top(dense, depth)
    lex_norm = _min_max(lex)
    cos_norm = _min_max(cos)
    fused = {
        key: weight * lex_norm.get(key, 0.0) + (1.0 - weight) * cos_norm.get(key, 0.0)
        for key in _union(lex, cos)
    }
    return _ranked(fused, lex, cos)


def reciprocal_rank_fusion(
    lexical: Iterable[tuple[K, float]],
    dense: Iterable[tuple[K, float]],
    *,
    k: int = RRF_K,
    depth: int = DEPTH,
) -> list[Fused]:
    """Sum over both lists of 1 / (k + rank), ranks from 1 within each list's top ``depth``.

    Only ranks count, not score scales. Equal scores in a list share the best rank among them.
    Ties in the sum are broken as in ``weighted_fusion``.
    """
    lex = _top(lexical, depth)
    cos = _top(dense, depth)
    lex_rank = _ranks(lex)
    cos_rank = _ranks(cos)
    fused = {
        key: (1.0 / (k + lex_rank[key]) if key in lex_rank else 0.0)
        + (1.0 / (k + cos_rank[key]) if key in cos_rank else 0.0)
        for key in _union(lex, cos)
    }
    return _ranked(fused, lex, cos)


def _top(pairs: Iterable[tuple[K, float]], depth: int) -> dict[K, float]:
    """The ``depth`` best keys with their scores, best first; a repeated key keeps its best."""
    best: dict[K, float] = {}
    for key, score in pairs:
        value = float(score)
        if value != value:  # NaN: no usable score, as if absent
            continue
        if key not in best or value > best[key]:
            best[key] = value
    ordered = sorted(best.items(), key=lambda kv: -kv[1])  # stable: input order among equals
    return dict(ordered[: max(depth, 0)])


def _min_max(scores: dict[K, float]) -> dict[K, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return dict.fromkeys(scores, 1.0)
    span = high - low
    return {key: (value - low) / span for key, value in scores.items()}


def _ranks(scores: dict[K, float]) -> dict[K, int]:
    """Competition ranks (1, 2, 2, 4) of an already sorted dict."""
    ranks: dict[K, int] = {}
    previous: float | None = None
    rank = 0
    for position, (key, value) in enumerate(scores.items(), start=1):
        if value != previous:
            rank, previous = position, value
        ranks[key] = rank
    return ranks


def _union(first: dict[K, float], second: dict[K, float]) -> list[K]:
    return [*first, *(key for key in second if key not in first)]


def _ranked(fused: dict[K, float], lex: dict[K, float], cos: dict[K, float]) -> list[Fused]:
    order: Sequence[K] = list(fused)  # first appearance: lexical list first, then dense
    position = {key: i for i, key in enumerate(order)}
    neg_inf = float("-inf")
    keys = sorted(
        order,
        key=lambda key: (
            -fused[key],
            -lex.get(key, neg_inf),
            -cos.get(key, neg_inf),
            position[key],
        ),
    )
    return [Fused(key, fused[key], lex.get(key), cos.get(key)) for key in keys]
