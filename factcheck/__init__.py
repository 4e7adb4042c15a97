"""factcheck: match claims and texts against a curated database of attributed statements.

The library API is one ``Session`` per database (see ``factcheck.api``); everything is
imported on first use, so ``import factcheck`` costs almost nothing::

    import factcheck

    with factcheck.open() as fc:  # the bundled database
        for m in fc.search("Zelensky said 50,000 Ukrainian soldiers have died"):
            print(m.score, m.verdict, m.claim.id)
            for note in m.notes:
                print("  ", note.message)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load on first use
    from factcheck.api import Session, UnknownId, UnknownSpeaker, open
    from factcheck.browse import Filters, SortKey, SpeakerStats
    from factcheck.check import SentenceResult, Summary
    from factcheck.errors import DatabaseError, FactcheckError, InputError
    from factcheck.model import (
        Claim,
        Database,
        Dispute,
        Match,
        Note,
        Problem,
        Related,
        Source,
        Speaker,
        Status,
    )
    from factcheck.output import Format

_API = {
    "open": "factcheck.api",
    "Session": "factcheck.api",
    "UnknownId": "factcheck.api",
    "UnknownSpeaker": "factcheck.api",
    "Filters": "factcheck.browse",
    "SortKey": "factcheck.browse",
    "SpeakerStats": "factcheck.browse",
    "SentenceResult": "factcheck.check",
    "Summary": "factcheck.check",
    "FactcheckError": "factcheck.errors",
    "DatabaseError": "factcheck.errors",
    "InputError": "factcheck.errors",
    "Claim": "factcheck.model",
    "Database": "factcheck.model",
    "Dispute": "factcheck.model",
    "Match": "factcheck.model",
    "Note": "factcheck.model",
    "Problem": "factcheck.model",
    "Related": "factcheck.model",
    "Source": "factcheck.model",
    "Speaker": "factcheck.model",
    "Status": "factcheck.model",
    "Format": "factcheck.output",
}

__all__ = [  # the same names as _API (a test checks)
    "Claim",
    "Database",
    "DatabaseError",
    "Dispute",
    "FactcheckError",
    "Filters",
    "Format",
    "InputError",
    "Match",
    "Note",
    "Problem",
    "Related",
    "SentenceResult",
    "Session",
    "SortKey",
    "Source",
    "Speaker",
    "SpeakerStats",
    "Status",
    "Summary",
    "UnknownId",
    "UnknownSpeaker",
    "__version__",
    "open",
]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'factcheck' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value
