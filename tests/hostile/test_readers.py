"""Every reader turns every hostile value into an error of its own record, in bounded memory.

Values: an integer literal of 5,000 digits (Python's int() refuses over 4,300), NaN,
Infinity, 1e400, a lone surrogate, 100,000 levels of nesting. Shapes: JSON Lines, JSON
documents (a list, a database, an API response, a DataFeed), HTML ld+json blocks, CSV.
"""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import factcheck.formats
from factcheck.errors import InputError
from factcheck.formats import (
    JsonValue,
    Record,
    claimreview,
    csv_format,
    detect,
    factcheck_api,
    json_values,
    jsonl,
    liar,
    open_source,
)
from factcheck.importer import import_files
from factcheck.safejson import JsonProblem, loads, parse

BAD = {
    "bigint": "1" * 5000,
    "NaN": "NaN",
    "Infinity": "-Infinity",
    "1e400": "1e400",
    "surrogate": '"\\ud800"',
    "deep": "[" * 100_000 + "]" * 100_000,
}
MESSAGES = {
    "bigint": "an integer literal of 5,000 digits",
    "NaN": "NaN is not a JSON value",
    "Infinity": "-Infinity is not a JSON value",
    "1e400": "a number too large for a float (1e400)",
    "surrogate": "a lone surrogate \\ud800",
    "deep": "JSON nested too deeply to read",
}
GOOD_CR = {"@type": "ClaimReview", "claimReviewed": "Good", "url": "https://a.example/1"}
GOOD_OURS = {"id": "good", "text": "Good", "speaker": "S"}
GOOD_API = {"text": "Good", "claimReview": [{"url": "https://a.example/1"}]}


def _bad(obj: dict[str, Any], field: str, value: str) -> str:
    return json.dumps({**obj, field: "@BAD@"}).replace('"@BAD@"', value)


def _shapes(value: str) -> dict[str, tuple[Any, str]]:
    cr, ours, api = json.dumps(GOOD_CR), json.dumps(GOOD_OURS), json.dumps(GOOD_API)
    bad_cr = _bad(GOOD_CR, "claimReviewed", value)
    bad_ours = _bad({**GOOD_OURS, "id": "bad"}, "text", value)
    bad_api = _bad(GOOD_API, "text", value)
    return {
        "claimreview lines": (claimreview.read, f"{cr}\n{bad_cr}\n{cr}\n"),
        "claimreview list": (claimreview.read, f"[\n{cr},\n{bad_cr},\n{cr}\n]\n"),
        "claimreview feed": (
            claimreview.read,
            '{"@type": "DataFeed",\n "dataFeedElement": [\n'
            f'{{"@type": "DataFeedItem", "item": {cr}}},\n{bad_cr},\n{cr}]}}\n',
        ),
        "claimreview graph": (claimreview.read, f'{{"@graph": [\n{cr},\n{bad_cr},\n{cr}]}}\n'),
        "claimreview html": (
            claimreview.read_html,
            "".join(f'<script type="application/ld+json">{b}</script>\n' for b in (cr, bad_cr, cr)),
        ),
        "api lines": (
            factcheck_api.read,
            "\n".join(json.dumps({"claims": [c]}) for c in (GOOD_API, "@X@", GOOD_API)).replace(
                '"@X@"', bad_api
            ),
        ),
        "api response": (factcheck_api.read, f'{{"claims": [\n{api},\n{bad_api},\n{api}]}}\n'),
        "jsonl lines": (jsonl.read, f"{ours}\n{bad_ours}\n{ours}\n"),
        "jsonl database": (
            jsonl.read,
            f'{{"version": 1,\n"claims": [\n{ours},\n{bad_ours},\n{ours}]}}\n',
        ),
    }


CASES = [pytest.param(kind, shape, id=f"{kind}-{shape}") for kind in BAD for shape in _shapes("0")]


@pytest.mark.parametrize(("kind", "shape"), CASES)
def test_a_bad_value_is_an_error_of_its_record_only(kind: str, shape: str) -> None:
    read, text = _shapes(BAD[kind])[shape]
    records = list(read(io.BytesIO(text.encode()), source="f"))
    errors = [r for r in records if r.error is not None]
    assert len(errors) == 1, records
    assert MESSAGES[kind] in errors[0].error
    assert errors[0].location.startswith("f:")  # names the file and a line (or record)
    assert len([r for r in records if r.claim is not None]) == 2  # the rest is still read


@pytest.mark.parametrize("kind", list(BAD))
def test_import_stops_at_a_bad_value_and_skip_bad_skips_it(kind: str, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    good2 = {**GOOD_OURS, "id": "good2", "text": "Good too"}
    src.write_text(
        "\n".join([json.dumps(GOOD_OURS), _bad({**GOOD_OURS, "id": "b"}, "text", BAD[kind]),
                   json.dumps(good2)]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(InputError) as e:
        import_files(tmp_path / "db.json", [str(src)], fmt="jsonl")
    assert MESSAGES[kind] in e.value.message and e.value.where == f"{src}:2"
    skipped: list[tuple[str, str]] = []
    report = import_files(
        tmp_path / "db.json",
        [str(src)],
        fmt="jsonl",
        skip_bad=True,
        on_skip=lambda where, why: skipped.append((where, why)),
    )
    assert (report["added"], len(skipped)) == (2, 1)
    assert skipped[0][0] == f"{src}:2"


@pytest.mark.parametrize("kind", list(BAD))
def test_safejson_loads_names_the_problem_for_the_database_loader(kind: str) -> None:
    from factcheck.errors import DatabaseError

    text = '{"version": 1, "claims": [' + _bad(GOOD_OURS, "text", BAD[kind]) + "]}"
    with pytest.raises(DatabaseError) as e:
        loads(text, "db.json", error=DatabaseError)
    assert MESSAGES[kind] in e.value.message and e.value.where.startswith("db.json")
    with pytest.raises(JsonProblem):
        parse(text)


def test_csv_cells_that_look_like_hostile_literals_are_text() -> None:
    big = "[" + "1" * 5000 + "]"
    deep = "[" * 1000 + "]" * 1000
    text = f'text,speaker,tags\nA,S,"{big}"\nB,S,"{deep}"\nC,S,\n'
    records = list(csv_format.read(io.BytesIO(text.encode()), source="t.csv"))
    assert [r.error for r in records] == [None, None, None]


# --- documents read a part at a time -------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.text(max_size=8)
JSON = st.recursive(
    SCALARS | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)
SPINE = ("claims", "@graph")


def _reassemble(items: list[JsonValue]) -> Any:
    """The document the parts came from (what reading it whole would have given)."""
    if len(items) == 1 and items[0].part is None:
        return items[0].value
    if all(i.part is not None and i.part[0] == "[]" for i in items):
        return [i.value for i in items]
    shell = dict(items[-1].value)
    for key in items[-1].part[1]:
        shell[key] = [i.value for i in items if i.part is not None and i.part[0] == key]
    return shell


@settings(max_examples=150)
@given(
    st.one_of(
        JSON,
        st.lists(JSON, max_size=6),
        st.fixed_dictionaries({"version": st.integers(), "claims": st.lists(JSON, max_size=5)}),
        st.fixed_dictionaries({"@graph": st.lists(JSON, max_size=5), "x": JSON}),
    ),
    st.sampled_from([1, 3, 7, 64]),
)
def test_documents_read_in_parts_give_the_document(value: Any, chunk: int) -> None:
    text = json.dumps(value, indent=1)
    if "\n" not in text:
        text = "\n" + text + "\n"  # a document spread over lines, not one JSON line
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(factcheck.formats, "CHUNK", chunk)  # piece boundaries everywhere
        items = list(json_values([text], SPINE))
    assert [i.error for i in items] == [None] * len(items)
    assert _reassemble(items) == value


def test_a_syntax_error_in_a_document_names_line_and_column_after_what_was_read() -> None:
    good = json.dumps(GOOD_OURS)
    text = "[\n" + f"{good},\n" * 3 + '{"id": "x" "text": 1}\n]\n'
    records = list(jsonl.read([text], source="d.json"))
    assert [r.claim is not None for r in records] == [True, True, True, False]
    message = "invalid JSON: Expecting ',' delimiter at line 5 column 12"
    assert records[-1] == Record("d.json:5", None, message)


def test_json_lines_line_too_long_is_an_error_of_that_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factcheck.formats, "MAX_LINE", 1000)
    good = json.dumps(GOOD_OURS)
    text = f"{good}\n" + '{"text": "' + "x" * 5000 + '"}\n' + f"{good}\n"
    records = list(jsonl.read([text], source="l.jsonl"))
    assert [(r.location, r.error) for r in records] == [
        ("l.jsonl:1", None),
        ("l.jsonl:2", "line longer than 1,000 characters: not claims data"),
        ("l.jsonl:3", None),
    ]


def test_an_oversized_document_value_is_skipped_and_reading_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(factcheck.formats, "MAX_VALUE", 1000)
    good = json.dumps(GOOD_OURS)
    huge = json.dumps({**GOOD_OURS, "id": "h", "text": "x" * 50_000})
    text = f"[\n{good},\n{huge},\n{good}\n]\n"
    records = list(jsonl.read([text], source="d.json"))
    assert [r.error for r in records] == [None, "a JSON value longer than 1,000 characters", None]


def test_html_blocks_too_long_or_unclosed_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claimreview, "MAX_VALUE", 1000)
    cr = json.dumps(GOOD_CR)
    page = (
        f'<script type="application/ld+json">{cr}</script>\n'
        f'<script type="application/ld+json">{"x" * 5000}</script>\n'
        f'<script type="application/ld+json">{cr}</script>\n'
        f'<script type="application/ld+json">{cr}'
    )
    records = list(claimreview.read_html([page], source="p.html"))
    assert [(r.location, r.error) for r in records] == [
        ("p.html:1", None),
        ("p.html:2", "ld+json block longer than 1,000 characters"),
        ("p.html:3", None),
        ("p.html:4", "ld+json block without </script> (the text ends inside it)"),
    ]


def test_sniffing_is_safe_on_hostile_heads() -> None:
    deep_type = json.dumps({"@type": [[[[]]]]}).replace("[[[[]]]]", "[" * 5000 + "]" * 5000)
    with pytest.raises(InputError):
        detect("x.json", deep_type.encode())  # no RecursionError from str() of @type
    assert detect("x", b"<p>" + b"<script " * 20_000 + b'<script type="application/ld+json">') == (
        "claimreview-html"
    )
    bomb = gzip.compress(b"\n" * (64 << 20))
    with pytest.raises(InputError):  # only the first MiB of a bomb is unpacked to sniff
        detect("x.gz", bomb[:65536])


# --- gzip: a cap on what it unpacks to -------------------------------------------------------


def _bomb(tmp_path: Path, size: int, record: bytes = b"") -> Path:
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as g:
        g.write(record)
        block = b"\n" * (1 << 20)
        for _ in range(size >> 20):
            g.write(block)
    return path


def test_gzip_over_the_limit_is_an_error_naming_it(tmp_path: Path) -> None:
    path = _bomb(tmp_path, 8 << 20, json.dumps(GOOD_OURS).encode() + b"\n")
    with open_source(path, max_unpacked=4 << 20) as f:
        records = list(jsonl.read(f, source="bomb.jsonl.gz"))
    assert records[0].claim is not None  # what came before the limit is read
    assert records[-1].location == "bomb.jsonl.gz"
    assert records[-1].error is not None
    assert records[-1].error.startswith("gzip input unpacks to more than 4 MiB, the limit;")
    assert "--max-unpacked" in records[-1].error
    with open_source(path, max_unpacked=None) as f:  # no limit: read to the end
        assert [r.error for r in jsonl.read(f, source="b")] == [None]
    with open(path, "rb") as raw, factcheck.formats.gunzip(raw, max_unpacked=4 << 20) as f:
        assert list(jsonl.read(f, source="-"))[-1].error == records[-1].error


# --- memory stays flat -----------------------------------------------------------------------


class Generated(io.RawIOBase):
    """``size`` bytes made by repeating ``body`` after ``head``, never all in memory."""

    def __init__(self, head: bytes, body: bytes, size: int, tail: bytes = b"") -> None:
        self._parts = self._make(head, body, size, tail)
        self._left = b""

    @staticmethod
    def _make(head: bytes, body: bytes, size: int, tail: bytes) -> Iterator[bytes]:
        yield head
        block = body * max(1, (1 << 20) // len(body))
        for _ in range(size // len(block)):
            yield block
        yield tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            part = next(self._parts, None)
            if part is None:
                return 0
            self._left = part
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


def _peak(read: Any, head: bytes, body: bytes, size: int, tail: bytes = b"") -> int:
    stream = io.BufferedReader(Generated(head, body, size, tail))
    tracemalloc.start()
    try:
        for _ in read(stream, source="g"):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# Few big records (64 KiB each), the bulk in fields the readers ignore: what is measured is
# the reading, not building (and normalising) millions of claims.
PAD = "x" * 65536
RECORD = json.dumps({**GOOD_OURS, "text": PAD}).encode()
BLOCK = (
    b'<script type="application/ld+json">'
    + json.dumps({**GOOD_CR, "appearance": PAD}).encode()
    + b"</script>\n"
)
STREAMS = [
    ("blank lines", jsonl.read, b"", b"\n", b""),
    ("one long line", jsonl.read, b"", b"x", b""),
    ("document of records", jsonl.read, b"[\n", RECORD + b",\n", RECORD + b"]"),
    ("'[' then newlines", jsonl.read, b"[", b"\n", b""),
    ("html page", claimreview.read_html, b"", BLOCK, b""),
    ("unclosed ld+json tags", claimreview.read_html, b"", BLOCK[:35] + b"x" * 99, b""),
    ("csv rows", csv_format.read, b"text,speaker,notes\n", b"A,S," + PAD.encode() + b"\n\n", b""),
    ("liar blank lines", liar.read, b"", b"\n", b""),
]


@pytest.mark.parametrize(("read", "head", "body", "tail"), [s[1:] for s in STREAMS],
                         ids=[s[0] for s in STREAMS])  # fmt: skip
def test_memory_does_not_grow_with_the_input(
    read: Any, head: bytes, body: bytes, tail: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Caps of 1 MiB so the flat part shows at test sizes (with the real 16 MiB caps, memory
    # is flat from 16 MiB on).
    for module in (factcheck.formats, claimreview):
        monkeypatch.setattr(module, "MAX_VALUE", 1 << 20)
    monkeypatch.setattr(factcheck.formats, "MAX_LINE", 1 << 20)
    small = _peak(read, head, body, 8 << 20, tail)
    big = _peak(read, head, body, 32 << 20, tail)
    assert big < 16 << 20, f"peak {big >> 20} MiB for 32 MiB of input"
    assert big < small + (2 << 20), f"peak {small >> 20} MiB at 8 MiB, {big >> 20} MiB at 32 MiB"
