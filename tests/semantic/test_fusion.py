"""Weighted min-max fusion and reciprocal rank fusion on small hand-made lists (no numpy)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from factcheck.semantic.fusion import Fused, reciprocal_rank_fusion, weighted_fusion

LEXICAL = [("a", 10.0), ("b", 5.0), ("c", 0.0)]
DENSE = [("b", 0.9), ("d", 0.5), ("a", 0.1)]


def test_weighted_fusion_by_hand() -> None:
    # lexical normalised: a 1, b 0.5, c 0; cosine normalised: b 1, d 0.5, a 0.
    assert weighted_fusion(LEXICAL, DENSE) == [
        Fused("b", 0.75, 5.0, 0.9),
        Fused("a", 0.5, 10.0, 0.1),
        Fused("d", 0.25, None, 0.5),
        Fused("c", 0.0, 0.0, None),
    ]


def test_weight_moves_the_balance() -> None:
    lexical_only = weighted_fusion(LEXICAL, DENSE, weight=1.0)
    assert [(f.key, f.fused) for f in lexical_only] == [
        ("a", 1.0),
        ("b", 0.5),
        ("c", 0.0),  # ties at 0: the one with a lexical score first
        ("d", 0.0),
    ]
    dense_only = weighted_fusion(LEXICAL, DENSE, weight=0.0)
    assert [f.key for f in dense_only] == ["b", "d", "a", "c"]


def test_only_each_lists_top_depth_counts() -> None:
    lexical = [(f"l{i}", float(100 - i)) for i in range(101)]  # l100 is 101st
    dense = [("l100", 1.0), ("x", 0.0)]
    fused = {f.key: f for f in weighted_fusion(lexical, dense)}
    assert fused["l100"] == Fused("l100", 0.5, None, 1.0)  # cut from lexical: 0 there
    assert fused["l0"].fused == 0.5
    assert fused["l99"].fused == 0.0  # the lexical list's worst kept: min-max gives 0
    assert len(fused) == 102
    assert [f.key for f in weighted_fusion(lexical, dense, depth=2)] == ["l0", "l100", "l1", "x"]


def test_input_order_does_not_matter() -> None:
    assert weighted_fusion(reversed(LEXICAL), reversed(DENSE)) == weighted_fusion(LEXICAL, DENSE)


def test_equal_scores_normalise_to_one() -> None:
    fused = weighted_fusion([("a", 3.0), ("b", 3.0)], [("c", 0.2)])
    assert [(f.key, f.fused) for f in fused] == [("a", 0.5), ("b", 0.5), ("c", 0.5)]


def test_empty_lists() -> None:
    assert weighted_fusion([], []) == []
    assert reciprocal_rank_fusion([], []) == []
    assert weighted_fusion([], DENSE) == [
        Fused("b", 0.5, None, 0.9),
        Fused("d", 0.25, None, 0.5),
        Fused("a", 0.0, None, 0.1),
    ]


def test_repeated_keys_keep_their_best_and_nan_is_absent() -> None:
    fused = weighted_fusion([("a", 1.0), ("a", 3.0), ("b", float("nan")), ("c", 2.0)], [])
    assert fused == [Fused("a", 0.5, 3.0, None), Fused("c", 0.0, 2.0, None)]


def test_negative_cosines_are_min_max_normalised_too() -> None:
    fused = weighted_fusion([], [("x", -0.2), ("y", 0.2), ("z", 0.0)])
    assert [(f.key, f.fused) for f in fused] == [("y", 0.5), ("z", 0.25), ("x", 0.0)]


def test_reciprocal_rank_fusion_by_hand() -> None:
    fused = reciprocal_rank_fusion(LEXICAL, DENSE)
    assert [f.key for f in fused] == ["b", "a", "d", "c"]
    by_key = {f.key: f for f in fused}
    assert by_key["a"].fused == pytest.approx(1 / 61 + 1 / 63)
    assert by_key["b"].fused == pytest.approx(1 / 62 + 1 / 61)
    assert by_key["c"].fused == pytest.approx(1 / 63)
    assert by_key["d"] == Fused("d", pytest.approx(1 / 62), None, 0.5)


def test_rrf_ties_share_a_rank_and_k_is_configurable() -> None:
    fused = reciprocal_rank_fusion([("a", 2.0), ("b", 2.0), ("c", 1.0)], [], k=1)
    assert [(f.key, f.fused) for f in fused] == [("a", 0.5), ("b", 0.5), ("c", 0.25)]


def test_rrf_depth() -> None:
    lexical = [(i, float(-i)) for i in range(150)]
    fused = reciprocal_rank_fusion(lexical, [(149, 1.0)])
    assert len(fused) == 101
    assert {f.key for f in fused} == {*range(100), 149}


def test_fusion_needs_no_numpy() -> None:
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "from factcheck.semantic.fusion import weighted_fusion\n"
        "print(weighted_fusion([('a', 1.0)], [('a', 0.5)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[Fused(key='a', fused=1.0, lexical=1.0, cosine=0.5)]"
