"""Text and number normalisation shared by indexing, matching and analysis.

``normalize()`` maps a string to lower-case space-separated tokens of letters or numbers, so
that ``55,000`` = ``55 000`` = ``55000`` = ``fifty-five thousand``, ``31%`` = ``31 percent``,
curly quotes, dashes, accents and apostrophes (``Bush's`` = ``Bushs``) stop mattering.
``terms()`` adds stop-word removal and a light stemmer for retrieval.
Pure functions; the rules are the tables at the top.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
}  # fmt: skip
SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 10**12}
# Suffixes glued to or right after a figure: "55k", "2bn".
SUFFIX_SCALES = {"k": 1_000, "bn": 1_000_000_000}

# Function words that carry no topic. Negations are kept out of retrieval too; the analysis
# step looks at them separately. Reporting verbs ("said", "claims") are here because a query
# says "X said ..." while records state the claim itself.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves said say says saying claim claims claimed stated states told
    tells according reportedly allegedly alleged that's its it's never ever been upon via
    per whether yet
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:(?:,\d{3})+|(?: \d{3})+)(?![\d]|[.,]\d)")
_PERCENT = re.compile(r"(?<=\d)\s*%|\bper\s*cent\b|\bpct\b")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)|(?<=s)'(?!\w)")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
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
    text = _APOSTROPHE.sub("", text)
    text = _ACRONYM.sub(lambda m: m.group(0).replace(".", "") + " ", text)
    text = _GROUPED.sub(lambda m: m.group(0).replace(",", "").replace(" ", ""), text)
    text = _PERCENT.sub(" percent ", text)
    text = _SPLIT_SCALE.sub(r"\1 \2", text)
    tokens = _merge_number_words(_TOKEN.findall(text))
    out: list[str] = []
    for tok in tokens:
        # Two figures that were apart ("5, 100") must stay apart when normalised again,
        # where "5 100" would read as the grouped number 5100.
        if out and len(tok) == 3 and tok.isdigit() and len(out[-1]) <= 3 and out[-1].isdigit():
            out.append(",")
        out.append(tok)
    return " ".join(out)


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
