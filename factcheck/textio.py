"""Read user text safely: files or stdin, streamed line by line, never crashing on bad bytes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import BinaryIO

SNIFF = 8192  # a NUL in the first 8 KiB means binary, as grep and git decide
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
    byte's offset, so a stray Latin-1 file is still checked.
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


def _decode(f: BinaryIO, head: bytes, name: str, warn: Report) -> Iterator[str]:
    """Yield each complete line as soon as it has arrived, decoded."""
    offset = 0
    warned = False

    def decode(raw: bytes) -> str:
        nonlocal offset, warned
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            if not warned:
                warn(
                    f"not valid UTF-8 (first bad byte at offset {offset + e.start}); "
                    f"read as {FALLBACK}"
                )
                warned = True
            line = raw.decode(FALLBACK, errors="replace")
        offset += len(raw)
        return line

    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
        offset = 3  # offsets count the file's bytes, BOM included
    buffer = head
    try:
        while True:
            lines = buffer.splitlines(keepends=True)
            # A last piece without "\n" may go on (or be the "\r" of a "\r\n") in the next
            # read: hold it back until then, but hand out the complete lines now.
            buffer = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
            for raw in lines:
                yield decode(raw)
            more = f.readline()
            if not more:
                if buffer:
                    yield decode(buffer)
                return
            buffer += more
    finally:
        _close(f, name)
