"""Every regex that sees user or database text, and the analysis of a hostile query or record,
stays linear in its own worst repeated input.

The table is in cases.py. Growth is measured, not waited for: time at n and 4n (see
growth.py). A known quadratic (cases.KNOWN_QUADRATIC, an algorithm rather than a regex) would
be an xfail, not strict: at test sizes its linear part is large, so the ratio varies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import factcheck.formats
from factcheck.formats import claimreview
from tests.hostile.cases import CASES, KNOWN_QUADRATIC, OPTIONS
from tests.hostile.growth import LIMIT, growth


@pytest.fixture(autouse=True)
def _small_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Caps of 64 KiB, so readers are measured past them at every size (a size that crosses
    a cap switches code paths, and the ratio then compares two different things)."""
    for module in (factcheck.formats, claimreview):
        monkeypatch.setattr(module, "MAX_VALUE", 1 << 16)
    monkeypatch.setattr(factcheck.formats, "MAX_LINE", 1 << 16)


def _params() -> list[Any]:
    out = []
    for name, run, make in CASES:
        marks = []
        if name in KNOWN_QUADRATIC:
            marks.append(pytest.mark.xfail(reason=KNOWN_QUADRATIC[name]))
        out.append(pytest.param(name, run, make, id=name, marks=marks))
    return out


@pytest.mark.parametrize(("name", "run", "make"), _params())
def test_growth_is_linear(
    name: str, run: Callable[[Any], object], make: Callable[[int], Any]
) -> None:
    known = name in KNOWN_QUADRATIC
    options: dict[str, Any] = {"floor": 0.02 if known else 0.0025, "second_look": not known}
    options.update(OPTIONS.get(name, {}))
    ratio, n, t = growth(run, make, repeat=1 if known else 3, **options)
    assert ratio < LIMIT, f"{name}: t(4n)/t(n) = {ratio:.1f} at n = {n:,} ({t * 1000:.1f} ms)"
