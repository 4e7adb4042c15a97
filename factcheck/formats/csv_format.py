"""CSV (and TSV) with a header row, columns mapped to our fields.

Export header: ``id,text,speaker,date,status,verdict,tags,source_url,source_publisher,
source_title`` (one line; columns are only ever appended). ``tags`` are joined with ``;``;
the source is the claim's first source that has a URL (else its first source). Lines end in
``\\n`` (write to a stream opened with ``newline=""``); fields holding newlines, quotes or
commas are quoted, and a row holding a bare ``\\r`` is quoted in full (csv leaves a lone
``\\r`` bare otherwise, and readers split rows there).

Cells are made safe by default, because CSV goes to terminals (``list --csv``) and to
spreadsheets, and claim text is whoever wrote the feed's: control characters other than tab
and newline (ESC, CSI, OSC, BEL, BS, CR, DEL, C1), bidi controls and lone surrogates are
written as visible escapes (``\\x1b``, ``\\u202e``), as ``render.sanitize`` shows them; and a
cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR, which a spreadsheet would run as a
formula, gets a leading ``'`` (OWASP's advice on CSV injection). That changes such text on
the way back, so ``write(..., raw=True)`` writes every cell exactly as it is, for machines
(import the export and get the same claims).

Import: ``mapping`` maps our field to a column name, e.g. ``{"text": "statement", "speaker":
"who"}``. Fields: id, text, speaker, date, status, verdict, tags, url, publisher, quote,
title (the fact-check's headline, kept as its source's name). A field not in ``mapping`` is
read from a column of its own name if there is one (any case; ``url``, ``publisher`` and
``title`` also from ``source_url``, ``source_publisher``, ``source_title``, and ``title``
from ``headline``), so an export reads back with no mapping at all. Rules per row:

* text empty -> error record. speaker empty -> "Unknown".
* id: kept if given (it must be a valid id), else ``csv-`` + sha1 of url and normalised text.
* date: normalised (``2021-7-1`` -> ``2021-07-01``); a date that cannot be read is dropped.
* status: the status cell if there is one (disputed, undisputed or unverified, any case),
  else from the verdict through ``factcheck.verdicts``, else unverified.
* tags: split on ``;`` and ``,``; a Python list literal (``"['a', 'b']"``) is read as a list.
* url / publisher / title: one source, kind ``fact-check`` when there is a verdict, else ``web``.
* disputed with a verdict: the publisher's (the checker's) dispute.

Quoted fields may hold bare ``\\r`` and newlines (read with ``newline=""``); a BOM is dropped;
an unnamed column (a pandas index) is ignored. A row with more or fewer fields than the header
is an error record (usually a stray quote). Values are taken as they are: wrapping quotes stay
part of the text, as the source wrote it.
"""

from __future__ import annotations

import ast
import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TextIO

from factcheck.dates import normalize_date
from factcheck.errors import InputError
from factcheck.formats import (
    UNKNOWN_SPEAKER,
    Input,
    LineSource,
    Record,
    clean_text,
    guarded,
    stable_id,
)
from factcheck.model import Claim, Source, Status
from factcheck.safejson import shorten
from factcheck.store import ID_RE
from factcheck.verdicts import VerdictTable, dispute_for

ID_PREFIX = "csv-"
HEADER = (
    "id",
    "text",
    "speaker",
    "date",
    "status",
    "verdict",
    "tags",
    "source_url",
    "source_publisher",
    "source_title",  # added after the others: columns are only ever appended
)
FIELDS = (
    "id", "text", "speaker", "date", "status", "verdict", "tags", "url", "publisher", "quote",
    "title",
)  # fmt: skip
# Columns tried, in order, for a field the mapping leaves out.
_DEFAULT_COLUMNS = {f: (f,) for f in FIELDS} | {
    "url": ("source_url", "url"),
    "publisher": ("source_publisher", "publisher"),
    "title": ("source_title", "title", "headline"),
}


def read(
    stream: Input,
    *,
    source: str,
    mapping: Mapping[str, str] | None = None,
    verdicts: Mapping[str, str] | None = None,
    delimiter: str = ",",
) -> Iterator[Record]:
    """Claims from CSV rows (see the module docstring). An unknown field in ``mapping`` raises
    InputError at once; a mapped column missing from the header is an error record."""
    bad = sorted(set(mapping or {}) - set(FIELDS))
    if bad:
        raise InputError(
            f"unknown field {bad[0]!r} in the column mapping", hint=f"use {', '.join(FIELDS)}"
        )
    table = VerdictTable(verdicts)
    records = _read(LineSource(stream), source, dict(mapping or {}), table, delimiter)
    return guarded(records, source)


def read_tsv(
    stream: Input,
    *,
    source: str,
    mapping: Mapping[str, str] | None = None,
    verdicts: Mapping[str, str] | None = None,
) -> Iterator[Record]:
    """``read`` with tabs between fields (a TSV with a header row; for LIAR see ``liar``)."""
    return read(stream, source=source, mapping=mapping, verdicts=verdicts, delimiter="\t")


class _Lines:
    """Feeds lines to csv.reader, counting newlines for record line numbers.

    Between records (``boundary``, set by the caller after each row) runs of blank lines are
    skipped in bulk, so a gigabyte of them costs seconds; inside a record they are fed on,
    since a quoted field may hold them. ``start`` is the line where the last record began.
    """

    def __init__(self, source: LineSource) -> None:
        self.source = source
        self.newlines = 0
        self.boundary = True
        self.start = 1

    def __iter__(self) -> Iterator[str]:
        while True:
            if self.boundary:
                self.newlines += self.source.skip_blank()
                self.start = self.newlines + 1
            line = self.source.readline()
            if not line:
                return
            self.boundary = False
            self.newlines += line.count("\n")
            yield line


def _columns(header: list[str], mapping: dict[str, str]) -> tuple[dict[str, int], str | None]:
    """Field -> column index, or the error for a mapped column that is not there."""
    exact: dict[str, int] = {}
    folded: dict[str, int] = {}
    for i, name in enumerate(header):
        name = name.strip()
        if name:  # an unnamed column (a pandas index) is never a field
            exact.setdefault(name, i)
            folded.setdefault(name.casefold(), i)
    found: dict[str, int] = {}
    for field in FIELDS:
        if field in mapping:
            column = mapping[field]
            index = exact.get(column, folded.get(column.strip().casefold()))
            if index is None:
                return {}, f"no column {column!r} for field {field!r}"
            found[field] = index
            continue
        for column in _DEFAULT_COLUMNS[field]:
            if column in folded:
                found[field] = folded[column]
                break
    if "text" not in found:
        return {}, "no 'text' column; map one, e.g. text=statement"
    return found, None


def _read(
    lines: LineSource,
    source: str,
    mapping: dict[str, str],
    table: VerdictTable,
    delimiter: str,
) -> Iterator[Record]:
    counted = _Lines(lines)
    rows = csv.reader(counted, delimiter=delimiter)
    try:
        yield from _rows(rows, counted, source, mapping, table)
    except csv.Error as e:
        # After a quoting error (or a field over csv's 128 KiB limit, usually an unclosed
        # quote) the reader's state is unknown: stop here and say where.
        yield Record(f"{source}:{counted.newlines + 1}", None, f"bad CSV: {e}")


def _rows(
    rows: Iterator[list[str]],
    counted: _Lines,
    source: str,
    mapping: dict[str, str],
    table: VerdictTable,
) -> Iterator[Record]:
    header: list[str] | None = None
    columns: dict[str, int] = {}
    while True:
        counted.boundary = True
        row = next(rows, None)
        if row is None:
            return
        start = counted.start
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if header is None:
            header = row
            columns, problem = _columns(header, mapping)
            if problem is not None:
                yield Record(f"{source}:{start}", None, problem)
                return
            continue
        where = f"{source}:{start}"
        if len(row) != len(header):
            yield Record(
                where,
                None,
                f"{len(row)} fields where the header has {len(header)} (a stray quote?)",
            )
            continue
        yield _record({f: row[i] for f, i in columns.items()}, header, columns, where, table)


def _split_tags(value: str) -> tuple[str, ...]:
    value = value.strip()
    if len(value) > 1 and value[0] == value[-1] == '"':
        value = value[1:-1].strip()  # double-wrapped, as in some ClaimsKG exports
    items: list[str] = []
    if value.startswith("[") and value.endswith("]"):
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            parsed = None
        if isinstance(parsed, list):
            items = [str(x) for x in parsed]
    if not items:
        items = value.replace(";", ",").split(",")
    out: dict[str, None] = {}
    for item in items:
        tag = item.strip()
        if tag:
            out.setdefault(tag)
    return tuple(out)


def _record(
    values: dict[str, str],
    header: list[str],
    columns: dict[str, int],
    where: str,
    table: VerdictTable,
) -> Record:
    def column(field: str) -> str:
        return f"{where}.{header[columns[field]].strip()}"

    text = clean_text(values.get("text"))
    if text is None:
        return Record(column("text"), None, "empty text")
    url = clean_text(values.get("url"))
    cid = clean_text(values.get("id"))
    if cid is None:
        cid = stable_id(ID_PREFIX, url, text)
    elif not ID_RE.match(cid):
        return Record(column("id"), None, "id may hold only letters, digits and . _ : # / -")
    verdict = clean_text(values.get("verdict"))
    raw_status = clean_text(values.get("status"))
    if raw_status is not None:
        try:
            status = Status(raw_status.lower())
        except ValueError:
            choices = ", ".join(s.value for s in Status)
            shown = shorten(raw_status)
            return Record(column("status"), None, f"bad status {shown!r} (one of {choices})")
    else:
        status = table.status(verdict)
    publisher = clean_text(values.get("publisher"))
    title = clean_text(values.get("title"))
    sources: tuple[Source, ...] = ()
    if url or publisher or title:
        sources = (Source("fact-check" if verdict else "web", title, url, publisher),)
    claim = Claim(
        id=cid,
        text=text,
        speaker=clean_text(values.get("speaker")) or UNKNOWN_SPEAKER,
        status=status,
        date=normalize_date(values.get("date")),
        quote=clean_text(values.get("quote")),
        disputed_by=(dispute_for(verdict, publisher),)
        if verdict is not None and status is Status.DISPUTED
        else (),
        sources=sources,
        tags=_split_tags(values.get("tags", "")),
        verdict=verdict,
    )
    return Record(where, claim, None)


def write(claims: Iterable[Claim], out: TextIO, *, raw: bool = False) -> int:
    """Write the header and one row per claim; returns how many claims were written.

    Cells are made safe (controls escaped, formulas neutralised: see the module docstring)
    unless ``raw``, which writes them exactly, for machines.
    """
    plain = csv.writer(out, lineterminator="\n")
    # With "\n" line ends, csv's minimal quoting leaves a bare "\r" unquoted, and readers
    # split the row there; rows holding one are written fully quoted instead.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    plain.writerow(HEADER)
    count = 0
    for claim in claims:
        src = next((s for s in claim.sources if s.url), None) or next(iter(claim.sources), None)
        row: tuple[str, ...] = (
            claim.id,
            claim.text,
            claim.speaker,
            claim.date or "",
            claim.status.value,
            claim.verdict or "",
            ";".join(claim.tags),
            (src.url if src else None) or "",
            (src.publisher if src else None) or "",
            (src.name if src else None) or "",
        )
        if not raw:
            row = tuple(safe_cell(field) for field in row)
        (quoted if any("\r" in field for field in row) else plain).writerow(row)
        count += 1
    return count


# Controls that act on a terminal (all C0 but tab and newline, DEL, C1), bidi controls that
# reorder what is shown, and lone surrogates (which cannot be written as UTF-8).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 256 else f"\\u{c:04x}"


def safe_cell(value: str) -> str:
    """A cell that neither acts on a terminal nor runs in a spreadsheet (see the docstring)."""
    if value.startswith(_FORMULA_START):
        value = "'" + value
    if value.isascii() and value.isprintable():
        return value  # the common case: nothing to escape
    return _UNSAFE.sub(_escape, value)
