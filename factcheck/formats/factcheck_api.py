"""Responses of Google's Fact Check Tools API (``claims:search``), saved as JSON.

Input: one response ``{"claims": [...], "nextPageToken": ...}``, a list of responses, or JSON
Lines with one response per line (pages saved one after another). Each API claim becomes one
Claim: ``text``; ``claimant`` -> speaker ("Unknown" if absent); ``claimDate`` (an ISO
datetime) -> date. Every ``claimReview[]`` entry becomes a ``fact-check`` source (``url``,
``title`` as its name, ``publisher.name`` or else ``publisher.site``, ``reviewDate``) and a
``checker:<publisher>`` tag. The status and verdict come from the **first** review's
``textualRating`` (the API lists the reviews of one claim in no documented order, so the first
is as good as any and keeps the result stable); every review whose rating is disputed adds its
publisher's dispute. The id is ``cr-`` + sha1 of the first review's URL and the normalised
text, the same as the ClaimReview reader gives for that review.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from factcheck.dates import normalize_date
from factcheck.formats import (
    UNKNOWN_SPEAKER,
    Input,
    LineSource,
    Record,
    clean_text,
    guarded,
    json_values,
    located,
    stable_id,
)
from factcheck.model import Claim, Dispute, Source, Status
from factcheck.verdicts import VerdictTable, dispute_for

ID_PREFIX = "cr-"
# The claims of a response are read one at a time (see formats.json_values).
SPINE = ("claims",)


def read(
    stream: Input, *, source: str, verdicts: Mapping[str, str] | None = None
) -> Iterator[Record]:
    """Claims from saved Fact Check Tools API responses; see the module docstring."""
    table = VerdictTable(verdicts)
    return guarded(_read(LineSource(stream), source, table), source)


def _read(lines: LineSource, source: str, table: VerdictTable) -> Iterator[Record]:
    count = 0
    for item in json_values(lines, SPINE):
        if item.error is not None:
            yield Record(f"{source}:{item.line}", None, item.error)
            continue
        part = item.part
        if part is not None and part[0] == "claims":  # a claim of a big response, on its own
            count += 1
            yield _record(item.value, located(source, 0, count, True), table)
            continue
        if part is not None and part[0] == "{}" and "claims" in part[1]:
            continue  # the rest of that response: its page token and such
        responses = item.value if isinstance(item.value, list) and part is None else [item.value]
        claims: list[Any] = []
        for response in responses:
            if not isinstance(response, dict) or not isinstance(response.get("claims", []), list):
                where = f"{source}:{item.line}" if item.line else source
                yield Record(where, None, "expected an API response with a 'claims' list")
                continue
            claims.extend(response.get("claims", []))
        for i, raw in enumerate(claims, 1):
            count += 1
            where = located(source, item.line, count if item.line == 0 else i, len(claims) > 1)
            yield _record(raw, where, table)


def _record(raw: Any, where: str, table: VerdictTable) -> Record:
    if not isinstance(raw, dict):
        return Record(where, None, f"expected a claim object, not {type(raw).__name__}")
    text = clean_text(raw.get("text"))
    if text is None:
        return Record(f"{where}.text", None, "claim text missing or empty")
    reviews = raw.get("claimReview")
    reviews = [r for r in reviews if isinstance(r, dict)] if isinstance(reviews, list) else []
    sources: list[Source] = []
    tags: list[str] = []
    disputes: list[Dispute] = []
    for review in reviews:
        publisher = review.get("publisher")
        publisher = publisher if isinstance(publisher, dict) else {}
        checker = clean_text(publisher.get("name")) or clean_text(publisher.get("site"))
        src = Source(
            "fact-check",
            clean_text(review.get("title")),
            clean_text(review.get("url")),
            checker,
            normalize_date(review.get("reviewDate")),
        )
        if src not in sources:
            sources.append(src)
        if checker and f"checker:{checker}" not in tags:
            tags.append(f"checker:{checker}")
        rating = clean_text(review.get("textualRating"))
        if rating is not None and table.status(rating) is Status.DISPUTED:
            dispute = dispute_for(rating, checker)
            if dispute not in disputes:
                disputes.append(dispute)
    verdict = clean_text(reviews[0].get("textualRating")) if reviews else None
    claim = Claim(
        id=stable_id(ID_PREFIX, sources[0].url if sources else None, text),
        text=text,
        speaker=clean_text(raw.get("claimant")) or UNKNOWN_SPEAKER,
        status=table.status(verdict),
        date=normalize_date(raw.get("claimDate")),
        disputed_by=tuple(disputes),
        sources=tuple(sources),
        tags=tuple(tags),
        verdict=verdict,
    )
    return Record(where, claim, None)
