"""Figures: counts and percentages with their qualifiers, years and days apart."""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import NamedTuple

from factcheck.analyze.tokens import _content, _Tok, _tokens
from factcheck.normalize import number_value, typography
from factcheck.rules import (
    BASELINE_CUES,
    DATE_CUES,
    MONTHS,
    NOT_PLURAL,
    ONE_PRONOUN,
    QUALIFIERS,
    SCALES,
    SUFFIX_SCALES,
    UNITS,
    YEAR_RANGE,
)


class Figure(NamedTuple):
    """A count or percentage as written in a text."""

    value: float
    percent: bool
    qualifier: str | None  # "about", "over", ... as written, lower-cased
    text: str  # the figure as written, without its qualifier: "55,000", "55k", "31%"


# --- Figures --------------------------------------------------------------------------------------


def _alternation(words: Sequence[str]) -> str:
    """Regex alternation, longest first so "hundred" is never cut short by a shorter word."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_DIGITS = re.compile(
    rf"""
    (?=[\d.])(?<![\w.,:/-])  # the lookahead first: cheap rejection of most positions
    (?P<num>(?:\d{{1,3}}(?:,\d{{3}})+|\d{{1,3}}(?:\ \d{{3}})+|\d+)(?:\.\d+)?|\.\d+)
    (?:\s?(?P<suffix>{_alternation(list(SUFFIX_SCALES))})(?!\w)
      |\s+(?P<scale>hundred|{_alternation(list(SCALES))})(?!\w)
      |(?!\w|[.,:]\d))  # not "1st", "MQ-9A" or a time "10:30"
    """,
    re.IGNORECASE | re.VERBOSE,
)
_PERCENT = re.compile(r"\s*(?:%|per\s*cent(?!\w)|percent(?!\w)|pct(?!\w))", re.IGNORECASE)
_NUMBER_WORDS = frozenset({*UNITS, "hundred", *SCALES})
_SCALE_WORDS = frozenset({"hundred", "dozen", *SCALES})
_QUALIFIER_KEYS = {tuple(q.replace(".", "").split()): q for q in QUALIFIERS}
_QUALIFIER_LONGEST = max(len(k) for k in _QUALIFIER_KEYS)
_PREV_WORD = re.compile(r"([A-Za-z]+)\W*$")
_NEXT_WORD = re.compile(r"[\s,]*([A-Za-z]+|\d+)")


class _Fig(NamedTuple):
    figure: Figure
    start: int  # of the figure (qualifier excluded)
    end: int
    context: frozenset[str]  # stems of the words that follow: what the figure counts


class _Year(NamedTuple):
    value: int
    start: int
    end: int
    baseline: bool  # "compared to 2024": a point of comparison, not when it happened


def _is_number_word(tok: _Tok) -> bool:
    key = tok.key
    if key in _NUMBER_WORDS:
        return True
    return "-" in key and all(p in _NUMBER_WORDS for p in key.split("-"))


def _scan_numbers(text: str, toks: Sequence[_Tok]) -> tuple[list[_Fig], list[_Year]]:
    """Counts and percentages, and (separately) years; days of the month are dropped."""
    found: list[tuple[float, int, int]] = []  # value, start, end (percent sign excluded)
    years: list[_Year] = []
    for m in _DIGITS.finditer(text):
        num = m.group("num")
        value = float(num.replace(",", "").replace(" ", ""))
        if m.group("suffix"):
            value *= SUFFIX_SCALES[m.group("suffix").lower()]
        elif m.group("scale"):
            scale = m.group("scale").lower()
            value *= 100 if scale == "hundred" else SCALES[scale]
        elif not math.isfinite(value):
            continue  # 309 digits or more: no figure anyone compares (and int() would fail)
        elif num.isdigit() and not _PERCENT.match(text, m.end()):
            kind = _date_kind(text, m.start(), m.end(), int(value), len(num))
            if kind == "year":
                years.append(_Year(int(value), m.start(), m.end(), _is_baseline(text, m.start())))
                continue
            if kind == "day":
                continue
        if math.isfinite(value):  # a scale can overflow too: "1e300 million" is inf
            found.append((value, m.start(), m.end()))
    # Digit figures, in text order and apart: a token inside one is found by bisection (a
    # scan of all of them for each number word cost their product: "1 one 1 one ...").
    digit_starts = [s for _, s, _ in found]
    digit_ends = [e for _, _, e in found]

    def in_digits(pos: int) -> bool:
        k = bisect_right(digit_starts, pos) - 1
        return k >= 0 and pos < digit_ends[k]

    # Number words: "three", "fifty-five thousand", "a dozen", "one hundred and five".
    n, i = len(toks), 0
    while i < n:
        t = toks[i]
        article = t.key in {"a", "an"} and i + 1 < n and toks[i + 1].key in _SCALE_WORDS
        if not (article or _is_number_word(t)) or in_digits(t.start):
            i += 1
            continue
        words = [t.key] if article else t.key.split("-")
        j = i + 1
        while j < n:
            u = toks[j]
            if _is_number_word(u) and not in_digits(u.start):
                words.extend(u.key.split("-"))
            elif not (u.key == "and" and j + 1 < n and _is_number_word(toks[j + 1])):
                break  # "and" only inside a figure: "one hundred and five"
            j += 1
        value = number_value(words)
        if math.isfinite(value) and not (
            words == ["one"] and i > 0 and toks[i - 1].key in ONE_PRONOUN
        ):
            found.append((value, t.start, toks[j - 1].end))
        i = j
    found.sort(key=lambda f: f[1])
    starts = [t.start for t in toks]
    figures = []
    for value, start, end in found:
        pct = _PERCENT.match(text, end)
        full_end = pct.end() if pct else end
        figures.append(
            _Fig(
                Figure(
                    value,
                    pct is not None,
                    _qualifier(toks, bisect_left(starts, start)),
                    text[start:full_end],
                ),
                start,
                full_end,
                _figure_context(toks, bisect_left(starts, full_end)),
            )
        )
    return figures, years


def _qualifier(toks: Sequence[_Tok], ti: int) -> str | None:
    """The qualifier right before token ``ti``: "about", "more than", "approx."."""
    if ti > 0 and toks[ti - 1].key == ".":
        ti -= 1  # "approx. 55,000"
    for size in range(min(_QUALIFIER_LONGEST, ti), 0, -1):
        q = _QUALIFIER_KEYS.get(tuple(t.key for t in toks[ti - size : ti]))
        if q is not None:
            return q
    return None


def _date_kind(text: str, start: int, end: int, value: int, digits: int) -> str:
    """ "year", "day" or "count" for a plain integer, from the words around it."""
    prev = _PREV_WORD.search(text, max(0, start - 20), start)
    nxt = _NEXT_WORD.match(text, end, min(len(text), end + 20))
    prev_word = prev.group(1).lower() if prev else ""
    next_word = nxt.group(1).lower() if nxt else ""
    if digits <= 2 and 1 <= value <= 31 and (prev_word in MONTHS or next_word in MONTHS):
        return "day"  # "March 5", "5 March"
    if digits != 4 or not YEAR_RANGE[0] <= value <= YEAR_RANGE[1]:
        return "count"
    if prev_word in DATE_CUES or prev_word in MONTHS or next_word in MONTHS:
        return "year"
    plural = (
        len(next_word) > 2
        and next_word.endswith("s")
        and not next_word.endswith("ss")
        and next_word not in NOT_PLURAL
    )
    # A lone year reads as a date ("compared to 2024", "2014."); before a plural noun a
    # 4-digit number is a count ("2000 soldiers"), unless a strong date cue came first.
    return "count" if plural else "year"


def _is_baseline(text: str, start: int) -> bool:
    before = " ".join(text[max(0, start - 25) : start].lower().split())
    return before.endswith(BASELINE_CUES)


def _figure_context(toks: Sequence[_Tok], ti: int) -> frozenset[str]:
    """Stems of the next two content words in the clause: "15,000 civilians killed"."""
    out: list[str] = []
    for t in toks[ti : ti + 6]:
        if not t.word:
            break
        out.extend(_content(t.key))
        if len(out) >= 2:
            break
    return frozenset(out)


def extract_figures(text: str) -> list[Figure]:
    """Counts and percentages in ``text``, in order; years, days and ordinals are skipped.

    >>> [f.value for f in extract_figures("about 55k soldiers, a 31% rise since 2024")]
    [55000.0, 31.0]
    """
    text = typography(text)
    return [f.figure for f in _scan_numbers(text, _tokens(text))[0]]
