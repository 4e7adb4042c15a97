"""Check whole texts: split into sentences and match each against the database (streaming)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from factcheck.match import DEFAULT_LIMIT, DEFAULT_THRESHOLD, Matcher
from factcheck.model import Match
from factcheck.segment import split_sentences


@dataclass(frozen=True, slots=True)
class SentenceResult:
    file: str | None
    line: int
    sentence: str
    matches: tuple[Match, ...]  # above the threshold, best first
    candidate: Match | None = None  # with show_all: the best one below the threshold

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def to_dict(self) -> dict[str, Any]:
        shown = self.matches or ((self.candidate,) if self.candidate else ())
        return {
            "file": self.file,
            "line": self.line,
            "sentence": self.sentence,
            "matched": self.matched,
            "matches": [m.to_dict() for m in shown],
        }


@dataclass
class Summary:
    sentences: int = 0
    matched: int = 0
    disputed: int = 0
    files: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, result: SentenceResult) -> None:
        self.sentences += 1
        if result.matches:
            self.matched += 1
            if any(m.claim.disputed for m in result.matches):
                self.disputed += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentences": self.sentences,
            "matched": self.matched,
            "disputed": self.disputed,
            "files": self.files,
            "errors": list(self.errors),
        }


def check_text(
    matcher: Matcher,
    lines: Iterable[str],
    *,
    file: str | None = None,
    limit: int = DEFAULT_LIMIT,
    threshold: float = DEFAULT_THRESHOLD,
    one_per_line: bool = False,
    show_all: bool = False,
    summary: Summary | None = None,
) -> Iterator[SentenceResult]:
    """Yield a result for each sentence that repeats a known claim (every one with show_all).

    ``lines`` is consumed lazily, so memory stays flat however long the text is.
    """
    for sentence in split_sentences(lines, one_per_line=one_per_line):
        found = matcher.find(sentence.text, limit=limit, threshold=0 if show_all else threshold)
        matches = tuple(m for m in found if m.score >= threshold)
        candidate = found[0] if show_all and found and not matches else None
        result = SentenceResult(file, sentence.line, sentence.text, matches, candidate)
        if summary is not None:
            summary.add(result)
        if matches or show_all:
            yield result
