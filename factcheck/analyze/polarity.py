"""Polarity: negation scopes and directions of change (rise/fall, restored/suspended ...)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import NamedTuple

from factcheck.analyze.figures import _Fig
from factcheck.analyze.tokens import _content, _Tok
from factcheck.rules import (
    AUXILIARIES,
    DIRECTIONS,
    NEGATION_CUES,
    NEGATION_PHRASES,
    NEGATION_SCOPE,
    NOT_NEGATION,
    SCOPE_BREAKS,
    SCOPE_PREPOSITIONS,
    UP_DOWN_CONTEXT,
)

# --- Negation and direction -----------------------------------------------------------------------

_DIRECTION_OF: dict[str, list[tuple[int, int]]] = {}
for _axis, (_name, _up, _down) in enumerate(DIRECTIONS):
    for _w in _up:
        _DIRECTION_OF.setdefault(_w, []).append((_axis, 1))
    for _w in _down:
        _DIRECTION_OF.setdefault(_w, []).append((_axis, -1))
_DIRECTION_WINDOW = 8  # tokens each side whose words say what a direction word is about


class _Scope(NamedTuple):
    cue: str
    start: int  # character span of the negated phrase, for the message
    end: int
    stems: frozenset[str]


class _Direction(NamedTuple):
    axis: int
    sign: int
    pos: int  # token index
    context: frozenset[str]


def _negation(toks: Sequence[_Tok]) -> tuple[list[_Scope], set[int]]:
    scopes: list[_Scope] = []
    covered: set[int] = set()
    n = len(toks)
    jumps: tuple[list[int], list[int], list[int]] | None = None
    # What a scope negates depends only on its first content word: cues in a row ("not not
    # ... restore") share it, computed once (a stem set per cue cost cues x stems).
    negates: dict[int, tuple[frozenset[str], int, tuple[int, ...]]] = {}
    for i, t in enumerate(toks):
        if not t.word:
            continue
        nxt = toks[i + 1].key if i + 1 < n else ""
        if t.key in NEGATION_CUES and nxt not in NOT_NEGATION:
            j = i + 1
        elif (t.key, nxt) in NEGATION_PHRASES:
            j = i + 2
        else:
            continue
        if jumps is None:
            jumps = _scope_jumps(toks, i)
        ends, _, content = jumps
        if NEGATION_SCOPE < 1 or content[j] >= ends[j]:
            continue  # no content word before the scope ends: nothing negated
        first_word = content[j]
        if first_word not in negates:
            negates[first_word] = _scope_from(toks, first_word, jumps)
        stems, last, counted = negates[first_word]
        covered.update(counted)
        first = i - 1 if i > 0 and toks[i - 1].key in AUXILIARIES else i
        scopes.append(_Scope(t.key, toks[first].start, toks[last].end, stems))
    return scopes, covered


def _scope_from(
    toks: Sequence[_Tok], c: int, jumps: tuple[list[int], list[int], list[int]]
) -> tuple[frozenset[str], int, tuple[int, ...]]:
    """(stems, last word, words counted) of a scope whose first content word is ``c``: the
    next NEGATION_SCOPE content words before a break or a preposition. Words that do not
    count are jumped over, not walked (each cue of "not not not ..." walked to the end)."""
    ends, prepositions, content = jumps
    stems = set(_content(toks[c].key))
    counted = [c]
    j = c + 1
    while j < len(toks) and len(counted) < NEGATION_SCOPE:
        c = content[j]
        if c >= min(ends[j], prepositions[j]):
            break
        stems.update(_content(toks[c].key))
        counted.append(c)
        j = c + 1
    return frozenset(stems), counted[-1], tuple(counted)


def _scope_jumps(toks: Sequence[_Tok], start: int) -> tuple[list[int], list[int], list[int]]:
    """For each token index from ``start`` (the first cue) on, the first at or after it that
    ends any scope (not a word, or a scope break), that is a preposition, and that is a
    content word a scope counts (not an adverb: "publicly"); len(toks) where none."""
    n = len(toks)
    ends, prepositions, content = [n] * (n + 1), [n] * (n + 1), [n] * (n + 1)
    for j in range(n - 1, start - 1, -1):
        u = toks[j]
        end = not u.word or u.key in SCOPE_BREAKS
        ends[j] = j if end else ends[j + 1]
        prepositions[j] = j if u.key in SCOPE_PREPOSITIONS else prepositions[j + 1]
        counts = not end and not u.key.endswith("ly") and bool(_content(u.key))
        content[j] = j if counts else content[j + 1]
    return ends, prepositions, content


def _directions(
    toks: Sequence[_Tok], negated: set[int], figures: Sequence[_Fig]
) -> list[_Direction]:
    out: list[_Direction] = []
    n = len(toks)
    starts: list[int] = []  # of the figures, in text order: those near a word by bisection
    for i, t in enumerate(toks):
        axes = _DIRECTION_OF.get(t.key)
        if not axes or i in negated:
            continue  # "did not fall" is the negation check's business, not a direction
        if t.key in {"up", "down"}:
            prev = toks[i - 1].key if i > 0 else ""
            nxt = toks[i + 1].key if i + 1 < n else ""
            if nxt == "to" or not (
                prev in UP_DOWN_CONTEXT or nxt in {"by", "from"} or prev[:1].isdigit()
            ):
                continue
        lo, hi = max(0, i - _DIRECTION_WINDOW), min(n, i + _DIRECTION_WINDOW + 1)
        context = {
            s
            for j in range(lo, hi)
            if j != i and toks[j].word and toks[j].key not in _DIRECTION_OF
            for s in _content(toks[j].key)
        }
        # Figures nearby say what changed too: "down from 46,000" / "a rise from the 46,000".
        first, last = toks[lo].start, toks[hi - 1].end
        if not starts and figures:
            starts = [f.start for f in figures]
        near = figures[bisect_left(starts, first) : bisect_left(starts, last)]
        context.update(f"#{f.figure.value:g}" for f in near)
        out.extend(_Direction(axis, sign, i, frozenset(context)) for axis, sign in axes)
    return out
