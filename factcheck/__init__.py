"""factcheck: match claims and texts against a curated database of attributed statements.

The public API is re-exported lazily so that ``import factcheck`` costs almost nothing::

    from factcheck import load_database, find_matches
    db = load_database()              # the bundled database
    for m in find_matches(db, "Zelensky said 55,000 soldiers died"):
        print(m.score, m.claim.text)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "Claim": "factcheck.model",
    "Speaker": "factcheck.model",
    "Source": "factcheck.model",
    "Dispute": "factcheck.model",
    "Related": "factcheck.model",
    "Match": "factcheck.model",
    "Note": "factcheck.model",
    "Database": "factcheck.model",
    "FactcheckError": "factcheck.errors",
    "DatabaseError": "factcheck.errors",
    "load_database": "factcheck.store",
    "locate_database": "factcheck.store",
    "normalize": "factcheck.normalize",
    "Matcher": "factcheck.match",
    "find_matches": "factcheck.match",
    "split_sentences": "factcheck.segment",
    "Sentence": "factcheck.segment",
    "check_text": "factcheck.check",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'factcheck' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
