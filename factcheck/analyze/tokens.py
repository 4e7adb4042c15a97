"""The tokens of the analysis: words and punctuation with their positions, so that messages can
quote the text (``normalize`` throws positions away). Texts pass ``normalize.typography``
first."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from factcheck.normalize import stem
from factcheck.rules import (
    NEGATION_CUES,
    STOPWORDS,
)

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
