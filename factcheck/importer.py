"""Import files into a database and add single claims: read, validate, merge, write atomically.

The steps are pure core (no terminal); the CLI passes callbacks to report skipped records and
waiting for another writer.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from factcheck.errors import InputError
from factcheck.formats import Record, detect, gunzip, open_source, reader
from factcheck.merge import MergeResult, merge
from factcheck.model import SCHEMA_VERSION, Claim, Database
from factcheck.normalize import normalize
from factcheck.store import load_database, locked, parse_claim, write_database

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


def _existing(target: Path) -> Database:
    if target.exists():
        return load_database(target)
    return Database((), (), SCHEMA_VERSION, str(target))


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

    Nothing is written unless every record is good, or ``skip_bad`` (each skipped record is
    passed to ``on_skip``). The same id twice in the input with different texts is an error:
    the second would silently replace the first. The database is locked from reading to
    writing, so a concurrent import waits and then merges into the result of this one.
    ``progress(records, None)`` is told the records read every 10,000, and
    ``progress(n, n)`` once reading is done.
    """
    with locked(target, on_wait):
        existing = _existing(target)
        incoming: list[Claim] = []
        skipped: list[dict[str, str]] = []
        first_seen: dict[str, tuple[str, str]] = {}
        for record in read_inputs(files, fmt, mapping=mapping, verdicts=verdicts, stdin=stdin):
            error = record.error
            if record.claim is not None and error is None:
                claim = record.claim
                where, text = first_seen.setdefault(claim.id, (record.location, claim.text))
                if text != claim.text and normalize(text) != normalize(claim.text):
                    error = f"duplicate id {claim.id!r} with another text (first at {where})"
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
            incoming.append(record.claim)
            if progress and len(incoming) % 10_000 == 0:
                progress(len(incoming), None)
        if progress:
            progress(len(incoming), len(incoming))
        result = merge(existing, incoming)
        changed = any((result.added, result.merged, result.changed, result.updated))
        written = not dry_run and (changed or not target.exists())
        if written:
            write_database(result.database, target)
    return report(target, files, result, len(incoming), skipped, dry_run, written)


def report(
    target: Path,
    files: Sequence[str],
    result: MergeResult,
    read: int,
    skipped: list[dict[str, str]],
    dry_run: bool,
    written: bool,
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
        "claims": len(result.database.claims),
        "ids": {
            "added": result.added,
            "merged": result.merged,
            "changed": result.changed,
            "updated": result.updated,
        },
    }


_SLUG = re.compile(r"[^a-z0-9]+")


def make_id(speaker: str, text: str, taken: Iterable[str]) -> str:
    """A readable, unique id: speaker's last name and the first content words of the text."""
    from factcheck.rules import STOPWORDS

    who = normalize(speaker).split()[-1:] or ["claim"]
    words = [w for w in normalize(text).split() if w not in STOPWORDS and w != ","][:5]
    base = _SLUG.sub("-", " ".join(who + words).casefold()).strip("-")[:60] or "claim"
    used = set(taken)
    candidate, n = base, 2
    while candidate in used:
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
    with locked(target):
        existing = _existing(target)
        if claim_id is not None and existing.get(claim_id) is not None:
            raise InputError(f"id {claim_id!r} is already taken", "--id", "choose another id")
        raw = {
            "id": claim_id or make_id(speaker, text, (c.id for c in existing.claims)),
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
        result = merge(existing, [claim])
        stored_id = (result.added or result.merged or result.unchanged or [claim.id])[0]
        outcome = "added" if result.added else "merged into"
        write_database(result.database, target)
    stored = result.database.get(stored_id)
    return (stored if stored is not None else claim), outcome
