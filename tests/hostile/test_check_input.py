"""``check`` reads any input in flat memory, and no text ends it early."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factcheck.segment import split_sentences
from factcheck.textio import BLOCK, PIECE, LinePiece, read_lines
from tests.hostile.test_readers import Generated


def _items(data: bytes) -> list[str]:
    warnings: list[str] = []
    lines = read_lines(
        "-", io.BufferedReader(io.BytesIO(data)), warn=warnings.append, error=warnings.append
    )
    assert lines is not None
    return list(lines)


def test_a_long_line_comes_in_pieces_cut_after_spaces() -> None:
    words = [f"word{i}" for i in range(400_000)]  # 3.6 MB, no newline
    items = _items(" ".join(words).encode())
    assert len(items) > 3 and all(len(i.encode()) <= PIECE for i in items)
    assert all(isinstance(i, LinePiece) for i in items[:-1])
    assert "".join(items).split() == words  # nothing lost, no word cut


@settings(max_examples=30)
@given(st.sampled_from(["é", "😀", "ab", "\u4e2d"]), st.integers(1, 3))
def test_a_long_line_without_spaces_is_cut_between_characters(char: str, extra: int) -> None:
    text = char * (PIECE // len(char.encode()) * 2 + extra)
    items = _items(text.encode())
    assert "".join(items) == text and "\ufffd" not in "".join(items)


def test_old_mac_line_ends_are_cut_at_a_line_end() -> None:
    text = "Line one.\r" * 150_000  # 1.5 MB: more than a piece
    items = _items(text.encode())
    assert "".join(items) == text
    assert not any(isinstance(i, LinePiece) for i in items)  # each piece ends a line
    assert [s.line for s in split_sentences(items)][-1] == 150_000


def test_blank_lines_come_in_blocks_and_keep_line_numbers() -> None:
    items = _items(b"\n" * 300_000 + b"Russia annexed Crimea.\n")
    assert len(items) < 300_000 // (BLOCK // 2)
    assert [(s.text, s.line) for s in split_sentences(items)] == [
        ("Russia annexed Crimea.", 300_001)
    ]


def test_line_numbers_after_a_line_that_came_in_pieces() -> None:
    long_line = " ".join(f"word{i}" for i in range(400_000))  # 3.6 MB: several pieces
    items = _items(f"{long_line}\n\n\nRussia annexed Crimea.\n".encode())
    assert any(isinstance(i, LinePiece) for i in items)
    found = [(s.text, s.line) for s in split_sentences(items) if "Crimea" in s.text]
    assert found == [("Russia annexed Crimea.", 4)]


def test_bad_bytes_in_a_block_fall_back_line_by_line() -> None:
    warnings: list[str] = []
    data = "caf\u00e9 ok\n".encode() * 10 + b"caf\xe9 latin\n" + "na\u00efve\n".encode()
    lines = read_lines(
        "-", io.BufferedReader(io.BytesIO(data)), warn=warnings.append, error=warnings.append
    )
    assert lines is not None
    text = "".join(lines)
    assert text == "caf\u00e9 ok\n" * 10 + "caf\u00e9 latin\n" + "na\u00efve\n"
    assert warnings == ["not valid UTF-8 (first bad byte at offset 93); read as cp1252"]


MiB = 1 << 20
STREAMS = [  # (body, what, through the segmenter too, two sizes, the second past warm-up)
    # Long words: each word is an object, and tracemalloc makes millions of them slow.
    (
        b"Russia-annexed-Crimea-in-2014-while-the-world-watched ",
        "one long line",
        True,
        (3 * MiB, 12 * MiB),
    ),
    (b"x", "one long word", True, (8 * MiB, 32 * MiB)),
    # Alone: the segmenter takes a Python step per blank line (a block of them is split
    # there), which under tracemalloc takes minutes; its memory is not the question here.
    (b"\n", "blank lines", False, (4 * MiB, 16 * MiB)),
]


@pytest.mark.parametrize(("body", "what", "segment", "sizes"), STREAMS)
def test_memory_does_not_grow_with_the_input(
    body: bytes, what: str, segment: bool, sizes: tuple[int, int]
) -> None:
    def peak(size: int) -> int:
        stream = io.BufferedReader(Generated(b"", body, size))
        lines = read_lines("-", stream, warn=lambda m: None, error=lambda m: None)
        assert lines is not None
        tracemalloc.start()
        try:
            for _ in split_sentences(lines) if segment else lines:
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, big = peak(sizes[0]), peak(sizes[1])
    # About 10 MB is the segmenter's word list for one 1 MiB piece of a line: constant.
    assert big < 24 << 20, f"{what}: peak {big >> 20} MiB for {sizes[1] >> 20} MiB of input"
    assert big < small + (2 << 20), f"{what}: peak {small >> 20} MiB, then {big >> 20} MiB"


def test_a_huge_figure_does_not_end_the_check() -> None:
    from factcheck.check import Summary, check_text
    from factcheck.index import Index
    from factcheck.match import Matcher
    from factcheck.store import load_database

    matcher = Matcher(Index.build(load_database()))
    sentence = "Russia annexed Crimea in 2014."
    text = f"About {'9' * 400} soldiers died and Russia annexed Crimea in 2014.\n{sentence}\n"
    summary = Summary()
    results = list(check_text(matcher, io.StringIO(text), summary=summary, show_all=True))
    assert summary.sentences == 2 and results[-1].sentence == sentence and results[-1].matched
