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

from factcheck.rules import SCALES, STOPWORDS, SUFFIX_SCALES, UNITS  # the word lists

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
_ACRONYM_HINT = re.compile(r"[^\W\d_]\.[^\W\d_]\.")  # cheap test before _ACRONYM
_GROUP_HINT = re.compile(r"\d[, ]\d{3}")  # cheap test before _GROUPED
_NUMBER_WORDS = frozenset({*UNITS, *SCALES, "hundred"})
_SPLIT_SCALE = re.compile(r"(\d)(k|bn)\b")
_ACRONYM = re.compile(r"\b(?:[^\W\d_]\.){2,}")  # u.s. -> us, u.k. -> uk


def fold(text: str) -> str:
    """Unicode NFKC, typographic variants to ASCII, accents removed, case folded."""
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
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


def _merge_number_words(tokens: list[str]) -> list[str]:
    """Turn runs like ``fifty five thousand`` or ``1.2 million`` into one figure."""
    out: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        if tok in UNITS or (_NUMBER.fullmatch(tok) and i + 1 < n and tokens[i + 1] in SCALES):
            total, current, j = 0.0, 0.0, i
            seen = False
            while j < n:
                t = tokens[j]
                if t in UNITS:
                    current += UNITS[t]
                elif _NUMBER.fullmatch(t) and not seen:
                    current += float(t)
                elif t == "hundred" and seen:
                    current = (current or 1) * 100
                elif t in SCALES and seen:
                    total += (current or 1) * SCALES[t]
                    current = 0
                elif t == "and" and seen and j + 1 < n and tokens[j + 1] in UNITS:
                    pass  # "one hundred and five"
                else:
                    break
                seen = True
                j += 1
            out.append(format_number(total + current))
            i = j
            continue
        if tok in SUFFIX_SCALES and out and _NUMBER.fullmatch(out[-1]):
            out[-1] = format_number(float(out[-1]) * SUFFIX_SCALES[tok])
        elif tok == "hundred" and out and _NUMBER.fullmatch(out[-1]):
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
    if digits or not _NUMBER_WORDS.isdisjoint(tokens):
        tokens = _merge_number_words(tokens)
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


def terms(text: str) -> list[str]:
    """Retrieval terms: normalised tokens without stop words, stemmed."""
    return [stem(t) for t in normalize(text).split() if t not in STOPWORDS and t != ","]


def terms_of(tokens: Iterable[str]) -> list[str]:
    """``terms()`` for text that is already normalised and split."""
    return [stem(t) for t in tokens if t not in STOPWORDS and t != ","]
