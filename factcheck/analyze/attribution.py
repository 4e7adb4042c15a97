"""Attribution: who a text says makes its claim, and whether two names are one speaker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from factcheck.analyze.tokens import _Tok
from factcheck.model import Speaker
from factcheck.rules import (
    ATTRIBUTION_FILLERS,
    ATTRIBUTION_VERBS,
    GENERIC_SPEAKERS,
    MONTHS,
    PASSIVE_ATTRIBUTION,
)
from factcheck.speakers import Speakers, key, word_key


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


def _attributions(toks: Sequence[_Tok], aliases: Speakers) -> list[_Attribution]:
    """Who the text says makes the claim, in text order (see rules.ATTRIBUTION_VERBS)."""
    # Tokens keyed as speaker names are (folded, no apostrophes or dots), for alias lookups.
    keys = [word_key(t.raw) if t.word else t.key for t in toks]
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
    for i, word in enumerate(keys):
        # A capitalised "States" or "Reports" is part of a name ("United States"), not a verb.
        if word in ATTRIBUTION_VERBS and toks[i].raw.islower():
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
            if word in PASSIVE_ATTRIBUTION and i + 2 < n and keys[i + 1] == "by":
                known_or_run_after(i + 2)  # "as reported by HRW"
        elif word == "according" and i + 2 < n and keys[i + 1] == "to":
            known_or_run_after(i + 2)
    found.sort(key=lambda a: a.position)
    return found


def _claimant(found: Sequence[_Attribution]) -> _Attribution | None:
    """The speaker a text attributes its claim to: the first known one, else the first."""
    for a in found:
        if a.speaker is not None:
            return a
    return found[0] if found else None


def _same_speaker(who: _Attribution, names: Sequence[str], aliases: Speakers) -> bool:
    for name in names:
        sp = aliases.resolve(name)
        canonical = sp.name if sp else name
        if who.speaker is not None and who.speaker.name == canonical:
            return True
        if who.speaker is None:
            # An unknown name that is part of a known one ("Fedorov" for "Mykhailo Fedorov"),
            # allowing a typo in longer words ("Zelenksy"), as the matcher does.
            mine = key(who.name)
            forms = [canonical, *(sp.aliases if sp else ())]
            for form in forms:
                theirs = key(form)
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
