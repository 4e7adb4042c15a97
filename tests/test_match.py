"""The matcher through its API: ranking, calibration, spelling, aliases, hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factcheck.index import Index
from factcheck.match import DEFAULT_THRESHOLD, Matcher, find_matches
from factcheck.store import bundled_database, load_database, parse_database


@pytest.fixture(scope="module")
def index() -> Index:
    return Index.build(load_database(bundled_database()))


@pytest.fixture(scope="module")
def matcher(index: Index) -> Matcher:
    return Matcher(index)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Zelenksy said 55 000 soldiers died", "zelenskyy-55000-soldiers-died"),
        ("Fedorov: russian forces lost acess to starlnk", "fedorov-russia-lost-starlink-access"),
        ("the Kremlin denied the drone was hit, says it crashed while evading",
         "moscow-mq9-crashed-evasive-maneuvers"),
        ("HRW: civilian casualties up 31 per cent", "hrw-31-percent-increase-civilian-casualties"),
        ("Russia annexed Crimea in 2014", "crimea-annexed-2014"),
    ],
)  # fmt: skip
def test_top_match(matcher: Matcher, query: str, expected: str) -> None:
    top = matcher.find(query)
    assert top[0].claim.id == expected
    assert top[0].score >= DEFAULT_THRESHOLD


def test_spelling_correction_is_recorded(matcher: Matcher) -> None:
    q = matcher.parse("starlnk terminals")
    assert ("starlnk", "starlink") in q.corrections


def test_alias_names_the_speaker(matcher: Matcher) -> None:
    q = matcher.parse("the Kremlin says the drone crashed")
    assert q.speaker is not None and q.speaker.name == "Moscow"


def test_updated_figure_ranks_after_its_update(matcher: Matcher) -> None:
    ids = [m.claim.id for m in matcher.find("Zelensky said 50,000 soldiers died")]
    assert ids[:2] == ["zelenskyy-55000-soldiers-died", "zelenskyy-46000-soldiers-died"]
    ids = [m.claim.id for m in matcher.find("Zelensky said 46,000 soldiers died")]
    assert ids[0] == "zelenskyy-46000-soldiers-died"


def test_named_entities_count_against_a_match(matcher: Matcher) -> None:
    assert matcher.find("China agreed to restore military dialogue with Japan") == []


@pytest.mark.parametrize("query", ["", "   ", "the", "Russia", "war", "?!", "said that"])
def test_empty_and_generic_queries(matcher: Matcher, query: str) -> None:
    assert matcher.find(query) == []


def test_scores_are_sorted_and_bounded(matcher: Matcher) -> None:
    found = matcher.find("Russian drones intercepted", limit=10, threshold=0)
    scores = [m.score for m in found]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)
    assert len(found) == 10


def test_find_matches_on_a_tiny_database() -> None:
    db = parse_database(
        {"claims": [{"id": "a", "text": "The bridge collapsed in 1998", "speaker": "Mayor"}]}
    )
    assert [m.claim.id for m in find_matches(Index.build(db), "bridge collapsed 1998")] == ["a"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_never_raises(index: Index, text: str) -> None:
    # One index for every example (built once, as the CLI does); a fresh matcher each time.
    for m in Matcher(index).find(text, limit=3, threshold=0):
        assert 0 <= m.score <= 100


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet='"*:()^-+NEAROR{}[]\\', max_size=40))
def test_fts_syntax_in_queries_is_quoted(index: Index, text: str) -> None:
    Matcher(index).find(f"Russia {text} drones", threshold=0)


def test_huge_query(matcher: Matcher) -> None:
    found = matcher.find("Russian drones " * 20000, threshold=0)
    assert len(found) == 3


@pytest.mark.parametrize(
    "query", ["Says Obamas plan will cost 5,000 jobs.", 'Says Obama\'s "plan" will cost 5000 jobs']
)
def test_equal_terms_tie_goes_to_the_closest_wording(query: str) -> None:
    claims = [
        {
            "id": "curly",
            "text": "Says Obama\u2019s \u201cplan\u201d will cost 5000 jobs",
            "speaker": "A",
        },
        {"id": "plain", "text": "Says Obamas plan will cost 5,000 jobs.", "speaker": "B"},
    ]
    matcher = Matcher(Index.build(parse_database({"claims": claims})))
    found = matcher.find(query, limit=1, threshold=0)
    expected = "plain" if "Obamas" in query else "curly"
    assert [m.claim.id for m in found] == [expected]
