"""Reading and writing claims in other people's formats: the pure core of import and export.

Every reader is ``read(stream, *, source, verdicts=None, ...) -> Iterator[Record]``. ``stream``
is a binary stream (best: ``open_source(path)``; decoded as UTF-8, a BOM is dropped), a text
stream opened with ``newline=""``, or any iterable of lines. ``source`` names the input in
locations (``"claims.jsonl:12"``, ``"feed.json:record 3"``, ``"x.csv:7.text"``). A record that
cannot be used gives ``Record(location, None, message)`` and reading goes on, so the caller
decides whether to skip or abort; input that cannot be read on (a truncated gzip, bytes that
are not UTF-8, broken CSV quoting) gives one last error record. ``verdicts`` overrides the
verdict -> status table (``factcheck.verdicts``).

Every writer is ``write(claims, out) -> int`` (how many were written) and streams.

Formats: ``claimreview`` (schema.org ClaimReview JSON-LD: an object, a list, ``@graph``, a
``DataFeed`` or JSON Lines), ``claimreview-html`` (``<script type="application/ld+json">``
blocks in HTML or text), ``factcheck-api`` (Google Fact Check Tools API responses), ``jsonl``
(our own records, one per line), ``csv`` and ``tsv`` (a header row; columns mapped to our
fields) and ``liar`` (the LIAR dataset's 14-column TSV without a header).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from importlib import import_module
from typing import Any, BinaryIO, NamedTuple, TextIO, cast

from factcheck.errors import InputError
from factcheck.model import Claim
from factcheck.normalize import normalize


class Record(NamedTuple):
    """One input record: a claim, or the reason there is none. ``location`` names it."""

    location: str
    claim: Claim | None
    error: str | None


Input = BinaryIO | TextIO | Iterable[str]
Reader = Callable[..., Iterator[Record]]
Writer = Callable[[Iterable[Claim], TextIO], int]

# format name -> (module, function)
_READERS = {
    "claimreview": ("claimreview", "read"),
    "claimreview-html": ("claimreview", "read_html"),
    "factcheck-api": ("factcheck_api", "read"),
    "jsonl": ("jsonl", "read"),
    "csv": ("csv_format", "read"),
    "tsv": ("csv_format", "read_tsv"),
    "liar": ("liar", "read"),
}
_WRITERS = {
    "jsonl": ("jsonl", "write"),
    "csv": ("csv_format", "write"),
    "claimreview": ("claimreview", "write"),
}
READ_FORMATS = tuple(_READERS)
WRITE_FORMATS = tuple(_WRITERS)

UNKNOWN_SPEAKER = "Unknown"
GZIP_MAGIC = b"\x1f\x8b"
LIAR_COLUMNS = 14


def reader(fmt: str) -> Reader:
    """The ``read`` function of a format (one of READ_FORMATS); InputError if unknown."""
    return cast(Reader, _lookup(fmt, _READERS, "read"))


def writer(fmt: str) -> Writer:
    """The ``write`` function of a format (one of WRITE_FORMATS); InputError if unknown."""
    return cast(Writer, _lookup(fmt, _WRITERS, "write"))


def _lookup(fmt: str, table: dict[str, tuple[str, str]], what: str) -> object:
    entry = table.get(fmt)
    if entry is None:
        raise InputError(f"cannot {what} format {fmt!r}", hint=f"use one of {', '.join(table)}")
    module, function = entry
    return getattr(import_module(f"factcheck.formats.{module}"), function)


# --- opening and sniffing -------------------------------------------------------------------


def open_source(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a file for binary reading, gunzipping it transparently (magic bytes 1f 8b).

    Raises InputError for a missing file, a directory or no permission. A gzip file cut short
    is only noticed while reading; the readers turn that into an error record.
    """
    name = os.fspath(path)
    try:
        if os.path.isdir(name):
            raise InputError("is a directory, not a file", name)
        f = open(name, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    except FileNotFoundError:
        raise InputError("no such file", name) from None
    except PermissionError:
        raise InputError("permission denied", name) from None
    except OSError as e:
        raise InputError(f"cannot open: {e.strerror or e}", name) from None
    if f.peek(2)[:2] != GZIP_MAGIC:
        return f
    import gzip  # only gzip input pays for it

    # GzipFile(fileobj=f) would leave f open on close(); given a name, it owns the file.
    f.close()
    return cast(BinaryIO, gzip.open(name, "rb"))


def gunzip(stream: BinaryIO) -> BinaryIO:
    """``stream`` itself, or a decompressing view of it if it starts with the gzip magic.

    For streams the caller owns, such as stdin: closing the view leaves ``stream`` open.
    Works on unseekable streams as long as they can ``peek`` (buffered readers can).
    """
    peek = getattr(stream, "peek", None)
    if peek is not None:
        head = peek(2)[:2]
    elif stream.seekable():
        head = stream.read(2)
        stream.seek(0)
    else:
        return stream
    if head != GZIP_MAGIC:
        return stream
    import gzip  # only gzip input pays for it

    return cast(BinaryIO, gzip.GzipFile(fileobj=stream, mode="rb"))


_LD_JSON = re.compile(rb"""<script[^>]*application/ld\+json""", re.IGNORECASE)
_API_KEY = re.compile(rb'"claimReview"\s*:')
_CLAIMREVIEW_HINTS = re.compile(rb'"claimReviewed"\s*:|ClaimReview|"@graph"|DataFeed')
_OUR_KEYS = re.compile(rb'"speaker"\s*:')


def detect(name: str, head: bytes) -> str:
    """Guess the format of input ``name`` from its first bytes (raw or gunzipped).

    ``head`` should be a few KiB or more (64 KiB is plenty). Returns one of READ_FORMATS;
    raises InputError when nothing fits, with a hint to name the format.
    """
    if head.startswith(GZIP_MAGIC):
        head = _gunzip_head(head)
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    head = head.removeprefix(b"\xef\xbb\xbf")
    if lower.endswith(".tsv"):
        first = head.split(b"\n", 1)[0].rstrip(b"\r")
        return "liar" if first.count(b"\t") == LIAR_COLUMNS - 1 else "tsv"
    if lower.endswith(".csv"):
        return "csv"
    text = head.lstrip()
    if text[:1] in (b"{", b"["):
        first_line = text.split(b"\n", 1)[0].strip()
        try:
            obj = json.loads(first_line)
        except ValueError:  # a document spread over lines, or cut by the head
            obj = None
        if isinstance(obj, dict):
            if "claimReviewed" in obj or "ClaimReview" in str(obj.get("@type")):
                return "claimreview"
            if "text" in obj and "speaker" in obj:
                return "jsonl"
        if _API_KEY.search(text) and b'"claims"' in text:
            return "factcheck-api"
        if _CLAIMREVIEW_HINTS.search(text):
            return "claimreview"
        if _OUR_KEYS.search(text) and b'"text"' in text:
            return "jsonl"  # a database file or a JSON list of our records
    elif _LD_JSON.search(text):
        return "claimreview-html"
    raise InputError(
        "cannot tell the format",
        name,
        f"name it, one of: {', '.join(READ_FORMATS)}",
    )


def _gunzip_head(head: bytes) -> bytes:
    """Decompress as much of a gzip prefix as is there (a head is usually cut mid-stream)."""
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
    except zlib.error:
        return b""


# --- helpers shared by the readers ----------------------------------------------------------


def text_lines(stream: Input) -> Iterator[str]:
    """Lines of any accepted input, line ends kept as they are (CSV needs bare ``\\r``)."""
    mode = getattr(stream, "mode", "")
    if isinstance(stream, (io.BufferedIOBase, io.RawIOBase)) or (
        hasattr(stream, "read") and isinstance(mode, str) and "b" in mode
    ):
        wrapper = io.TextIOWrapper(cast(BinaryIO, stream), encoding="utf-8-sig", newline="")
        try:
            number = 0
            while line := wrapper.readline(MAX_LINE + 1):
                number += 1
                if len(line) > MAX_LINE:
                    raise LineTooLong(number)
                yield line
        finally:
            # The caller owns (and closes) the binary stream; a wrapper collected later would
            # close it. If the caller closed it already, there is nothing to detach from.
            with contextlib.suppress(ValueError):
                wrapper.detach()
        return
    first = True
    for line in cast(Iterable[str], stream):
        if first:
            first = False
            yield line.removeprefix("\ufeff")
        else:
            yield line


MAX_LINE = 256 * 2**20  # characters: a longer line is not claims data, and would fill memory


class LineTooLong(Exception):
    """A line of input longer than MAX_LINE."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def guarded(records: Iterator[Record], source: str) -> Iterator[Record]:
    """Turn a failure of the input itself into a final error record naming ``source``."""
    import gzip

    try:
        yield from records
    except LineTooLong as e:
        yield Record(
            f"{source}:{e.number}",
            None,
            f"line longer than {MAX_LINE:,} characters: not claims data",
        )
    except EOFError:
        yield Record(source, None, "truncated gzip: the file ends before its end marker")
    except (gzip.BadGzipFile, zlib.error) as e:
        yield Record(source, None, f"corrupt gzip: {e}")
    except UnicodeDecodeError as e:
        yield Record(source, None, f"not UTF-8 text ({e.reason} at byte {e.start} of a block)")
    except OSError as e:
        yield Record(source, None, f"cannot read: {e.strerror or e}")
    except RecursionError:
        yield Record(source, None, "JSON nested too deeply to read")


def stable_id(prefix: str, url: str | None, text: str) -> str:
    """``prefix`` + the first 12 hex of sha1(url + newline + normalised text).

    URLs alone are not stable identities (one fact-check URL can carry a rewritten claim), so
    the key is the pair; the normalised text makes punctuation-only edits keep their id.
    """
    digest = hashlib.sha1(f"{url or ''}\n{normalize(text)}".encode()).hexdigest()
    return f"{prefix}{digest[:12]}"


def clean_text(value: Any) -> str | None:
    """A stripped string without stray BOMs, or None if ``value`` is empty or not a string."""
    if not isinstance(value, str):
        return None
    value = value.replace("\ufeff", "").strip()
    return value or None


class JsonValue(NamedTuple):
    """A JSON value from a document or a line; ``line`` is 0 for a whole document."""

    line: int
    value: Any
    error: str | None


def json_values(lines: Iterator[str]) -> Iterator[JsonValue]:
    """The JSON values of a document, or of JSON Lines (one value per non-blank line).

    JSON Lines is chosen when the first non-blank line is a complete JSON value on its own (so
    a compact one-line document reads the same way), or when the input is no valid document
    but its second non-blank line is a value on its own (JSON Lines whose first line is bad).
    Otherwise the whole input is one document, and a syntax error gives one error naming
    line and column.
    """
    first = ""
    lineno = 0
    for line in lines:
        lineno += 1
        if line.strip():
            first = line
            break
    if not first:
        return
    try:
        value = json.loads(first)
    except json.JSONDecodeError:
        text = first + "".join(lines)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            # split on "\n" only: U+2028 and friends may stand raw inside JSON strings
            rest = [line + "\n" for line in text.split("\n")]
            if _second_value_parses(rest):
                yield from _each_line(iter(rest), lineno - 1)
                return
            at = lineno + e.lineno - 1
            yield JsonValue(at, None, json_error(e, at))
            return
        yield JsonValue(0, value, None)
        return
    yield JsonValue(lineno, value, None)
    yield from _each_line(lines, lineno)


def _second_value_parses(lines: list[str]) -> bool:
    second = next((line for line in lines[1:] if line.strip()), None)
    if second is None:
        return False
    try:
        json.loads(second)
    except json.JSONDecodeError:
        return False
    return True


def _each_line(lines: Iterator[str], lineno: int) -> Iterator[JsonValue]:
    """One value per non-blank line; ``lineno`` is the number of the line before the first."""
    for line in lines:
        lineno += 1
        if not line.strip():
            continue
        try:
            yield JsonValue(lineno, json.loads(line), None)
        except json.JSONDecodeError as e:
            yield JsonValue(lineno, None, json_error(e))


def json_error(e: json.JSONDecodeError, line: int | None = None) -> str:
    """``invalid JSON: Expecting ',' delimiter at column 12`` (``line`` for a document)."""
    msg = e.msg.removesuffix(" at")  # "Invalid control character at"
    where = f"line {line} column {e.colno}" if line is not None else f"column {e.colno}"
    return f"invalid JSON: {msg} at {where}"


def located(source: str, line: int, index: int, many: bool) -> str:
    """``file:12`` for a line, ``file:12 record 2`` inside one, ``file:record 3`` in a document."""
    if line == 0:
        return f"{source}:record {index}"
    return f"{source}:{line} record {index}" if many else f"{source}:{line}"
