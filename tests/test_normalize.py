from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from factcheck.normalize import format_number, normalize, stem, terms


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("55,000 soldiers", "55000 soldiers"),
        ("55 000 soldiers", "55000 soldiers"),
        ("55\u202f000 soldiers", "55000 soldiers"),
        ("fifty-five thousand soldiers", "55000 soldiers"),
        ("55k soldiers", "55000 soldiers"),
        ("a 31% increase", "a 31 percent increase"),
        ("a 31 per cent increase", "a 31 percent increase"),
        ("\u201cillegally sentenced\u201d", '"illegally sentenced"'),
        ("Zelenskyy\u2019s pledge", "Zelenskyys pledge"),
        ("east\u2014west", "east-west"),
        ("Caf\u00e9", "cafe"),
        ("U.S. forces", "US forces"),
        ("three nationals", "3 nationals"),
        ("one hundred and five", "105"),
        ("1.2 million", "1,200,000"),
        ("  MANY   spaces\t\n", "many spaces"),
    ],
)
def test_equivalent_forms_normalize_equal(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Zelensky said 55,000 Ukrainian soldiers have died",
            "zelensky said 55000 ukrainian soldiers have died",
        ),
        ("a roughly 1,000-kilometer front", "a roughly 1000 kilometer front"),
        ("3.5 percent", "3.5 percent"),
        ("May 5, 100 people", "may 5 , 100 people"),  # two figures, not 5100
        ("in 2022 100 soldiers", "in 2022 100 soldiers"),
    ],
)
def test_normalize_exact(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_different_figures_stay_different() -> None:
    assert normalize("50,000") != normalize("55,000")
    assert normalize("5.5") != normalize("55")


@pytest.mark.parametrize(
    ("words", "same"),
    [
        (("drones", "drone"), True),
        (("restored", "restore", "restoring"), True),
        (("casualties", "casualty"), True),
        (("died", "dies", "die"), True),
        (("stopped", "stop"), True),
        (("status",), True),
        (("drone", "front"), False),
    ],
)
def test_stem_groups(words: tuple[str, ...], same: bool) -> None:
    assert (len({stem(w) for w in words}) == 1) is same


def test_terms_drop_stopwords_and_reporting_verbs() -> None:
    assert terms("Zelensky said that the soldiers have died") == ["zelensky", "soldier", "die"]


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(st.text())
def test_normalize_output_is_plain_tokens(text: str) -> None:
    out = normalize(text)
    assert out == out.strip()
    assert "  " not in out
    assert "\x1b" not in out and "\n" not in out


@given(st.integers(min_value=0, max_value=10**12))
def test_formatted_integers_round_trip(n: int) -> None:
    assert normalize(f"{n:,}") == str(n)
    assert normalize(f"{n:,}".replace(",", " ")) == str(n)
    assert normalize(f"{n}%") == f"{n} percent"


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False).map(lambda x: round(x, 3)))
def test_format_number_round_trips(x: float) -> None:
    assert float(format_number(x)) == pytest.approx(x)
