"""Article-level quality: a news article mixing reworded known claims with unrelated prose.

tests/quality/article.txt is written for this test (not copied from the seed report): claim
sentences restate records of data/claims.json the way a journalist would, the others are
off-topic or near-topic (Kyiv weather, football, other elections, Black Sea grain) and must
not be flagged. Headings and the list intro line count as sentences too.

The assertions pin the level the matcher reaches today, not an ideal: KNOWN_MISSES and
KNOWN_FALSE_FLAGS list what it gets wrong. When the matcher improves, this test fails and
the lists must shrink; when it regresses, it fails too. Run with -s to see the figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factcheck.check import SentenceResult, Summary, check_text
from factcheck.index import Index
from factcheck.match import Matcher
from factcheck.store import load_database
from tests.conftest import BUNDLED, run

ARTICLE = Path(__file__).with_name("article.txt")

# (line, start of sentence) -> accepted top record ids. Exactly one id per sentence, except
# where the sentence itself states two records (line 6: suspension in 2021 + the invasion).
EXPECTED: dict[tuple[int, str], frozenset[str]] = {
    (3, "KYIV, Ukraine -- Washington and Moscow agreed"): frozenset(
        {"us-russia-restore-military-dialogue"}
    ),
    (6, "Military contacts between the two capitals"): frozenset(
        {"military-dialogue-suspended-late-2021", "russia-invaded-ukraine-february-2022"}
    ),
    (10, "In a written statement, U.S. European Command"): frozenset(
        {"eucom-channel-consistent-military-contact"}
    ),
    (12, "Gen. Alexus Grynkewich, who commands"): frozenset(
        {"grynkewich-attended-abu-dhabi-talks"}
    ),
    (18, "Fighting nonetheless went on along the front"): frozenset({"front-line-1000-km"}),
    (23, "In March 2023, Russian fighter jets"): frozenset({"mq9-reaper-forced-down-black-sea"}),
    (26, "Last September, NATO jets scrambled"): frozenset(
        {"russian-drones-polish-airspace-september"}
    ),
    (33, "After the latest round of talks, Russia brought home 157"): frozenset(
        {"russia-repatriated-157-servicemen-3-nationals"}
    ),
    (34, "Ukraine, for its part, got back 150"): frozenset(
        {"ukraine-received-150-servicemen-7-civilians"}
    ),
    (38, "President Volodymyr Zelenskyy said this week that about 55,000"): frozenset(
        {"zelenskyy-55000-soldiers-died"}
    ),
    (40, "According to Human Rights Watch"): frozenset(
        {"hrw-31-percent-increase-civilian-casualties"}
    ),
    (46, "Ukrainian minister Mykhailo Fedorov"): frozenset({"fedorov-russia-lost-starlink-access"}),
    (48, "Polish Prime Minister Donald Tusk and Zelenskyy"): frozenset(
        {"tusk-zelenskyy-joint-ammunition-production"}
    ),
    (54, "Overnight, Russia fired 183 drones"): frozenset(
        {"ukrainian-air-force-183-drones-2-missiles"}
    ),
}

# Sentences that state no record of the database: none may be reported.
UNRELATED: list[tuple[int, str]] = [
    (1, "Diplomacy and war: a week in review"),
    (5, "The talks took place in a hotel"),
    (13, "Analysts in Warsaw cautioned"),
    (16, "Temperatures in Kyiv fell"),
    (17, "Heavy snow also closed schools"),
    (21, "Incidents in the air"),
    (23, "The risk of accidental clashes is not theoretical."),
    (25, "Grain shipments from the Black Sea port of Odesa"),
    (28, "Poland's national football team"),
    (31, "Prisoners and casualties"),
    (35, "The exchange was the first since the autumn"),
    (41, "The World Health Organization said"),
    (44, "Key points from the week:"),
    (50, "Dynamo Kyiv beat Shakhtar Donetsk"),
    (51, "Voters in Portugal go to the polls"),
    (52, "The European Central Bank left interest rates"),
    (55, "Moldova's president, meanwhile"),
    (56, "Ukraine's parliament approved a revised budget"),
]

# Measured with the matcher of this commit (default threshold 50). See the module docstring.
# Line 3: reported, but the top record is military-dialogue-suspended-late-2021 (51.7) rather
#   than us-russia-restore-military-dialogue: the sentence says "Washington and Moscow" and
#   "high-level ... communication", which only the 2021 record spells that way (the right
#   record says "United States and Russia"); the dateline adds Kyiv/Ukraine entities.
KNOWN_MISSES: set[tuple[int, str]] = {(3, "KYIV, Ukraine -- Washington and Moscow agreed")}
# None since the calibrated score of benchmarks/realdata.py: "The risk of accidental clashes
#   is not theoretical." (line 23), flagged before, now scores 23.3.
KNOWN_FALSE_FLAGS: set[tuple[int, str]] = set()


def find(results: list[SentenceResult], line: int, prefix: str) -> SentenceResult | None:
    hits = [r for r in results if r.line == line and r.sentence.startswith(prefix)]
    assert len(hits) <= 1, f"{prefix!r} on line {line} is ambiguous"
    return hits[0] if hits else None


@pytest.fixture(scope="module")
def checked() -> tuple[list[SentenceResult], list[SentenceResult], Summary]:
    matcher = Matcher(Index.build(load_database(BUNDLED)))
    lines = ARTICLE.read_text(encoding="utf-8").splitlines(keepends=True)
    every = list(check_text(matcher, lines, file=ARTICLE.name, show_all=True))
    summary = Summary()
    reported = list(check_text(matcher, lines, file=ARTICLE.name, summary=summary))
    return every, reported, summary


def test_expectations_cover_every_sentence(
    checked: tuple[list[SentenceResult], list[SentenceResult], Summary],
) -> None:
    """Each sentence of the article is either expected or unrelated: nothing goes unjudged."""
    every, _, summary = checked
    keys = [*EXPECTED, *UNRELATED]
    assert len(every) == len(keys) == summary.sentences == 32
    for line, prefix in keys:
        assert find(every, line, prefix) is not None, f"no sentence {prefix!r} on line {line}"


def test_article_quality(
    checked: tuple[list[SentenceResult], list[SentenceResult], Summary],
) -> None:
    _, reported, summary = checked
    hits: set[tuple[int, str]] = set()
    misses: dict[tuple[int, str], str] = {}
    for (line, prefix), accepted in EXPECTED.items():
        result = find(reported, line, prefix)
        if result is None:
            misses[(line, prefix)] = "not reported"
        elif result.matches[0].claim.id not in accepted:
            top = result.matches[0]
            misses[(line, prefix)] = f"top match {top.claim.id} ({top.score})"
        else:
            hits.add((line, prefix))
    false_flags = {
        (line, prefix): f"{r.matches[0].claim.id} ({r.matches[0].score})"
        for line, prefix in UNRELATED
        if (r := find(reported, line, prefix)) is not None
    }
    recall = len(hits) / len(EXPECTED)
    print(
        f"\narticle: {summary.sentences} sentences, {len(EXPECTED)} restate known claims, "
        f"{len(UNRELATED)} unrelated\n"
        f"recall@1 {len(hits)}/{len(EXPECTED)} = {recall:.3f}; "
        f"false flags {len(false_flags)}/{len(UNRELATED)}"
    )
    for (line, prefix), why in sorted(misses.items()):
        print(f"  MISS  line {line}: {prefix!r}: {why}")
    for (line, prefix), why in sorted(false_flags.items()):
        print(f"  FALSE line {line}: {prefix!r}: {why}")
    assert set(misses) == KNOWN_MISSES
    assert set(false_flags) == KNOWN_FALSE_FLAGS
    assert (len(hits), len(false_flags)) == (13, 0)
    # Every reported sentence is a judged one: an expected sentence (all 14 are reported, the
    # miss with the wrong top record) or a known false flag.
    flagged = [key for key in EXPECTED if find(reported, *key) is not None]
    assert len(flagged) == 14
    assert len(reported) == summary.matched == len(flagged) + len(false_flags)


def test_article_through_the_cli(
    checked: tuple[list[SentenceResult], list[SentenceResult], Summary],
) -> None:
    """`factcheck check article.txt --json` reports the same lines and top records."""
    _, reported, summary = checked
    r = run("check", str(ARTICLE), "--json", "--db", str(BUNDLED))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    got = [(x["line"], x["sentence"], x["matches"][0]["claim"]["id"]) for x in doc["results"]]
    want = [(x.line, x.sentence, x.matches[0].claim.id) for x in reported]
    assert got == want
    assert doc["summary"]["sentences"] == summary.sentences
    assert doc["summary"]["matched"] == summary.matched
