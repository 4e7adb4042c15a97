"""One output path for every command: a format, and what to write in it.

A command hands over either a ``Document`` (one result: a search, a record, a report) or a
``Listing`` (records streamed one by one: claims, sentences, speakers), and ``emit`` writes it
in the chosen ``Format``:

- ``json``: one document. A listing is ``{**head, key: [...], "count": N, **tail}``, one
  record per line so that a million claims never sit in memory; ``tail`` (a check's summary)
  is computed once the records are through.
- ``jsonl``: one object per line, flushed as produced (a document is one line).
- ``csv``: listings that have a CSV form (claims); others refuse the format up front.
- ``text``: the plain renderer (greppable; stdout a pipe), or the rich one on a terminal with
  colour. Rich variants are callables the CLI builds (only ``term.py`` imports rich).

Standard library only; JSON goes through ``render.dumps`` (non-ASCII kept, controls escaped).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TextIO

from factcheck.errors import InputError
from factcheck.render import Counted, dumps, write_json


class Format(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def choose_format(
    chosen: Format | None,
    *,
    json: bool = False,
    jsonl: bool = False,
    csv: bool = False,
    allowed: Collection[Format] = (Format.text, Format.json),
) -> Format:
    """The one format asked for by ``--format`` or one of its shortcuts (``--json``,
    ``--jsonl``, ``--csv``); two of them, or one this command cannot write, is an error."""
    asked = [(f"--format {chosen.value}", chosen)] if chosen is not None else []
    for fmt, on in ((Format.json, json), (Format.jsonl, jsonl), (Format.csv, csv)):
        if on:
            asked.append((f"--{fmt.value}", fmt))
    if len(asked) > 1:
        raise InputError(f"choose one output format, not {' and '.join(n for n, _ in asked)}")
    fmt = asked[0][1] if asked else Format.text
    if fmt not in allowed:
        choices = ", ".join(f.value for f in allowed)
        raise InputError(f"this command cannot write {fmt.value}", hint=f"use one of {choices}")
    return fmt


Plain = Callable[[TextIO], Any]
Rich = Callable[[Any], Any]  # given a rich Console (term.make_console)


@dataclass(frozen=True)
class Document:
    """One result. ``data`` is the JSON document; ``plain`` writes text to a stream;
    ``rich`` (optional) draws it on a terminal."""

    data: Mapping[str, Any]
    plain: Plain
    rich: Rich | None = None


@dataclass
class Listing:
    """Records streamed one by one (each has ``to_dict()``, the JSON contract, and may have
    ``to_json()``, the same as one line of JSON text, when it already is text).

    ``plain(out, items) -> count`` and ``csv(items, out) -> count`` write text and CSV;
    ``rich(console, items)`` draws on a terminal. ``head`` goes before the records in JSON,
    ``tail()`` after them (called once they are through: a summary of what streamed).
    ``flush_each``: JSON Lines are flushed after every record, so a slow producer's (``check``
    reading a pipe) appear as they come; a listing read from the database at full speed sets
    it False and is written in buffer-sized pieces (its first ones still come at once).
    """

    key: str
    items: Iterable[Any]
    plain: Callable[[TextIO, Iterable[Any]], int]
    head: Mapping[str, Any] = field(default_factory=dict)
    tail: Callable[[], Mapping[str, Any]] | None = None
    csv: Callable[[Iterable[Any], TextIO], int] | None = None
    rich: Callable[[Any, Iterable[Any]], Any] | None = None
    flush_each: bool = True


Console = Callable[[], Any]  # builds a rich Console on stdout (only called when drawing)


def emit(out: TextIO, fmt: Format, what: Document | Listing, console: Console | None) -> int:
    """Write ``what`` in ``fmt``; ``console`` is given when stdout is a colour terminal.
    Returns how many records were written (1 for a document)."""
    if isinstance(what, Document):
        _document(out, fmt, what, console)
        return 1
    return _listing(out, fmt, what, console)


def _document(out: TextIO, fmt: Format, doc: Document, console: Console | None) -> None:
    if fmt is Format.json:
        write_json(out, doc.data)
    elif fmt is Format.jsonl:
        out.write(dumps(doc.data) + "\n")
    elif fmt is Format.text and console is not None and doc.rich is not None:
        doc.rich(console())
    elif fmt is Format.text:
        doc.plain(out)
    else:
        raise InputError(f"no {fmt.value} form for this result")


def _listing(out: TextIO, fmt: Format, listing: Listing, console: Console | None) -> int:
    items = Counted(listing.items)
    if fmt is Format.json:
        out.write("{")
        for k, v in listing.head.items():
            out.write(f"{dumps(k)}: {dumps(v)}, ")
        out.write(f"{dumps(listing.key)}: [")
        for item in items:
            out.write(",\n  " if items.count > 1 else "\n  ")
            out.write(_one_line(item))
        out.write("\n]" if items.count else "]")
        out.write(f', "count": {items.count}')
        for k, v in (listing.tail() if listing.tail else {}).items():
            out.write(f", {dumps(k)}: {dumps(v)}")
        out.write("}\n")
    elif fmt is Format.jsonl:
        for item in items:
            out.write(_one_line(item) + "\n")
            if listing.flush_each:
                out.flush()  # streamed: a slow producer's records appear as they come
    elif fmt is Format.csv:
        if listing.csv is None:
            raise InputError(f"no csv form for {listing.key}")
        listing.csv(items, out)
    elif console is not None and listing.rich is not None:
        listing.rich(console(), items)
    else:
        listing.plain(out, items)
    return items.count


def _one_line(item: Any) -> str:
    """An item's JSON on one line: ``to_json()`` when it has it (a store's own text, see
    ``store.records.Encoded``), else its ``to_dict()`` encoded."""
    to_json = getattr(item, "to_json", None)
    return str(to_json()) if to_json is not None else dumps(item.to_dict())
