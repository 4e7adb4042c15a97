"""Read user text safely: files or stdin, streamed line by line, never crashing on bad bytes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import BinaryIO

SNIFF = 8192  # a NUL in the first 8 KiB means binary, as grep and git decide
BLOCK = 65536  # bytes read at a time (or what has arrived, if less)
PIECE = 2**20  # bytes: a longer line is handed on in pieces of about this size
FALLBACK = "cp1252"  # what non-UTF-8 text from Windows editors usually is

Report = Callable[[str], None]


def open_input(name: str, stdin: BinaryIO | None, error: Report) -> BinaryIO | None:
    """Open ``name`` ('-' is ``stdin``) for binary reading, or report why not and return None."""
    if name == "-":
        if stdin is None:
            error("no standard input")
        return stdin
    try:
        if os.path.isdir(name):
            error("is a directory")
            return None
        return open(name, "rb")
    except FileNotFoundError:
        error("no such file")
    except PermissionError:
        error("permission denied")
    except OSError as e:
        error(e.strerror or str(e))
    return None


def read_lines(
    name: str, stdin: BinaryIO | None, *, warn: Report, error: Report
) -> Iterator[str] | None:
    """Decoded lines of a text input, or None if it cannot be read or is not text.

    Binary input (a NUL byte early on) and empty input are reported with ``warn`` and give
    None. Non-UTF-8 bytes are decoded as Windows-1252 after a warning naming the first bad
    byte's offset, so a stray Latin-1 file is still checked. An item may hold several
    lines; memory stays bounded however long a line is (see ``_decode``).
    """
    f = open_input(name, stdin, error)
    if f is None:
        return None
    try:
        # read1: whatever has arrived, up to 8 KiB, so a slow pipe is not waited on.
        head = f.read1(SNIFF) if hasattr(f, "read1") else f.read(SNIFF)
    except OSError as e:
        error(e.strerror or str(e))
        return None
    if not head:
        warn("empty input, nothing to check")
        _close(f, name)
        return None
    if b"\x00" in head:
        warn("binary file, skipped")
        _close(f, name)
        return None
    return _decode(f, head, name, warn)


def _close(f: BinaryIO, name: str) -> None:
    if name != "-":
        f.close()


class LinePiece(str):
    """Part of a line longer than PIECE bytes, cut after a space: the line goes on in the next
    item. A plain ``str`` to anyone who does not look (the segmenter counts it as a line)."""

    __slots__ = ()


def _piece_end(buffer: bytes) -> tuple[int, bool]:
    """Where to cut the first PIECE bytes off a long line, and whether that ends a line.

    After the last bare ``\\r`` (old Mac line ends: a real line end), else after the last
    space or tab (so no word is cut), else before a UTF-8 sequence (so no character is).
    """
    cr = buffer.rfind(b"\r", 0, PIECE)
    if cr >= 0:
        return cr + 1, True
    space = max(buffer.rfind(b" ", 0, PIECE), buffer.rfind(b"\t", 0, PIECE))
    if space >= 0:
        return space + 1, False
    n = PIECE
    while n > PIECE - 4 and buffer[n] & 0xC0 == 0x80:  # a UTF-8 continuation byte
        n -= 1
    return n, False


def _decode(f: BinaryIO, head: bytes, name: str, warn: Report) -> Iterator[str]:
    """Yield the text as it arrives: complete lines, several at a time, decoded.

    Memory stays bounded: reads are at most BLOCK bytes, and a line longer than PIECE bytes
    (a 300 MB line without a newline) is handed on in pieces, each a LinePiece cut after a
    space. The segmenter caps sentences at 5,000 characters anyway, so nothing is lost but
    the line numbers after such a line, which count each piece as a line (until the
    segmenter learns LinePiece).
    """
    offset = 0
    warned = False

    def decode(raw: bytes) -> str:
        nonlocal offset, warned
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            # Line by line, as before blocks: only the lines that are not UTF-8 fall back.
            parts = []
            at = offset
            for line in raw.splitlines(keepends=True):
                try:
                    parts.append(line.decode("utf-8"))
                except UnicodeDecodeError as e:
                    if not warned:
                        warn(
                            f"not valid UTF-8 (first bad byte at offset {at + e.start}); "
                            f"read as {FALLBACK}"
                        )
                        warned = True
                    parts.append(line.decode(FALLBACK, errors="replace"))
                at += len(line)
            text = "".join(parts)
        offset += len(raw)
        return text

    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
        offset = 3  # offsets count the file's bytes, BOM included
    # read1: whatever has arrived, so a slow pipe's lines are checked as they come.
    read = getattr(f, "read1", None) or f.read
    buffer = head
    try:
        while True:
            # Complete lines now; the rest may go on (or be the "\r" of a "\r\n") later.
            cut = buffer.rfind(b"\n") + 1
            if cut:
                yield decode(buffer[:cut])
                buffer = buffer[cut:]
            while len(buffer) > PIECE:
                n, whole = _piece_end(buffer)
                text = decode(buffer[:n])
                buffer = buffer[n:]
                yield text if whole else LinePiece(text)
            more = read(BLOCK)
            if not more:
                if buffer:
                    yield decode(buffer)
                return
            buffer += more
    finally:
        _close(f, name)
