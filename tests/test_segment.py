"""Tests for factcheck.segment: exact table-driven cases, properties and streaming behaviour."""

from __future__ import annotations

import dataclasses
import io
import itertools
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factcheck.segment import MAX_SENTENCE_CHARS, Sentence, split_sentences


def seg(text: str, *, one_per_line: bool = False) -> list[tuple[int, str]]:
    lines = io.StringIO(text, newline="")  # keeps \r, \r\n and \n as line terminators
    return [(s.line, s.text) for s in split_sentences(lines, one_per_line=one_per_line)]


def physical_lines(text: str) -> list[str]:
    return io.StringIO(text, newline="").readlines()


NEWS = (
    "The U.S. European Command released a statement. U.S. Gen. Alexus Grynkewich attended"
    " talks in Abu Dhabi.\n"
    "Fighting continues along a roughly 1,000-kilometer front line.\n"
    "\n"
    "Mr. Zelensky said on Jan. 5 that about 55,000 soldiers had been killed. He did not\n"
    "give details… Officials in Kyiv declined to comment.\n"
    "\n"
    '"We will not give up," he said. "Is it true?" a reporter asked.\n'
)
NEWS_EXPECTED = [
    (1, "The U.S. European Command released a statement."),
    (1, "U.S. Gen. Alexus Grynkewich attended talks in Abu Dhabi."),
    (2, "Fighting continues along a roughly 1,000-kilometer front line."),
    (4, "Mr. Zelensky said on Jan. 5 that about 55,000 soldiers had been killed."),
    (4, "He did not give details…"),
    (5, "Officials in Kyiv declined to comment."),
    (7, '"We will not give up," he said.'),
    (7, '"Is it true?" a reporter asked.'),
]


CASES: list[tuple[str, str, list[tuple[int, str]]]] = [
    ("news", NEWS, NEWS_EXPECTED),
    # Abbreviations
    (
        "titles",
        "Mr. Smith met Dr. Jones and Prof. Lee. They talked.",
        [(1, "Mr. Smith met Dr. Jones and Prof. Lee."), (1, "They talked.")],
    ),
    (
        "military",
        "Lt. Col. Ames, Sgt. Ruiz, Capt. Cole, Adm. Ito and Maj. Ng met. Then they left.",
        [
            (1, "Lt. Col. Ames, Sgt. Ruiz, Capt. Cole, Adm. Ito and Maj. Ng met."),
            (1, "Then they left."),
        ],
    ),
    (
        "politics",
        "Sen. Cruz, Rep. Ocasio, Gov. Hochul, Pres. Biden, Mrs. Biden and Ms. Harris spoke.",
        [(1, "Sen. Cruz, Rep. Ocasio, Gov. Hochul, Pres. Biden, Mrs. Biden and Ms. Harris spoke.")],
    ),
    (
        "places",
        "They visited St. Louis and Mt. Everest. It was cold.",
        [(1, "They visited St. Louis and Mt. Everest."), (1, "It was cold.")],
    ),
    (
        "months",
        "Talks ran from Jan. 5 to Feb. 2, Mar. 3, Apr. 4, Jun. 6, Jul. 7, Aug. 8, Sep. 9,"
        " Sept. 10, Oct. 11, Nov. 12 and Dec. 13. Done.",
        [
            (
                1,
                "Talks ran from Jan. 5 to Feb. 2, Mar. 3, Apr. 4, Jun. 6, Jul. 7, Aug. 8, Sep. 9,"
                " Sept. 10, Oct. 11, Nov. 12 and Dec. 13.",
            ),
            (1, "Done."),
        ],
    ),
    (
        "latin",
        "Some groups, e.g. Amnesty, objected, i.e. Most did. Ohio vs. Texas was close.",
        [
            (1, "Some groups, e.g. Amnesty, objected, i.e. Most did."),
            (1, "Ohio vs. Texas was close."),
        ],
    ),
    (
        "approx est",
        "It took approx. 5 hours and est. 2,000 people came. Then rain.",
        [(1, "It took approx. 5 hours and est. 2,000 people came."), (1, "Then rain.")],
    ),
    (
        "companies",
        "Acme Inc. Chief Pat Roe, Foo Ltd. Boss Al and Bar Co. Head Di met Baz Corp. Staff.",
        [(1, "Acme Inc. Chief Pat Roe, Foo Ltd. Boss Al and Bar Co. Head Di met Baz Corp. Staff.")],
    ),
    (
        "company ends sentence",
        "Shares fell at Apple Inc. The company declined to comment.",
        [(1, "Shares fell at Apple Inc."), (1, "The company declined to comment.")],
    ),
    (
        "U.S. mid-sentence",
        "The U.S. European Command and the U.K. Foreign Office met the U.N. Secretary-General"
        " and E.U. Commissioners.",
        [
            (
                1,
                "The U.S. European Command and the U.K. Foreign Office met the U.N."
                " Secretary-General and E.U. Commissioners.",
            )
        ],
    ),
    (
        "U.S. ends sentence before starter",
        "Troops left the U.S. The rest stayed in the U.K. However, talks went on.",
        [
            (1, "Troops left the U.S."),
            (1, "The rest stayed in the U.K."),
            (1, "However, talks went on."),
        ],
    ),
    (
        "dotted acronym",
        "Washington, D.C. Mayor Bowser spoke in Washington, D.C. It rained.",
        [(1, "Washington, D.C. Mayor Bowser spoke in Washington, D.C."), (1, "It rained.")],
    ),
    (
        "a.m. p.m.",
        "It began at 10.30 p.m. Monday and ended at 9 a.m. The city was quiet.",
        [(1, "It began at 10.30 p.m. Monday and ended at 9 a.m."), (1, "The city was quiet.")],
    ),
    (
        "etc.",
        "Apples, pears, etc. and more. Apples, pears, etc. Nothing else.",
        [(1, "Apples, pears, etc. and more."), (1, "Apples, pears, etc."), (1, "Nothing else.")],
    ),
    (
        "No. before number only",
        "He ranked No. 1 and Nos. 2 and 3 were close. She said No. Then she left.",
        [
            (1, "He ranked No. 1 and Nos. 2 and 3 were close."),
            (1, "She said No."),
            (1, "Then she left."),
        ],
    ),
    # Initials
    ("spaced initials", "J. R. R. Tolkien wrote it.", [(1, "J. R. R. Tolkien wrote it.")]),
    ("dotted initials", "J.R.R. Tolkien wrote it.", [(1, "J.R.R. Tolkien wrote it.")]),
    (
        "middle initial",
        "George W. Bush spoke. Alexus G. Grynkewich attended.",
        [(1, "George W. Bush spoke."), (1, "Alexus G. Grynkewich attended.")],
    ),
    # Numbers
    (
        "numbers",
        "Growth was 3.5 percent, or $1.2 billion. A 1,000-kilometer front and 55,000 troops.",
        [
            (1, "Growth was 3.5 percent, or $1.2 billion."),
            (1, "A 1,000-kilometer front and 55,000 troops."),
        ],
    ),
    (
        "version number ends sentence",
        "Install version 2.0.1. Then restart at 10.30 p.m. on Monday.",
        [(1, "Install version 2.0.1."), (1, "Then restart at 10.30 p.m. on Monday.")],
    ),
    (
        "digit starts sentence",
        "Prices rose in 2019. 2020 was worse.",
        [(1, "Prices rose in 2019."), (1, "2020 was worse.")],
    ),
    # Ellipsis
    ("ellipsis lowercase", "He paused... then spoke.", [(1, "He paused... then spoke.")]),
    (
        "ellipsis capital",
        "He paused... Then he spoke.",
        [(1, "He paused..."), (1, "Then he spoke.")],
    ),
    (
        "unicode ellipsis",
        "Wait… What happened? 5… 6 hours.",
        [(1, "Wait…"), (1, "What happened?"), (1, "5… 6 hours.")],
    ),
    # Quotes and brackets
    (
        "closing quote stays",
        'He said, "We will win." Then he left.',
        [(1, 'He said, "We will win."'), (1, "Then he left.")],
    ),
    (
        "curly quotes",
        "He said, \u201cWe will win.\u201d \u2018Sure.\u2019 Then he left.",
        [(1, "He said, \u201cWe will win.\u201d"), (1, "\u2018Sure.\u2019"), (1, "Then he left.")],
    ),
    (
        "bracket",
        "(See the report.) Next sentence.",
        [(1, "(See the report.)"), (1, "Next sentence.")],
    ),
    (
        "question lowercase continuation",
        '"Is it true?" she asked.',
        [(1, '"Is it true?" she asked.')],
    ),
    (
        "exclamation lowercase",
        "'Go!' he shouted. (Why?) and left.",
        [(1, "'Go!' he shouted."), (1, "(Why?) and left.")],
    ),
    (
        "quote opens next sentence",
        'He said: "Stop." "Why?" she asked.',
        [(1, 'He said: "Stop."'), (1, '"Why?" she asked.')],
    ),
    # ? and !
    (
        "?! and !!",
        "Really?! Yes!! No? OK!",
        [(1, "Really?!"), (1, "Yes!!"), (1, "No?"), (1, "OK!")],
    ),
    # Wrapping and paragraphs
    (
        "wrapped lines keep start line",
        "The first sentence\nwraps here. The second\nalso wraps.\nThird.",
        [(1, "The first sentence wraps here."), (2, "The second also wraps."), (4, "Third.")],
    ),
    ("break at line end", "First.\nSecond.", [(1, "First."), (2, "Second.")]),
    ("abbreviation at line end", "Gen.\nSmith spoke.", [(1, "Gen. Smith spoke.")]),
    (
        "U.S. at line end",
        "They left the U.S.\nThe rest stayed.",
        [(1, "They left the U.S."), (2, "The rest stayed.")],
    ),
    (
        "blank line ends paragraph",
        "No period here\n\nNew paragraph\n \t\u00a0\nMr.\n\nSmith",
        [(1, "No period here"), (3, "New paragraph"), (5, "Mr."), (7, "Smith")],
    ),
    # Markdown
    (
        "headings",
        "# Title\nBody text. More.\n## Sub ##\nText",
        [(1, "Title"), (2, "Body text."), (2, "More."), (3, "Sub"), (4, "Text")],
    ),
    (
        "heading interrupts paragraph",
        "Para line\n### U.S. talks. Day two\nmore",
        [(1, "Para line"), (2, "U.S. talks. Day two"), (3, "more")],
    ),
    (
        "hashtag is not a heading",
        "#hashtag trend. C# rocks.",
        [(1, "#hashtag trend."), (1, "C# rocks.")],
    ),
    (
        "rules ignored",
        "Intro.\n---\nNext.\n***\n===\n* * *\n___\nEnd",
        [(1, "Intro."), (3, "Next."), (8, "End")],
    ),
    ("setext heading", "Title\n=====\nBody.", [(1, "Title"), (3, "Body.")]),
    (
        "bullet markers",
        "- one\n* two\n+ three\n• four\n1. five\n2) six",
        [(1, "one"), (2, "two"), (3, "three"), (4, "four"), (5, "five"), (6, "six")],
    ),
    (
        "list items with sentences and wrapping",
        "Intro:\n- First item. Second sentence.\n- Next item\n  wraps here.\n  - Nested",
        [
            (1, "Intro:"),
            (2, "First item."),
            (2, "Second sentence."),
            (3, "Next item wraps here."),
            (5, "Nested"),
        ],
    ),
    (
        "numbered list at paragraph start",
        "3. Third point\n4. Fourth",
        [(1, "Third point"), (2, "Fourth")],
    ),
    (
        "year at line start is prose",
        "Growth hit a record in\n2019. Then it fell.",
        [(1, "Growth hit a record in 2019."), (2, "Then it fell.")],
    ),
    ("dash without space is text", "-5 degrees today.", [(1, "-5 degrees today.")]),
    # Whitespace and line endings
    (
        "CRLF and lone CR",
        "One.\r\nTwo\r\nthree.\rFour.\r\n\r\nFive",
        [(1, "One."), (2, "Two three."), (4, "Four."), (6, "Five")],
    ),
    ("BOM", "\ufeffHello. World.", [(1, "Hello."), (1, "World.")]),
    (
        "tabs and nbsp",
        "A\tlong\u00a0 gap.  Next\u00a0one.\t",
        [(1, "A long gap."), (1, "Next one.")],
    ),
    # Degenerate input
    ("no terminal punctuation", "no punctuation at all", [(1, "no punctuation at all")]),
    ("punctuation only", '...\n\n!!!\n\n""\n- \n-\n#\n', []),
    ("trailing punctuation attaches", "Hello. !!", [(1, "Hello. !!")]),
    ("leading punctuation attaches", ". Hello", [(1, ". Hello")]),
    ("empty", "", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cases(text: str, expected: list[tuple[int, str]]) -> None:
    assert seg(text) == expected


@pytest.mark.parametrize(
    "abbr",
    [
        *("Gen.", "Lt.", "Col.", "Sgt.", "Capt.", "Adm.", "Maj.", "Mr.", "Mrs.", "Ms.", "Dr."),
        *("Prof.", "Sen.", "Rep.", "Gov.", "Pres.", "St.", "Mt."),
    ],
)
def test_title_never_ends_sentence(abbr: str) -> None:
    assert seg(f"We met {abbr} Smith today. He left.") == [
        (1, f"We met {abbr} Smith today."),
        (1, "He left."),
    ]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["A b.", "C d."], [(1, "A b."), (2, "C d.")]),
        (["A b.\n", "\n", "C d.\n"], [(1, "A b."), (3, "C d.")]),
        (["A b.\r\n", "c d.\r", "E f."], [(1, "A b. c d."), (3, "E f.")]),
        (["A b.\nC d.\n\nE f."], [(1, "A b."), (2, "C d."), (4, "E f.")]),
    ],
)
def test_line_item_forms(lines: list[str], expected: list[tuple[int, str]]) -> None:
    assert [(s.line, s.text) for s in split_sentences(lines)] == expected


def test_one_per_line() -> None:
    text = "# Head. Title\n\n  A  b. C d.\t\n---\n- item\r\nlast"
    assert seg(text, one_per_line=True) == [
        (1, "# Head. Title"),
        (3, "A b. C d."),
        (5, "- item"),
        (6, "last"),
    ]


def test_sentence_is_frozen() -> None:
    sentence = Sentence("Hi.", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sentence.text = "x"  # type: ignore[misc]


def test_huge_token_is_emitted_in_pieces() -> None:
    text = "a" * (2 * 10**6 + 7)
    pieces = list(split_sentences([text]))
    assert all(len(s.text) <= MAX_SENTENCE_CHARS and s.line == 1 for s in pieces)
    assert "".join(s.text for s in pieces) == text


def test_long_line_without_punctuation_is_capped() -> None:
    words = [f"w{i}" for i in range(400_000)]
    pieces = list(split_sentences([" ".join(words) + "\n", "\n", "Next one."]))
    assert all(0 < len(s.text) <= MAX_SENTENCE_CHARS for s in pieces)
    assert " ".join(s.text for s in pieces[:-1]).split() == words
    assert pieces[-1] == Sentence("Next one.", 3)


def test_streams_from_infinite_input() -> None:
    consumed = 0

    def lines() -> Iterator[str]:
        nonlocal consumed
        for line in itertools.cycle(["The U.S. said so. It did.\n", "\n"]):
            consumed += 1
            yield line

    first = list(itertools.islice(split_sentences(lines()), 3))
    assert first == [
        Sentence("The U.S. said so.", 1),
        Sentence("It did.", 1),
        Sentence("The U.S. said so.", 3),
    ]
    assert consumed <= 4


def test_200k_lines_stream_lazily() -> None:
    consumed = 0

    def lines() -> Iterator[str]:
        nonlocal consumed
        for i in range(200_000):
            consumed += 1
            yield f"Line {i} says the U.S. economy grew 3.5 percent. It\n"
            if i % 1000 == 999:
                yield "\n"

    sentences = split_sentences(lines())
    assert next(sentences) == Sentence("Line 0 says the U.S. economy grew 3.5 percent.", 1)
    assert consumed == 1
    count, last = 1, None
    for sentence in sentences:
        count, last = count + 1, sentence
    # Each line's trailing "It" starts the next line's sentence; each paragraph ends with "It".
    assert count == 200_000 + 200
    assert last == Sentence("It", 200_199)


@pytest.mark.parametrize("line", ["The U.S. economy grew 3.5 percent. It", "no sentence end here"])
def test_flat_memory(line: str) -> None:
    def peak_for(n_lines: int) -> int:
        tracemalloc.start()
        try:
            for _ in split_sentences(itertools.repeat(line + "\n", n_lines)):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak_for(2_000), peak_for(20_000)
    assert large < 200_000
    assert large < small * 1.5 + 10_000  # 10x the input, no more than noise-level growth


# ---- property tests ------------------------------------------------------------------------

huge_text = st.builds(lambda s, n: s * n, st.text(max_size=40), st.integers(0, 30_000))


def check_invariants(sentences: list[Sentence], n_lines: int, *, capped: bool = True) -> None:
    lines = [s.line for s in sentences]
    assert lines == sorted(lines)
    assert all(1 <= line <= max(n_lines, 1) for line in lines)
    for s in sentences:
        assert s.text and s.text == " ".join(s.text.split())
        assert any(c.isalnum() for c in s.text)
        assert not capped or len(s.text) <= MAX_SENTENCE_CHARS


@given(st.text())
def test_arbitrary_text_never_fails(text: str) -> None:
    sentences = list(split_sentences(physical_lines(text)))
    check_invariants(sentences, len(physical_lines(text)))
    assert list(split_sentences([text])) == sentences  # one item holding many lines is the same
    list(split_sentences(text.splitlines(keepends=True)))


@settings(max_examples=30, deadline=None)
@given(huge_text)
def test_huge_text_never_fails(text: str) -> None:
    check_invariants(list(split_sentences(physical_lines(text))), len(physical_lines(text)))


def non_ws(text: str) -> str:
    return "".join(text.split())


# Prose-like text without list markers, headings or rules (those are stripped by design).
PROSE_TOKENS = [
    *("The", "U.S.", "Gen.", "Mr.", "W.", "No.", "e.g.", "etc.", "a.m.", "Inc.", "said", "it."),
    *("Why?!", "Yes!!", "wait...", "Then\u2026", "he", '"', "(", ")", "\u00a0", "\t", "\r\n"),
    *(" ", "\n", "\n\n"),
]
char_text = st.text(alphabet='abcXYZ .?!,"\n', max_size=3000)
token_text = st.lists(st.sampled_from(PROSE_TOKENS), max_size=300).map(" ".join)


@given(st.one_of(char_text, token_text))
def test_non_whitespace_preserved_in_order(text: str) -> None:
    # Only whole letterless paragraphs are dropped; everything else survives, in order.
    paragraphs: list[list[str]] = [[]]
    for line in physical_lines(text):
        if line.strip():
            paragraphs[-1].append(line)
        else:
            paragraphs.append([])
    expected = "".join(
        non_ws("".join(p)) for p in paragraphs if any(c.isalnum() for c in "".join(p))
    )
    assert "".join(non_ws(s.text) for s in split_sentences(physical_lines(text))) == expected


@given(st.text())
def test_one_per_line_count(text: str) -> None:
    lines = physical_lines(text.removeprefix("\ufeff"))
    expected = [" ".join(line.split()) for line in lines if any(c.isalnum() for c in line)]
    sentences = list(split_sentences(physical_lines(text), one_per_line=True))
    assert [s.text for s in sentences] == expected
    check_invariants(sentences, len(lines), capped=False)
