"""Import files into a database and add single claims: read, validate, merge, write atomically.

The steps are pure core (no terminal); the CLI passes callbacks to report skipped records and
waiting for another writer.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, TypeVar, cast

from factcheck.errors import InputError
from factcheck.formats import Record, detect, gunzip, open_source, reader
from factcheck.merge import Outcome, merge_into
from factcheck.model import Claim, Origin
from factcheck.normalize import normalize
from factcheck.store import parse_claim

if TYPE_CHECKING:
    from factcheck.prepare import Ready
    from factcheck.store import WriteTarget
    from factcheck.store.records import Prepared

HEAD = 65536  # bytes read to guess a format


class Input(NamedTuple):
    """One thing to import: a file, stdin, a fetched URL or API pages.

    ``open()`` gives its bytes (gzip is unpacked by ``read_input``), or ``lines`` its text
    already decoded (API pages, one JSON response a line). ``origin`` is remembered in the
    database after a kept import, so ``update`` can fetch it again."""

    name: str  # names the input in error locations; its suffix helps guess the format
    open: Callable[[], BinaryIO] | None = None
    lines: Iterable[str] | None = None
    origin: Origin | None = None
    format: str | None = None  # known format (API pages), else guessed or given


def file_input(name: str, stdin: BinaryIO | None = None) -> Input:
    """A file ('-': ``stdin``) as an Input."""
    if name == "-":
        if stdin is None:
            raise InputError("no standard input", "-")
        return Input("-", lambda: stdin)
    return Input(name, lambda: open_source(name))


def read_input(
    item: Input,
    fmt: str = "auto",
    *,
    mapping: Mapping[str, str] | None = None,
    verdicts: Mapping[str, str] | None = None,
) -> Iterator[Record]:
    """The records of one input, in order."""
    return _read(item, fmt, mapping, verdicts, reader)


def read_prepared(
    item: Input,
    fmt: str = "auto",
    *,
    mapping: Mapping[str, str] | None = None,
    verdicts: Mapping[str, str] | None = None,
    workers: int = 0,
) -> Iterator[Record | Ready]:
    """``read_input`` for a store that takes prepared claims: JSON Lines (and JSON of our
    schema) come prepared, by ``workers`` processes once the input is big
    (``factcheck.prepare``); other formats as ``read_input`` gives them."""
    from functools import partial

    from factcheck.prepare import read_prepared as prepared

    def choose(kind: str) -> Callable[..., Iterator[Record | Ready]]:
        return partial(prepared, workers=workers) if kind == "jsonl" else reader(kind)

    return _read(item, fmt, mapping, verdicts, choose)


R = TypeVar("R")


def _read(
    item: Input,
    fmt: str,
    mapping: Mapping[str, str] | None,
    verdicts: Mapping[str, str] | None,
    choose: Callable[[str], Callable[..., Iterator[R]]],
) -> Iterator[R]:
    kind = item.format or fmt
    options: dict[str, Any] = {"source": item.name, "verdicts": verdicts}
    if item.lines is not None:
        yield from choose(kind if kind != "auto" else "jsonl")(item.lines, **options)
        return
    assert item.open is not None
    raw = item.open()
    stream = gunzip(raw)
    try:
        head = stream.peek(HEAD) if hasattr(stream, "peek") else b""
        if not head and kind == "auto":
            # An unbuffered stream cannot be peeked at: read the head, then chain it back.
            head = stream.read(HEAD)
            stream = cast(BinaryIO, io.BufferedReader(_Rejoined(head, stream)))
        if kind == "auto":
            kind = detect(item.name, head)
        if kind in ("csv", "tsv") and mapping:
            options["mapping"] = mapping
        yield from choose(kind)(stream, **options)
    finally:
        if item.name != "-":
            stream.close()
            raw.close()


class _Rejoined(io.RawIOBase):
    """The bytes already read from a stream, then the rest of it."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def read_inputs(
    files: Sequence[str],
    fmt: str = "auto",
    *,
    mapping: Mapping[str, str] | None = None,
    verdicts: Mapping[str, str] | None = None,
    stdin: BinaryIO | None = None,
) -> Iterator[Record]:
    """Every record of every file, in order ('-' is ``stdin``; gzip is read transparently)."""
    for name in files:
        yield from read_input(file_input(name, stdin), fmt, mapping=mapping, verdicts=verdicts)


def import_files(
    target: Path,
    files: Sequence[str],
    *,
    stdin: BinaryIO | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Import files ('-' is ``stdin``) into the database at ``target``; see ``import_inputs``."""
    return import_inputs(target, [file_input(name, stdin) for name in files], **options)


def import_inputs(
    target: Path,
    inputs: Sequence[Input],
    *,
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    verdicts: Mapping[str, str] | None = None,
    skip_bad: bool = False,
    dry_run: bool = False,
    on_skip: Callable[[str, str], None] | None = None,
    on_wait: Callable[[], None] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    now: Callable[[], str] | None = None,
    jobs: int | None = None,
    ids: bool = True,
) -> dict[str, Any]:
    """Import ``inputs`` into the database at ``target`` (created if missing); a report.

    Records stream from the readers into the store (a JSON database is merged in memory and
    written once; a SQLite one in one transaction of indexed lookups), so nothing is written
    unless every record is good, or ``skip_bad`` (each skipped record is passed to
    ``on_skip``). The database is locked from reading to writing, so a concurrent import waits
    and then merges into the result of this one. ``progress(records, None)`` is told the
    records read every 10,000, and ``progress(n, n)`` once reading is done. Inputs with an
    ``origin`` (URLs, API queries) are remembered with their counts, fetched at ``now()``.
    A big JSON Lines input into a SQLite store is read by ``jobs`` worker processes (default
    one per CPU up to 4, 0 for none; see ``factcheck.prepare``). ``ids=False``: the report's
    lists of ids stay empty (its counts are all a summary needs; a million ids are 70 MB).
    """
    from factcheck.store import kind_of, writing

    skipped: list[dict[str, str]] = []
    read = 0
    existed = target.exists()
    outcome = Outcome(keep_ids=ids)
    per_input: list[dict[str, Any]] = []

    def tally(item: Input, start: dict[str, int], count: int) -> None:
        counts = {k: n - start[k] for k, n in outcome.counts.items()}
        per_input.append({"input": item.name, "read": count, **counts})

    def good(store: WriteTarget) -> Iterator[Claim | Prepared]:
        nonlocal read
        # Ids read so far, to catch one that comes again with another text. A store empty
        # when the write began holds nothing else, so finding the id there says as much.
        seen: set[str] | None = None if store.fresh else set()
        for item in inputs:
            start, count = outcome.counts, 0
            records: Iterator[Record | Ready]
            if kind_of(target) == "sqlite":  # it takes claims prepared, by workers if big
                from factcheck.prepare import default_workers

                workers = default_workers() if jobs is None else jobs
                records = read_prepared(
                    item, fmt, mapping=mapping, verdicts=verdicts, workers=workers
                )
            else:
                records = read_input(item, fmt, mapping=mapping, verdicts=verdicts)
            for record in records:
                error = record.error
                claim = record.claim
                if claim is not None and error is None:
                    if seen is None or claim.id in seen:
                        # Twice in the input: with another text the second would silently
                        # replace the first (the store holds the first by now).
                        stored = store.by_id(claim.id)
                        if stored is not None and not _same_text(stored.text, claim.text):
                            error = (
                                f"duplicate id {claim.id!r} with another text earlier in the input"
                            )
                    if seen is not None:
                        seen.add(claim.id)
                if error is not None:
                    if not skip_bad:
                        raise InputError(
                            error,
                            record.location,
                            "fix it, or pass --skip-bad; nothing was written",
                        )
                    skipped.append({"location": record.location, "error": error})
                    if on_skip:
                        on_skip(record.location, error)
                    continue
                assert claim is not None
                read += 1
                count += 1
                if progress and read % 10_000 == 0:
                    progress(read, None)
                yield claim
            tally(item, start, count)
            if item.origin is not None and not dry_run:
                done = per_input[-1]
                store.remember(
                    item.origin._replace(
                        fetched=now() if now else item.origin.fetched,
                        read=count,
                        added=done["added"],
                        updated=done["merged"] + done["changed"] + done["updated"],
                        status="ok",
                    )
                )
        if progress:
            progress(read, read)

    def keep() -> bool:
        remembered = any(i.origin is not None for i in inputs)
        return not dry_run and (outcome.changed_anything or remembered or not existed)

    with writing(target, on_wait, keep=keep) as store:
        merge_into(store, good(store), out=outcome)
        claims = store.count
    written = keep()
    doc = report(target, [i.name for i in inputs], outcome, read, skipped, dry_run, written, claims)
    doc["inputs"] = per_input  # added after the first version of this report: keys only grow
    return doc


def _same_text(a: str, b: str) -> bool:
    return a == b or normalize(a) == normalize(b)


def report(
    target: Path,
    files: Sequence[str],
    result: Outcome,
    read: int,
    skipped: list[dict[str, str]],
    dry_run: bool,
    written: bool,
    claims: int,
) -> dict[str, Any]:
    """The ``import --json`` document."""
    return {
        "database": str(target),
        "files": list(files),
        "dry_run": dry_run,
        "written": written,
        "read": read,
        **result.counts,
        "skipped": skipped,
        "claims": claims,
        "ids": {
            "added": result.ids["added"],
            "merged": result.ids["merged"],
            "changed": result.ids["changed"],
            "updated": result.ids["updated"],
        },
    }


_SLUG = re.compile(r"[^a-z0-9]+")


def make_id(speaker: str, text: str, taken: Callable[[str], bool]) -> str:
    """A readable, unique id: speaker's last name and the first content words of the text."""
    from factcheck.rules import STOPWORDS

    who = normalize(speaker).split()[-1:] or ["claim"]
    words = [w for w in normalize(text).split() if w not in STOPWORDS and w != ","][:5]
    base = _SLUG.sub("-", " ".join(who + words).casefold()).strip("-")[:60] or "claim"
    candidate, n = base, 2
    while taken(candidate):
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def add_claim(
    target: Path,
    text: str,
    speaker: str,
    *,
    date: str | None = None,
    disputes: Sequence[tuple[str, str]] = (),
    urls: Sequence[str] = (),
    tags: Sequence[str] = (),
    quote: str | None = None,
    claim_id: str | None = None,
) -> tuple[Claim, str]:
    """Add one claim (validated like any record); returns the stored claim and what happened:
    ``added``, or ``merged into`` an existing record with the same text and speaker.
    """
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"not an http(s) URL: {url!r}", "--source")
    from factcheck.store import writing

    with writing(target) as store:
        if claim_id is not None and store.has_id(claim_id):
            raise InputError(f"id {claim_id!r} is already taken", "--id", "choose another id")
        raw = {
            "id": claim_id or make_id(speaker, text, store.has_id),
            "text": text,
            "quote": quote,
            "speaker": speaker,
            "date": date,
            "status": "disputed" if disputes else "undisputed",
            "disputed_by": [{"speaker": s, "text": t} for s, t in disputes],
            "sources": [{"kind": "web", "url": u} for u in urls],
            "tags": list(tags),
        }
        claim = parse_claim(raw, "new claim")
        result = merge_into(store, [claim])
        ids = result.ids
        stored_id = (ids["added"] or ids["merged"] or ids["unchanged"] or [claim.id])[0]
        outcome = "added" if ids["added"] else "merged into"
        stored = store.by_id(stored_id)
    return (stored if stored is not None else claim), outcome
