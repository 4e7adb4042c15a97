"""What differs between a query and its matched record (factcheck/analyze/).

The table in ``analysis_cases.json`` runs the whole pipeline on the bundled database: the
matcher's top record must be the expected one, and the notes' kinds and the verdict must be
exactly the expected ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factcheck.analyze import Figure, analyze, extract_figures, verdict
from factcheck.analyze.notes import _date_mentions
from factcheck.analyze.text import _parse, resolver
from factcheck.index import Index
from factcheck.match import Matcher
from factcheck.model import Claim, Database, Dispute, Note, Related, Speaker, Status
from factcheck.store import bundled_database, load_database

CASES = json.loads((Path(__file__).parent / "analysis_cases.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def db() -> Database:
    return load_database(bundled_database())


@pytest.fixture(scope="module")
def matcher(db: Database) -> Matcher:
    return Matcher(Index.build(db))


def notes_for(db: Database, query: str, claim: Claim) -> list[Note]:
    return analyze(query, claim, speakers=db.speakers, lookup=db.get)


def top_notes(db: Database, matcher: Matcher, query: str) -> tuple[str, float, list[Note]]:
    top = matcher.find(query, limit=1, threshold=0)[0]
    return top.claim.id, top.score, notes_for(db, query, top.claim)


# --- The case table ---------------------------------------------------------------------------


def test_case_table_is_big_enough() -> None:
    assert len(CASES) >= 60
    assert sum(1 for c in CASES if not c["kinds"]) >= 15
    assert {k for c in CASES for k in c["kinds"]} == {
        "number",
        "speaker",
        "negation",
        "date",
        "disputed",
    }
    assert {c["verdict"] for c in CASES} == {"same", "differs", "contradicts", "related"}


@pytest.mark.parametrize("case", CASES, ids=[c["query"][:60] for c in CASES])
def test_case(db: Database, matcher: Matcher, case: dict[str, Any]) -> None:
    claim_id, score, notes = top_notes(db, matcher, case["query"])
    assert claim_id == case["expect"]  # a failure here is a ranking change (match.py)
    assert sorted({n.kind for n in notes}) == case["kinds"], [n.message for n in notes]
    assert verdict(notes, score) == case["verdict"]


# --- The examples, message for message --------------------------------------------------


def test_figure_note_names_both_figures_and_the_earlier_one(db: Database) -> None:
    claim = db.get("zelenskyy-55000-soldiers-died")
    assert claim is not None
    notes = notes_for(db, "Zelensky said 50,000 Ukrainian soldiers have died", claim)
    assert [n.message for n in notes] == [
        "figure differs: you wrote 50,000, the record says 55,000 (earlier figure: 46,000)"
    ]
    assert notes[0].to_dict() == {
        "kind": "number",
        "message": notes[0].message,
        "query": 50000,
        "record": 55000,
        "earlier": [46000],
        "percent": False,
        "query_text": "50,000",
        "record_text": "55,000",
        "query_qualifier": None,
        "record_qualifier": "approximately",
    }


def test_without_lookup_there_is_no_earlier_figure(db: Database) -> None:
    claim = db.get("zelenskyy-55000-soldiers-died")
    assert claim is not None
    notes = analyze(
        "Zelensky said 50,000 Ukrainian soldiers have died", claim, speakers=db.speakers
    )
    assert [n.message for n in notes] == [
        "figure differs: you wrote 50,000, the record says 55,000"
    ]
    assert notes[0].details is not None and notes[0].details["earlier"] == []


def test_citing_only_the_outdated_figure_is_a_difference(db: Database) -> None:
    # The 55,000 record mentions 46,000 as the figure it updates.
    claim = db.get("zelenskyy-55000-soldiers-died")
    assert claim is not None
    notes = notes_for(db, "Zelensky said 46,000 Ukrainian soldiers have died", claim)
    assert [n.message for n in notes] == [
        "figure differs: you wrote 46,000, the record says 55,000 (earlier figure: 46,000)"
    ]


def test_written_figures_are_kept_as_written(db: Database) -> None:
    claim = db.get("russia-repatriated-157-servicemen-3-nationals")
    assert claim is not None
    notes = notes_for(db, "Russia repatriated 157 servicemen and five nationals", claim)
    assert [n.message for n in notes] == ["figure differs: you wrote five, the record says three"]
    claim = db.get("hrw-15000-killed-40000-wounded")
    assert claim is not None
    notes = notes_for(db, "HRW said over 50,000 civilians were wounded", claim)
    assert [n.message for n in notes] == [
        "figure differs: you wrote over 50,000, the record says over 40,000"
    ]


def test_direction_note(db: Database) -> None:
    claim = db.get("hrw-31-percent-increase-civilian-casualties")
    assert claim is not None
    notes = notes_for(db, "Human Rights Watch said civilian casualties fell", claim)
    assert [(n.kind, n.message) for n in notes] == [
        ("negation", "direction differs: the record reports a 31% increase")
    ]
    assert notes[0].details == {"query": "fell", "record": "increase", "axis": "rise/fall"}


def test_speaker_note(db: Database) -> None:
    claim = db.get("fedorov-russia-lost-starlink-access")
    assert claim is not None
    notes = notes_for(db, "Tusk said Russian forces lost access to Starlink", claim)
    assert [n.to_dict() for n in notes] == [
        {
            "kind": "speaker",
            "message": "speaker differs: the record attributes this to Mykhailo Fedorov, "
            "not Donald Tusk",
            "query_speaker": "Donald Tusk",
            "record_speaker": "Mykhailo Fedorov",
        }
    ]


def test_disputed_note(db: Database) -> None:
    claim = db.get("mq9-reaper-forced-down-black-sea")
    assert claim is not None
    notes = notes_for(db, "Moscow admitted its jets dumped fuel on the MQ-9", claim)
    assert [(n.kind, n.message) for n in notes] == [
        (
            "disputed",
            "the record is disputed: Moscow denied it (drone crashed during evasive maneuvers)",
        )
    ]
    assert notes[0].details is not None
    assert notes[0].details["stance"] == "attributed_to_disputer"
    assert verdict(notes, 96.5) == "contradicts"


def test_disputed_record_stated_as_fact_differs(db: Database) -> None:
    claim = db.get("moscow-mq9-crashed-evasive-maneuvers")
    assert claim is not None
    notes = notes_for(db, "The MQ-9 drone crashed during evasive maneuvers", claim)
    assert [n.message for n in notes] == [
        "the record is disputed: News report says MQ-9 Reaper drone was forced into the water"
    ]
    assert verdict(notes, 99.0) == "differs"


def test_date_notes(db: Database) -> None:
    claim = db.get("russia-invaded-ukraine-february-2022")
    assert claim is not None
    notes = notes_for(db, "The invasion of Ukraine began in March 2022", claim)
    assert [(n.message, n.details) for n in notes] == [
        (
            "date differs: you wrote March 2022, the record says February 2022",
            {"query": "2022-03", "record": "2022-02"},
        )
    ]
    claim = db.get("russian-drones-polish-airspace-september")
    assert claim is not None
    notes = notes_for(db, "In October Russian drones entered Polish airspace", claim)
    assert [(n.message, n.details) for n in notes] == [
        (
            "date differs: you wrote October, the record says September",
            {"query": "--10", "record": "--09"},
        )
    ]


def test_date_field_is_written_out_in_messages() -> None:
    claim = Claim("c", "The bridge was hit.", "Army", Status.UNDISPUTED, date="2022-02-24")
    notes = analyze("The bridge was hit in March 2021", claim)
    assert [(n.message, n.details) for n in notes] == [
        (
            "date differs: you wrote March 2021, the record says February 24, 2022",
            {"query": "2021-03", "record": "2022-02-24"},
        )
    ]
    # A malformed date (only the store validates dates) is ignored, not a crash.
    assert analyze("The bridge was hit in 2021", claim._replace(date="2022-13")) == []


def test_negation_note_quotes_the_negated_words(db: Database) -> None:
    claim = db.get("crimea-annexed-2014")
    assert claim is not None
    notes = notes_for(db, "Russia never annexed Crimea", claim)
    assert [n.message for n in notes] == [
        'negation differs: you wrote "never annexed Crimea", which the record asserts'
    ]


def test_speakers_without_aliases_still_match_by_name() -> None:
    claim = Claim(
        "c", "Russian forces lost access to Starlink.", "Mykhailo Fedorov", Status.UNDISPUTED
    )
    assert analyze("Fedorov said Russian forces lost access to Starlink", claim) == []
    notes = analyze("Tusk said Russian forces lost access to Starlink", claim)
    assert [n.kind for n in notes] == ["speaker"]


def test_misspelt_speaker_is_the_same_speaker(db: Database) -> None:
    claim = db.get("zelenskyy-55000-soldiers-died")
    assert claim is not None
    assert notes_for(db, "Zelenksy says about 55k ukrainian soldiers killed", claim) == []
    assert [n.kind for n in notes_for(db, "Zelinsky said 55,000 soldiers died", claim)] == []
    notes = notes_for(db, "Zielinski said 55,000 soldiers died", claim)
    assert [n.kind for n in notes] == ["speaker"]


def test_subject_is_not_the_speaker() -> None:
    speakers = (Speaker("Donald Tusk", ("Tusk",)), Speaker("Volodymyr Zelenskyy", ("Zelensky",)))
    claim = Claim(
        "c", "Tusk and Zelensky agreed to expand production.", "News report", Status.UNDISPUTED
    )
    assert (
        analyze("Zelensky met Tusk and agreed to expand production", claim, speakers=speakers) == []
    )


def test_dispute_without_a_denial_verb_quotes_the_other_account() -> None:
    claim = Claim(
        "c",
        "The bridge was destroyed by a missile.",
        "Army",
        Status.DISPUTED,
        disputed_by=(Dispute("Ministry", "It collapsed because of age, the ministry says."),),
        related=(Related("x", "contradicts"),),
    )
    notes = analyze("The bridge was destroyed by a missile", claim)
    assert [n.message for n in notes] == [
        "the record is disputed: Ministry says it collapsed because of age"
    ]


# --- Figures --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("55,000 soldiers", [(55000, False, None, "55,000")]),
        ("55 000 soldiers", [(55000, False, None, "55 000")]),
        ("55\u202f000 soldiers", [(55000, False, None, "55 000")]),
        ("55k soldiers", [(55000, False, None, "55k")]),
        ("fifty-five thousand soldiers", [(55000, False, None, "fifty-five thousand")]),
        ("a dozen drones", [(12, False, None, "a dozen")]),
        ("three nationals", [(3, False, None, "three")]),
        ("one hundred and five", [(105, False, None, "one hundred and five")]),
        ("1.2 million people", [(1_200_000, False, None, "1.2 million")]),
        ("2bn dollars", [(2_000_000_000, False, None, "2bn")]),
        ("a 31% increase", [(31, True, None, "31%")]),
        ("31 per cent", [(31, True, None, "31 per cent")]),
        ("thirty-one percent", [(31, True, None, "thirty-one percent")]),
        ("3.5 percent", [(3.5, True, None, "3.5 percent")]),
        ("about 55,000", [(55000, False, "about", "55,000")]),
        ("approximately 55,000", [(55000, False, "approximately", "55,000")]),
        ("more than four years", [(4, False, "more than", "four")]),
        ("at least 40,000 wounded", [(40000, False, "at least", "40,000")]),
        ("up to 10 drones", [(10, False, "up to", "10")]),
        (
            "nearly 15,000 and over 40,000",
            [(15000, False, "nearly", "15,000"), (40000, False, "over", "40,000")],
        ),
        ("2000 soldiers", [(2000, False, None, "2000")]),
        ("in 2022 100 soldiers", [(100, False, None, "100")]),
        ("a roughly 1,000-kilometer front", [(1000, False, "roughly", "1,000")]),
    ],
)
def test_extract_figures(text: str, expected: list[tuple[float, bool, str | None, str]]) -> None:
    assert extract_figures(text) == [Figure(float(v), p, q, t) for v, p, q, t in expected]


@pytest.mark.parametrize(
    "text",
    [
        "Russia annexed Crimea in 2014.",
        "since 2014",
        "compared to 2024",
        "in March 2023",
        "on March 5, 2023",
        "5 March",
        "the 3rd time, the 21st century",
        "the first and second rounds",
        "an MQ-9 Reaper, F-16s and a Su-27",
        "at 10:30",
        "no one knows",
        "in the 1990s",
    ],
)
def test_dates_ordinals_and_names_are_not_figures(text: str) -> None:
    assert extract_figures(text) == []


def to_words(n: int) -> str:
    """English words for 0 <= n < 10**9 ("fifty-five thousand three hundred and one")."""
    small = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen",
    ]  # fmt: skip
    tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

    def below_1000(k: int) -> str:
        parts = []
        if k >= 100:
            parts.append(f"{small[k // 100]} hundred")
            k %= 100
            if k:
                parts.append("and")
        if k >= 20:
            parts.append(tens[k // 10] + (f"-{small[k % 10]}" if k % 10 else ""))
        elif k or not parts:
            parts.append(small[k])
        return " ".join(parts)

    if n < 1000:
        return below_1000(n)
    out = []
    for scale, name in ((10**6, "million"), (10**3, "thousand")):
        if n >= scale:
            out.append(f"{below_1000(n // scale)} {name}")
            n %= scale
    if n:
        out.append(below_1000(n))
    return " ".join(out)


def test_to_words_helper() -> None:
    assert to_words(55_000) == "fifty-five thousand"
    assert to_words(105) == "one hundred and five"


@given(st.integers(min_value=0, max_value=10**12))
def test_separated_figures_round_trip(n: int) -> None:
    for written in (f"{n:,}", f"{n:,}".replace(",", " "), str(n)):
        figures = extract_figures(f"officials counted {written} cases")
        # (a bare 2014 before a plural noun is a count, so years need no exception here)
        assert [(f.value, f.percent, f.text) for f in figures] == [(n, False, written)]


@given(st.integers(min_value=1, max_value=999_999))
def test_k_and_percent_and_words_round_trip(n: int) -> None:
    assert [f.value for f in extract_figures(f"about {n}k people")] == [n * 1000]
    assert [(f.value, f.percent) for f in extract_figures(f"a {n}% rise")] == [(n, True)]
    assert [(f.value, f.percent) for f in extract_figures(f"a {n} per cent rise")] == [(n, True)]
    assert [f.value for f in extract_figures(f"they saw {to_words(n)} drones")] == [n]


@given(st.floats(min_value=0, max_value=1e6).map(lambda x: round(x, 2)))
def test_decimals_round_trip(x: float) -> None:
    text = f"{x:.2f}"
    assert [f.value for f in extract_figures(f"a {text} percent rise")] == [float(text)]


# --- The linear forms of the comparisons: what they find, where it used to be a scan --------------


def _record(text: str, **fields: Any) -> Claim:
    return Claim("c", text, "Army", Status.UNDISPUTED, **fields)


def test_negation_scope_passes_over_cues_and_adverbs_to_its_content_words() -> None:
    notes = analyze(
        "Russia did not not publicly restore the deal", _record("Russia restored the deal.")
    )
    assert [n.message for n in notes] == [
        'negation differs: you wrote "did not not publicly restore the deal", which the record '
        "asserts"
    ]
    # After its first content word, a preposition ends the scope.
    record = _record("Russia agreed to restore the deal in Abu Dhabi.")
    notes = analyze("Russia did not agree in Abu Dhabi to restore the deal", record)
    assert [n.message for n in notes] == [
        'negation differs: you wrote "did not agree", which the record asserts'
    ]


def test_number_words_next_to_digit_figures_are_figures_of_their_own() -> None:
    figures = extract_figures("1 one 2 two hundred, 3 million three")
    assert [f.value for f in figures] == [1, 1, 2, 200, 3_000_000, 3]


def test_a_month_takes_the_first_free_year_right_after_it() -> None:
    text = "Shelling in March and May 2024, June 2023 or July compared to 2022"
    assert _date_mentions(_parse(text, resolver(()))) == [
        (None, 3, "March", 12),
        (2024, 5, "May 2024", 22),
        (2023, 6, "June 2023", 32),
        (None, 7, "July", 45),  # "compared to 2022" is a baseline, not July's year
    ]


def test_direction_notes_one_per_pair_of_words_in_the_records_order() -> None:
    record = _record("Casualties saw 5 and a 31% increase, and deaths a 2% rise")
    notes = analyze("Casualties fell and deaths dropped, casualties FELL", record)
    assert [(n.details or {}).get("query") for n in notes] == ["fell", "fell", "dropped", "dropped"]
    assert [n.message for n in notes] == [
        "direction differs: the record reports a 31% increase",
        "direction differs: the record reports a 2% rise",
    ] * 2
    # Both directions in the record compare nothing.
    assert analyze("Prices rose", _record("Prices fell and prices rose")) == []


def test_only_a_records_first_hundred_figures_are_compared() -> None:
    """A documented cap: each query figure is compared with each record figure."""
    listed = ", ".join(f"{20_000 + 10 * i:,}" for i in range(150))
    record = _record(f"Soldiers died: {listed}.")
    assert len(_parse(record.text, resolver(())).figures) == 150
    assert analyze("20,500 soldiers died", record) == []  # the 51st figure is compared
    far = analyze("21,200 soldiers died", record)
    assert [n.kind for n in far] == ["number"]  # the 121st is not


def test_only_the_first_hundred_direction_words_of_a_side_are_compared() -> None:
    """A documented cap: each direction word of the query is compared with each of the record's."""
    record = _record("Prices fell.")
    for before, notes in ((50, 1), (120, 0)):
        query = " ".join(["Apples rose."] * before) + " Prices rose."
        assert len(analyze(query, record)) == notes, before


# --- Properties -----------------------------------------------------------------------------------


def test_the_record_text_itself_gives_no_notes(db: Database) -> None:
    for claim in db.claims:
        assert notes_for(db, claim.text, claim) == [], claim.id
        if claim.quote:
            assert notes_for(db, claim.quote, claim) == [], claim.id


@settings(max_examples=300)
@given(st.text(), st.sampled_from(range(40)))
def test_analyze_never_raises(query: str, index: int) -> None:
    db = load_database(bundled_database())
    claim = db.claims[index % len(db.claims)]
    notes = analyze(query, claim, speakers=db.speakers, lookup=db.get)
    assert all(isinstance(n, Note) for n in notes)
    assert verdict(notes, 50.0) in {"same", "differs", "contradicts", "related"}


@given(st.text(max_size=200))
def test_arbitrary_text_as_record_never_raises(text: str) -> None:
    claim = Claim("c", text or "x", "Someone", Status.DISPUTED, disputed_by=(Dispute("X", text),))
    analyze("Someone said 5 drones fell in 2020", claim)
    analyze(text, claim)


# --- Verdict --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kinds", "score", "expected"),
    [
        ((), 95.0, "same"),
        ((), 70.0, "same"),
        ((), 69.9, "related"),
        (("number",), 95.0, "differs"),
        (("speaker",), 40.0, "differs"),  # a note outranks a low score
        (("date", "number"), 95.0, "differs"),
        (("negation",), 95.0, "contradicts"),
        (("number", "negation"), 95.0, "contradicts"),
    ],
)
def test_verdict(kinds: tuple[str, ...], score: float, expected: str) -> None:
    assert verdict([Note(k, k) for k in kinds], score) == expected


def test_disputed_verdict_depends_on_stance() -> None:
    stated = Note("disputed", "m", {"stance": "asserted_as_fact"})
    attributed = Note("disputed", "m", {"stance": "attributed_to_disputer"})
    assert verdict([stated], 99.0) == "differs"
    assert verdict([attributed], 99.0) == "contradicts"
