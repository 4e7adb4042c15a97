"""Readers, writers, sniffing and gzip handling of factcheck.formats.

Fixtures under tests/fixtures/ are invented (a fictional city, example.org URLs); tests that
read the real datasets in ../shared/data (beside the checkout) skip when that folder is absent.
"""

from __future__ import annotations

import collections
import gzip
import io
import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factcheck.dates import normalize_date
from factcheck.errors import InputError
from factcheck.formats import (
    READ_FORMATS,
    WRITE_FORMATS,
    Record,
    claimreview,
    csv_format,
    detect,
    factcheck_api,
    jsonl,
    liar,
    open_source,
    reader,
    stable_id,
    writer,
)
from factcheck.merge import merge
from factcheck.model import Claim, Database, Dispute, Source, Status
from factcheck.store import load_database

FIXTURES = Path(__file__).parent / "fixtures"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CSV_MAPPING = {
    "text": "statement",
    "speaker": "who",
    "date": "when",
    "verdict": "rating",
    "url": "link",
    "publisher": "checker",
    "tags": "topics",
}


def read_fixture(name: str, fmt: str | None = None, **options: Any) -> list[Record]:
    path = FIXTURES / name
    if fmt is None:
        fmt = detect(name, path.read_bytes()[:65536])
    with open_source(path) as stream:
        return list(reader(fmt)(stream, source=name, **options))


def claims_of(records: list[Record]) -> list[Claim]:
    return [r.claim for r in records if r.claim is not None]


def errors_of(records: list[Record]) -> list[tuple[str, str | None]]:
    return [(r.location, r.error) for r in records if r.claim is None]


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


# --- detect and open_source -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("claimreview_single.json", "claimreview"),
        ("claimreview_list.json", "claimreview"),
        ("claimreview_graph.json", "claimreview"),
        ("claimreview_feed.json", "claimreview"),
        ("claimreview_lines.jsonl", "claimreview"),
        ("claimreview_page.html", "claimreview-html"),
        ("claimreview_page.html.gz", "claimreview-html"),
        ("api_response.json", "factcheck-api"),
        ("claims.jsonl", "jsonl"),
        ("custom.csv", "csv"),
        ("liar_sample.tsv", "liar"),
    ],
)
def test_detect_fixtures(name: str, expected: str) -> None:
    assert detect(name, (FIXTURES / name).read_bytes()[:65536]) == expected


def test_detect_other_cases() -> None:
    assert detect("x.tsv", b"id\ttext\tspeaker\n1\ta\tb\n") == "tsv"
    assert detect("X.CSV.GZ", gzip.compress(b"text\nhello\n")) == "csv"
    assert detect("feed", b'  {"@type": "DataFeed", "dataFeedElement": [') == "claimreview"
    assert detect("compact.json", b'{"claims":[{"text":"a","claimReview":[]}]}\n') == (
        "factcheck-api"
    )
    assert detect("page.txt", b"hello <SCRIPT type=application/ld+json>{}") == "claimreview-html"
    with pytest.raises(InputError) as err:
        detect("notes.txt", b"just some text\n")
    assert err.value.where == "notes.txt"
    assert str(err.value).startswith("cannot tell the format (notes.txt): name it, one of: ")


def test_gzip_fixture_is_the_html_fixture() -> None:
    packed = (FIXTURES / "claimreview_page.html.gz").read_bytes()
    assert gzip.decompress(packed) == (FIXTURES / "claimreview_page.html").read_bytes()
    with open_source(FIXTURES / "claimreview_page.html.gz") as f:
        assert f.read() == (FIXTURES / "claimreview_page.html").read_bytes()


def test_gzip_and_plain_give_the_same_claims() -> None:
    plain = read_fixture("claimreview_page.html")
    packed = read_fixture("claimreview_page.html.gz")
    assert claims_of(plain) == claims_of(packed)
    assert [r.location for r in packed] == [
        "claimreview_page.html.gz:6",
        "claimreview_page.html.gz:12",
    ]


def test_truncated_gzip_is_an_error_record(tmp_path: Path) -> None:
    lines = "".join(
        (FIXTURES / "claimreview_lines.jsonl").read_text(encoding="utf-8").splitlines(True)[:3]
    )
    data = gzip.compress((lines * 200).encode(), mtime=0)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) - 20])  # drop the trailer and some data
    with open_source(path) as f:
        records = list(claimreview.read(f, source="cut.jsonl.gz"))
    assert records[-1] == Record(
        "cut.jsonl.gz", None, "truncated gzip: the file ends before its end marker"
    )
    assert len(records) > 300  # what came before the cut is still read
    assert all(r.claim is not None for r in records[:-1])


def test_corrupt_gzip_is_an_error_record(tmp_path: Path) -> None:
    path = tmp_path / "bad.json.gz"
    path.write_bytes(gzip.compress(b'{"claims": []}', mtime=0)[:10] + b"\xff" * 30)
    with open_source(path) as f:
        records = list(factcheck_api.read(f, source="bad.json.gz"))
    assert len(records) == 1
    assert records[0].location == "bad.json.gz"
    assert records[0].error is not None and records[0].error.startswith("corrupt gzip: ")


def test_not_utf8_is_an_error_record() -> None:
    stream = io.BytesIO(b'{"id": "a", "text": "caf\xe9", "speaker": "b"}\n')
    (record,) = jsonl.read(stream, source="latin1.jsonl")
    assert record.location == "latin1.jsonl"
    assert record.error is not None and record.error.startswith("not UTF-8 text")


def test_open_source_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        open_source(tmp_path / "missing.json")
    assert err.value.message == "no such file"
    with pytest.raises(InputError) as err:
        open_source(tmp_path)
    assert err.value.message == "is a directory, not a file"


def test_gunzip_works_on_unseekable_stdin_like_streams() -> None:
    from factcheck.formats import gunzip

    raw = io.BufferedReader(io.BytesIO(gzip.compress(b"hello\n")))  # type: ignore[arg-type]
    assert gunzip(raw).read() == b"hello\n"


def test_reader_and_writer_lookup() -> None:
    assert READ_FORMATS == (
        "claimreview",
        "claimreview-html",
        "factcheck-api",
        "jsonl",
        "csv",
        "tsv",
        "liar",
    )
    assert WRITE_FORMATS == ("jsonl", "csv", "claimreview")
    assert reader("liar") is liar.read
    assert writer("csv") is csv_format.write
    with pytest.raises(InputError):
        reader("xml")
    with pytest.raises(InputError):
        writer("liar")


# --- shared helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-02", "2024-03-02"),
        ("2024-7-4", "2024-07-04"),
        ("2024/07/04", "2024-07-04"),
        ("2024-05", "2024-05"),
        ("2024", "2024"),
        ("2024-09-03T00:00:00Z", "2024-09-03"),
        ("2024-05-20T09:30:00+02:00", "2024-05-20"),
        ("April 3, 2024", "2024-04-03"),
        ("3 Apr 2024", "2024-04-03"),
        ("June 2024", "2024-06"),
        ("2024-02-30", None),
        ("2024-13", None),
        ("soon", None),
        ("", None),
        (20240101, None),
        (None, None),
    ],
)
def test_normalize_date(raw: Any, expected: str | None) -> None:
    assert normalize_date(raw) == expected


def test_stable_id_keys_on_url_and_normalised_text() -> None:
    a = stable_id("cr-", "https://x.example/1", "We\u2019ve started \u201cbuilding\u201d it.")
    assert a == stable_id("cr-", "https://x.example/1", "we've started building it")
    assert a != stable_id("cr-", "https://x.example/2", "We've started building it.")
    assert len(a) == 15 and a.startswith("cr-")
    assert stable_id("cr-", None, "x") == stable_id("cr-", "", "x")


# --- ClaimReview ----------------------------------------------------------------------------


def test_claimreview_single_object_maps_every_field() -> None:
    records = read_fixture("claimreview_single.json")
    url = "https://factdesk.example.org/checks/2024/millbrook-bridge-cost"
    text = "The new Millbrook river bridge cost 40 million dollars, twice the budget."
    assert records == [
        Record(
            "claimreview_single.json:record 1",
            Claim(
                id=stable_id("cr-", url, text),
                text=text,
                speaker="Oscar Pemberton",
                status=Status.DISPUTED,
                date="2024-03-02",
                disputed_by=(Dispute("Millbrook Fact Desk", 'rated it "Mostly False"'),),
                sources=(Source("fact-check", None, url, "Millbrook Fact Desk", "2024-03-12"),),
                tags=("checker:Millbrook Fact Desk",),
                verdict="Mostly False",
            ),
            None,
        )
    ]
    assert records[0].claim is not None and records[0].claim.id == "cr-ccd7c89cfb7c"


def test_claimreview_list_with_a_bad_record_and_a_bad_date() -> None:
    records = read_fixture("claimreview_list.json")
    assert [r.location for r in records] == [
        "claimreview_list.json:record 1",
        "claimreview_list.json:record 2.claimReviewed",
        "claimreview_list.json:record 3",
    ]
    assert errors_of(records) == [
        ("claimreview_list.json:record 2.claimReviewed", "claim text missing")
    ]
    first, third = claims_of(records)
    assert (first.status, first.verdict, first.disputed_by) == (Status.UNDISPUTED, "TRUE", ())
    assert first.date == "2024-03-28"
    # the claim date 2024-02-30 is impossible: dropped, so the review date stands in
    assert third.date == "2024-04-03"
    assert third.sources[0].date == "2024-04-03"
    assert (third.speaker, third.status, third.verdict) == (
        "Viral image",
        Status.UNVERIFIED,
        "Flip- Flop",
    )


def test_claimreview_graph_skips_other_nodes() -> None:
    records = read_fixture("claimreview_graph.json")
    assert len(records) == 1
    claim = records[0].claim
    assert claim is not None
    assert (claim.text, claim.speaker, claim.date, claim.status) == (
        "Millbrook property tax rose by 15% this year.",
        "Facebook posts",
        "2024-05",
        Status.DISPUTED,
    )
    assert claim.sources == (
        Source(
            "fact-check",
            None,
            "https://riverside.example.net/fact-checks/tax",
            "Riverside Fact Lab",
            "2024-05-20",
        ),
    )


def test_claimreview_datafeed_items_single_and_list() -> None:
    records = read_fixture("claimreview_feed.json")
    assert [r.location for r in records] == [
        "claimreview_feed.json:record 1",
        "claimreview_feed.json:record 2",
        "claimreview_feed.json:record 3",
    ]
    claims = claims_of(records)
    assert [(c.speaker, c.status.value, c.verdict) for c in claims] == [
        ("Dana Whitfield", "disputed", "Three Pinocchios"),
        ("Oscar Pemberton", "undisputed", "Geppetto Checkmark"),
        ("Dana Whitfield", "disputed", "Needs context"),
    ]
    # two claims reviewed in one article: same URL, different ids
    assert claims[1].sources[0].url == claims[2].sources[0].url
    assert claims[1].id != claims[2].id


def test_claimreview_html_two_blocks() -> None:
    records = read_fixture("claimreview_page.html")
    claims = claims_of(records)
    assert errors_of(records) == []
    assert [(c.text, c.speaker, c.date, c.verdict, c.status.value) for c in claims] == [
        (
            "Millbrook has the highest water rates in the state.",
            "Oscar Pemberton",
            "2024-07-01",
            "Pants on Fire",
            "disputed",
        ),
        (
            "Water rates in Millbrook doubled since 2020.",
            "Millbrook Residents Association",
            "2024-07-08",  # no claim date: the review date
            "Correct",
            "undisputed",
        ),
    ]


def test_claimreview_html_bad_block_is_an_error_and_reading_goes_on() -> None:
    page = (
        "<p>x</p>\n<script type=\"application/ld+json\">{'bad': json}</script>\n"
        '<script type="application/ld+json">{"@type": "ClaimReview", '
        '"claimReviewed": "Millbrook has two rivers."}</script>\n'
    )
    records = list(claimreview.read_html(io.StringIO(page), source="p.html"))
    assert [(r.location, r.error) for r in records] == [
        (
            "p.html:2",
            "ld+json block: invalid JSON: Expecting property name enclosed in double quotes"
            " at line 1 column 2",
        ),
        ("p.html:3", None),
    ]
    claim = records[1].claim
    assert claim is not None
    assert (claim.speaker, claim.status, claim.sources[0].url, claim.tags) == (
        "Unknown",
        Status.UNVERIFIED,
        None,
        (),
    )


def test_claimreview_json_lines_with_bad_lines() -> None:
    records = read_fixture("claimreview_lines.jsonl")
    assert [(r.location, r.error) for r in records] == [
        ("claimreview_lines.jsonl:1", None),
        ("claimreview_lines.jsonl:3", None),
        (
            "claimreview_lines.jsonl:4",
            "invalid JSON: Invalid control character at column 83",
        ),
        ("claimreview_lines.jsonl:5", "not a ClaimReview (WebPage)"),
    ]
    first, second = claims_of(records)
    assert (first.speaker, first.status, first.disputed_by) == (
        "Bloggers",
        Status.DISPUTED,
        (Dispute("Millbrook Fact Desk", 'rated it "Four Pinocchios"'),),
    )
    assert (second.speaker, second.date) == ("Unknown", "2024-08-02")


def test_claimreview_odd_shapes_do_not_break() -> None:
    doc = [
        {
            "@type": ["ClaimReview", "Thing"],
            "claimReviewed": "  Millbrook has a zoo.  ",
            "author": [{"name": "Desk A"}, {"name": "Desk B"}],
            "itemReviewed": {"author": "Pat Doe", "datePublished": 2024},
            "reviewRating": [{"alternateName": "False"}],
            "url": 7,
        },
        {"@type": "http://schema.org/ClaimReview", "claimReviewed": 5},
        "a string",
        {"@type": "DataFeed", "dataFeedElement": [{"@type": "DataFeedItem"}]},
    ]
    records = list(claimreview.read(io.StringIO(json.dumps(doc)), source="odd.json"))
    assert [(r.location, r.error) for r in records] == [
        ("odd.json:1 record 1", None),
        ("odd.json:1 record 2.claimReviewed", "claim text empty or not a string"),
        ("odd.json:1 record 3", "expected a ClaimReview object, not str"),
        ("odd.json:1 record 4", "expected a ClaimReview object, not NoneType"),
    ]
    claim = records[0].claim
    assert claim is not None
    assert (claim.text, claim.speaker, claim.date, claim.verdict, claim.tags) == (
        "Millbrook has a zoo.",
        "Pat Doe",
        None,
        "False",
        ("checker:Desk A",),
    )


def test_claimreview_document_syntax_error_names_line_and_column() -> None:
    text = '[\n  {"@type": "ClaimReview",\n   "claimReviewed": "x" "y"}\n]\n'
    assert list(claimreview.read(io.StringIO(text), source="b.json")) == [
        Record("b.json:3", None, "invalid JSON: Expecting ',' delimiter at line 3 column 25")
    ]


def test_empty_inputs_give_no_records() -> None:
    for fmt in READ_FORMATS:
        assert list(reader(fmt)(io.BytesIO(b""), source="empty")) == [], fmt


# --- Fact Check Tools API -------------------------------------------------------------------


def test_api_response() -> None:
    records = read_fixture("api_response.json")
    assert errors_of(records) == [
        ("api_response.json:record 3.text", "claim text missing or empty")
    ]
    fire, marathon = claims_of(records)
    url = "https://factdesk.example.org/checks/2024/fire-stations"
    assert fire == Claim(
        id=stable_id("cr-", url, fire.text),
        text="Millbrook will close three fire stations next year.",
        speaker="Oscar Pemberton",
        status=Status.DISPUTED,
        date="2024-09-03",
        disputed_by=(
            Dispute("Millbrook Fact Desk", 'rated it "False"'),
            Dispute("riverside.example.net", 'rated it "Misleading"'),
        ),
        sources=(
            Source(
                "fact-check",
                "No, Millbrook is not closing three fire stations",
                url,
                "Millbrook Fact Desk",
                "2024-09-05",
            ),
            Source(
                "fact-check",
                "Fire station closures: what the budget says",
                "https://riverside.example.net/fact-checks/fire-stations",
                "riverside.example.net",
                "2024-09-06",
            ),
        ),
        tags=("checker:Millbrook Fact Desk", "checker:riverside.example.net"),
        verdict="False",
    )
    assert (marathon.speaker, marathon.status, marathon.verdict, marathon.disputed_by) == (
        "Unknown",
        Status.UNDISPUTED,
        "True",
        (),
    )


def test_api_status_comes_from_the_first_review() -> None:
    reviews = [
        {"publisher": {"name": "A"}, "url": "https://a.example/1", "textualRating": "Mostly true"},
        {"publisher": {"name": "B"}, "url": "https://b.example/1", "textualRating": "False"},
    ]
    page = {"claims": [{"text": "Millbrook's mayor earns a lot.", "claimReview": reviews}]}
    (record,) = factcheck_api.read(io.StringIO(json.dumps(page)), source="p.json")
    claim = record.claim
    assert claim is not None
    assert (claim.status, claim.verdict) == (Status.UNDISPUTED, "Mostly true")
    assert claim.disputed_by == (Dispute("B", 'rated it "False"'),)


def test_api_pages_as_json_lines() -> None:
    page = {"claims": [{"text": "Millbrook has 3 bridges.", "claimant": "X"}]}
    lines = [json.dumps(page) + "\n", "\n", json.dumps(page | {"claims": "no"}) + "\n"]
    records = list(factcheck_api.read(lines, source="pages.jsonl"))
    assert [(r.location, r.error) for r in records] == [
        ("pages.jsonl:1", None),
        ("pages.jsonl:3", "expected an API response with a 'claims' list"),
    ]


def test_api_and_claimreview_give_one_id_for_one_review() -> None:
    review = {
        "@type": "ClaimReview",
        "url": "https://factdesk.example.org/c/1",
        "claimReviewed": "Millbrook has 3 bridges.",
    }
    api = {
        "claims": [{"text": "Millbrook has 3 bridges.", "claimReview": [{"url": review["url"]}]}]
    }
    (a,) = claimreview.read(io.StringIO(json.dumps(review)), source="a")
    (b,) = factcheck_api.read(io.StringIO(json.dumps(api)), source="b")
    assert a.claim is not None and b.claim is not None
    assert a.claim.id == b.claim.id


# --- our JSONL ------------------------------------------------------------------------------


def test_jsonl_validates_each_line() -> None:
    records = read_fixture("claims.jsonl")
    assert errors_of(records) == [
        ("claims.jsonl:4 'millbrook-bad'.colour", "unknown field"),
        (
            "claims.jsonl:5 'millbrook-date'.date",
            "bad date 'spring', expected YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        ("claims.jsonl:6", "invalid JSON: Invalid control character at column 49"),
    ]
    assert [(r.location, r.claim.id) for r in records if r.claim] == [
        ("claims.jsonl:1", "millbrook-budget-2024"),
        ("claims.jsonl:2", "millbrook-potholes"),
        ("claims.jsonl:7", "millbrook-transit"),
    ]
    potholes = claims_of(records)[1]
    assert potholes.disputed_by == (
        Dispute("Millbrook Roads Department", "About 7,500 potholes were filled."),
    )


def test_jsonl_accepts_text_streams_and_line_lists() -> None:
    line = '{"id": "a", "text": "Millbrook", "speaker": "B"}'
    from_list = list(jsonl.read(["\ufeff" + line + "\n", line], source="l"))
    from_text = list(jsonl.read(io.StringIO(line), source="t"))
    assert [r.location for r in from_list] == ["l:1", "l:2"]
    assert from_list[0].claim == from_text[0].claim


def test_jsonl_reads_a_database_file_too() -> None:
    bundled = Path(__file__).parent.parent / "data" / "claims.json"
    assert detect(bundled.name, bundled.read_bytes()[:65536]) == "jsonl"
    with open_source(bundled) as f:
        records = list(jsonl.read(f, source="claims.json"))
    assert len(records) == 40
    assert errors_of(records) == []
    assert records[0].location == "claims.json:claims[0]"
    assert claims_of(records) == list(load_database(bundled).claims)


def test_jsonl_compact_documents_and_bad_claims_lists() -> None:
    one = '{"id": "a", "text": "Millbrook", "speaker": "B"}'
    lines = [
        '{"version": 1, "claims": [' + one + ", 5]}\n",
        "[" + one + "]\n",
        '{"claims": "none"}\n',
    ]
    records = list(jsonl.read(lines, source="d.json"))
    assert [(r.location, r.error) for r in records] == [
        ("d.json:1 claims[0]", None),
        ("d.json:1 claims[1]", "must be an object, not int"),
        ("d.json:2 claims[0]", None),
        ("d.json:3 claims", "'claims' must be a list"),
    ]


def test_json_lines_whose_first_line_is_bad_are_still_read_line_by_line() -> None:
    good = '{"id": "a", "text": "Millbrook", "speaker": "B"}\n'
    records = list(jsonl.read(['{"id": "x", "te\n', good, "\n", good], source="f.jsonl"))
    assert [(r.location, r.error) for r in records] == [
        ("f.jsonl:1", "invalid JSON: Invalid control character at column 16"),
        ("f.jsonl:2", None),
        ("f.jsonl:4", None),
    ]


def test_deeply_nested_json_is_an_error_record() -> None:
    # An error of its line (a record --skip-bad can skip), no longer of the whole input.
    deep = "[" * 100_000 + "]" * 100_000
    records = list(claimreview.read(io.StringIO(deep), source="deep.json"))
    assert records == [
        Record("deep.json:1", None, "JSON nested too deeply to read (about 1,000 levels)")
    ]


def test_open_source_closes_the_file_under_a_gzip(recwarn: pytest.WarningsRecorder) -> None:
    import gc

    with open_source(FIXTURES / "claimreview_page.html.gz") as f:
        f.read()
    del f
    gc.collect()
    assert [w for w in recwarn if issubclass(w.category, ResourceWarning)] == []


# --- CSV ------------------------------------------------------------------------------------


def test_csv_with_bom_bare_cr_index_column_and_mapping() -> None:
    records = read_fixture("custom.csv", mapping=CSV_MAPPING)
    assert errors_of(records) == [("custom.csv:4.statement", "empty text")]
    assert [r.location for r in records] == [
        "custom.csv:2",
        "custom.csv:3",
        "custom.csv:4.statement",
        "custom.csv:5",
        "custom.csv:6",
    ]
    parks, tram, fares, population = claims_of(records)
    assert parks == Claim(
        id=stable_id("csv-", "https://factdesk.example.org/checks/2024/parks-roads", parks.text),
        text="Millbrook spends more on parks than on roads, the mayor said.",
        speaker="Dana Whitfield",
        status=Status.DISPUTED,
        date="2024-02-10",
        disputed_by=(Dispute("Millbrook Fact Desk", 'rated it "Half True"'),),
        sources=(
            Source(
                "fact-check",
                None,
                "https://factdesk.example.org/checks/2024/parks-roads",
                "Millbrook Fact Desk",
            ),
        ),
        tags=("parks", "roads"),
        verdict="Half True",
    )
    assert tram.text == 'The "Riverside" tram\rstops at every school.'
    assert (fares.date, fares.tags, fares.status) == (
        "2024-07-04",
        ("transport", "budget"),
        Status.UNDISPUTED,
    )
    assert (population.speaker, population.date, population.sources, population.status) == (
        "Unknown",
        None,
        (),
        Status.UNVERIFIED,
    )


def test_csv_default_mapping_needs_a_text_column() -> None:
    records = read_fixture("custom.csv")
    assert records == [
        Record("custom.csv:1", None, "no 'text' column; map one, e.g. text=statement")
    ]


def test_csv_mapped_column_missing_and_unknown_field() -> None:
    records = read_fixture("custom.csv", mapping={"text": "claim"})
    assert records == [Record("custom.csv:1", None, "no column 'claim' for field 'text'")]
    with pytest.raises(InputError) as err:
        csv_format.read(io.StringIO("a\n"), source="x.csv", mapping={"body": "a"})
    assert err.value.message == "unknown field 'body' in the column mapping"


def test_csv_row_problems() -> None:
    data = (
        "id,text,status,date,tags\n"
        "ok-1,Millbrook has a harbour.,Disputed,2024-01-01,a;b;a\n"
        "bad id!,Millbrook has a castle.,,,\n"
        "ok-3,Millbrook has a mine.,maybe,,\n"
        "ok-4,too,many,fields,here,now\n"
        "\n"
        'ok-5,"Millbrook ""old town"" is\nsmall.",,,"[\'x\', \'y\']"\n'
    )
    records = list(csv_format.read(io.StringIO(data, newline=""), source="p.csv"))
    assert [(r.location, r.error) for r in records] == [
        ("p.csv:2", None),
        ("p.csv:3.id", "id may hold only letters, digits and . _ : # / -"),
        ("p.csv:4.status", "bad status 'maybe' (one of disputed, undisputed, unverified)"),
        ("p.csv:5", "6 fields where the header has 5 (a stray quote?)"),
        ("p.csv:7", None),
    ]
    first, last = claims_of(records)
    assert (first.id, first.status, first.tags, first.disputed_by) == (
        "ok-1",
        Status.DISPUTED,
        ("a", "b"),
        (),  # disputed, but no verdict: nobody to name
    )
    assert (last.text, last.tags, last.status) == (
        'Millbrook "old town" is\nsmall.',
        ("x", "y"),
        Status.UNVERIFIED,
    )


def test_csv_unclosed_quote_stops_with_an_error() -> None:
    data = 'text\n"Millbrook is ' + "x" * 200_000 + "\n"
    records = list(csv_format.read(io.StringIO(data), source="q.csv"))
    assert len(records) == 1
    assert records[0].location == "q.csv:3"
    assert records[0].error is not None and records[0].error.startswith("bad CSV: field larger")


def test_tsv_with_header() -> None:
    data = b"text\tspeaker\tverdict\nMillbrook has a port.\tAl\tFalse\n"
    (record,) = reader("tsv")(io.BytesIO(data), source="t.tsv")
    assert record.claim is not None
    assert (record.claim.speaker, record.claim.status) == ("Al", Status.DISPUTED)
    assert record.claim.disputed_by == (Dispute("Unknown fact-checker", 'rated it "False"'),)


# --- LIAR -----------------------------------------------------------------------------------


def test_liar_sample() -> None:
    records = read_fixture("liar_sample.tsv")
    assert errors_of(records) == []
    claims = claims_of(records)
    assert [c.id for c in claims] == [f"liar-9000{i}" for i in range(1, 7)]
    assert claims[0] == Claim(
        id="liar-90001",
        text="Says Millbrook has more potholes than any city in the state.",
        speaker="Oscar Pemberton",
        status=Status.DISPUTED,
        disputed_by=(Dispute("PolitiFact", 'rated it "false"'),),
        sources=(Source("fact-check", publisher="PolitiFact", ref="politifact:90001"),),
        tags=("transportation", "infrastructure", "party:republican"),
        verdict="false",
    )
    # an opening quote that never closes stays a literal character and swallows nothing
    assert claims[2].text == '"Every single bridge in Millbrook is unsafe, he told reporters.'
    assert (claims[2].verdict, claims[2].status) == ("barely-true", Status.DISPUTED)
    assert claims[3].speaker == "Chain Email"
    assert claims[4].text == "The library serves 4,000 readers a week."  # BOM, space gone
    assert claims[4].tags == ("education", "party:moderate")
    assert claims[4].speaker == "Millbrook Residents Association"
    assert [c.status.value for c in claims] == [
        "disputed",
        "disputed",
        "disputed",
        "disputed",
        "undisputed",
        "undisputed",
    ]
    assert claims[5].tags == ("party:democrat",)


def test_liar_bad_rows() -> None:
    rows = [
        "1.json\ttrue\tok\t\ta-b\t\t\t\t0\t0\t0\t0\t0\t\n",
        "2.json\ttrue\tshort row\n",
        "x.json\ttrue\tbad id\t\ta\t\t\t\t0\t0\t0\t0\t0\t\n",
        "4.json\ttrue\t  \t\ta\t\t\t\t0\t0\t0\t0\t0\t\n",
    ]
    records = list(liar.read(rows, source="l.tsv"))
    assert [(r.location, r.error) for r in records] == [
        ("l.tsv:1", None),
        ("l.tsv:2", "3 columns, expected 14"),
        ("l.tsv:3.id", "bad id 'x.json', expected <number>.json"),
        ("l.tsv:4.statement", "empty statement"),
    ]


def test_liar_speaker_display_names() -> None:
    assert liar.speaker_name("barack-obama") == "Barack Obama"
    assert liar.speaker_name("bernie-s") == "Bernie S"
    assert liar.speaker_name("") == ""


# --- writers and round trips ----------------------------------------------------------------

SAMPLE = [
    Claim(
        id="cr-0123456789ab",
        text='Millbrook "doubled" its\nbudget, 2020\u20132024; caf\u00e9 prices too.',
        speaker="Dana Whitfield",
        status=Status.DISPUTED,
        date="2024-03",
        disputed_by=(Dispute("Millbrook Fact Desk", 'rated it "False"'),),
        sources=(
            Source("fact-check", None, "https://factdesk.example.org/c/9", "Millbrook Fact Desk"),
        ),
        tags=("checker:Millbrook Fact Desk", "budget"),
        verdict="False",
    ),
    Claim(
        id="millbrook-zoo",
        text="Millbrook's zoo is the oldest in the region.",
        speaker="Oscar Pemberton",
        status=Status.UNVERIFIED,
        date="2024-05-06",
        sources=(
            Source("fact-check", None, "https://riverside.example.net/z", "Riverside Fact Lab"),
        ),
        tags=("checker:Riverside Fact Lab",),
        verdict="Unproven",
    ),
    Claim(
        id="millbrook-hand-made",
        text="Millbrook was founded in 1802.",
        speaker="City of Millbrook",
        status=Status.UNDISPUTED,
    ),
]


def write_to_string(fmt: str, claims: list[Claim], **options: Any) -> str:
    out = io.StringIO(newline="")
    assert writer(fmt)(iter(claims), out, **options) == len(claims)
    return out.getvalue()


def read_back(fmt: str, text: str) -> list[Claim]:
    records = list(reader(fmt)(io.BytesIO(text.encode()), source="back"))
    assert [r.error for r in records] == [None] * len(records)
    return claims_of(records)


def test_jsonl_writer_round_trip_is_exact() -> None:
    text = write_to_string("jsonl", SAMPLE)
    assert text.count("\n") == 3
    assert json.loads(text.splitlines()[2]) == SAMPLE[2].to_dict()
    assert read_back("jsonl", text) == SAMPLE


def test_csv_writer_output() -> None:
    text = write_to_string("csv", SAMPLE)
    assert text.splitlines()[0] == (
        "id,text,speaker,date,status,verdict,tags,source_url,source_publisher,source_title"
    )
    assert text.endswith(
        "millbrook-hand-made,Millbrook was founded in 1802.,City of Millbrook,,undisputed,,,,,\n"
    )


def csv_fields(c: Claim) -> tuple[Any, ...]:
    src = c.sources[0] if c.sources else Source("web")
    return (
        c.id, c.text, c.speaker, c.date, c.status, c.verdict, c.tags, src.url, src.publisher,
        src.name,
    )  # fmt: skip


def claimreview_fields(c: Claim) -> tuple[Any, ...]:
    src = c.sources[0] if c.sources else Source("web")
    return (c.text, c.speaker, c.date, c.verdict, src.url, src.publisher, src.name)


def test_csv_round_trip() -> None:
    back = read_back("csv", write_to_string("csv", SAMPLE))
    assert [csv_fields(c) for c in back] == [csv_fields(c) for c in SAMPLE]
    assert back[0].disputed_by == SAMPLE[0].disputed_by


def test_claimreview_writer_output_and_round_trip() -> None:
    text = write_to_string("claimreview", SAMPLE)
    doc = json.loads(text)
    assert doc[0] == {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://factdesk.example.org/c/9",
        "author": {"@type": "Organization", "name": "Millbrook Fact Desk"},
        "claimReviewed": SAMPLE[0].text,
        "reviewRating": {"@type": "Rating", "alternateName": "False"},
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Organization", "name": "Dana Whitfield"},
            "datePublished": "2024-03",
        },
    }
    assert detect("out.json", text.encode()) == "claimreview"
    back = read_back("claimreview", text)
    assert [claimreview_fields(c) for c in back] == [claimreview_fields(c) for c in SAMPLE]
    # the id is derived, as for any ClaimReview, so a "cr-" record may change id; statuses
    # come from the verdict (a hand-made record without one reads back as unverified)
    assert [c.status for c in back] == [Status.DISPUTED, Status.UNVERIFIED, Status.UNVERIFIED]
    assert write_to_string("claimreview", []) == "[]\n"


def test_export_then_import_merges_as_unchanged() -> None:
    db = Database(tuple(SAMPLE))
    for fmt in ("jsonl", "csv"):
        result = merge(db, read_back(fmt, write_to_string(fmt, SAMPLE)))
        assert result.counts == {
            "added": 0,
            "merged": 0,
            "changed": 0,
            "updated": 0,
            "unchanged": 3,
        }, fmt


_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters='\r\n\t",;"\u201c\u2019'),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() == s and s and "\ufeff" not in s)
_TAG = st.text(string.ascii_lowercase + string.digits + "-:", min_size=1, max_size=12)
_DATE = st.one_of(
    st.none(),
    st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
    st.integers(1000, 2999).map(str),
)
_URL = st.one_of(
    st.none(), st.from_regex(r"https://[a-z]{1,8}\.example/[a-z0-9/]{0,12}", fullmatch=True)
)


@st.composite
def claims(draw: Any) -> Claim:
    verdict = draw(st.sampled_from([None, "False", "Mostly True", "Unproven", "Four Pinocchios"]))
    url = draw(_URL)
    publisher = draw(st.one_of(st.none(), _TEXT))
    text = draw(_TEXT)
    return Claim(
        id=stable_id("cr-", url, text),
        text=text,
        speaker=draw(_TEXT),
        status=draw(st.sampled_from(list(Status))),
        date=draw(_DATE),
        sources=(Source("fact-check", None, url, publisher),) if url or publisher else (),
        tags=tuple(dict.fromkeys(draw(st.lists(_TAG, max_size=4)))),
        verdict=verdict,
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(claims(), min_size=1, max_size=5))
def test_round_trips_keep_the_fields(sample: list[Claim]) -> None:
    assert read_back("jsonl", write_to_string("jsonl", sample)) == sample
    # raw: the default CSV neutralises a leading "=", "+", "-" or "@" and escapes controls
    back = read_back("csv", write_to_string("csv", sample, raw=True))
    assert [csv_fields(c) for c in back] == [csv_fields(c) for c in sample]
    back = read_back("claimreview", write_to_string("claimreview", sample))
    assert [claimreview_fields(c) for c in back] == [claimreview_fields(c) for c in sample]
    assert [c.id for c in back] == [c.id for c in sample]


# --- the real datasets (skipped without ../shared/data) ----------------------------------------


_REAL: dict[tuple[str, str | None, str], list[Record]] = {}


@pytest.fixture(scope="module", autouse=True)
def _forget_real_records() -> Iterator[None]:
    yield
    _REAL.clear()


def read_real(relative: str, fmt: str | None = None, **options: Any) -> list[Record]:
    """The records of a real file, read once per module (several tests read the same
    snapshots; records are immutable, each caller gets its own list)."""
    key = (relative, fmt, repr(sorted(options.items())))
    if key not in _REAL:
        path = need(DATA / relative)
        if fmt is None:
            with path.open("rb") as f:
                fmt = detect(path.name, f.read(65536))
        with open_source(path) as stream:
            _REAL[key] = list(reader(fmt)(stream, source=path.name, **options))
    return list(_REAL[key])


@pytest.mark.parametrize(
    ("name", "rows"), [("train.tsv", 10269), ("valid.tsv", 1284), ("test.tsv", 1283)]
)
def test_real_liar_row_counts(name: str, rows: int) -> None:
    records = read_real(f"liar/{name}")
    assert len(records) == rows
    assert errors_of(records) == []
    assert len({r.claim.id for r in records if r.claim}) == rows


def test_real_liar_quote_rows_stay_separate() -> None:
    records = read_real("liar/train.tsv")
    by_id = {r.claim.id: r.claim for r in records if r.claim}
    for n in (1606, 638, 1993, 2007, 1720):  # statements opening a quote they never close
        assert by_id[f"liar-{n}"].text.startswith('"'), n
        assert "\n" not in by_id[f"liar-{n}"].text


def test_real_datacommons_jsonl_and_sample() -> None:
    records = read_real("claimreview/datacommons_fact_checks_20190605.jsonl")
    assert len(records) == 5764
    assert errors_of(records) == []
    claims = claims_of(records)
    assert collections.Counter(c.status.value for c in claims) == {
        "disputed": 4395,
        "undisputed": 968,
        "unverified": 401,
    }
    assert sum(c.speaker == "Unknown" for c in claims) == 1
    assert sum(c.date is None for c in claims) == 1  # neither a claim nor a review date
    sample = claims_of(read_real("claimreview/datacommons_sample200.json"))
    assert sample == claims[:200]


@pytest.mark.parametrize(
    ("name", "count"),
    [("fact_checks_20190605.txt.gz", 5764), ("fact_checks_20190415.txt.gz", 5566)],
)
def test_real_upstream_snapshots_parse(name: str, count: int) -> None:
    records = read_real(f"claimreview/upstream/{name}")
    assert detect(name, (DATA / "claimreview/upstream" / name).read_bytes()[:65536]) == (
        "claimreview-html"
    )
    assert len(records) == count
    assert errors_of(records) == []
    assert records[-1].location == f"{name}:{count}"


def test_real_snapshots_match_the_jsonl() -> None:
    html = claims_of(read_real("claimreview/upstream/fact_checks_20190605.txt.gz"))
    lines = claims_of(read_real("claimreview/datacommons_fact_checks_20190605.jsonl"))
    assert html == lines


def test_real_reimport_20190415_then_20190605() -> None:
    old = claims_of(read_real("claimreview/upstream/fact_checks_20190415.txt.gz"))
    new = claims_of(read_real("claimreview/upstream/fact_checks_20190605.txt.gz"))
    first = merge(Database(()), old)
    assert first.counts == {"added": 5513, "merged": 52, "changed": 0, "updated": 0, "unchanged": 1}
    second = merge(first.database, new)
    assert second.counts == {
        "added": 395,
        "merged": 30,
        "changed": 17,
        "updated": 97,
        "unchanged": 5225,
    }
    ids = [c.id for c in second.database.claims]
    assert len(ids) == len(set(ids)) == 5908
    again = merge(second.database, new)
    assert again.counts["unchanged"] == 5764
    assert again.database.claims == second.database.claims


def test_real_claimskg_csv() -> None:
    need(DATA / "claimskg")
    mapping = {
        "text": "claimReview_claimReviewed",
        "speaker": "creativeWork_author_name",
        "date": "creativeWork_datePublished",
        "verdict": "rating_alternateName",
        "url": "claimReview_url",
        "publisher": "claimReview_author_name",
        "tags": "extra_tags",
    }
    rows = errors = 0
    for path in sorted((DATA / "claimskg").glob("*.csv")):
        records = read_real(f"claimskg/{path.name}", "csv", mapping=mapping)
        rows += len(records)
        errors += len(errors_of(records))
    assert (rows, errors) == (510, 124)  # AAP (100) and Africa Check (24) have no claim text


def test_fact_check_titles_are_kept_as_source_names() -> None:
    """The review's headline says what a claim leaves implicit: every reader keeps it."""
    review = {
        "@type": "ClaimReview",
        "claimReviewed": "A video shows a 10-meter-long anaconda.",
        "name": "Does Video Show a 10-Meter-Long Anaconda?",
        "url": "https://example.org/anaconda",
        "reviewRating": {"alternateName": "False"},
    }
    (record,) = reader("claimreview")(io.StringIO(json.dumps(review)), source="t.json")
    assert record.claim is not None
    assert record.claim.sources[0].name == "Does Video Show a 10-Meter-Long Anaconda?"
    review["headline"] = review.pop("name")
    (record,) = reader("claimreview")(io.StringIO(json.dumps(review)), source="t.json")
    assert record.claim is not None
    assert record.claim.sources[0].name == "Does Video Show a 10-Meter-Long Anaconda?"
    rows = "text,speaker,title,url\nAnaconda video,Unknown,Is It Real?,https://e.org/a\n"
    (row,) = reader("csv")(io.StringIO(rows), source="t.csv")
    assert row.claim is not None
    assert row.claim.sources[0].name == "Is It Real?"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "bc", "\n", "\r", "\r\n", " ", "\u2028", "é"]), max_size=40),
    st.integers(1, 7),
)
def test_lines_end_where_open_newline_empty_ends_them(parts: list[str], chunk: int) -> None:
    """LineSource splits as ``open(newline="")`` does (``\\n``, ``\\r\\n``, a bare ``\\r``),
    whatever the chunk size, with or without a ``\\r`` anywhere (it has a fast path for
    text without one)."""
    import factcheck.formats as formats

    text = "".join(parts)
    saved = formats.CHUNK
    formats.CHUNK = chunk
    try:
        source = formats.LineSource([text])
        lines = []
        while line := source.readline():
            lines.append(line)
    finally:
        formats.CHUNK = saved
    assert lines == io.StringIO(text, newline="").readlines()
    assert source.line == len(lines)
