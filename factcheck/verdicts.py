"""Fact-checkers' free-text verdicts mapped to a claim status.

The table is data: three sets of *verdict keys* (the verdict case-folded with everything but
letters and digits removed, so ``Flip- Flop`` = ``Flip Flop`` = ``flipflop``), one rule for the
Washington Post's Pinocchios, and overrides a caller passes in. The rules follow "Status
mapping for free-text verdicts" in the README of the team's shared data folder (not part
of this repository; README "Import, export" has the resulting table): mixed verdicts (``Half True``,
``Mixture``) count as disputed; ratings of consistency rather than truth (PolitiFact's
Flip-O-Meter) and the many one-off headline fragments stay unverified. The raw verdict is
always kept in ``Claim.verdict``; this module only derives the status and, for a disputed
verdict, the checker's dispute.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from factcheck.errors import InputError
from factcheck.model import Dispute, Status
from factcheck.normalize import fold

UNDISPUTED_VERDICTS = frozenset(
    """
    true mostlytrue correct correctattribution geppettocheckmark somewhattrue accurate
    mostlyaccurate mostlycorrect
    """.split()  # noqa: SIM905 - a word list reads better as text
)

DISPUTED_VERDICTS = frozenset(
    """
    false pantsfire pantsonfire barelytrue mostlyfalse halftrue mixed mixture misleading
    distortsthefacts distortsfacts spinsthefacts spinningthefacts twiststhefacts
    notthewholestory needscontext needsmorecontext lackscontext missingcontext outofcontext
    quotedoutofcontext decontextualized cherrypicks exaggerates exaggerated exagerated
    exaggeration wrong verywrong incorrect nottrue fake partlyfalse partiallyfalse
    somewhatfalse miscaptioned misattributed alteredimage alteredphoto alteredvideo altered
    noevidence unsupported disputed indispute underdispute
    """.split()  # noqa: SIM905
)

UNVERIFIED_VERDICTS = frozenset(
    """
    unproven unprovenclaim unknown other verdictpending nowaytoknow satire originatedassatire
    legend fullflop halfflip halfflop flipflop noflip upsidedownpinocchio
    """.split()  # noqa: SIM905
)

# "Four Pinocchios", "One Pinocchio", "Bottomless Pinocchio". The Upside-Down Pinocchio is
# the Post's flip-flop rating (consistency, not truth), so it is listed as unverified above.
_PINOCCHIO = re.compile(r"pinocchios?$")
_NOT_KEY = re.compile(r"[\W_]+")

# The dispute text an importer writes for a disputed verdict; merge.py recognises it.
DISPUTE_TEXT = 'rated it "{verdict}"'
UNKNOWN_CHECKER = "Unknown fact-checker"


def verdict_key(verdict: str) -> str:
    """Case-folded letters and digits only: ``"Flip- Flop"`` -> ``"flipflop"``."""
    return _NOT_KEY.sub("", fold(verdict))


def _rule(key: str) -> Status:
    if key in UNVERIFIED_VERDICTS:
        return Status.UNVERIFIED
    if key in DISPUTED_VERDICTS or _PINOCCHIO.search(key):
        return Status.DISPUTED
    if key in UNDISPUTED_VERDICTS:
        return Status.UNDISPUTED
    return Status.UNVERIFIED


class VerdictTable:
    """The rules plus caller overrides, with the overrides' keys computed once.

    ``overrides`` maps a verdict (any spelling) to ``disputed``, ``undisputed`` or
    ``unverified``; it wins over every rule. A bad status raises InputError.
    """

    __slots__ = ("_overrides",)

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._overrides: dict[str, Status] = {}
        for verdict, status in (overrides or {}).items():
            try:
                value = Status(status)
            except ValueError:
                choices = ", ".join(s.value for s in Status)
                raise InputError(
                    f"bad status {status!r} for verdict {verdict!r}", hint=f"use one of {choices}"
                ) from None
            self._overrides[verdict_key(verdict)] = value

    def status(self, verdict: str | None) -> Status:
        """The status for a verdict; no verdict, or one no rule knows, is unverified."""
        if verdict is None:
            return Status.UNVERIFIED
        key = verdict_key(verdict)
        found = self._overrides.get(key)
        if found is not None:
            return found
        status = _rule(key)
        if status is Status.UNVERIFIED and ":" in verdict and key not in UNVERIFIED_VERDICTS:
            # "False: Distorts Facts": the rating is the part before the colon.
            head = verdict_key(verdict.split(":", 1)[0])
            status = self._overrides.get(head) or _rule(head)
        return status


def status_for(verdict: str, overrides: Mapping[str, str] | None = None) -> Status:
    """Map a free-text verdict to a status (see the module docstring for the rules).

    For many verdicts build one ``VerdictTable(overrides)`` and call ``.status()`` instead.
    """
    return VerdictTable(overrides).status(verdict)


def dispute_for(verdict: str, checker: str | None) -> Dispute:
    """The checker's dispute of a claim it rated ``verdict`` (a disputed verdict)."""
    return Dispute(checker or UNKNOWN_CHECKER, DISPUTE_TEXT.format(verdict=verdict))
