"""One parse of a text: tokens, figures, years, months, attributions, negations, directions."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from factcheck.analyze.attribution import _Attribution, _attributions, _claimant
from factcheck.analyze.figures import _Fig, _scan_numbers, _Year
from factcheck.analyze.polarity import _Direction, _directions, _negation, _Scope
from factcheck.analyze.tokens import _content, _Tok, _tokens
from factcheck.model import Speaker
from factcheck.normalize import typography
from factcheck.rules import (
    AMBIGUOUS_MONTHS,
    DATE_CUES,
    FINITE_VERBS,
    HEDGES,
    MONTHS,
    NEGATION_CUES,
)
from factcheck.speakers import Speakers


class _Text(NamedTuple):
    text: str
    figures: list[_Fig]
    years: list[_Year]
    months: list[tuple[int, int, int]]  # (month, start, end)
    tokens: list[_Tok]
    claimant: _Attribution | None
    attributed: tuple[_Attribution, ...]
    scopes: list[_Scope]
    negated: frozenset[str]
    positive: frozenset[str]
    directions: list[_Direction]
    hedged: bool  # reports the claim ("allegedly", "X said") rather than asserting it
    statement: bool  # has a finite verb: says something, rather than naming a topic


def _months(toks: Sequence[_Tok]) -> list[tuple[int, int, int]]:
    out = []
    n = len(toks)
    for i, t in enumerate(toks):
        month = MONTHS.get(t.key)
        if month is None:
            continue
        if t.key in AMBIGUOUS_MONTHS:
            nxt = toks[i + 1].key if i + 1 < n else ""
            prev = toks[i - 1].key if i > 0 else ""
            if not t.raw[0].isupper() or not (
                nxt[:1].isdigit() or prev in DATE_CUES or prev in {"of", "last", "next", "this"}
            ):
                continue  # "may" the verb, "march" the walk
        out.append((month, t.start, t.end))
    return out


# Parsed texts, keyed by (text, aliases): a record is analysed once however many sentences of
# a checked article match it, and a query once for its (up to 3) matches. Bounded; pure.
@lru_cache(maxsize=1024)
def _parse(text: str, aliases: Speakers) -> _Text:
    text = typography(text)
    toks = _tokens(text)
    figures, years = _scan_numbers(text, toks)
    scopes, covered = _negation(toks)
    # Cues in a row share one stem set: the union of the distinct ones, not one per cue.
    negated = frozenset().union(*{s.stems for s in scopes})
    cues = {i for i, t in enumerate(toks) if t.key in NEGATION_CUES}
    positive = {
        s for i, t in enumerate(toks) if t.word and i not in covered and i not in cues
        for s in _content(t.key)
    }  # fmt: skip
    found = _attributions(toks, aliases)
    keys = {t.key for t in toks if t.raw.islower()}
    return _Text(
        text,
        figures,
        years,
        _months(toks),
        toks,
        _claimant(found),
        tuple(found),
        scopes,
        negated,
        frozenset(positive),
        _directions(toks, covered, figures),
        bool(found) or not HEDGES.isdisjoint(keys),
        any(k in FINITE_VERBS or (len(k) > 4 and k.endswith("ed")) for k in keys),
    )


def resolver(speakers: Speakers | Sequence[Speaker]) -> Speakers:
    """The database's resolver, or one built (and kept: normalising every alias on each call
    would cost more than the analysis) for a plain list of speakers."""
    return speakers if isinstance(speakers, Speakers) else _speakers_of(tuple(speakers))


@lru_cache(maxsize=8)  # a bounded memo of a pure function of immutable values
def _speakers_of(speakers: tuple[Speaker, ...]) -> Speakers:
    return Speakers(speakers)
