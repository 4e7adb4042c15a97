"""Matching quality on our own set; the figures printed by benchmarks/quality.py."""

from __future__ import annotations

from tests.conftest import benchmark


def _evaluate() -> dict[str, object]:
    module = benchmark("quality")
    return module.evaluate()  # type: ignore[no-any-return]


def test_quality_set_levels() -> None:
    result = _evaluate()
    assert result["match_queries"] == 88
    assert result["nomatch_queries"] == 37
    # The level reached (84/88, 88/88, 37/37): a regression below it fails.
    assert result["recall_at_1"] >= 0.954, result["misses"]
    assert result["recall_at_3"] == 1.0, result["misses"]
    assert result["rejection"] == 1.0, result["misses"]
