"""Import files into a database and add single claims: read, validate, merge, write atomically.

The steps are pure core (no terminal); the CLI passes callbacks to report skipped records and
waiting for another writer.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from factcheck.errors import InputError
from factcheck.formats import Record, detect, gunzip, open_source, reader
from factcheck.merge import Outcome, merge_into
from factcheck.model import Claim
from factcheck.normalize import normalize
from factcheck.store import parse_claim

if TYPE_CHECKING:
    from factcheck.store import WriteTarget

HEAD = 65536  # bytes read to guess a format


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
        if name == "-":
            if stdin is None:
                raise InputError("no standard input", "-")
            stream = gunzip(stdin)
            head = stream.peek(HEAD) if hasattr(stream, "peek") else b""
            if not head:
                data = stream.read()
                stream, head = io.BytesIO(data), data[:HEAD]
        else:
            stream = open_source(name)
            with open(name, "rb") as raw:
                head = raw.read(HEAD)
        kind = detect(name, head) if fmt == "auto" else fmt
        options: dict[str, Any] = {"source": name, "verdicts": verdicts}
        if kind in ("csv", "tsv") and mapping:
            options["mapping"] = mapping
        try:
            yield from reader(kind)(stream, **options)
        finally:
            if name != "-":
                stream.close()


def import_files(
    target: Path,
    files: Sequence[str],
    *,
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    verdicts: Mapping[str, str] | None = None,
    skip_bad: bool = False,
    dry_run: bool = False,
    stdin: BinaryIO | None = None,
    on_skip: Callable[[str, str], None] | None = None,
    on_wait: Callable[[], None] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Import ``files`` into the database at ``target`` (created if missing); a report.

    Records stream from the readers into the store (a JSON database is merged in memory and
    written once; a SQLite one in one transaction of indexed lookups), so nothing is written
    unless every record is good, or ``skip_bad`` (each skipped record is passed to
    ``on_skip``). The database is locked from reading to writing, so a concurrent import waits
    and then merges into the result of this one. ``progress(records, None)`` is told the
    records read every 10,000, and ``progress(n, n)`` once reading is done.
    """
    from factcheck.store import writing

    skipped: list[dict[str, str]] = []
    read = 0
    existed = target.exists()
    outcome = Outcome([], [], [], [], [])

    def good(store: WriteTarget) -> Iterator[Claim]:
        nonlocal read
        seen: set[str] = set()  # ids read so far (the same strings the report keeps)
        for record in read_inputs(files, fmt, mapping=mapping, verdicts=verdicts, stdin=stdin):
            error = record.error
            claim = record.claim
            if claim is not None and error is None:
                if claim.id in seen:
                    # Twice in the input: with another text the second would silently
                    # replace the first (the store holds the first by now).
                    stored = store.by_id(claim.id)
                    if stored is not None and not _same_text(stored.text, claim.text):
                        error = f"duplicate id {claim.id!r} with another text earlier in the input"
                seen.add(claim.id)
            if error is not None:
                if not skip_bad:
                    raise InputError(
                        error, record.location, "fix it, or pass --skip-bad; nothing was written"
                    )
                skipped.append({"location": record.location, "error": error})
                if on_skip:
                    on_skip(record.location, error)
                continue
            assert record.claim is not None
            read += 1
            if progress and read % 10_000 == 0:
                progress(read, None)
            yield record.claim
        if progress:
            progress(read, read)

    def keep() -> bool:
        return not dry_run and (outcome.changed_anything or not existed)

    with writing(target, on_wait, keep=keep) as store:
        outcome = merge_into(store, good(store))
        claims = store.count
    written = keep()
    return report(target, files, outcome, read, skipped, dry_run, written, claims)


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
            "added": result.added,
            "merged": result.merged,
            "changed": result.changed,
            "updated": result.updated,
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
        stored_id = (result.added or result.merged or result.unchanged or [claim.id])[0]
        outcome = "added" if result.added else "merged into"
        stored = store.by_id(stored_id)
    return (stored if stored is not None else claim), outcome
