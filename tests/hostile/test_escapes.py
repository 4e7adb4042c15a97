"""Nothing from a claim reaches a terminal as a control: text, JSON and CSV output.

Escapes tried: ESC sequences (OSC 52 writes the clipboard, CSI 2J clears the screen, DCS),
BEL, BS, CR, DEL, the C1 controls (U+009B is a one-character CSI), bidi controls (U+202E
reverses a line) and marks, and lone surrogates (which cannot be encoded at all).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from factcheck import render, safejson
from factcheck.formats import claimreview, csv_format, jsonl
from factcheck.model import Claim, Dispute, Source, Status
from tests.conftest import run

ESCAPES = {
    "OSC 52": "\x1b]52;c;ZXZpbA==\x07",
    "CSI 2J": "\x1b[2J",
    "DCS": "\x1bP1$r\x1b\\",
    "BEL": "\x07",
    "BS": "\x08",
    "CR": "\r",
    "DEL": "\x7f",
    "C1 CSI": "\x9b2J",
    "C1 OSC": "\x9d0;x\x9c",
    "RLO": "\u202e",
    "LRI": "\u2066",
    "LRM": "\u200e",
    "ALM": "\u061c",
    "lone surrogate": "\ud800",
}
# What may never reach a terminal raw: C0 but tab and newline, DEL, C1, bidi, surrogates.
BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
RAW = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI}\ud800-\udfff]")
RAW_IN_JSON = re.compile(f"[\x7f-\x9f{BIDI}\ud800-\udfff]")

HOSTILE_CHARS = st.sampled_from(
    [*ESCAPES.values(), "\udfff", "\x00", "\x85", "\u2028", "\t", "\n", "a", "=", "-", "é", "😀"]
)
TEXT = st.one_of(st.text(), st.lists(HOSTILE_CHARS, max_size=20).map("".join))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150)
@given(TEXT, st.booleans())
def test_sanitized_text_holds_no_control(text: str, one_line: bool) -> None:
    shown = render.sanitize(text, one_line=one_line)
    assert not RAW.search(shown)
    assert "\x1b" not in shown
    shown.encode("utf-8")  # no lone surrogate left
    if one_line:
        assert "\n" not in shown and "\t" not in shown
    assert render.sanitize(shown, one_line=one_line) == shown  # a second pass changes nothing


@settings(max_examples=100)
@given(TEXT.map(lambda t: t * 50))
def test_messages_are_one_safe_line_of_bounded_length(text: str) -> None:
    message = render.sanitize_message(f"not a ClaimReview ({text}) (f.json:3): fix it")
    assert not RAW.search(message) and "\n" not in message
    assert len(message) <= render.MESSAGE_LIMIT
    assert message.endswith("fix it") or len(message) == render.MESSAGE_LIMIT


def test_long_quoted_input_is_shortened_in_the_middle() -> None:
    message = render.sanitize_message("unknown field (f.jsonl:2 'a'." + "x" * 10**6 + "): fix it")
    assert len(message) < 300
    assert message.startswith("unknown field (f.jsonl:2 'a'.xxx") and message.endswith("): fix it")


def _no_surrogate_pair(value: Any) -> bool:
    # A high then a low surrogate, as two code points, has no JSON spelling of its own:
    # "\ud800\udfff" reads back as the one character they encode. Nothing we read yields
    # them (parse refuses lone surrogates; argv's undecodable bytes are low ones only).
    return not re.search("[\ud800-\udbff][\udc00-\udfff]", json.dumps(value, ensure_ascii=False))


@settings(max_examples=150)
@given(JSON_VALUES.filter(_no_surrogate_pair))
def test_json_output_parses_back_and_holds_no_raw_control(value: Any) -> None:
    for text in (safejson.dumps(value), safejson.dumps(value, indent=2), render.dumps(value)):
        assert json.loads(text) == value
        assert not RAW_IN_JSON.search(text)
        text.encode("utf-8")
    out = io.StringIO()
    render.write_json(out, value)
    assert json.loads(out.getvalue()) == value and not RAW_IN_JSON.search(out.getvalue())


def _claim(text: str, i: int = 0) -> Claim:
    return Claim(
        f"c{i}",
        f"Claim {text}",
        f"Speaker {text}",
        Status.DISPUTED,
        disputed_by=(Dispute(f"Checker {text}", f'rated it "{text}"'),),
        sources=(Source("fact-check", None, f"https://x.example/{i}", f"Pub {text}"),),
        tags=(f"t{text}",),
        verdict=f"V {text}",
    )


@settings(max_examples=150)
@given(st.lists(TEXT.filter(_no_surrogate_pair), min_size=1, max_size=4))
def test_jsonl_and_claimreview_writers_escape_and_round_trip(texts: list[str]) -> None:
    claims = [_claim(t, i) for i, t in enumerate(texts)]
    out = io.StringIO()
    jsonl.write(claims, out)
    assert not RAW_IN_JSON.search(out.getvalue())
    lines = out.getvalue().split("\n")[:-1]
    assert [json.loads(line) for line in lines] == [c.to_dict() for c in claims]
    out = io.StringIO()
    claimreview.write(claims, out)
    assert not RAW_IN_JSON.search(out.getvalue())
    assert json.loads(out.getvalue()) == [claimreview.to_claimreview(c) for c in claims]
    listing = io.StringIO()
    render.write_json_listing(listing, "claims", claims, {"filters": {"search": texts[0]}})
    assert not RAW_IN_JSON.search(listing.getvalue())
    assert json.loads(listing.getvalue())["claims"] == [c.to_dict() for c in claims]


@settings(max_examples=150)
@given(TEXT)
def test_csv_cells_are_safe_by_default_and_exact_when_raw(text: str) -> None:
    cell = csv_format.safe_cell(text)
    assert not RAW.search(cell)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    claims = [_claim(text)._replace(text=text or "x", speaker=text or "s")]
    safe, raw = io.StringIO(newline=""), io.StringIO(newline="")
    csv_format.write(claims, safe)
    assert not RAW.search(safe.getvalue())
    row = list(csv.reader(io.StringIO(safe.getvalue(), newline="")))[1]
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in row)
    if "\ud800" not in text and "\udfff" not in text:  # raw output must be encodable
        csv_format.write(claims, raw, raw=True)
        back = list(csv.reader(io.StringIO(raw.getvalue(), newline="")))[1]
        assert back[1:3] == [text or "x", text or "s"]


def test_formula_cells_get_a_quote() -> None:
    assert [csv_format.safe_cell(v) for v in ("=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "ok")] == [
        "'=1+1", "'+cmd", "'-2", "'@SUM(A1)", "'\tx", "ok",
    ]  # fmt: skip
    assert csv_format.safe_cell("\x1b]52;c;x\x07") == "\\x1b]52;c;x\\x07"


def test_reader_messages_quote_input_shortened() -> None:
    line = json.dumps({"@type": "Web" + "\x1b[2J" * 10_000 + "Page", "claimReviewed": "x"})
    (record,) = claimreview.read([line], source="f.jsonl")
    assert record.error is not None and len(record.error) < 150
    assert not RAW.search(render.sanitize_message(record.error))


def test_cli_outputs_hold_no_raw_control(make_db: Any, tmp_path: Path) -> None:
    """The real commands, on a database whose every field carries every escape."""
    from tests.conftest import claim

    records = [
        claim(f"e{i}", f"Evil {name} text{seq}here", speaker=f"Spk{seq}x", tags=[f"t{seq}"],
              verdict=f"v{seq}", status="disputed",
              disputed_by=[{"speaker": f"D{seq}", "text": f"no{seq}"}])
        for i, (name, seq) in enumerate(ESCAPES.items()) if seq != "\ud800"
    ]  # fmt: skip
    records.append(claim("formula", '=HYPERLINK("http://evil","x")', speaker="+cmd|' /C calc'!A0"))
    db = str(make_db(*records))
    for args in (  # each writer once: list --json/--jsonl, speakers, stats share render.dumps
        ["list", "--csv"], ["export", "--format", "csv"], ["list", "--json"],
        ["export", "--format", "jsonl"], ["export", "--format", "claimreview"],
        ["show", "e7", "--json"], ["search", "Evil text here", "--json", "-n", "20",
        "--threshold", "0"], ["list"],
    ):  # fmt: skip
        r = run(*args, "--db", db)
        assert r.returncode == 0, (args, r.stderr)
        assert not RAW.search(r.stdout), (args, RAW.findall(r.stdout))
        if "--csv" in args or "csv" in args:
            rows = list(csv.reader(io.StringIO(r.stdout, newline="")))
            assert not any(c.startswith(("=", "+", "-", "@")) for row in rows for c in row)
