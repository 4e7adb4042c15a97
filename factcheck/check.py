"""Check whole texts: split into sentences and match each against the database (streaming)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from factcheck.match import DEFAULT_LIMIT, DEFAULT_THRESHOLD, Matcher
from factcheck.model import Match
from factcheck.segment import Sentence, split_sentences


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
    workers: int = 1,
    factory: Callable[[], Matcher] | None = None,
) -> Iterator[SentenceResult]:
    """Yield a result for each sentence that repeats a known claim (every one with show_all).

    ``lines`` is consumed lazily, so memory stays flat however long the text is. With
    ``workers`` > 1 and a ``factory`` that opens a matcher of the same database, sentences
    are matched in that many processes (results keep their order); where processes cannot
    be forked, matching stays in this one.
    """
    sentences = split_sentences(lines, one_per_line=one_per_line)
    floor = 0 if show_all else threshold
    if workers > 1 and factory is not None and "fork" in mp_start_methods():
        found_all = _parallel(factory, sentences, limit, floor, workers)
    else:
        found_all = ((s, matcher.find(s.text, limit=limit, threshold=floor)) for s in sentences)
    for sentence, found in found_all:
        matches = tuple(m for m in found if m.score >= threshold)
        candidate = found[0] if show_all and found and not matches else None
        result = SentenceResult(file, sentence.line, sentence.text, matches, candidate)
        if summary is not None:
            summary.add(result)
        if matches or show_all:
            yield result


def mp_start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


BATCH = 64  # sentences per task: big enough to amortise pickling, small enough to stream
# State of a worker process (set by fork or the pool initializer, never in the parent's
# own matching): the factory to call once, and the matcher it made.
_factory: Callable[[], Matcher] | None = None
_worker: Matcher | None = None


def _start_worker() -> None:
    global _worker
    assert _factory is not None
    _worker = _factory()  # its own SQLite connection: one must not cross a fork


def _match_batch(
    batch: list[Sentence], limit: int, floor: float
) -> list[tuple[Sentence, list[Match]]]:
    assert _worker is not None
    return [(s, _worker.find(s.text, limit=limit, threshold=floor)) for s in batch]


def _parallel(
    factory: Callable[[], Matcher],
    sentences: Iterator[Sentence],
    limit: int,
    floor: float,
    workers: int,
) -> Iterator[tuple[Sentence, list[Match]]]:
    """Match batches in a process pool, in order, with a bounded number in flight (a Pool's
    imap would read the whole input ahead of the workers)."""
    import multiprocessing
    from collections import deque
    from itertools import islice

    global _factory
    _factory = factory
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker)
    try:
        pending: deque[Any] = deque()
        while True:
            while len(pending) < workers * 3:
                batch = list(islice(sentences, BATCH))
                if not batch:
                    break
                pending.append(pool.apply_async(_match_batch, (batch, limit, floor)))
            if not pending:
                break
            yield from pending.popleft().get()
    finally:
        pool.terminate()
        _factory = None
