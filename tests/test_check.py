"""Tests for factcheck.check.check_text: line numbers, --all, --lines, summary and streaming."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factcheck.check import SentenceResult, Summary, check_text
from factcheck.index import Index
from factcheck.match import Matcher
from factcheck.segment import split_sentences
from factcheck.store import bundled_database, load_database, parse_database

from .conftest import claim

ZORB = "The Zorbian central bank raised interest rates to 14 percent in March."
QUUX = "The Quuxville suspension bridge collapsed during a storm in 1987."
MARS = "Astronomers detected liquid water beneath the southern polar ice cap of Mars."
CLAIMS = {"zorb-rates": ZORB, "quux-bridge": QUUX, "mars-water": MARS}
# An exact restatement of a record in a three-record database: the calibrated score has little
# IDF evidence to go on there, yet it must be a confident match.
EXACT = 90.0

# Sentences sharing no indexed term with the claims above.
FILLER = [
    "Markets were calm on Monday.",
    "A cat slept on the sofa.",
    "Nobody answered the phone.",
    "Tickets sold out within an hour.",
    "The choir sang two hymns.",
]

ARTICLE = (
    "Markets were calm on Monday. The Zorbian central bank raised\n"  # 1
    "interest rates to 14 percent in March, analysts said.\n"  # 2
    "\n"  # 3
    "Elsewhere, the Quuxville suspension bridge collapsed during a storm in 1987. A cat\n"  # 4
    "slept on the sofa.\n"  # 5
    "Astronomers detected liquid water beneath the southern polar ice cap of Mars.\n"  # 6
)


def build_matcher(db_path: Path) -> Matcher:
    return Matcher(Index.build(load_database(db_path)))


@pytest.fixture
def matcher(make_db: Callable[..., Path]) -> Matcher:
    path = make_db(
        claim("zorb-rates", ZORB, "Zorbian central bank"),
        claim("quux-bridge", QUUX, "News report", status="disputed"),
        claim("mars-water", MARS, "Astronomers"),
    )
    return build_matcher(path)


# One matcher for hypothesis tests (function-scoped fixtures do not mix with @given).
_SHARED = Matcher(
    Index.build(
        parse_database(
            {
                "claims": [
                    claim("zorb-rates", ZORB, "Zorbian central bank"),
                    claim("quux-bridge", QUUX, "News report", status="disputed"),
                    claim("mars-water", MARS, "Astronomers"),
                ]
            }
        )
    )
)


def lines_of(text: str) -> list[str]:
    return io.StringIO(text, newline="").readlines()


def brief(results: list[SentenceResult]) -> list[tuple[int, str, list[str]]]:
    return [(r.line, r.sentence, [m.claim.id for m in r.matches]) for r in results]


def test_matched_sentences_report_their_starting_line(matcher: Matcher) -> None:
    results = list(check_text(matcher, lines_of(ARTICLE)))
    assert brief(results) == [
        (
            1,
            "The Zorbian central bank raised interest rates to 14 percent in March, analysts said.",
            ["zorb-rates"],
        ),
        (
            4,
            "Elsewhere, the Quuxville suspension bridge collapsed during a storm in 1987.",
            ["quux-bridge"],
        ),
        (6, MARS, ["mars-water"]),
    ]
    assert all(r.matched and r.candidate is None for r in results)
    assert [r.file for r in results] == [None, None, None]


def test_file_label_is_carried(matcher: Matcher) -> None:
    results = list(check_text(matcher, [ZORB + "\n"], file="draft.md"))
    assert [(r.file, r.line) for r in results] == [("draft.md", 1)]


def test_whole_text_as_one_item_counts_physical_lines(matcher: Matcher) -> None:
    by_lines = brief(list(check_text(matcher, lines_of(ARTICLE))))
    assert brief(list(check_text(matcher, [ARTICLE]))) == by_lines


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_line_endings_keep_line_numbers(matcher: Matcher, eol: str) -> None:
    text = ARTICLE.replace("\n", eol)
    results = list(check_text(matcher, lines_of(text)))
    assert [(r.line, r.matches[0].claim.id) for r in results] == [
        (1, "zorb-rates"),
        (4, "quux-bridge"),
        (6, "mars-water"),
    ]


def test_show_all_yields_every_sentence(matcher: Matcher) -> None:
    results = list(check_text(matcher, lines_of(ARTICLE), show_all=True))
    assert [(r.line, r.sentence, r.matched) for r in results] == [
        (1, "Markets were calm on Monday.", False),
        (
            1,
            "The Zorbian central bank raised interest rates to 14 percent in March, analysts said.",
            True,
        ),
        (4, "Elsewhere, the Quuxville suspension bridge collapsed during a storm in 1987.", True),
        (4, "A cat slept on the sofa.", False),
        (6, MARS, True),
    ]
    # Unmatched sentences share no term with any claim: no candidate at all.
    assert [r.candidate for r in results if not r.matched] == [None, None]


def test_show_all_gives_best_candidate_below_threshold(matcher: Matcher) -> None:
    text = "The storm was loud.\n"
    (result,) = check_text(matcher, [text], show_all=True)
    assert result.matches == ()
    assert result.candidate is not None
    assert result.candidate.claim.id == "quux-bridge"
    assert result.candidate.score < 50.0
    d = result.to_dict()
    assert d["matched"] is False
    assert [m["claim"]["id"] for m in d["matches"]] == ["quux-bridge"]
    # Without show_all the same sentence is not reported at all.
    assert list(check_text(matcher, [text])) == []


def test_to_dict_keys_and_values(matcher: Matcher) -> None:
    (result,) = check_text(matcher, [ZORB], file="a.txt")
    d = result.to_dict()
    assert list(d) == ["file", "line", "sentence", "matched", "matches"]
    assert (d["file"], d["line"], d["sentence"], d["matched"]) == ("a.txt", 1, ZORB, True)
    assert len(d["matches"]) == 1
    assert list(d["matches"][0]) == ["score", "claim", "notes", "verdict"]
    assert d["matches"][0]["score"] >= EXACT  # the sentence is the record's own text
    assert d["matches"][0]["claim"]["id"] == "zorb-rates"


def test_one_per_line_does_not_split(matcher: Matcher) -> None:
    text = f"{ZORB} {QUUX}\n\n   \n{MARS}\n"
    split = list(check_text(matcher, lines_of(text)))
    assert [(r.line, r.matches[0].claim.id) for r in split] == [
        (1, "zorb-rates"),
        (1, "quux-bridge"),
        (4, "mars-water"),
    ]
    whole = list(check_text(matcher, lines_of(text), one_per_line=True, show_all=True))
    assert [(r.line, r.sentence) for r in whole] == [(1, f"{ZORB} {QUUX}"), (4, MARS)]
    assert whole[1].matches[0].claim.id == "mars-water"


def test_one_per_line_keeps_wrapped_halves_apart(matcher: Matcher) -> None:
    summary = Summary()
    results = list(
        check_text(matcher, lines_of(ARTICLE), one_per_line=True, show_all=True, summary=summary)
    )
    assert [r.line for r in results] == [1, 2, 4, 5, 6]
    assert results[3].sentence == "slept on the sofa."
    assert summary.sentences == 5


def test_summary_counts(matcher: Matcher) -> None:
    summary = Summary()
    results = list(check_text(matcher, lines_of(ARTICLE), summary=summary))
    assert len(results) == 3
    assert summary.to_dict() == {
        "sentences": 5,
        "matched": 3,
        "disputed": 1,
        "files": 0,
        "errors": [],
    }


def test_summary_accumulates_over_several_texts(matcher: Matcher) -> None:
    summary = Summary()
    for name in ("a.txt", "b.txt"):
        list(check_text(matcher, lines_of(ARTICLE), file=name, summary=summary))
    list(check_text(matcher, [QUUX], summary=summary, show_all=True))
    assert (summary.sentences, summary.matched, summary.disputed) == (11, 7, 3)


def test_summary_counts_with_show_all_are_the_same(matcher: Matcher) -> None:
    plain, every = Summary(), Summary()
    list(check_text(matcher, lines_of(ARTICLE), summary=plain))
    list(check_text(matcher, lines_of(ARTICLE), summary=every, show_all=True))
    assert plain.to_dict() == every.to_dict()


def test_disputed_counts_a_sentence_once(make_db: Callable[..., Path]) -> None:
    m = build_matcher(
        make_db(
            claim("a", QUUX, "News report", status="disputed"),
            claim("b", QUUX.replace("1987", "1988"), "Mayor", status="disputed"),
            # Other topics, so that the words the two share are rare, as in a real database.
            claim("zorb-rates", ZORB, "Zorbian central bank"),
            claim("mars-water", MARS, "Astronomers"),
        )
    )
    summary = Summary()
    (result,) = check_text(m, [QUUX], summary=summary)
    assert [x.claim.id for x in result.matches] == ["a", "b"]
    assert (summary.sentences, summary.matched, summary.disputed) == (1, 1, 1)


def test_limit_and_threshold_zero(matcher: Matcher) -> None:
    text = "Water, storms and rates.\n"
    results = list(check_text(matcher, [text], limit=3, threshold=0))
    (result,) = results
    ids = [m.claim.id for m in result.matches]
    assert ids == ["mars-water", "quux-bridge", "zorb-rates"]
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True)
    (one,) = check_text(matcher, [text], limit=1, threshold=0)
    assert [m.claim.id for m in one.matches] == ["mars-water"]
    # At the default threshold this loose sentence matches nothing.
    assert list(check_text(matcher, [text])) == []


def test_threshold_zero_counts_every_sentence_with_a_candidate(matcher: Matcher) -> None:
    summary = Summary()
    results = list(check_text(matcher, lines_of(ARTICLE), threshold=0, summary=summary))
    # "Markets were calm..." and "A cat slept..." share no term: no candidate even at 0.
    assert [r.line for r in results] == [1, 4, 6]
    assert (summary.sentences, summary.matched) == (5, 3)


def test_empty_and_blank_input(matcher: Matcher) -> None:
    summary = Summary()
    assert list(check_text(matcher, [], summary=summary, show_all=True)) == []
    assert list(check_text(matcher, ["\n", "   \n", "---\n"], summary=summary)) == []
    assert summary.sentences == 0


def test_endless_input_is_consumed_lazily(matcher: Matcher) -> None:
    consumed = 0

    def endless() -> Iterator[str]:
        nonlocal consumed
        for i in itertools.count(1):
            consumed = i
            if i > 100_000:  # an eager reader fails here instead of hanging
                raise AssertionError("check_text read far past the first results")
            yield (ZORB if i % 3 == 0 else "Filler words about the weather.") + "\n"

    results = list(itertools.islice(check_text(matcher, endless()), 2))
    assert [(r.line, r.matches[0].claim.id) for r in results] == [
        (3, "zorb-rates"),
        (6, "zorb-rates"),
    ]
    # A sentence is decided when the next word arrives: one line of look-ahead, no more.
    assert consumed == 7


def test_first_result_arrives_before_input_ends(matcher: Matcher) -> None:
    def text_then_explode() -> Iterator[str]:
        yield ZORB + "\n"
        yield "Next sentence here.\n"
        raise AssertionError("read past the first result")

    gen = check_text(matcher, text_then_explode())
    first = next(gen)
    assert (first.line, first.matches[0].claim.id) == (1, "zorb-rates")


def test_bundled_database_matches_seed_sentence() -> None:
    m = build_matcher(bundled_database())
    text = "Analysts recalled the past.\nRussia annexed Crimea in 2014, officials noted.\n"
    results = list(check_text(m, lines_of(text), show_all=True))
    assert [(r.line, r.matched) for r in results] == [(1, False), (2, True)]
    assert results[1].matches[0].claim.id == "crimea-annexed-2014"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from([*CLAIMS.items(), *((None, f) for f in FILLER)]),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.booleans(), min_size=8, max_size=8),
)
def test_each_claim_sentence_found_on_its_line(
    picks: list[tuple[str | None, str]], breaks: list[bool]
) -> None:
    """Claims and fillers laid out on lines (some sharing a line): exactly the claims show."""
    lines: list[str] = []
    expected: list[tuple[int, str]] = []
    for i, (cid, sentence) in enumerate(picks):
        if not lines or breaks[i]:
            lines.append(sentence)
        else:
            lines[-1] += " " + sentence
        if cid is not None:
            expected.append((len(lines), cid))
    summary = Summary()
    results = list(check_text(_SHARED, [ln + "\n" for ln in lines], summary=summary))
    assert [(r.line, r.matches[0].claim.id) for r in results] == expected
    assert summary.sentences == len(picks)
    assert summary.matched == len(expected)
    assert summary.disputed == sum(1 for _, cid in expected if cid == "quux-bridge")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab .!?\t", max_size=30), max_size=12))
def test_show_all_reports_as_many_sentences_as_the_segmenter(raw: list[str]) -> None:
    lines = [ln + "\n" for ln in raw]
    for one_per_line in (False, True):
        summary = Summary()
        results = list(
            check_text(_SHARED, lines, one_per_line=one_per_line, show_all=True, summary=summary)
        )
        expected = [(s.line, s.text) for s in split_sentences(lines, one_per_line=one_per_line)]
        assert [(r.line, r.sentence) for r in results] == expected
        assert summary.sentences == len(expected)
        assert summary.matched == 0


def test_parallel_matching_gives_the_serial_results_in_order() -> None:
    from factcheck.store import bundled_database, load_database

    db = load_database(bundled_database())
    matcher = Matcher(Index.build(db))
    report = (Path(__file__).resolve().parents[2] / "shared" / "seed").glob("*.txt")
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in report) or (
        "Russia annexed Crimea in 2014. The weather was mild.\n" * 50
    )
    text = text * 5  # several batches of sentences

    def run(workers: int) -> list[tuple[int, str, list[str]]]:
        results = check_text(
            matcher,
            io.StringIO(text),
            show_all=True,
            workers=workers,
            factory=lambda: Matcher(Index.build(db)),
        )
        return [(r.line, r.sentence, [m.claim.id for m in r.matches]) for r in results]

    serial = run(1)
    assert len(serial) > 64 * 2
    assert run(2) == serial
