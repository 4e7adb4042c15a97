"""JSON for untrusted data: every way a value can break a reader is one clear error.

``parse(text)`` is ``json.loads`` that raises ``JsonProblem`` (a ValueError with a message, the
offset where it was found if known, and the field path) instead of letting these through:

- a syntax error (``syntax`` is True: the text is not JSON at all);
- an integer literal of more digits than Python converts (4,300 by default), which
  ``json.loads`` reports as a bare ValueError that no caller expects;
- a number too big for a float (``1e400`` would silently become ``inf``) and the ``NaN`` and
  ``Infinity`` literals, which are not JSON;
- nesting so deep that the decoder runs out of recursion (about 1,000 levels);
- a string holding a lone surrogate (``"\\ud800"``): not Unicode text, and no UTF-8 output can
  hold it, so printing the record later would fail.

Only the first problem is reported, with the path of the field that holds it
(``claimReview[0].reviewRating.ratingValue``). ``loads(text, where)`` is the same for callers
that stop at the first problem (the database loader): it raises ``error(message, location)``.

``dumps(obj)`` is ``json.dumps(obj, ensure_ascii=False)`` that also writes DEL, the C1 controls,
bidi controls, U+2028/U+2029 and lone surrogates as ``\\uXXXX``: still valid JSON that parses back
to the same value, but nothing in it can act on a terminal (``ensure_ascii=False`` escapes only
C0) and a lone surrogate can be encoded.

Standard library only, so every layer may use it.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from typing import Any

from factcheck.errors import FactcheckError, InputError

__all__ = ["Decoder", "JsonProblem", "dumps", "loads", "lone_surrogate", "parse", "shorten"]


class JsonProblem(ValueError):
    """Why a JSON text cannot be used. ``pos`` is a character offset into the text parsed (None
    when the decoder does not say); ``syntax`` tells a malformed text from a bad value."""

    def __init__(self, message: str, pos: int | None = None, *, syntax: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.syntax = syntax


def shorten(text: str, limit: int = 40) -> str:
    """``text`` cut to about ``limit`` characters, middle elided, for quoting in a message."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    return f"{text[:head]}...{text[-(limit - head - 3) :]}"


class _Bad:
    """Stands in for a value the decoder hooks refuse, so the walk can name its field."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem


class Decoder:
    """A JSON decoder that flags oversized integers, non-finite numbers and NaN/Infinity.

    One per input (not per module: the flag is state). ``decode(text)`` parses a whole text,
    ``raw_decode(text, pos)`` one value starting at ``pos`` (for streaming); both raise
    JsonProblem. The integer hook costs a Python call per integer, which claims data, made of
    strings, hardly notices.
    """

    def __init__(self) -> None:
        self._flagged = False
        self._digits = _int_digits()
        self._json = json.JSONDecoder(
            parse_int=self._int, parse_float=self._float, parse_constant=self._constant
        )

    def _int(self, text: str) -> Any:
        digits = len(text) - text.startswith("-")
        if self._digits and digits > self._digits:
            self._flagged = True
            limit = f"{self._digits:,}"
            return _Bad(f"an integer literal of {digits:,} digits (Python reads {limit} at most)")
        return int(text)

    def _float(self, text: str) -> Any:
        value = float(text)
        if math.isinf(value):
            self._flagged = True
            return _Bad(f"a number too large for a float ({shorten(text)})")
        return value

    def _constant(self, name: str) -> Any:
        self._flagged = True
        return _Bad(f"{name} is not a JSON value")

    def decode(self, text: str) -> Any:
        """The value of a whole JSON text (whitespace around it allowed)."""
        start = _WS.match(text).end()  # type: ignore[union-attr]  # \s* always matches
        value, end = self.raw_decode(text, start)
        end = _WS.match(text, end).end()  # type: ignore[union-attr]
        if end != len(text):
            raise JsonProblem("Extra data", end, syntax=True)
        return value

    def raw_decode(self, text: str, pos: int = 0) -> tuple[Any, int]:
        """One JSON value starting exactly at ``pos``, and the offset just after it."""
        self._flagged = False
        try:
            value, end = self._json.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise JsonProblem(e.msg, e.pos, syntax=True) from None
        except RecursionError:
            raise JsonProblem("JSON nested too deeply to read (about 1,000 levels)", pos) from None
        if self._flagged or _SURROGATE_ESCAPE.search(text, pos, end):
            found = _first_bad(value)
            if found is not None:
                path, problem = found
                raise JsonProblem(f"{problem} in field {path}" if path else problem, pos)
        return value, end


_WS = re.compile(r"[ \t\n\r]*")
# A \u escape of a surrogate: the only way a decoded string can hold one, since the text
# itself was decoded strictly. Pairs are fine (the decoder joins them); the walk tells.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _int_digits() -> int:
    get = getattr(sys, "get_int_max_str_digits", None)  # Python 3.10.7+, 3.11
    return int(get()) if get is not None else 0


def _first_bad(value: Any) -> tuple[str, str] | None:
    """(path, problem) of the first refused number or lone surrogate in ``value``, or None.

    Iterative, so it cannot recurse out on the deepest value the decoder accepts.
    """
    for path, item in _walk(value):
        if isinstance(item, _Bad):
            return path, item.problem
        if isinstance(item, str) and not item.isascii() and (m := _SURROGATE.search(item)):
            return path, f"a lone surrogate \\u{ord(m.group()):04x} (not Unicode text)"
    return None


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        yield path, item
        if isinstance(item, dict):
            children = []
            for key, child in item.items():
                yield f"{path}.{key}" if path else key, key  # keys are strings too
                children.append((f"{path}.{key}" if path else key, child))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in reversed(list(enumerate(item))))


def parse(text: str) -> Any:
    """The value of a JSON text; JsonProblem (see the module docstring) if it cannot be used."""
    return Decoder().decode(text)


def loads(text: str, where: str, *, error: type[FactcheckError] = InputError) -> Any:
    """``parse`` for callers that stop at the first problem: raises ``error(message, location)``.

    The location is ``where:line:column`` when the offset is known, else ``where``; a syntax
    error reads ``invalid JSON: Expecting ',' delimiter``, as ``json`` says it.
    """
    try:
        return parse(text)
    except JsonProblem as p:
        location = where
        if p.pos is not None:
            line = text.count("\n", 0, p.pos) + 1
            column = p.pos - (text.rfind("\n", 0, p.pos) + 1) + 1
            location = f"{where}:{line}:{column}"
        message = f"invalid JSON: {p.message}" if p.syntax else p.message
        raise error(message, location) from None


def lone_surrogate(value: Any) -> str | None:
    """The path of the first string in ``value`` holding a lone surrogate ("" for ``value``
    itself), or None. For values that did not come from ``parse``, such as command-line
    arguments (Python decodes undecodable bytes in argv to lone surrogates)."""
    for path, item in _walk(value):
        if isinstance(item, str) and not item.isascii() and _SURROGATE.search(item):
            return path
    return None


# DEL, C1, the bidi controls (embeddings, overrides, isolates, marks), the line and paragraph
# separators (line breaks to some terminals and to JavaScript) and lone surrogates.
_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """JSON with non-ASCII kept but every character that could act on a terminal escaped.

    The escaped characters can only stand inside JSON strings (all of JSON's own syntax is
    ASCII), where ``\\uXXXX`` means the same character, so the output parses back to ``obj``
    (but for a high surrogate followed by a low one, which JSON reads as the character the
    pair encodes: a Python string can hold them apart, nothing we read produces them).
    """
    return escape(json.dumps(obj, ensure_ascii=False, indent=indent))


def escape(text: str) -> str:
    """JSON text made by ``json.dumps(..., ensure_ascii=False)`` with the characters that
    could act on a terminal escaped: ``dumps`` for JSON that is already text (a store's own
    rows, passed through undecoded)."""
    if text.isascii() and "\x7f" not in text:
        return text
    return _UNSAFE.sub(_escape, text)
