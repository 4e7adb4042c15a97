"""The speakers of one database and how what people write resolves to them.

One resolver, built once per database and used by matching (a query naming a speaker),
analysis (who a text attributes its claim to), browsing (``list --speaker``) and the index
(the speaker column). Every name and alias is keyed the same way (``key``): folded like
``normalize.fold`` (case, accents, typographic variants), apostrophes and dots dropped, split
into words at anything that is not a letter or digit. So "Zelenskyi", "ZELENSKYI",
"Zelenskyi's" (after the possessive is cut) and "Volodymyr Zelenskyi" all find Volodymyr
Zelenskyy when the database lists those aliases, and "U.S. European Command" is the same as
"US European Command".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from factcheck.model import Speaker
from factcheck.normalize import fold, terms

_DROPPED = str.maketrans("", "", "'.")
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1 << 14)  # pure; names and words recur in every text
def key(name: str) -> tuple[str, ...]:
    """The lookup key of a name or of one written word: folded words, in order."""
    return tuple(_WORD.findall(fold(name).translate(_DROPPED)))


def word_key(word: str) -> str:
    """The key of one token as a tokenizer wrote it ("Russia's" -> "russias"): the form
    ``starting_at``/``ending_at`` expect in their key sequences."""
    return "".join(key(word))


class Speakers:
    """Canonical names and aliases of one database's speakers (immutable after building)."""

    __slots__ = ("_by_name", "_first", "_keys", "longest", "speakers")

    def __init__(self, speakers: Iterable[Speaker]) -> None:
        self.speakers = tuple(speakers)
        self._by_name = {sp.name: sp for sp in self.speakers}
        self._keys: dict[tuple[str, ...], Speaker] = {}
        for sp in self.speakers:
            for name in (sp.name, *sp.aliases):
                k = key(name)
                if k:
                    self._keys.setdefault(k, sp)  # the first speaker listed keeps a shared alias
        self.longest = max((len(k) for k in self._keys), default=0)
        # First word -> the longest key starting with it: most words start no name, and this
        # rejects them with one lookup (every word of every checked sentence is tried).
        self._first: dict[str, int] = {}
        for k in self._keys:
            self._first[k[0]] = max(self._first.get(k[0], 0), len(k))

    def __iter__(self) -> Iterator[Speaker]:
        return iter(self.speakers)

    def __len__(self) -> int:
        return len(self.speakers)

    def get(self, name: str) -> Speaker | None:
        """The speaker with exactly this canonical name."""
        return self._by_name.get(name)

    def resolve(self, written: str) -> Speaker | None:
        """The speaker ``written`` names: its canonical name or an alias, in any case, with
        or without accents and punctuation; else the one speaker whose name or alias it
        contains ("Volodymyr Zelenskyi" holds the alias "Zelenskyi"), as a query is read."""
        sp = self._by_name.get(written) or self._keys.get(k := key(written))
        if sp is not None:
            return sp
        found = {hit[1].name: hit[1] for i in range(len(k)) if (hit := self.starting_at(k, i))}
        return next(iter(found.values())) if len(found) == 1 else None

    def canonical(self, written: str) -> str:
        """``written`` resolved to a canonical name; unknown names stay as written."""
        sp = self.resolve(written)
        return sp.name if sp is not None else written

    def starting_at(self, keys: Sequence[str], start: int) -> tuple[int, Speaker] | None:
        """The longest name or alias at ``keys[start:]``: (end, speaker)."""
        longest = self._first.get(keys[start], 0) if start < len(keys) else 0
        for n in range(min(longest, len(keys) - start), 0, -1):
            sp = self._keys.get(tuple(keys[start : start + n]))
            if sp is not None:
                return start + n, sp
        return None

    def ending_at(self, keys: Sequence[str], end: int) -> tuple[int, Speaker] | None:
        """The longest name or alias that ends right before ``keys[end]``: (start, speaker)."""
        for n in range(min(self.longest, end), 0, -1):
            sp = self._keys.get(tuple(keys[end - n : end]))
            if sp is not None:
                return end - n, sp
        return None

    def terms(self, name: str) -> list[str]:
        """Retrieval terms of a record's speaker: its name and every alias (so "Kremlin"
        finds what Moscow said)."""
        sp = self.resolve(name)
        names = [name, *(sp.aliases if sp else ())]
        if sp is not None and sp.name != name:
            names.insert(0, sp.name)
        return list(dict.fromkeys(t for n in names for t in terms(n)))

    def suggest(self, typed: str, known: Iterable[str] = (), n: int = 3) -> list[str]:
        """The closest canonical names to ``typed``, for an 'unknown speaker' message;
        ``known`` adds speakers that records name but the speakers list does not."""
        import difflib

        keys: dict[str, str] = {" ".join(k): sp.name for k, sp in self._keys.items()}
        for name in known:
            keys.setdefault(" ".join(key(name)), name)
        close = difflib.get_close_matches(" ".join(key(typed)), list(keys), n=n * 2, cutoff=0.6)
        return list(dict.fromkeys(keys[c] for c in close))[:n]
