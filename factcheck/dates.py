"""Partial dates: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, the one form the database stores.

The one owner of date parsing: the store validates with ``is_partial``, browsing compares
periods with ``bounds``/``overlaps``, the analysis reads a record's date with ``parts``, and
the importers turn what sources write into this form with ``normalize_date``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

_PARTIAL = re.compile(r"(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?")
# "[\d:.].*", not "[\d:.]+.*": the two overlap, and a value with a newline (which "." stops
# at) made fullmatch try every split of a long run of digits, quadratic.
_ISO_DATE = re.compile(r"(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?(?:[T ][\d:.].*)?")
_WRITTEN_DATES = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %Y", "%b %Y")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
FORMAT_HINT = "use YYYY, YYYY-MM or YYYY-MM-DD"


def parts(value: str | None) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) of a partial date, the missing parts None; None if not one."""
    m = _PARTIAL.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        return None
    year, month, day = m.groups()
    return int(year), int(month) if month else None, int(day) if day else None


def is_partial(value: str) -> bool:
    """Whether ``value`` is a partial date the database accepts."""
    return parts(value) is not None


def bounds(value: str) -> tuple[str, str]:
    """The first and last full dates a partial date covers: ``2023`` -> 2023-01-01..12-31.

    Raises ValueError for anything else (the caller names the field or option)."""
    p = parts(value)
    if p is None:
        raise ValueError(f"bad date {value!r}")
    year, month, day = p
    if day is not None:
        return value, value
    if month is not None:
        return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{_MONTH_DAYS[month - 1]}"
    return f"{year:04d}-01-01", f"{year:04d}-12-31"


def overlaps(value: str | None, since: str | None, until: str | None) -> bool:
    """Whether a (partial) date overlaps the period from ``since`` to ``until`` (either may be
    open); an undated record is never inside a period that has a bound."""
    if since is None and until is None:
        return True
    if value is None or not is_partial(value):
        return False
    start, end = bounds(value)
    if since is not None and end < bounds(since)[0]:
        return False
    return not (until is not None and start > bounds(until)[1])


def normalize_date(value: Any) -> str | None:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` from what sources write, else None.

    Accepts ISO dates and datetimes (``2019-06-05T12:00:00Z`` -> ``2019-06-05``), unpadded
    parts (``2021-7-1``), slashes, and English written dates (``June 5, 2019``). Impossible
    dates (``2019-02-30``) give None: a bad date is dropped, not an error.
    """
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > 64:  # no date is this long; a long string is not worth the regex
        return None
    m = _ISO_DATE.fullmatch(value)
    if m:
        year, month, day = m.groups()
        try:
            if day is not None:
                return date(int(year), int(month), int(day)).isoformat()
            if month is not None:
                return date(int(year), int(month), 1).isoformat()[:7]
        except ValueError:
            return None
        return year
    for fmt in _WRITTEN_DATES:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.date().isoformat() if "%d" in fmt else parsed.date().isoformat()[:7]
    return None
