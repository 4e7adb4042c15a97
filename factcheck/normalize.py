"""Text and number normalisation shared by indexing, matching and analysis.

``normalize()`` maps a string to lower-case space-separated tokens of letters or numbers, so
that ``55,000`` = ``55 000`` = ``55000`` = ``fifty-five thousand``, ``31%`` = ``31 percent``,
curly quotes, dashes, accents and apostrophes (``Bush's`` = ``Bushs``) stop mattering.
``terms()`` adds stop-word removal and a light stemmer for retrieval.
Pure functions; the rules are the tables at the top.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from factcheck.rules import (  # the word lists
    DEMONYMS,
    SCALES,
    STOPWORDS,
    SUFFIX_SCALES,
    TERM_PHRASES,
    UNITS,
)

# Characters NFKC leaves alone that readers treat as the same.
_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u02bc": "'", "`": "'",
        "\u00b4": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ",
    }
)  # fmt: skip

_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:(?:,\d{3})+|(?: \d{3})+)(?![\d]|[.,]\d)")
_PERCENT = re.compile(r"(?<=\d)\s*%|\bper\s*cent\b|\bpct\b")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)|(?<=s)'(?!\w)")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DIGIT = re.compile(r"\d")
# Cheap test before _ACRONYM: a dot, a letter, a dot (a pattern that starts with a literal is
# scanned for it at C speed: 0.3 us a text where "letter, dot, letter, dot" took 3.5).
_ACRONYM_HINT = re.compile(r"\.[^\W\d_]\.")
_GROUP_HINT = re.compile(r"\d[, ]\d{3}")  # cheap test before _GROUPED
_NUMBER_WORDS = frozenset({*UNITS, *SCALES, "hundred"})
_MERGE_TRIGGERS = _NUMBER_WORDS | frozenset(SUFFIX_SCALES)
_SPLIT_SCALE = re.compile(r"(\d)(k|bn)\b")
_ACRONYM = re.compile(r"\b(?:[^\W\d_]\.){2,}")  # u.s. -> us, u.k. -> uk


def typography(text: str) -> str:
    """Unicode NFKC and typographic variants to ASCII (curly quotes, dashes, odd spaces);
    case and accents are kept. Character positions are kept too, except where NFKC itself
    changes a length (ligatures), so a text analysed after this can still be quoted."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)


def fold(text: str) -> str:
    """``typography`` plus accents removed and case folded."""
    text = typography(text)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        text = unicodedata.normalize("NFC", text)
    return text.casefold()


def format_number(value: float) -> str:
    """Canonical form of a figure: integers without separators, decimals trimmed."""
    if not math.isfinite(value):  # 309 digits or more ("1e400 million"): int() would fail
        return "inf"
    if value == int(value) and abs(value) < 1e18:
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def number_value(words: Iterable[str]) -> float:
    """The value of a run of number words, which may start with digits: "fifty five
    thousand", "1.2 million", "one hundred and five", "dozen" (articles and "and" are read
    past). The one reading of number words, for normalisation and analysis alike."""
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
        elif _NUMBER.fullmatch(w):
            current += float(w)
    return total + current


def _merge_number_words(tokens: list[str]) -> list[str]:
    """Turn runs like ``fifty five thousand`` or ``1.2 million`` into one figure."""
    out: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        # Tokens are runs of letters or of digits (see _TOKEN): a first digit means a figure.
        if tok in UNITS or (tok[0].isdigit() and i + 1 < n and tokens[i + 1] in SCALES):
            j = i + 1  # the run: digits only first, scales only after a value
            while j < n:
                t = tokens[j]
                if not (
                    t in UNITS
                    or t in SCALES
                    or t == "hundred"
                    or (t == "and" and j + 1 < n and tokens[j + 1] in UNITS)
                ):
                    break
                j += 1
            out.append(format_number(number_value(tokens[i:j])))
            i = j
            continue
        if tok in SUFFIX_SCALES and out and out[-1][0].isdigit():
            out[-1] = format_number(float(out[-1]) * SUFFIX_SCALES[tok])
        elif tok == "hundred" and out and out[-1][0].isdigit():
            out[-1] = format_number(float(out[-1]) * 100)
        else:
            out.append(tok)
        i += 1
    return out


def normalize(text: str) -> str:
    """Canonical, idempotent form of ``text`` for comparison (see module docstring)."""
    text = fold(text)
    # Each rewrite needs a character that most texts lack: test for it first (importing a
    # million claims normalises each one, and the regexes are most of that time).
    if "'" in text:
        text = _APOSTROPHE.sub("", text)
    if "." in text and _ACRONYM_HINT.search(text):
        text = _ACRONYM.sub(lambda m: m.group(0).replace(".", "") + " ", text)
    digits = _DIGIT.search(text) is not None
    if digits:
        if _GROUP_HINT.search(text):
            text = _GROUPED.sub(lambda m: m.group(0).replace(",", "").replace(" ", ""), text)
        text = _SPLIT_SCALE.sub(r"\1 \2", text)
    if "%" in text or "cent" in text or "pct" in text:
        text = _PERCENT.sub(" percent ", text)
    tokens = _TOKEN.findall(text)
    # Only a number word, a scale or a suffix makes anything merge (digits alone never do).
    if not _MERGE_TRIGGERS.isdisjoint(tokens):
        tokens = _merge_number_words(tokens)
    elif not digits:
        return " ".join(tokens)  # no figure: nothing below applies (most texts)
    out: list[str] = []
    for tok in tokens:
        # Two figures that were apart ("5, 100") must stay apart when normalised again,
        # where "5 100" would read as the grouped number 5100.
        if out and len(tok) == 3 and tok.isdigit() and len(out[-1]) <= 3 and out[-1].isdigit():
            out.append(",")
        out.append(tok)
    return " ".join(out)


@lru_cache(maxsize=1 << 16)  # pure and called for every word of every sentence checked
def stem(word: str) -> str:
    """A light English stemmer: plurals, -ed, -ing, -ly and a final -e.

    Porter would be more thorough, but the libraries that ship one cost ~20 ms of import
    time; this handles the inflections that matter for claims (drones/drone, restored/restore,
    casualties/casualty, died/dies/die).
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    w = word
    if w.endswith(("ies", "ied")):
        w = w[:-3] + "y" if len(w) > 4 else w[:-1]
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    elif w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif (w.endswith("ed") and len(w) > 4) or (w.endswith("ly") and len(w) > 5):
        w = w[:-2]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz" and w[-1].isalpha():
        w = w[:-1]  # stopped -> stop
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def is_number(token: str) -> bool:
    return _NUMBER.fullmatch(token) is not None


# Links carry no claim (a shortened URL is noise to BM25); they are dropped, including a
# "pic.twitter.com/..." glued to the word before it ("#Hanukkahpic.twitter.com/...").
_LINK = re.compile(r"(?:https?://|pic\.twitter\.com/|www\.)\S*", re.IGNORECASE)
# Hashtags and handles are names written without spaces: "#AustralianFires" -> Australian
# Fires, "@BetoORourke" -> Beto O Rourke, "#Trump2020" -> Trump 2020. Measured on the
# CheckThat! tweets (benchmarks/realdata.py): +0.025 MAP@5 over keeping them whole.
_TAG = re.compile(r"[#@](\w+)")
_CAMEL = re.compile(
    r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])"
)


def plain_words(text: str) -> str:
    """``text`` with links dropped and hashtags and handles split into their words."""
    if "/" in text or "www." in text:
        text = _LINK.sub(" ", text)
    if "#" in text or "@" in text:
        text = _TAG.sub(lambda m: _CAMEL.sub(" ", m.group(1)), text)
    return text


def terms(text: str) -> list[str]:
    """Retrieval terms: normalised tokens without stop words, stemmed (links dropped,
    hashtags and handles split, see ``plain_words``)."""
    return terms_of(normalize(plain_words(text)).split())


_PHRASE_STARTS = frozenset(first for first, _ in TERM_PHRASES)


def terms_of(tokens: Iterable[str]) -> list[str]:
    """``terms()`` for text that is already normalised and split: stop words out, equivalent
    names folded (``rules.TERM_PHRASES``, ``rules.DEMONYMS``), stemmed."""
    words = tokens if isinstance(tokens, list) else list(tokens)
    out: list[str] = []
    i, n = 0, len(words)
    while i < n:
        t = words[i]
        if t in _PHRASE_STARTS and i + 1 < n and (t, words[i + 1]) in TERM_PHRASES:
            out.append(TERM_PHRASES[t, words[i + 1]])
            i += 2
            continue
        term = _TERM_OF.get(t)
        if term is None:
            term = _STOP if t in STOPWORDS or t == "," else stem(DEMONYMS.get(t, t))
            if len(_TERM_OF) >= 1 << 16:  # bounded, whatever the input
                _TERM_OF.clear()
            _TERM_OF[t] = term
        if term is not _STOP:
            out.append(term)
        i += 1
    return out


# word -> its term (_STOP for a stop word): a million claims index every word of each
_TERM_OF: dict[str, str] = {}
_STOP = "\x00"  # in no token


_CAPITALISED = re.compile(r"\b[^\W\d_][\w'\u2019.-]*")


@lru_cache(maxsize=1 << 14)  # names recur from sentence to sentence
def _word_terms(word: str) -> tuple[str, ...]:
    return tuple(terms_of(normalize(word).split()))


def name_terms(text: str) -> list[str]:
    """Terms of the words written with a capital: the names of people, places and bodies a
    text mentions. A sentence's first word counts too ("China agreed ..."); stop words do not.
    """
    words = (w for w in _CAPITALISED.findall(plain_words(text)) if w[0].isupper())
    return list(dict.fromkeys(t for w in words for t in _word_terms(w)))
