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

Hostile input costs linear time and bounded memory. Text is read in pieces (``LineSource``):
a line over MAX_LINE characters is an error of that line (JSON Lines read on after it),
runs of blank lines are skipped at C speed, a JSON document is read a value at a time (see
``json_values``), an HTML page a block at a time, and gzip input that unpacks to more than
``max_unpacked`` bytes (MAX_UNPACKED, 1 GiB, by default) ends in an error naming the limit.
Values JSON can hold but we cannot use (integer literals over 4,300 digits, NaN, 1e400,
lone surrogates, nesting about 1,000 deep) are errors of their record (``safejson``).

Formats: ``claimreview`` (schema.org ClaimReview JSON-LD: an object, a list, ``@graph``, a
``DataFeed`` or JSON Lines), ``claimreview-html`` (``<script type="application/ld+json">``
blocks in HTML or text), ``factcheck-api`` (Google Fact Check Tools API responses), ``jsonl``
(our own records, one per line), ``csv`` and ``tsv`` (a header row; columns mapped to our
fields) and ``liar`` (the LIAR dataset's 14-column TSV without a header).
"""

from __future__ import annotations

import codecs
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
from factcheck.safejson import Decoder, JsonProblem
from factcheck.safejson import parse as parse_json


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

MAX_UNPACKED = 2**30  # bytes of gzip input once unpacked; a bigger feed needs max_unpacked=
UNPACKED_HINT = "raise the limit with --max-unpacked SIZE or FACTCHECK_MAX_UNPACKED"


class UnpackedTooLarge(Exception):
    """Gzip input that unpacks to more than its limit (a gzip bomb, or a feed that needs more)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class _Capped(io.RawIOBase):
    """A gzip stream that raises UnpackedTooLarge once more than ``limit`` bytes came out."""

    def __init__(self, inner: BinaryIO, limit: int) -> None:
        self._inner = inner
        self._limit = limit
        self._total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # read1: one gzip block, so what comes before a truncated end is still handed out
        data = self._inner.read1(len(buffer))  # type: ignore[attr-defined]
        n = len(data)
        buffer[:n] = data
        self._total += n
        if self._total > self._limit:
            raise UnpackedTooLarge(self._limit)
        return n

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


def _capped(inner: BinaryIO, limit: int | None) -> BinaryIO:
    if limit is None:
        return inner
    # 64 KiB: what the importer peeks at to guess a format
    return cast(BinaryIO, io.BufferedReader(_Capped(inner, limit), buffer_size=65536))


def open_source(
    path: str | os.PathLike[str], *, max_unpacked: int | None = MAX_UNPACKED
) -> BinaryIO:
    """Open a file for binary reading, gunzipping it transparently (magic bytes 1f 8b).

    Raises InputError for a missing file, a directory or no permission. A gzip file cut short
    is only noticed while reading; the readers turn that into an error record, and so they do
    with gzip data that unpacks to more than ``max_unpacked`` bytes (None: no limit).
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
    return _capped(cast(BinaryIO, gzip.open(name, "rb")), max_unpacked)


def gunzip(stream: BinaryIO, *, max_unpacked: int | None = MAX_UNPACKED) -> BinaryIO:
    """``stream`` itself, or a decompressing view of it if it starts with the gzip magic.

    For streams the caller owns, such as stdin: closing the view leaves ``stream`` open.
    Works on unseekable streams as long as they can ``peek`` (buffered readers can). The view
    raises UnpackedTooLarge past ``max_unpacked`` bytes, as ``open_source``'s does.
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

    return _capped(cast(BinaryIO, gzip.GzipFile(fileobj=stream, mode="rb")), max_unpacked)


def size_label(n: int) -> str:
    """``1 GiB``, ``512 MiB``, ``1,000 bytes``: a limit as people write it."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size and n % size == 0:
            return f"{n // size:,} {unit}"
    return f"{n:,} bytes"


_API_KEY = re.compile(rb'"claimReview"\s*:')
_CLAIMREVIEW_HINTS = re.compile(rb'"claimReviewed"\s*:|ClaimReview|"@graph"|DataFeed')
_OUR_KEYS = re.compile(rb'"speaker"\s*:')
HEAD_UNPACKED = 2**20  # bytes of a gzip head unpacked to sniff it: 64 KiB can hold a 64 MB bomb


def detect(name: str, head: bytes) -> str:
    """Guess the format of input ``name`` from its first bytes (raw or gunzipped).

    ``head`` should be a few KiB or more (64 KiB is plenty). Returns one of READ_FORMATS;
    raises InputError when nothing fits, with a hint to name the format. Linear in ``head``.
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
            obj = parse_json(first_line.decode("utf-8", "replace"))
        except JsonProblem:  # a document spread over lines, or cut by the head
            obj = None
        if isinstance(obj, dict):
            types = _strings(obj.get("@type"))
            if "claimReviewed" in obj or any("ClaimReview" in t for t in types):
                return "claimreview"
            if "text" in obj and "speaker" in obj:
                return "jsonl"
        if _API_KEY.search(text) and b'"claims"' in text:
            return "factcheck-api"
        if _CLAIMREVIEW_HINTS.search(text):
            return "claimreview"
        if _OUR_KEYS.search(text) and b'"text"' in text:
            return "jsonl"  # a database file or a JSON list of our records
    elif _has_ld_json(text):
        return "claimreview-html"
    raise InputError(
        "cannot tell the format",
        name,
        f"name it, one of: {', '.join(READ_FORMATS)}",
    )


def _strings(value: Any) -> list[str]:
    """A string, or the strings of a list (``@type`` may be either); never ``str()`` of a
    value, which for a deeply nested list recurses out."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _has_ld_json(text: bytes) -> bool:
    """Whether some ``<script`` tag names ``application/ld+json`` before its ``>``.

    A tag ends at the first ``>`` after it, and the search goes on from there: a regex
    (``<script[^>]*application``) would rescan the rest of an unclosed tag from every
    ``<script`` inside it, quadratic in the number of them.
    """
    low = text.lower()
    i = low.find(b"<script")
    while i >= 0:
        end = low.find(b">", i)
        if end < 0:
            end = len(low)
        if low.find(b"application/ld+json", i, end) >= 0:
            return True
        i = low.find(b"<script", end)
    return False


def _gunzip_head(head: bytes) -> bytes:
    """Decompress as much of a gzip prefix as is there (a head is usually cut mid-stream)."""
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, HEAD_UNPACKED)
    except zlib.error:
        return b""


# --- reading text in bounded memory ---------------------------------------------------------

CHUNK = 2**20  # characters decoded at a time
MAX_LINE = 16 * 2**20  # characters: a longer line is not claims data, and would fill memory
MAX_VALUE = 16 * 2**20  # characters of one JSON value in a document, or of an ld+json block

_EOL = re.compile(r"\r\n?|\n")
_SPACE = re.compile(r"\s*")  # str.isspace() whitespace, as line.strip() sees it


class LineTooLong(Exception):
    """A line of input longer than MAX_LINE."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def line_too_long() -> str:
    return f"line longer than {MAX_LINE:,} characters: not claims data"


def _pieces(stream: Input) -> Iterator[str]:
    """The decoded text of any accepted input, in non-empty pieces, without a BOM.

    Binary streams are read with ``read1`` where they have it (what has arrived, or one
    gzip block), so what comes before a truncated gzip's end is still read.
    """
    mode = getattr(stream, "mode", "")
    if isinstance(stream, (io.BufferedIOBase, io.RawIOBase)) or (
        hasattr(stream, "read") and isinstance(mode, str) and "b" in mode
    ):
        binary = cast(BinaryIO, stream)
        read = getattr(binary, "read1", binary.read)
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        while data := read(CHUNK):
            if piece := decoder.decode(data):
                yield piece
        if piece := decoder.decode(b"", final=True):
            yield piece
        return
    read = getattr(stream, "read", None)
    items: Iterator[str] = (
        iter(lambda: cast(TextIO, stream).read(CHUNK), "")
        if callable(read)
        else iter(cast(Iterable[str], stream))
    )
    first = True
    for piece in items:
        if first:
            piece = piece.removeprefix("\ufeff")
            first = not piece
        if piece:
            yield piece


class Pieces:
    """Decoded pieces of an input, taken in at least a given size (see ``take``)."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self._pieces = pieces
        self._error: Exception | None = None

    def take(self, size: int) -> str:
        """Pieces joined until there are ``size`` characters or the input ends ("" at its
        end). A failure of the input (a truncated gzip) comes at the next call, so what came
        before it is still handed out."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        got: list[str] = []
        total = 0
        while total < size:
            try:
                piece = next(self._pieces, "")
            except Exception as e:
                if not got:
                    raise
                self._error = e
                break
            if not piece:
                break
            got.append(piece)
            total += len(piece)
        return "".join(got)


class LineSource:
    """The text of an input, read as lines in bounded memory.

    ``readline()`` gives the next line with its end (``\\n``, ``\\r\\n`` or a bare ``\\r``, as
    ``open(newline="")`` does, which csv needs), "" at the end; a line longer than MAX_LINE
    raises LineTooLong without consuming it, and ``skip_line()`` then passes over it in
    bounded memory. ``skip_blank()`` passes over whitespace-only lines at C speed, so a
    gigabyte of newlines costs seconds, not a Python step per line. ``read()`` hands the
    rest of the text on in pieces, to the document and HTML scanners. ``line`` counts the
    lines consumed.
    """

    def __init__(self, stream: Input) -> None:
        self._pieces = Pieces(_pieces(stream))
        self._buf = ""
        self._pos = 0
        self._eof = False
        self.line = 0
        self._cr = False  # the buffer holds a "\r": lines may end in it (else only in "\n")

    def _fill(self) -> bool:
        """Read more into the buffer, dropping what is consumed; False at the end.

        At least as much as is kept, so a long line grows by doubling: adding one piece at a
        time would copy it once per piece, quadratic up to MAX_LINE.
        """
        kept = len(self._buf) - self._pos
        got = self._pieces.take(max(CHUNK, kept)) if not self._eof else ""
        if not got:
            self._eof = True
            return False
        self._buf = self._buf[self._pos :] + got
        self._pos = 0
        self._cr = "\r" in self._buf
        return True

    def _line_end(self, start: int) -> int | None:
        """End of the line at ``pos`` (after its terminator) if it is all buffered, else None.

        ``start`` is where to search from (what was searched before holds no line end)."""
        buf = self._buf
        if not self._cr:  # the common case: str.find, not a regex (a million lines: 2 s)
            end = buf.find("\n", start)
            if end >= 0:
                return end + 1
            return len(buf) if self._eof and len(buf) > self._pos else None
        m = _EOL.search(buf, start)
        if m is None:
            return len(buf) if self._eof and len(buf) > self._pos else None
        if m.end() == len(buf) and buf[-1] == "\r" and not self._eof:
            return None  # a "\r" that may be the first half of "\r\n"
        return m.end()

    def readline(self) -> str:
        limit = MAX_LINE  # read here, not bound at import: tests and callers may lower it
        start = self._pos
        while True:
            end = self._line_end(start)
            if end is not None:
                if end - self._pos > limit:
                    raise LineTooLong(self.line + 1)
                line = self._buf[self._pos : end]
                self._pos = end
                self.line += 1
                return line
            if self._eof:
                return ""
            if len(self._buf) - self._pos > limit:
                raise LineTooLong(self.line + 1)
            start = max(self._pos, len(self._buf) - 1) - self._pos  # offset: _fill moves text
            self._fill()
            start += self._pos

    def skip_line(self) -> None:
        """Pass over the rest of the current line, however long, keeping memory bounded."""
        while True:
            end = self._line_end(self._pos)
            if end is not None or self._eof:
                self._pos = len(self._buf) if end is None else end
                self.line += 1
                return
            # Nothing here ends the line: drop it all but a last "\r" (maybe half a "\r\n").
            keep = 1 if self._buf.endswith("\r") else 0
            self._buf, self._pos = self._buf[len(self._buf) - keep :], 0
            if not self._fill():
                self._pos = len(self._buf)
                self.line += 1
                return

    def skip_blank(self) -> int:
        """Pass over whitespace-only lines; returns how many ``\\n`` they held.

        Stops at a line with content, or at a whitespace run longer than MAX_LINE without a
        line end (readline then reports that line as too long), so memory stays bounded.
        """
        newlines = 0
        scan = self._pos  # [_pos, scan) is known whitespace holding no line end
        while True:
            buf = self._buf
            end = _SPACE.match(buf, scan).end()  # type: ignore[union-attr]  # \s* always matches
            last = max(buf.rfind("\n", scan, end), buf.rfind("\r", scan, end))
            if last >= 0:
                cut = last + 1
                if cut == len(buf) and buf[last] == "\r" and not self._eof:
                    cut = last  # a "\r" whose "\n" may come next: count the pair once
                if cut > self._pos:
                    nl = buf.count("\n", self._pos, cut)
                    cr = buf.count("\r", self._pos, cut) - buf.count("\r\n", self._pos, cut)
                    self.line += nl + cr
                    newlines += nl
                    self._pos = cut
            if end < len(buf):
                return newlines  # this line has content
            if self._eof:
                if end > self._pos:  # a last line of spaces, without an end
                    self.line += 1
                    self._pos = end
                return newlines
            if end - self._pos > MAX_LINE:
                return newlines
            ahead = end - self._pos  # _fill moves the text: keep the offset
            self._fill()
            scan = self._pos + ahead

    def first_char(self) -> str:
        """The first character of the text after blank lines and leading whitespace, without
        consuming it; "" if there is none within MAX_LINE characters."""
        self.skip_blank()
        scan = self._pos
        while True:
            end = _SPACE.match(self._buf, scan).end()  # type: ignore[union-attr]
            if end < len(self._buf):
                return self._buf[end]
            if end - self._pos > MAX_LINE:
                return ""
            ahead = end - self._pos
            if not self._fill():
                return ""
            scan = self._pos + ahead

    def read(self) -> Pieces:
        """The rest of the text, in pieces (what is buffered first). Lines are not counted."""

        def rest() -> Iterator[str]:
            if self._pos < len(self._buf):
                yield self._buf[self._pos :]
            self._buf, self._pos = "", 0
            while not self._eof:
                piece = self._pieces.take(CHUNK)
                if not piece:
                    self._eof = True
                    return
                yield piece

        return Pieces(rest())

    def __iter__(self) -> Iterator[str]:
        while line := self.readline():
            yield line


def text_lines(stream: Input) -> Iterator[str]:
    """Lines of any accepted input, line ends kept as they are (CSV needs bare ``\\r``).

    Raises LineTooLong at a line longer than MAX_LINE.
    """
    return iter(LineSource(stream))


def guarded(records: Iterator[Record], source: str) -> Iterator[Record]:
    """Turn a failure of the input itself into a final error record naming ``source``."""
    try:
        yield from records
    except READ_FAILURES as e:
        yield Record(*read_failure(e, source))


# What reading an input can fail with (gzip.BadGzipFile is an OSError).
READ_FAILURES = (
    LineTooLong,
    UnpackedTooLarge,
    EOFError,
    zlib.error,
    UnicodeDecodeError,
    OSError,
    RecursionError,
)


def read_failure(e: BaseException, source: str) -> tuple[str, None, str]:
    """The error record's fields for a failure of reading ``source`` (one of READ_FAILURES)."""
    import gzip

    if isinstance(e, LineTooLong):
        return f"{source}:{e.number}", None, line_too_long()
    if isinstance(e, UnpackedTooLarge):
        limit = size_label(e.limit)
        return source, None, f"gzip input unpacks to more than {limit}, the limit; {UNPACKED_HINT}"
    if isinstance(e, EOFError):
        return source, None, "truncated gzip: the file ends before its end marker"
    if isinstance(e, (gzip.BadGzipFile, zlib.error)):
        return source, None, f"corrupt gzip: {e}"
    if isinstance(e, UnicodeDecodeError):
        return source, None, f"not UTF-8 text ({e.reason} at byte {e.start} of a block)"
    if isinstance(e, OSError):
        return source, None, f"cannot read: {e.strerror or e}"
    return source, None, "JSON nested too deeply to read"


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


# --- JSON documents and JSON Lines ----------------------------------------------------------


class JsonValue(NamedTuple):
    """A JSON value from a document or a line, or the reason there is none.

    ``line`` is 0 for a value of a document (its records are located by number, not line)
    and the line for a JSON Lines value or any error. ``part`` says which part of a document
    a value is (documents are read a part at a time, see ``json_values``): None for a whole
    value, ``("[]", i)`` for element ``i`` of a top-level array, ``(key, i)`` for element
    ``i`` of the array under ``key`` of a top-level object, and ``("{}", keys)`` for the rest
    of that object once its arrays under ``keys`` were handed out. ``syntax`` marks an error
    of JSON syntax, after which a document cannot be read on. ``text``: a JSON Lines line
    not decoded yet (``json_values(..., raw=True)``), for ``decode_line`` elsewhere.
    """

    line: int
    value: Any
    error: str | None
    part: tuple[Any, ...] | None = None
    syntax: bool = False
    text: str | None = None


def json_values(
    lines: Input | LineSource, spine: tuple[str, ...] = (), *, raw: bool = False
) -> Iterator[JsonValue]:
    """The JSON values of a document, or of JSON Lines (one value per non-blank line).

    JSON Lines is chosen when the first non-blank line is a complete JSON value on its own (so
    a compact one-line document reads the same way), or when the input is no valid document
    but its second non-blank line is a value on its own (JSON Lines whose first line is bad).
    Otherwise the input is one document, read a part at a time so memory stays bounded
    however big it is: each element of a top-level array, and of any array a top-level
    object holds under a key in ``spine`` (``claims``, ``@graph``...), comes out on its own
    (see JsonValue.part); other values are read whole, up to MAX_VALUE characters each. A bad
    value (an oversized integer, NaN, a lone surrogate, too deep) is an error for its part
    only, and reading goes on; a syntax error ends the document, naming line and column.

    ``raw``: JSON Lines after the first line come undecoded (``JsonValue.text``), so another
    process can decode them (``decode_line``): a big import spreads the work.
    """
    source = lines if isinstance(lines, LineSource) else LineSource(lines)
    decoder = Decoder()
    source.skip_blank()
    start = source.line + 1
    first: str | None
    try:
        first = source.readline()
    except LineTooLong:
        first = None  # too long for a JSON Lines record: a document written on one line
    if first == "":
        return
    if first is not None:
        try:
            value = decoder.decode(first)
        except JsonProblem as p:
            if not p.syntax:  # a complete value, but not a usable one: JSON Lines still
                yield JsonValue(start, None, value_error(p))
                yield from _each_line(source, None if raw else decoder)
                return
        else:
            yield JsonValue(start, value, None)
            yield from _each_line(source, None if raw else decoder)
            return
    yield from _document(source, first or "", start, decoder, spine)


def _document(
    source: LineSource, first: str, start: int, decoder: Decoder, spine: tuple[str, ...]
) -> Iterator[JsonValue]:
    """A document starting with ``first`` (the rest in ``source``), in parts."""
    held = [first] if first else []
    size = len(first)
    rest = source.read()
    ended = False
    while size <= MAX_VALUE:  # small documents are held whole, for the JSON Lines fallback
        piece = rest.take(CHUNK)
        if not piece:
            ended = True
            break
        held.append(piece)
        size += len(piece)
    small = "".join(held) if ended else None

    def pieces() -> Iterator[str]:
        while held:
            yield held.pop(0)
        while piece := rest.take(CHUNK):
            yield piece

    parts = _Document(pieces(), start, decoder, spine).parts()
    head = next(parts, None)
    if head is None:
        return
    if small is not None and head.syntax and _second_value_parses(small, decoder):
        # Not a valid document, but JSON Lines whose first line is bad.
        fallback = LineSource([small])
        fallback.line = start - 1
        yield from _each_line(fallback, decoder)
        return
    yield head
    yield from parts


def _second_value_parses(text: str, decoder: Decoder) -> bool:
    """Whether the second non-blank line of ``text`` is a JSON value on its own."""
    # split on "\n" only: U+2028 and friends may stand raw inside JSON strings
    first_end = text.find("\n") + 1
    if not first_end:
        return False
    at = _SPACE.match(text, first_end).end()  # type: ignore[union-attr]
    if at == len(text):
        return False
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    try:
        decoder.decode(text[start : end if end >= 0 else len(text)])
    except JsonProblem as p:
        return not p.syntax
    return True


def _each_line(source: LineSource, decoder: Decoder | None) -> Iterator[JsonValue]:
    """One value per non-blank line, each line's problem its own error (no ``decoder``: each
    line undecoded, see ``decode_line``)."""
    while True:
        source.skip_blank()
        try:
            line = source.readline()
        except LineTooLong as e:
            source.skip_line()
            yield JsonValue(e.number, None, line_too_long())
            continue
        if not line:
            return
        if not line.strip():
            continue
        if decoder is None:
            yield JsonValue(source.line, None, None, text=line)
        else:
            yield decode_line(decoder, source.line, line)


def decode_line(decoder: Decoder, number: int, line: str) -> JsonValue:
    """Line ``number`` of JSON Lines decoded, or the reason it cannot be."""
    try:
        return JsonValue(number, decoder.decode(line), None)
    except JsonProblem as p:
        return JsonValue(number, None, value_error(p, line))


def value_error(p: JsonProblem, text: str | None = None, line: int | None = None) -> str:
    """The message for a JsonProblem: ``invalid JSON: Expecting ',' delimiter at column 12``
    (``line`` for a position in a document), or the problem with the value."""
    if not p.syntax:
        return p.message
    where = ""
    if p.pos is not None and text is not None:
        column = p.pos - (text.rfind("\n", 0, p.pos) + 1) + 1
        where = f" at line {line} column {column}" if line is not None else f" at column {column}"
    return f"invalid JSON: {p.message.removesuffix(' at')}{where}"


def json_error(e: json.JSONDecodeError, line: int | None = None) -> str:
    """``invalid JSON: Expecting ',' delimiter at column 12`` (``line`` for a document)."""
    msg = e.msg.removesuffix(" at")  # "Invalid control character at"
    where = f"line {line} column {e.colno}" if line is not None else f"column {e.colno}"
    return f"invalid JSON: {msg} at {where}"


class _Stop(Exception):
    """A syntax error: the document cannot be read on."""


_JSON_WS = re.compile(r"[ \t\n\r]*")
_STRUCTURE = re.compile(r'["\[\]{}]')
_STRING_STOP = re.compile(r'["\\]')
_SCALAR_END = re.compile(r"[,\]}\s]")
_OPENERS = re.compile(r"[\[{]+")
_CLOSERS = re.compile(r"[\]}]+")


class _Document:
    """A JSON document read from pieces of text, one part at a time (see ``json_values``).

    Each value is parsed by the C decoder straight from the buffer (``raw_decode``); when it
    runs into the end of the buffer, more is read (at least doubling what the value has) and
    the value parsed again, so a value costs about twice its size at most. The buffer holds
    the value being read and at most one piece more. A value over MAX_VALUE characters, or
    one the decoder refuses, is skipped with a plain scan of brackets and strings.
    """

    def __init__(
        self, pieces: Iterator[str], line: int, decoder: Decoder, spine: tuple[str, ...]
    ) -> None:
        self._pieces = pieces
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._line = line  # line of _buf[0]
        self._col = 0  # characters of that line before _buf[0]
        self._decoder = decoder
        self._spine = spine

    # -- buffer --

    def _fill(self) -> bool:
        piece = "" if self._eof else next(self._pieces, "")
        if not piece:
            self._eof = True
            return False
        buf, pos = self._buf, self._pos
        if pos:
            newlines = buf.count("\n", 0, pos)
            if newlines:
                self._line += newlines
                self._col = pos - buf.rfind("\n", 0, pos) - 1
            else:
                self._col += pos
            self._buf, self._pos = buf[pos:] + piece, 0
        else:
            self._buf = buf + piece
        return True

    def _more(self) -> bool:
        """Read until the text from ``_pos`` at least doubles (False if the input ended)."""
        want = max(2 * (len(self._buf) - self._pos), CHUNK)
        while len(self._buf) - self._pos < want:
            if not self._fill():
                return False
        return True

    def _where(self, pos: int) -> tuple[int, int]:
        newlines = self._buf.count("\n", 0, pos)
        if not newlines:
            return self._line, self._col + pos + 1
        return self._line + newlines, pos - self._buf.rfind("\n", 0, pos)

    def _ws(self) -> str:
        """Skip whitespace; the next character, or "" at the end."""
        while True:
            self._pos = _JSON_WS.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def _syntax(self, message: str, pos: int | None = None) -> JsonValue:
        line, column = self._where(self._pos if pos is None else pos)
        return JsonValue(
            line, None, f"invalid JSON: {message} at line {line} column {column}", syntax=True
        )

    # -- values --

    def _value(self) -> tuple[Any, JsonValue | None]:
        """The value at ``_pos`` and None, or None and the error (raising _Stop after a
        syntax error, which is yielded first by the caller through ``_stop``)."""
        while True:
            start = self._pos
            try:
                value, end = self._decoder.raw_decode(self._buf, start)
            except JsonProblem as p:
                cut = p.syntax and not self._eof and _maybe_cut(p, len(self._buf))
                if cut and len(self._buf) - start <= MAX_VALUE:
                    self._more()
                    continue
                line, _ = self._where(start)
                if cut:
                    self._skip()
                    return None, JsonValue(line, None, _too_long_value())
                if p.syntax:
                    raise _Stop(self._syntax(p.message.removesuffix(" at"), p.pos)) from None
                self._skip()
                return None, JsonValue(line, None, p.message)
            if end == len(self._buf) and not self._eof:
                self._more()  # a number may go on in the next piece
                continue
            self._pos = end
            if end - start > MAX_VALUE:  # refused however it came in, whole or in pieces
                line, _ = self._where(start)
                return None, JsonValue(line, None, _too_long_value())
            return value, None

    def _skip(self) -> None:
        """Move past the value at ``_pos`` by its brackets and strings, in bounded memory."""
        depth = 0
        in_string = False
        i = self._pos
        if self._buf[i] not in '[{"':  # a number or a literal
            while True:
                m = _SCALAR_END.search(self._buf, i)
                if m is not None:
                    self._pos = m.start()
                    return
                self._pos = len(self._buf)
                if not self._fill():
                    return
                i = self._pos
        while True:
            buf = self._buf
            if in_string:
                m = _STRING_STOP.search(buf, i)
                if m is None:
                    i = len(buf)
                elif m.group() == "\\":
                    if m.end() < len(buf):
                        i = m.end() + 1
                        continue
                    i = m.start()  # an escape cut by the end of the buffer: read on
                else:
                    in_string = False
                    i = m.end()
                    if depth == 0:
                        self._pos = i
                        return
                    continue
            else:
                m = _STRUCTURE.search(buf, i)
                if m is None:
                    i = len(buf)
                else:
                    c = m.group()
                    i = m.end()
                    if c == '"':
                        in_string = True
                    elif c in "[{":  # a run of openers at once: 100,000 of them are one step
                        i = _OPENERS.match(buf, m.start()).end()  # type: ignore[union-attr]
                        depth += i - m.start()
                    else:
                        i = _CLOSERS.match(buf, m.start()).end()  # type: ignore[union-attr]
                        if i - m.start() >= depth:
                            self._pos = m.start() + depth
                            return
                        depth -= i - m.start()
                    continue
            self._pos = min(i, len(buf))
            if not self._fill():
                raise _Stop(self._syntax("the document ends inside a value"))
            i = self._pos

    # -- structure --

    def parts(self) -> Iterator[JsonValue]:
        try:
            c = self._ws()
            if c == "[":
                yield from self._array("[]")
            elif c == "{":
                yield from self._object()
            else:
                value, error = self._value()
                yield error or JsonValue(0, value, None)
            if self._ws():
                raise _Stop(self._syntax("Extra data"))
        except _Stop as stop:
            yield cast(JsonValue, stop.args[0])

    def _array(self, key: str) -> Iterator[JsonValue]:
        self._pos += 1  # "["
        c = self._ws()
        if c == "]":
            self._pos += 1
            return
        index = 0
        while True:
            if not c:
                raise _Stop(self._syntax("Expecting value"))
            value, error = self._value()
            yield error or JsonValue(0, value, None, (key, index))
            index += 1
            c = self._ws()
            if c == ",":
                self._pos += 1
                c = self._ws()
                if c == "]":
                    raise _Stop(self._syntax("Illegal trailing comma before end of array"))
                continue
            if c == "]":
                self._pos += 1
                return
            raise _Stop(self._syntax("Expecting ',' delimiter"))

    def _object(self) -> Iterator[JsonValue]:
        self._pos += 1  # "{"
        rest: dict[str, Any] = {}
        streamed: list[str] = []
        c = self._ws()
        if c == "}":
            self._pos += 1
        else:
            while True:
                if c != '"':
                    raise _Stop(self._syntax("Expecting property name enclosed in double quotes"))
                key, error = self._value()
                if error is not None:
                    yield error
                c = self._ws()
                if c != ":":
                    raise _Stop(self._syntax("Expecting ':' delimiter"))
                self._pos += 1
                c = self._ws()
                if not c:
                    raise _Stop(self._syntax("Expecting value"))
                if isinstance(key, str) and key in self._spine and c == "[":
                    streamed.append(key)
                    yield from self._array(key)
                else:
                    value, error = self._value()
                    if error is not None:
                        yield error
                    elif isinstance(key, str):
                        rest[key] = value
                c = self._ws()
                if c == ",":
                    self._pos += 1
                    c = self._ws()
                    continue
                if c == "}":
                    self._pos += 1
                    break
                raise _Stop(self._syntax("Expecting ',' delimiter"))
        yield JsonValue(0, rest, None, ("{}", tuple(streamed)))


def _too_long_value() -> str:
    return f"a JSON value longer than {MAX_VALUE:,} characters"


def _maybe_cut(p: JsonProblem, size: int) -> bool:
    """Whether a syntax error may only mean that the value goes on past the buffer's end."""
    # Truncated input fails at its very end ("Expecting value", "Expecting ',' delimiter",
    # a cut escape or literal a few characters back), or in a string that is not closed.
    return (p.pos is not None and p.pos >= size - 8) or p.message.startswith("Unterminated string")


def located(source: str, line: int, index: int, many: bool) -> str:
    """``file:12`` for a line, ``file:12 record 2`` inside one, ``file:record 3`` in a document."""
    if line == 0:
        return f"{source}:record {index}"
    return f"{source}:{line} record {index}" if many else f"{source}:{line}"
