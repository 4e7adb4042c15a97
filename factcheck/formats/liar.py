"""The LIAR dataset (W. Y. Wang, ACL 2017): 14 tab-separated columns, no header.

Read with ``csv.QUOTE_NONE``: double quotes in statements are literal characters, and a
statement that starts with ``"`` and never closes it must not swallow the following lines
(that is how 10,269 train rows become 10,240). Columns: id (``2635.json``), label, statement,
subjects, speaker slug, speaker job, state, party, five credit-history counts, context.

Mapping: id ``liar-<n>``; text = statement without stray BOMs and outer whitespace; speaker =
the slug in display form (``barack-obama`` -> "Barack Obama": hyphens to spaces, title case,
imperfect for names like "McCain"); verdict = label, status through ``factcheck.verdicts``
(``barely-true`` is PolitiFact's old "Mostly False": disputed); tags = subjects plus
``party:<party>`` (lower case); one source ``fact-check`` by PolitiFact with ref
``politifact:<n>``; a disputed label adds PolitiFact's dispute. LIAR has no dates and no URLs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping

from factcheck.formats import (
    LIAR_COLUMNS,
    UNKNOWN_SPEAKER,
    Input,
    LineSource,
    Record,
    clean_text,
    guarded,
)
from factcheck.model import Claim, Source, Status
from factcheck.safejson import shorten
from factcheck.verdicts import VerdictTable, dispute_for

PUBLISHER = "PolitiFact"
_ID = re.compile(r"(\d+)\.json")


def read(
    stream: Input, *, source: str, verdicts: Mapping[str, str] | None = None
) -> Iterator[Record]:
    """Claims from a LIAR split (``train.tsv``, ``valid.tsv``, ``test.tsv``)."""
    table = VerdictTable(verdicts)
    return guarded(_read(LineSource(stream), source, table), source)


def speaker_name(slug: str) -> str:
    """``barack-obama`` -> ``Barack Obama`` (LIAR gives slugs, not display names)."""
    return " ".join(part.capitalize() for part in slug.strip().replace("-", " ").split())


def _lines(source: LineSource) -> Iterator[str]:
    """Its lines, runs of blank ones skipped in bulk (QUOTE_NONE: a row is one line)."""
    while True:
        source.skip_blank()
        line = source.readline()
        if not line:
            return
        yield line


def _read(lines: LineSource, source: str, table: VerdictTable) -> Iterator[Record]:
    rows = csv.reader(_lines(lines), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in rows:
        where = f"{source}:{lines.line}"
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != LIAR_COLUMNS:
            yield Record(where, None, f"{len(row)} columns, expected {LIAR_COLUMNS}")
            continue
        yield _record(row, where, table)


def _record(row: list[str], where: str, table: VerdictTable) -> Record:
    raw_id, label, statement, subjects, slug = row[:5]
    party = row[7]
    m = _ID.fullmatch(raw_id.strip())
    if m is None:
        shown = shorten(raw_id)
        return Record(f"{where}.id", None, f"bad id {shown!r}, expected <number>.json")
    number = m.group(1)
    text = clean_text(statement)
    if text is None:
        return Record(f"{where}.statement", None, "empty statement")
    verdict = clean_text(label)
    status = table.status(verdict)
    tags = dict.fromkeys(t.strip() for t in subjects.split(",") if t.strip())
    if party.strip():
        tags[f"party:{party.strip().lower()}"] = None
    claim = Claim(
        id=f"liar-{number}",
        text=text,
        speaker=speaker_name(slug) or UNKNOWN_SPEAKER,
        status=status,
        disputed_by=(dispute_for(verdict, PUBLISHER),)
        if verdict is not None and status is Status.DISPUTED
        else (),
        sources=(Source("fact-check", publisher=PUBLISHER, ref=f"politifact:{number}"),),
        tags=tuple(tags),
        verdict=verdict,
    )
    return Record(where, claim, None)
