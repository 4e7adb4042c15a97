"""Browsing through the core API: filters, dates, speakers, statistics, rendering widths."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from factcheck.browse import (
    Filters,
    SortKey,
    check_date,
    database_stats,
    filter_claims,
    resolve_speaker,
    sort_claims,
    speaker_stats,
    suggest_ids,
)
from factcheck.dates import bounds, overlaps
from factcheck.errors import InputError
from factcheck.model import Database, Status
from factcheck.speakers import Speakers
from factcheck.store import bundled_database, load_database

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def db() -> Database:
    return load_database(bundled_database())


def ids(claims: object) -> list[str]:
    return [c.id for c in claims]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("date", "since", "until", "inside"),
    [
        ("2023-03", "2023", None, True),
        ("2023-03", "2023-04", None, False),
        ("2023-03", None, "2023-03", True),
        ("2023-03", None, "2023-02", False),
        ("2023", "2023-06", "2023-06", True),  # a year overlaps each of its months
        ("2022-02", "2021", "2022-01-31", False),
        ("2014", None, "2014-12-31", True),
        (None, "2000", None, False),
        (None, None, None, True),
    ],
)
def test_overlaps(date: str | None, since: str | None, until: str | None, inside: bool) -> None:
    assert overlaps(date, since, until) is inside


def test_bounds_and_bad_dates() -> None:
    assert bounds("2023-03") == ("2023-03-01", "2023-03-31")
    assert bounds("2023-02") == ("2023-02-01", "2023-02-29")  # any February: a bound, not a day
    with pytest.raises(ValueError, match="bad date 'March'"):
        bounds("March")
    with pytest.raises(InputError, match="bad date '2023-13'"):
        check_date("2023-13", "--since")  # a month the store would refuse too
    with pytest.raises(InputError, match="--until"):
        list(filter_claims([], Filters(until="soon")))


def test_filters_combine(db: Database) -> None:
    f = Filters(speaker="Volodymyr Zelenskyy", since="2025")
    assert ids(filter_claims(db.claims, f)) == ["zelenskyy-46000-soldiers-died"]
    f = Filters(status=Status.DISPUTED, tag="mq-9")
    assert ids(filter_claims(db.claims, f)) == [
        "mq9-reaper-forced-down-black-sea",
        "moscow-mq9-crashed-evasive-maneuvers",
    ]
    assert ids(filter_claims(db.claims, Filters(tag="MQ-9", status=Status.UNDISPUTED))) == []


def test_search_filter_tolerates_typos(db: Database) -> None:
    found = ids(filter_claims(db.claims, Filters(search="starlnk registry")))
    assert found == ["ukraine-starlink-user-registry"]


def test_speaker_resolution(db: Database) -> None:
    speakers = Speakers(db.speakers)
    assert resolve_speaker(speakers, "zelensky") == "Volodymyr Zelenskyy"
    assert resolve_speaker(speakers, "the kremlin") == "Moscow"
    assert resolve_speaker(speakers, "HRW") == "Human Rights Watch"
    # Not an alias as such, but it holds one: resolved as a query naming him is.
    assert resolve_speaker(speakers, "Volodymyr Zelenskyi") == "Volodymyr Zelenskyy"
    assert resolve_speaker(speakers, "Nobody") is None
    assert resolve_speaker(speakers, "bloggers", lambda: ["Bloggers"]) == "Bloggers"
    assert speakers.suggest("zelenksi")[0] == "Volodymyr Zelenskyy"


def test_sort_by_date_puts_undated_last(db: Database) -> None:
    dated = [c.date for c in sort_claims(db.claims, SortKey.date)]
    assert dated[:6] == ["2014", "2021", "2022-02", "2023-03", "2023-03", "2025"]
    assert set(dated[6:]) == {None}
    statuses = [c.status for c in sort_claims(db.claims, SortKey.status)]
    assert statuses[:2] == [Status.DISPUTED, Status.DISPUTED]


def test_speaker_stats(db: Database) -> None:
    rows = {r.name: r for r in speaker_stats(db.claims, db.speakers)}
    assert (rows["Volodymyr Zelenskyy"].claims, rows["Volodymyr Zelenskyy"].disputed) == (4, 0)
    assert (rows["Moscow"].claims, rows["Moscow"].disputed) == (1, 1)
    assert rows["Donald Tusk"].claims == 0  # named in the report, no statement of his own
    assert sum(r.claims for r in rows.values()) == len(db.claims)


def test_database_stats(db: Database) -> None:
    s = database_stats(db.claims)
    assert s.claims == 40
    assert s.by_status == {"undisputed": 38, "disputed": 2}
    assert s.dated == 6


def test_suggest_ids(db: Database) -> None:
    assert suggest_ids("zelenskyy-55000", [c.id for c in db.claims])[0] == (
        "zelenskyy-55000-soldiers-died"
    )


def _render_disputed(db: Database, width: int) -> str:
    from factcheck.term import make_console, print_claims

    out = io.StringIO()
    console = make_console(out, color=False, width=width)
    print_claims(console, [c for c in db.claims if c.disputed], db.speakers)
    return out.getvalue()


def test_disputed_table_at_80_columns_matches_golden(
    db: Database, request: pytest.FixtureRequest
) -> None:
    text = _render_disputed(db, 80)
    golden = GOLDEN / "disputed_80.txt"
    if request.config.getoption("--update-golden"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", range(20, 121, 10))
def test_tables_never_exceed_the_width(db: Database, width: int) -> None:
    from factcheck.browse import speaker_stats
    from factcheck.term import make_console, print_speakers

    text = _render_disputed(db, width)
    out = io.StringIO()
    print_speakers(
        make_console(out, color=False, width=width), speaker_stats(db.claims, db.speakers)
    )
    for line in (text + out.getvalue()).splitlines():
        assert len(line) <= width
    # Wrapping keeps every word: the longest claim's last word is still there.
    assert "Crimea." in text
