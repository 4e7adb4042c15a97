"""What differs between a typed claim and a matched record.

``analyze(query, claim)`` returns ``Note``s, each one difference a reader should see:

- ``number``: a figure the query gives differs from the record's figure about the same thing
  ("50,000" vs "approximately 55,000"). Figures are compared as values, so "55 000", "55k" and
  "fifty-five thousand" are the same; qualifiers ("about", "over", "nearly") widen what the
  query's figure allows instead of being read as errors. Years and days are dates, not counts.
- ``speaker``: the query attributes the claim ("X said", "according to X", "X: ...") to someone
  other than the record's speaker; aliases are resolved, so "Zelensky" is "Volodymyr Zelenskyy".
- ``disputed``: the record is disputed and the query states it as fact, or puts it in the
  mouth of the party that disputes it ("Moscow admitted ..." when Moscow denied it).
- ``negation``: one side negates what the other asserts ("did not restore"), or the two go in
  opposite directions ("fell" vs "a 31% increase", "suspended" vs "restore").
- ``date``: a year or month in the query that the record's date (or its text) contradicts.

``verdict(notes, score)`` sums that up in one word. Everything here is pure: no I/O, no
terminal; the word lists and thresholds are in ``rules.py``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from factcheck.model import Claim, Note, Speaker
from factcheck.normalize import stem
from factcheck.rules import (
    AMBIGUOUS_MONTHS,
    APPROX_TOLERANCE,
    ATTRIBUTION_FILLERS,
    ATTRIBUTION_VERBS,
    BASELINE_CUES,
    DATE_CUES,
    DIRECTIONS,
    FINITE_VERBS,
    GENERIC_SPEAKERS,
    HEDGES,
    MONTHS,
    NEAR_TOLERANCE,
    NEGATION_CUES,
    NEGATION_PHRASES,
    NEGATION_SCOPE,
    NOT_NEGATION,
    NOT_PLURAL,
    PASSIVE_ATTRIBUTION,
    QUALIFIERS,
    RELATED_BELOW,
    SCALES,
    SCOPE_BREAKS,
    SCOPE_PREPOSITIONS,
    STOPWORDS,
    SUFFIX_SCALES,
    UNITS,
    UP_DOWN_CONTEXT,
    YEAR_RANGE,
)

__all__ = ["Figure", "analyze", "extract_figures", "verdict"]

# Verdict words.
SAME = "same"
DIFFERS = "differs"
CONTRADICTS = "contradicts"
RELATED = "related"


class Figure(NamedTuple):
    """A count or percentage as written in a text."""

    value: float
    percent: bool
    qualifier: str | None  # "about", "over", ... as written, lower-cased
    text: str  # the figure as written, without its qualifier: "55,000", "55k", "31%"


# --- Text preparation ---------------------------------------------------------------------------

# Typographic variants that must not split a figure or a word (the rest is left as written).
_TYPO = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ",
    }
)  # fmt: skip


def _prepare(text: str) -> str:
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_TYPO)


# --- Tokens ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+(?:['.\-][^\W_]+)*|[^\w\s]")


class _Tok(NamedTuple):
    raw: str
    key: str  # lower case without apostrophes and dots: "Russia's" -> "russias", "U.S." -> "us"
    word: bool
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    new = tuple.__new__  # builds the NamedTuple without its Python-level __new__: 3x faster
    out: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        raw = m.group()
        start, end = m.span()
        if raw[0].isalnum():
            key = raw.lower()
            if "'" in key or "." in key:
                key = key.replace("'", "").replace(".", "")
            out.append(new(_Tok, (raw, key, True, start, end)))
        else:
            out.append(new(_Tok, (raw, raw, False, start, end)))
    return out


# Memo of a pure function over words: the same few hundred words recur in every text.
@lru_cache(maxsize=8192)
def _content(key: str) -> tuple[str, ...]:
    """Stems of a token's topical parts ("high-level" -> high, level); none for numbers."""
    return tuple(
        stem(p)
        for p in key.split("-")
        if p.isalpha() and p not in STOPWORDS and p not in NEGATION_CUES
    )


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
# "one" is a pronoun, not a count, after these words ("no one", "the one who").
_ONE_PRONOUN = frozenset({"no", "any", "every", "some", "each", "the", "this", "that", "which"})


def _words_value(words: list[str]) -> float:
    """Value of "fifty-five thousand", "a dozen", "one hundred and five"."""
    total = current = 0.0
    for w in words:
        if w in UNITS:
            current += UNITS[w]
        elif w == "hundred":
            # 1.0, not 1: an int would grow without bound ("hundred hundred ...") and
            # overflow when added to a float; a float goes to inf, which callers drop.
            current = (current or 1.0) * 100
        elif w in SCALES:
            total += (current or 1.0) * SCALES[w]
            current = 0
    return total + current


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
    digit_spans = [(s, e) for _, s, e in found]
    # Number words: "three", "fifty-five thousand", "a dozen", "one hundred and five".
    n, i = len(toks), 0
    while i < n:
        t = toks[i]
        article = t.key in {"a", "an"} and i + 1 < n and toks[i + 1].key in _SCALE_WORDS
        if not (article or _is_number_word(t)) or any(s <= t.start < e for s, e in digit_spans):
            i += 1
            continue
        words = [t.key] if article else t.key.split("-")
        j = i + 1
        while j < n:
            u = toks[j]
            if _is_number_word(u) and not any(s <= u.start < e for s, e in digit_spans):
                words.extend(u.key.split("-"))
            elif not (u.key == "and" and j + 1 < n and _is_number_word(toks[j + 1])):
                break  # "and" only inside a figure: "one hundred and five"
            j += 1
        value = _words_value(words)
        if math.isfinite(value) and not (
            words == ["one"] and i > 0 and toks[i - 1].key in _ONE_PRONOUN
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
    text = _prepare(text)
    return [f.figure for f in _scan_numbers(text, _tokens(text))[0]]


# --- Speakers -------------------------------------------------------------------------------------


class _Aliases:
    """Speaker names and aliases as token keys, for longest-match lookup."""

    def __init__(self, speakers: tuple[Speaker, ...]) -> None:
        self.table: dict[tuple[str, ...], Speaker] = {}
        self.exact: dict[str, Speaker] = {}
        for sp in speakers:
            for name in (sp.name, *sp.aliases):
                self.exact.setdefault(name, sp)
                key = _name_key(name)
                if key:
                    self.table.setdefault(key, sp)
        self.longest = max((len(k) for k in self.table), default=0)

    def resolve(self, name: str) -> Speaker | None:
        sp = self.exact.get(name)  # record speakers are canonical names: skip tokenising
        return sp if sp is not None else self.table.get(_name_key(name))

    def ending_at(self, keys: Sequence[str], end: int) -> tuple[int, Speaker] | None:
        for n in range(min(self.longest, end), 0, -1):
            sp = self.table.get(tuple(keys[end - n : end]))
            if sp is not None:
                return end - n, sp
        return None

    def starting_at(self, keys: Sequence[str], start: int) -> tuple[int, Speaker] | None:
        for n in range(min(self.longest, len(keys) - start), 0, -1):
            sp = self.table.get(tuple(keys[start : start + n]))
            if sp is not None:
                return start + n, sp
        return None


def _name_key(name: str) -> tuple[str, ...]:
    return tuple(t.key for t in _tokens(_prepare(name)) if t.word)


# Built once per distinct speaker list: normalising ~60 aliases on every call would cost more
# than the rest of the analysis. A bounded memo of a pure function of immutable values.
@lru_cache(maxsize=8)
def _aliases(speakers: tuple[Speaker, ...]) -> _Aliases:
    return _Aliases(speakers)


class _Attribution(NamedTuple):
    position: int
    name: str  # canonical name for a known speaker, else as written
    speaker: Speaker | None


def _capitalised_run(toks: Sequence[_Tok], start: int, end: int, step: int) -> str | None:
    """An unknown name: capitalised words next to an attribution verb ("The Pentagon said")."""
    run: list[_Tok] = []
    i = start
    while 0 <= i < end and len(run) < 4:
        t = toks[i]
        if not (t.word and t.raw[0].isupper() and t.raw[0].isalpha()):
            break
        run.append(t)
        i += step
    if step < 0:
        run.reverse()
    while run and run[0].key in GENERIC_SPEAKERS:
        run = run[1:]  # "The Pentagon" -> "Pentagon"; "Officials" -> nothing
    if not run or run[-1].key in GENERIC_SPEAKERS or run[-1].key in MONTHS:
        return None
    return " ".join(t.raw for t in run)


def _attributions(toks: Sequence[_Tok], aliases: _Aliases) -> list[_Attribution]:
    """Who the text says makes the claim, in text order (see rules.ATTRIBUTION_VERBS)."""
    keys = [t.key for t in toks]
    n = len(toks)
    found: list[_Attribution] = []

    def known_or_run_after(i: int) -> None:
        hit = aliases.starting_at(keys, i)
        if hit is not None:
            found.append(_Attribution(i, hit[1].name, hit[1]))
        elif (name := _capitalised_run(toks, i, n, 1)) is not None:
            found.append(_Attribution(i, name, None))

    # "Tusk: Russian forces lost access" - a name (known, or a full name) before a colon.
    for k in range(1, min(n, 7)):
        if keys[k] == ":":
            if all(t.word for t in toks[:k]):
                hit = aliases.ending_at(keys, k)
                if hit is not None and all(t.raw[0].isupper() for t in toks[: hit[0]]):
                    found.append(_Attribution(hit[0], hit[1].name, hit[1]))
                elif (
                    2 <= k <= 4
                    and (name := _capitalised_run(toks, k - 1, k, -1))
                    and len(name.split()) == k  # every word before the colon is the name
                ):
                    found.append(_Attribution(0, name, None))
            break
    for i, key in enumerate(keys):
        # A capitalised "States" or "Reports" is part of a name ("United States"), not a verb.
        if key in ATTRIBUTION_VERBS and toks[i].raw.islower():
            j = i
            while j > 0 and keys[j - 1] in ATTRIBUTION_FILLERS:
                j -= 1
            hit = aliases.ending_at(keys, j)
            if hit is not None:
                found.append(_Attribution(hit[0], hit[1].name, hit[1]))
            elif j > 0 and (name := _capitalised_run(toks, j - 1, j, -1)) is not None:
                found.append(_Attribution(j - 1, name, None))
            elif i > 0 and keys[i - 1] in {",", '"', "'"} and i + 1 < n:
                known_or_run_after(i + 1)  # '..., said Zelensky'
            if key in PASSIVE_ATTRIBUTION and i + 2 < n and keys[i + 1] == "by":
                known_or_run_after(i + 2)  # "as reported by HRW"
        elif key == "according" and i + 2 < n and keys[i + 1] == "to":
            known_or_run_after(i + 2)
    found.sort(key=lambda a: a.position)
    return found


def _claimant(found: Sequence[_Attribution]) -> _Attribution | None:
    """The speaker a text attributes its claim to: the first known one, else the first."""
    for a in found:
        if a.speaker is not None:
            return a
    return found[0] if found else None


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


_AUXILIARIES = frozenset(
    {"did", "does", "do", "has", "have", "had", "was", "were", "is", "are", "will", "would",
     "could", "can", "should"}
)  # fmt: skip


def _negation(toks: Sequence[_Tok]) -> tuple[list[_Scope], set[int]]:
    scopes: list[_Scope] = []
    covered: set[int] = set()
    n = len(toks)
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
        stems: set[str] = set()
        counted = 0
        last = j - 1
        while j < n and counted < NEGATION_SCOPE:
            u = toks[j]
            if not u.word or u.key in SCOPE_BREAKS or (counted and u.key in SCOPE_PREPOSITIONS):
                break
            parts = [] if u.key.endswith("ly") else _content(u.key)  # adverbs: "publicly"
            if parts:
                stems.update(parts)
                counted += 1
                covered.add(j)
                last = j
            j += 1
        if stems:
            first = i - 1 if i > 0 and toks[i - 1].key in _AUXILIARIES else i
            scopes.append(_Scope(t.key, toks[first].start, toks[last].end, frozenset(stems)))
    return scopes, covered


def _directions(
    toks: Sequence[_Tok], negated: set[int], figures: Sequence[_Fig]
) -> list[_Direction]:
    out: list[_Direction] = []
    n = len(toks)
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
        context.update(f"#{f.figure.value:g}" for f in figures if first <= f.start < last)
        out.extend(_Direction(axis, sign, i, frozenset(context)) for axis, sign in axes)
    return out


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
def _parse(text: str, aliases: _Aliases) -> _Text:
    text = _prepare(text)
    toks = _tokens(text)
    figures, years = _scan_numbers(text, toks)
    scopes, covered = _negation(toks)
    negated: set[str] = set()
    for s in scopes:
        negated |= s.stems
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
        frozenset(negated),
        frozenset(positive),
        _directions(toks, covered, figures),
        bool(found) or not HEDGES.isdisjoint(keys),
        any(k in FINITE_VERBS or (len(k) > 4 and k.endswith("ed")) for k in keys),
    )


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


def _number_notes(
    q: _Text, r: _Text, claim: Claim, lookup: Callable[[str], Claim | None], aliases: _Aliases
) -> list[Note]:
    if not q.figures or not r.figures:
        return []  # the record states no figure: nothing to compare, not a difference
    pending = [f for f in q.figures if not any(_consistent(f.figure, g.figure) for g in r.figures)]
    earlier: list[Figure] = []
    if any(rel.relation == "updates" for rel in claim.related):
        for rel in claim.related:
            if rel.relation == "updates" and (updated := lookup(rel.id)) is not None:
                earlier.extend(f.figure for f in _parse(updated.text, aliases).figures)
    current = [g for g in r.figures if not any(_consistent(g.figure, e) for e in earlier)]
    if earlier and current:
        # The record mentions the figure it updates ("a rise from 46,000"): citing that one
        # alone is citing an outdated figure, unless the query also gives the current one.
        cites_current = any(_consistent(f.figure, g.figure) for f in q.figures for g in current)
        if not cites_current:
            for f in q.figures:
                if f not in pending and any(_consistent(f.figure, e) for e in earlier):
                    pending.append(f)
            pending.sort(key=lambda f: f.start)
    pool = list(current or r.figures)
    for f in q.figures:
        if f not in pending:
            pool = [g for g in pool if not _consistent(f.figure, g.figure)] or pool
    notes = []
    for f in pending:
        candidates = [g for g in pool if g.figure.percent == f.figure.percent]
        if not candidates:
            continue
        best = max(candidates, key=lambda g: _pair_score(f, g))
        if len(pool) > 1:
            pool.remove(best)  # two wrong figures are two notes against two record figures
        old = [e for e in earlier if e.percent == f.figure.percent]
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


def _record_names(claim: Claim, r: _Text, aliases: _Aliases) -> list[str]:
    sp = aliases.resolve(claim.speaker)
    names = [sp.name if sp else claim.speaker]
    names.extend(a.name for a in r.attributed)
    return names


def _same_speaker(who: _Attribution, names: Sequence[str], aliases: _Aliases) -> bool:
    for name in names:
        sp = aliases.resolve(name)
        canonical = sp.name if sp else name
        if who.speaker is not None and who.speaker.name == canonical:
            return True
        if who.speaker is None:
            # An unknown name that is part of a known one ("Fedorov" for "Mykhailo Fedorov"),
            # allowing a typo in longer words ("Zelenksy"), as the matcher does.
            mine = _name_key(who.name)
            forms = [canonical, *(sp.aliases if sp else ())]
            for form in forms:
                theirs = _name_key(form)
                if all(any(_near(a, b) for b in theirs) for a in mine):
                    return True
    return False


def _near(a: str, b: str) -> bool:
    """Equal, or one edit or swap apart for words of 5+ letters (optimal string alignment)."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return (
        a[i + 1 :] == b[i + 1 :]  # substitution
        or a[i + 1 :] == b[i:]  # deletion from a
        or a[i:] == b[i + 1 :]  # insertion into a
        or (a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :])  # swap
    )


# "Moscow denied these claims, stating that ...": who disputes, the verb, and what they say
# instead. Three patterns tried in turn, none with overlapping quantifiers: one regex
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


def _negation_notes(q: _Text, r: _Text) -> list[Note]:
    notes: list[Note] = []
    seen: set[tuple[str, str]] = set()
    for qd in q.directions:
        for rd in r.directions:
            if rd.axis != qd.axis or rd.sign != -qd.sign or not (qd.context & rd.context):
                continue
            # Both directions on one side ("a rise from ... after a fall") compare nothing.
            if any(d.axis == rd.axis and d.sign == rd.sign for d in q.directions):
                continue
            if any(d.axis == qd.axis and d.sign == qd.sign for d in r.directions):
                continue
            q_word, r_word = q.tokens[qd.pos].raw, r.tokens[rd.pos].raw
            if (q_word.lower(), r_word.lower()) in seen:
                continue
            seen.add((q_word.lower(), r_word.lower()))
            notes.append(
                Note(
                    "negation",
                    f"direction differs: {_direction_phrase(q_word, r, rd)}",
                    {"query": q_word, "record": r_word, "axis": DIRECTIONS[qd.axis][0]},
                )
            )
    if notes:
        return notes
    # A negation the user typed is aimed at the matched claim, so half of its words found
    # asserted in the record is enough ("did not agree to restore" vs "the decision to
    # restore"); a record's negation is often incidental ("despite no formal disclosures"),
    # so the query must repeat two of its words (or its only word) to contradict it.
    r_asserted = r.positive - r.negated
    for s in q.scopes:
        if 2 * len(s.stems & r_asserted) >= len(s.stems):
            phrase = q.text[s.start : s.end]
            return [
                Note(
                    "negation",
                    f'negation differs: you wrote "{phrase}", which the record asserts',
                    {"negated_in": "query", "cue": s.cue, "phrase": phrase},
                )
            ]
    q_asserted = q.positive - q.negated
    for s in r.scopes:
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


def _direction_phrase(q_word: str, r: _Text, rd: _Direction) -> str:
    """ "the record reports a 31% increase" when a figure goes with the word, else both words."""
    tok = r.tokens[rd.pos]
    for f in r.figures:
        if 0 <= tok.start - f.end <= 2:
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
    for month, start, end in t.months:
        year = next(
            (
                y
                for y in t.years
                if not y.baseline and 0 < y.start - end <= 6 and y.start not in used
            ),
            None,
        )
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


_DATE_FIELD = re.compile(r"(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?")


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
    field = _DATE_FIELD.fullmatch(claim.date or "")
    if field:
        r_years.add(int(field.group(1)))
        if field.group(2):
            r_months.add(int(field.group(2)))
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
    if field:
        record_iso = field.group(0)
        year, month, day = field.groups()
        said = year
        if month:
            said = f"{_MONTH_NAMES[int(month)]} {year}"
        if day:
            said = f"{_MONTH_NAMES[int(month)]} {int(day)}, {year}"
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


def _speaker_notes(q: _Text, r: _Text, claim: Claim, aliases: _Aliases) -> tuple[list[Note], bool]:
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
    speakers: Sequence[Speaker] = (),
    lookup: Callable[[str], Claim | None] = lambda _id: None,
) -> list[Note]:
    """How ``query`` departs from ``claim``: number, speaker, disputed, negation, date notes.

    ``speakers`` (the database's) resolve aliases; ``lookup`` finds a record by id, for the
    figures of the records that ``claim`` updates. No note means no difference was found.
    """
    aliases = _aliases(tuple(speakers))
    q = _parse(query, aliases)
    r = _parse(claim.text, aliases)
    notes = _number_notes(q, r, claim, lookup, aliases)
    speaker_notes, reports_denial = _speaker_notes(q, r, claim, aliases)
    notes.extend(speaker_notes)
    if not reports_denial:
        notes.extend(_negation_notes(q, r))
    notes.extend(_date_notes(q, r, claim))
    return notes


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
