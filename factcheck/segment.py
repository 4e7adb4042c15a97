"""Streaming sentence segmentation for English news prose (standard library only).

`split_sentences` reads an iterable of text lines and yields `Sentence` objects as soon as each
sentence is decided, holding only the unfinished sentence in memory.

Heuristics, and why:

* A candidate end is a whitespace-separated token ending in ``.``, ``!``, ``?`` or an ellipsis,
  optionally followed by closing quotes/brackets (which stay with the sentence they close).
* A candidate only becomes a break when the *next* token (after opening quotes/brackets)
  starts with an uppercase/uncased letter or a digit, so ``"Is it true?" she asked.`` stays one
  sentence. The decision waits for the next token, even across a line wrap.
* An ellipsis (``...``, ``…``) ends a sentence only before a capitalised word (not a digit).
* Titles and other abbreviations in `NEVER_END` (``Gen.``, ``Mr.``, ``e.g.``, months, ...) and
  single-capital initials (``W.``) never end a sentence.
* ``No.``/``Nos.`` are abbreviations only when a number follows (``No. 5``); otherwise the word
  "no" may end a sentence.
* Abbreviations that often *do* end sentences (`AMBIGUOUS_END`: ``U.S.``, ``a.m.``, ``Inc.``, and
  any other dotted acronym such as ``D.C.``) end one only when the next word is a common sentence
  starter (`SENTENCE_STARTERS`: The, It, But, However, ...). "the U.S. European Command" stays
  whole; "troops left the U.S. The rest stayed." splits. ``etc.`` is an ordinary word: it
  ends a sentence before a capitalised word or number, like any other word.
* A piece with no letter or digit is never emitted on its own: a break needs a word on its left
  and a word start on its right, and letterless blocks (``...``, ``!!!``) are dropped.
* Blank lines, headings and rule lines end a paragraph; list markers start a new block. A
  numbered marker (``2.``/``2)``) only starts an item at paragraph start, inside a list, or when
  it is ``1`` (as in CommonMark), so a wrapped "... in\\n2019. Then" stays prose. Any other
  non-blank line continues the current item or paragraph (indented or not, as in Markdown).
* Sentences longer than `MAX_SENTENCE_CHARS` are emitted in pieces so pathological input (a
  10 MB line without punctuation) keeps memory and output bounded.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass

from factcheck.rules import (  # the word lists
    AMBIGUOUS_END,
    NEVER_END,
    NUMBER_ABBREVIATIONS,
    SENTENCE_STARTERS,
)

__all__ = ["MAX_SENTENCE_CHARS", "Sentence", "split_sentences"]

MAX_SENTENCE_CHARS = 5000


# Straight, curly (escaped: ruff flags literal curly single quotes) and guillemet quotes.
_OPENERS = "\"'\u201c\u2018\u00ab([{"
_CLOSERS = "\"'\u201d\u2019\u00bb)]}"
_TERMINATORS = ".!?…"
_END_CHARS = _TERMINATORS + _CLOSERS  # a token can only end a sentence if it ends in one of these
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_RULE = re.compile(r"([-*_=])\1{2,}")  # tested with spaces removed, so "- - -" counts too
_HEADING = re.compile(r"#{1,6}")
_ITEM = re.compile(r"[-*+•]|(\d{1,9})[.)]")
_DOTTED = re.compile(r"(?:[^\W\d_]\.){2,}")  # U.S., D.C., J.R.R.
_LEADING_WORD = re.compile(r"[^\W\d_]+")
_WORD_CHAR = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str  # whitespace collapsed to single spaces, stripped; never empty
    line: int  # 1-based line where the sentence starts


def _is_boundary(tok: str, nxt: str) -> bool:
    """Whether a sentence ends after `tok`, given the following token `nxt`."""
    core = tok.rstrip(_CLOSERS)
    if not core or core[-1] not in _TERMINATORS:
        return False
    head = nxt.lstrip(_OPENERS)
    first = head[:1]
    if not first.isalnum() or first.islower():
        return False
    if core.endswith(("...", "…")):
        return first.isalpha()
    if core[-1] != ".":
        return True  # ? and ! (also ?! and !!)
    word = core.lstrip(_OPENERS)
    lowered = word.lower()
    if lowered in NEVER_END or (len(word) == 2 and word[0].isupper()):
        return False
    if lowered in NUMBER_ABBREVIATIONS:
        return not first.isdigit()
    if lowered in AMBIGUOUS_END or _DOTTED.fullmatch(word):
        match = _LEADING_WORD.match(head)
        return match is not None and match.group() in SENTENCE_STARTERS
    return True


def _slice_giant(word: str, line: int) -> Generator[Sentence, None, str]:
    """Emit all but the last `MAX_SENTENCE_CHARS` slice of an oversized token; return the rest."""
    last = (len(word) - 1) // MAX_SENTENCE_CHARS * MAX_SENTENCE_CHARS
    for i in range(0, last, MAX_SENTENCE_CHARS):
        piece = word[i : i + MAX_SENTENCE_CHARS]
        if _WORD_CHAR.search(piece):
            yield Sentence(piece, line)
    return word[last:]


class _Segmenter:
    """Holds the unfinished sentence of the current block (paragraph, list item, heading)."""

    def __init__(self) -> None:
        self.toks: list[str] = []
        self.size = 0  # len(" ".join(self.toks)) + 1, or 0 when empty
        self.has_word = False
        self.start = 0
        self.in_para = False
        self.in_list = False

    def add(self, words: list[str], line: int, split: bool = True) -> Iterator[Sentence]:
        for word in words:
            # has_word implies a non-empty buffer; the _END_CHARS test is a cheap pre-filter
            if (
                split
                and self.has_word
                and self.toks[-1][-1] in _END_CHARS
                and _is_boundary(self.toks[-1], word)
            ):
                yield from self.flush()
            if self.size + len(word) > MAX_SENTENCE_CHARS:
                yield from self.flush()
                word = yield from _slice_giant(word, line)
            if not self.toks:
                self.start = line
            self.size += len(word) + 1  # the +1 is the joining space
            self.toks.append(word)
            if not self.has_word:
                self.has_word = _WORD_CHAR.search(word) is not None

    def flush(self) -> Iterator[Sentence]:
        if self.has_word:
            yield Sentence(" ".join(self.toks), self.start)
        self.toks, self.size, self.has_word = [], 0, False

    def end_block(self) -> Iterator[Sentence]:
        yield from self.flush()
        self.in_para = self.in_list = False

    def feed(self, raw: str, line: int) -> Iterator[Sentence]:
        words = raw.split()
        if not words:
            yield from self.end_block()
            return
        first = words[0]
        if first[0] in "-*_=" and _RULE.fullmatch("".join(words)):
            yield from self.end_block()  # thematic break / setext underline: ignored
            return
        if _HEADING.fullmatch(first):
            yield from self.end_block()
            if len(words) > 1 and set(words[-1]) == {"#"}:
                words.pop()  # optional closing "##" sequence
            yield from self.add(words[1:], line, split=False)
            yield from self.end_block()
            return
        item = _ITEM.fullmatch(first)
        if item and (item[1] is None or item[1] == "1" or self.in_list or not self.in_para):
            yield from self.end_block()
            self.in_list = True
            words = words[1:]
        self.in_para = True
        yield from self.add(words, line)


def _physical_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Number physical lines; an item may end in \\n, \\r\\n, \\r or contain several lines.

    A run of blank lines that arrives as one item (``textio`` hands them over in blocks) is
    counted at C speed and given once; a ``textio.LinePiece`` (part of a line over 1 MiB)
    continues the same line, so the line numbers after it stay right.
    """
    from factcheck.textio import LinePiece

    number = 0
    going_on = False  # the previous item was a piece: this one is more of the same line
    for index, item in enumerate(lines):
        text = item[1:] if index == 0 and item.startswith("\ufeff") else item
        if not text.strip() and not going_on:
            ends = text.count("\n") + text.count("\r") - text.count("\r\n")
            number += max(ends, 1)
            yield number, ""
            continue
        parts = _LINE_BREAK.split(text)
        if len(parts) > 1 and not parts[-1]:
            parts.pop()  # the terminator of the last line, not an extra empty line
        for i, part in enumerate(parts):
            if not (i == 0 and going_on):
                number += 1
            yield number, part
        going_on = isinstance(item, LinePiece)


def split_sentences(lines: Iterable[str], *, one_per_line: bool = False) -> Iterator[Sentence]:
    """Stream sentences from an iterable of text lines (each may end in \\n or \\r\\n or nothing).

    An item may also hold several lines (a whole text); line numbers count physical lines.
    With ``one_per_line=True`` every line containing a letter or digit is one sentence
    (whitespace collapsed, no splitting, no length cap).
    """
    if one_per_line:
        for number, raw in _physical_lines(lines):
            text = " ".join(raw.split())
            if _WORD_CHAR.search(text):
                yield Sentence(text, number)
        return
    seg = _Segmenter()
    for number, raw in _physical_lines(lines):
        yield from seg.feed(raw, number)
    yield from seg.end_block()
