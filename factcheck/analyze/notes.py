"""Notes: how a query departs from a record (numbers, speaker, disputes, negation, dates),
and the one-word verdict."""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from factcheck.analyze.attribution import _same_speaker
from factcheck.analyze.figures import Figure, _Fig
from factcheck.analyze.polarity import _Direction
from factcheck.analyze.text import _parse, _Text, resolver
from factcheck.dates import parts
from factcheck.model import Claim, Note, Speaker
from factcheck.rules import (
    APPROX_TOLERANCE,
    DIRECTIONS,
    MONTHS,
    NEAR_TOLERANCE,
    PLACEHOLDER_SPEAKERS,
    QUALIFIERS,
    RELATED_BELOW,
)
from factcheck.speakers import Speakers

# Verdict words.
SAME = "same"
DIFFERS = "differs"
CONTRADICTS = "contradicts"
RELATED = "related"


# --- Notes ----------------------------------------------------------------------------------------


def _number(value: float) -> int | float:
    return int(value) if value == int(value) and abs(value) < 1e18 else value


def _unit(value: float) -> float:
    """Rounding unit of a figure: 55,000 -> 1,000; 150 -> 10; 3.5 -> 0.1."""
    if value != int(value):
        return 10.0 ** -len(f"{value:.6f}".rstrip("0").split(".")[1])
    v, unit = int(abs(value)), 1.0
    while v and v % 10 == 0:
        v //= 10
        unit *= 10
    return unit


def _consistent(q: Figure, r: Figure) -> bool:
    """Whether the query's figure (with its qualifier) agrees with the record's."""
    if q.percent != r.percent:
        return False
    if math.isclose(q.value, r.value, rel_tol=1e-9, abs_tol=1e-9):
        return True  # qualifiers alone are never a difference ("about" vs "approximately")
    q_kind = QUALIFIERS.get(q.qualifier or "")
    r_kind = QUALIFIERS.get(r.qualifier or "")
    # A bound in the query is vaguer than the record's figure: it only has to hold. A bound in
    # the record ("over 40,000") does not make a more precise query figure right.
    if q_kind == "lower":
        return r.value >= q.value
    if q_kind == "upper":
        return r.value <= q.value
    if q_kind == "near" and q.value * (1 - NEAR_TOLERANCE) <= r.value <= q.value:
        return True
    if r_kind == "near" and r.value * (1 - NEAR_TOLERANCE) <= q.value <= r.value:
        return True
    # An approximate side allows its own rounding, capped at APPROX_TOLERANCE of its value.
    tolerance = max(
        (
            min(APPROX_TOLERANCE * abs(f.value), _unit(f.value))
            for f, kind in ((q, q_kind), (r, r_kind))
            if kind == "approx"
        ),
        default=0.0,
    )
    return abs(q.value - r.value) <= tolerance


def _shown(f: Figure) -> str:
    """A figure for a message: as written, with a qualifier that bounds it ("over 40,000")."""
    kind = QUALIFIERS.get(f.qualifier or "")
    return f"{f.qualifier} {f.text}" if kind in {"lower", "upper", "near"} else f.text


# Each query figure is compared with every record figure (a tolerance, not an equality: no
# index finds the consistent ones), so a record's figures are compared up to this many, and
# those of the records it updates too: a database text listing thousands of figures would
# otherwise cost their product with the query's. No real claim states a hundred figures.
_MAX_RECORD_FIGURES = 100


def _number_notes(
    q: _Text, r: _Text, claim: Claim, lookup: Callable[[str], Claim | None], aliases: Speakers
) -> list[Note]:
    if not q.figures or not r.figures:
        return []  # the record states no figure: nothing to compare, not a difference
    r_figures = r.figures[:_MAX_RECORD_FIGURES]
    pending = [f for f in q.figures if not any(_consistent(f.figure, g.figure) for g in r_figures)]
    earlier: list[Figure] = []
    if any(rel.relation == "updates" for rel in claim.related):
        for rel in claim.related:
            if rel.relation == "updates" and (updated := lookup(rel.id)) is not None:
                earlier.extend(f.figure for f in _parse(updated.text, aliases).figures)
                if len(earlier) >= _MAX_RECORD_FIGURES:
                    del earlier[_MAX_RECORD_FIGURES:]
                    break
    current = [g for g in r_figures if not any(_consistent(g.figure, e) for e in earlier)]
    pending_at = {f.start for f in pending}  # a query's figures each start somewhere else
    if earlier and current:
        # The record mentions the figure it updates ("a rise from 46,000"): citing that one
        # alone is citing an outdated figure, unless the query also gives the current one.
        cites_current = any(_consistent(f.figure, g.figure) for f in q.figures for g in current)
        if not cites_current:
            for f in q.figures:
                if f.start not in pending_at and any(_consistent(f.figure, e) for e in earlier):
                    pending.append(f)
                    pending_at.add(f.start)
            pending.sort(key=lambda f: f.start)
    pool = list(current or r_figures)
    for f in q.figures:
        if f.start not in pending_at:
            pool = [g for g in pool if not _consistent(f.figure, g.figure)] or pool
    old_of = {p: [e for e in earlier if e.percent == p] for p in (False, True)} if earlier else {}
    notes = []
    for f in pending:
        candidates = [g for g in pool if g.figure.percent == f.figure.percent]
        if not candidates:
            continue
        best = max(candidates, key=lambda g: _pair_score(f, g))
        if len(pool) > 1:
            pool.remove(best)  # two wrong figures are two notes against two record figures
        old = old_of.get(f.figure.percent, [])
        message = (
            f"figure differs: you wrote {_shown(f.figure)}, the record says {_shown(best.figure)}"
        )
        if old:
            label = "earlier figure" if len(old) == 1 else "earlier figures"
            message += f" ({label}: {', '.join(e.text for e in old)})"
        details: dict[str, Any] = {
            "query": _number(f.figure.value),
            "record": _number(best.figure.value),
            "earlier": [_number(e.value) for e in old],
            "percent": f.figure.percent,
            "query_text": f.figure.text,
            "record_text": best.figure.text,
            "query_qualifier": f.figure.qualifier,
            "record_qualifier": best.figure.qualifier,
        }
        notes.append(Note("number", message, details))
    return notes


def _pair_score(q: _Fig, r: _Fig) -> tuple[int, float]:
    """Which record figure a query figure is about: shared counted words, then magnitude."""
    scale = max(abs(q.figure.value), abs(r.figure.value), 1.0)
    return len(q.context & r.context), -abs(q.figure.value - r.figure.value) / scale


# "Moscow denied these claims, stating that ...": who disputes, the verb, and what they say
# instead. Two patterns tried in turn, none with overlapping quantifiers: one regex
# "^(?P<who>.+?)\s+(?P<verb>...)" tried every split of a run of spaces (30,000 of them in a
# dispute text took 80 s), and "\s+(...)?\s*" and "\s*[,;:]?\s*" did the same after the verb.
_DISPUTE_VERB = re.compile(
    r"(?<=\S)\s+(?P<verb>denied|denies|disputed|disputes|rejected|rejects|dismissed|"
    r"dismisses|refuted|refutes|contested|contests)\b",
    re.IGNORECASE,
)
_DISPUTE_REST = re.compile(
    r"(?:\s+(?:(?:these|the|this|those|that|such|all)\s*)?"
    r"(?:claims?|reports?|allegations?|accounts?|accusations?|it|them))?"
    r"(?:\s*(?:[,;:]\s*)?(?:and\s+)?(?:stating|saying|claiming|insisting|asserting|arguing|"
    r"maintaining)\s+(?:that\s+)?(?P<instead>.+))?",
    re.IGNORECASE | re.DOTALL,
)


class _Disputing(NamedTuple):
    who: str
    verb: str
    instead: str | None


def _disputing(text: str) -> _Disputing | None:
    """Who disputes, with which verb, saying what instead, in a stripped dispute text."""
    m = _DISPUTE_VERB.search(text)
    if m is None:
        return None
    rest = _DISPUTE_REST.match(text, m.end())
    instead = rest.group("instead") if rest else None
    return _Disputing(text[: m.start()], m.group("verb"), instead)


# Where the gist of a disputing account ends: its circumstances ("following alleged
# violations ...") go, its reason ("because of age") stays. (?<!\s): a run of spaces is
# tried once, from its start, not from each of its spaces.
_CLAUSE_END = re.compile(r"(?<!\s)\s+(?:following|after|amid|while|when)\s|[,;.:(]", re.IGNORECASE)


def _gist(text: str) -> str:
    """First clause of a text, without a leading article: what a disputing party says."""
    text = text.strip()
    m = _CLAUSE_END.search(text)
    text = text[: m.start()] if m else text
    return re.sub(r"^(?:the|a|an)\s+", "", text, flags=re.IGNORECASE)


def _dispute_summary(claim: Claim) -> str:
    parts = []
    for d in claim.disputed_by:
        m = _disputing(d.text.strip())
        if m and m.who.lower().startswith(d.speaker.lower()[:4]):
            part = f"{m.who} {m.verb.lower()} it"
            if m.instead:
                part += f" ({_gist(m.instead)})"
        else:
            part = f"{d.speaker} says {_lower_first(_gist(d.text))}"
        parts.append(part)
    return "; ".join(parts)


def _lower_first(text: str) -> str:
    # "The MQ-9 ..." -> "the MQ-9 ...", but never "MQ-9" -> "mQ-9"
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


# Each direction word of the query is compared with each of the record's: up to this many of
# each side (no claim has a hundred direction words; thousands would cost their product, and a
# note per pair of differently written words could be as many).
_MAX_DIRECTIONS = 100


def _negation_notes(q: _Text, r: _Text) -> list[Note]:
    notes: list[Note] = []
    seen: set[tuple[str, str]] = set()
    q_has = {(d.axis, d.sign) for d in q.directions}  # all of them, and looked up, not scanned
    r_has = {(d.axis, d.sign) for d in r.directions}
    ending: dict[int, int] = {}  # where a record figure ends: the first figure to end there
    for qd in q.directions[:_MAX_DIRECTIONS] if r.directions else ():
        for rd in r.directions[:_MAX_DIRECTIONS]:
            if rd.axis != qd.axis or rd.sign != -qd.sign or not (qd.context & rd.context):
                continue
            # Both directions on one side ("a rise from ... after a fall") compare nothing.
            if (rd.axis, rd.sign) in q_has or (qd.axis, qd.sign) in r_has:
                continue
            q_word, r_word = q.tokens[qd.pos].raw, r.tokens[rd.pos].raw
            if (q_word.lower(), r_word.lower()) in seen:
                continue
            seen.add((q_word.lower(), r_word.lower()))
            if not ending:
                for k, f in enumerate(r.figures):
                    ending.setdefault(f.end, k)
            notes.append(
                Note(
                    "negation",
                    f"direction differs: {_direction_phrase(q_word, r, rd, ending)}",
                    {"query": q_word, "record": r_word, "axis": DIRECTIONS[qd.axis][0]},
                )
            )
    if notes:
        return notes
    # A negation the user typed is aimed at the matched claim, so half of its words found
    # asserted in the record is enough ("did not agree to restore" vs "the decision to
    # restore"); a record's negation is often incidental ("despite no formal disclosures"),
    # so the query must repeat two of its words (or its only word) to contradict it.
    # Scopes of cues in a row share their stems: each distinct set is tried once.
    tried: set[frozenset[str]] = set()
    r_asserted = r.positive - r.negated
    for s in q.scopes:
        if s.stems in tried:
            continue
        tried.add(s.stems)
        if 2 * len(s.stems & r_asserted) >= len(s.stems):
            phrase = q.text[s.start : s.end]
            return [
                Note(
                    "negation",
                    f'negation differs: you wrote "{phrase}", which the record asserts',
                    {"negated_in": "query", "cue": s.cue, "phrase": phrase},
                )
            ]
    tried.clear()
    q_asserted = q.positive - q.negated
    for s in r.scopes:
        if s.stems in tried:
            continue
        tried.add(s.stems)
        if len(s.stems & q_asserted) >= min(2, len(s.stems)):
            phrase = r.text[s.start : s.end]
            return [
                Note(
                    "negation",
                    f'negation differs: the record says "{phrase}", your text asserts it',
                    {"negated_in": "record", "cue": s.cue, "phrase": phrase},
                )
            ]
    return []


def _direction_phrase(q_word: str, r: _Text, rd: _Direction, ending: dict[int, int]) -> str:
    """ "the record reports a 31% increase" when a figure goes with the word, else both words.
    ``ending``: the index of the first record figure that ends at each position."""
    tok = r.tokens[rd.pos]
    # The first figure that ends 0 to 2 characters before the word (looked up, not scanned).
    k = min((ending[e] for e in range(tok.start - 2, tok.start + 1) if e in ending), default=-1)
    if k >= 0:
        f = r.figures[k]
        start = f.start
        before = r.text[max(0, start - 3) : start].lower()
        if before.endswith(("a ", "an ")):
            start -= 2 if before.endswith("a ") else 3
        return f"the record reports {r.text[start : tok.end]}"
    return f'you wrote "{q_word}", the record says "{tok.raw}"'


_MONTH_NAMES: dict[int, str] = {}
for _month_name, _number_of_month in MONTHS.items():  # full names come first in MONTHS
    _MONTH_NAMES.setdefault(_number_of_month, _month_name.capitalize())


def _date_mentions(t: _Text) -> list[tuple[int | None, int | None, str, int]]:
    """(year, month, as written, position) of each event date in a text."""
    out: list[tuple[int | None, int | None, str, int]] = []
    used: set[int] = set()
    starts = [y.start for y in t.years]  # in text order, as found
    for month, start, end in t.months:
        # The first unused event year that starts within 6 characters after the month: found
        # by bisection, not by trying every year of the text for every month.
        year = None
        for y in t.years[bisect_right(starts, end) : bisect_right(starts, end + 6)]:
            if not y.baseline and y.start not in used:
                year = y
                break
        if year is not None:
            used.add(year.start)
            out.append((year.value, month, t.text[start : year.end], start))
        else:
            out.append((None, month, t.text[start:end], start))
    out.extend(
        (y.value, None, t.text[y.start : y.end], y.start)
        for y in t.years
        if not y.baseline and y.start not in used
    )
    out.sort(key=lambda d: d[3])
    return out


def _iso(year: int | None, month: int | None) -> str:
    if year is None:
        return f"--{month:02d}"
    return f"{year}-{month:02d}" if month else str(year)


def _date_notes(q: _Text, r: _Text, claim: Claim) -> list[Note]:
    q_dates = _date_mentions(q)
    if not q_dates and not q.years:
        return []
    r_dates = _date_mentions(r)
    r_years = {y for y, _, _, _ in r_dates if y is not None}
    r_months = {m for _, m, _, _ in r_dates if m is not None}
    field = parts(claim.date)
    if field:
        r_years.add(field[0])
        if field[1]:
            r_months.add(field[1])
    q_years = {y for y, _, _, _ in q_dates if y is not None}
    q_months = {m for _, m, _, _ in q_dates if m is not None}
    q_base = {y.value for y in q.years if y.baseline}
    r_base = {y.value for y in r.years if y.baseline}
    if q_base and r_base and not q_base & r_base:
        # "a 31% rise compared to 2023" against "compared to 2024": another comparison.
        q_year = min(q_base)
        r_year = min(r_base)
        return [
            Note(
                "date",
                f"date differs: you compared with {q_year}, the record compares with {r_year}",
                {"query": str(q_year), "record": str(r_year), "baseline": True},
            )
        ]
    year_off = bool(q_years and r_years and not q_years & r_years)
    month_off = bool(q_months and r_months and not q_months & r_months)
    if not (year_off or month_off):
        return []
    y, m, written, _ = next(
        d
        for d in q_dates
        if (year_off and d[0] is not None and d[0] not in r_years)
        or (month_off and d[1] is not None and d[1] not in r_months)
    )
    if field and claim.date:
        record_iso = claim.date
        year, month, day = field
        said = str(year)
        if month:
            said = f"{_MONTH_NAMES[month]} {year}"
        if month and day:
            said = f"{_MONTH_NAMES[month]} {day}, {year}"
    else:
        # The record's own mention of what the query got wrong: its month, else its year.
        ry, rm, said, _ = next(
            d for d in r_dates if (d[1] is not None if month_off else d[0] is not None)
        )
        record_iso = _iso(ry, rm)
    return [
        Note(
            "date",
            f"date differs: you wrote {written}, the record says {said}",
            {"query": _iso(y, m), "record": record_iso},
        )
    ]


def _record_names(claim: Claim, r: _Text, aliases: Speakers) -> list[str]:
    sp = aliases.resolve(claim.speaker)
    names = [sp.name if sp else claim.speaker]
    names.extend(a.name for a in r.attributed)
    return names


def _speaker_notes(q: _Text, r: _Text, claim: Claim, aliases: Speakers) -> tuple[list[Note], bool]:
    """Speaker and dispute notes; the flag says the query reports a disputer's denial."""
    who = q.claimant
    disputers = [d.speaker for d in claim.disputed_by]
    if who is not None:
        record_names = _record_names(claim, r, aliases)
        if _same_speaker(who, record_names, aliases):
            return [], False
        if disputers and _same_speaker(who, disputers, aliases):
            if q.scopes or any(
                DIRECTIONS[d.axis][0] == "admitted/denied" and d.sign < 0 for d in q.directions
            ):
                return [], True  # "Moscow denied ...": what the record says Moscow says
            details = {
                "disputed_by": disputers,
                "query_speaker": who.name,
                "record_speaker": record_names[0],
                "stance": "attributed_to_disputer",
            }
            return [
                Note("disputed", f"the record is disputed: {_dispute_summary(claim)}", details)
            ], False
        if record_names[0].casefold() in PLACEHOLDER_SPEAKERS:
            return [], False  # "Unknown" said nothing a named speaker could contradict
        message = (
            f"speaker differs: the record attributes this to {record_names[0]}, not {who.name}"
        )
        details2 = {"query_speaker": who.name, "record_speaker": record_names[0]}
        return [Note("speaker", message, details2)], False
    if claim.disputed and claim.disputed_by and q.statement and not q.hedged:
        details3: dict[str, Any] = {
            "disputed_by": disputers,
            "query_speaker": None,
            "record_speaker": _record_names(claim, r, aliases)[0],
            "stance": "asserted_as_fact",
        }
        message = f"the record is disputed: {_dispute_summary(claim)}"
        return [Note("disputed", message, details3)], False
    return [], False


def analyze(
    query: str,
    claim: Claim,
    *,
    speakers: Speakers | Sequence[Speaker] = (),
    lookup: Callable[[str], Claim | None] = lambda _id: None,
) -> list[Note]:
    """How ``query`` departs from ``claim``: number, speaker, disputed, negation, date notes.

    ``speakers`` (the database's) resolve aliases; ``lookup`` finds a record by id, for the
    figures of the records that ``claim`` updates. No note means no difference was found.
    """
    aliases = resolver(speakers)
    q = _parse(query, aliases)
    r = _parse(claim.text, aliases)
    notes = _number_notes(q, r, claim, lookup, aliases)
    speaker_notes, reports_denial = _speaker_notes(q, r, claim, aliases)
    notes.extend(speaker_notes)
    if not reports_denial:
        notes.extend(_negation_notes(q, r))
    notes.extend(_date_notes(q, r, claim))
    return notes


def claimant(text: str, speakers: Speakers | Sequence[Speaker] = ()) -> Speaker | None:
    """The known speaker ``text`` attributes its claim to ("Moscow denied ...", "according to
    HRW ..."), or None; a speaker merely mentioned ("Russia annexed Crimea") is not one."""
    who = _parse(text, resolver(speakers)).claimant
    return who.speaker if who is not None else None


def verdict(notes: Sequence[Note], score: float) -> str:
    """One word for a match: ``contradicts``, ``differs``, ``related`` or ``same``.

    - ``contradicts``: a ``negation`` note (negated or opposite direction), or a ``disputed``
      note where the query attributes the claim to the party that denies it.
    - ``differs``: any other note (number, speaker, date, a disputed record stated as fact).
    - ``related``: no note, but the score is below ``rules.RELATED_BELOW``: the record is
      about the same thing without being a restatement of the query.
    - ``same``: no note and a confident match.
    """
    kinds = {n.kind for n in notes}
    if "negation" in kinds or any(
        n.kind == "disputed" and (n.details or {}).get("stance") == "attributed_to_disputer"
        for n in notes
    ):
        return CONTRADICTS
    if notes:
        return DIFFERS
    return RELATED if score < RELATED_BELOW else SAME
