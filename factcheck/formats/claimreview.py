"""schema.org ClaimReview (JSON-LD), as fact-checkers publish it, in and out.

Read: a single object, a list, ``@graph``, a ``DataFeed`` (``dataFeedElement[].item`` is one
object or a list), JSON Lines of any of these, or HTML/text with ``<script
type="application/ld+json">`` blocks (``read`` picks by the first character; ``read_html``
forces the last). Other node types in a ``@graph`` or a page (WebPage, Organization...) are
skipped; elsewhere a non-ClaimReview object is an error record.

Mapping (see the shared data README): ``claimReviewed`` -> text; ``itemReviewed.author.name``
-> speaker (generic claimants such as "Bloggers" keep their name; none -> "Unknown");
``itemReviewed.datePublished``, else the review's ``datePublished`` -> date;
``reviewRating.alternateName`` -> verdict -> status; the review ``url``, ``name`` (else
``headline``: the fact-check's title), ``author.name`` (the checker; else ``publisher.name``)
and ``datePublished`` -> one ``fact-check`` source; tag
``checker:<name>``; a disputed verdict adds the checker's dispute. Id: ``cr-`` + sha1 of the
review URL and the normalised text. Other fields (appearance, ratingValue, sdPublisher...) are
ignored.

Write: a JSON list of ClaimReview objects, one per claim, from the claim's first
``fact-check`` source (else its first source); keys without a value are left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from factcheck.dates import normalize_date
from factcheck.formats import (
    UNKNOWN_SPEAKER,
    Input,
    Record,
    clean_text,
    guarded,
    json_error,
    json_values,
    located,
    stable_id,
    text_lines,
)
from factcheck.model import Claim, Source, Status
from factcheck.verdicts import VerdictTable, dispute_for

ID_PREFIX = "cr-"
_SCRIPT = re.compile(
    r"""<script\b[^>]*?\btype\s*=\s*["']?application/ld\+json["']?[^>]*>(.*?)</script\s*>""",
    re.IGNORECASE | re.DOTALL,
)
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[(.*?)(?://\s*)?\]\]>\s*$", re.DOTALL)


def read(
    stream: Input, *, source: str, verdicts: Mapping[str, str] | None = None
) -> Iterator[Record]:
    """ClaimReview records from JSON, JSON Lines or HTML (sniffed from the first character)."""
    table = VerdictTable(verdicts)
    return guarded(_read(text_lines(stream), source, table), source)


def read_html(
    stream: Input, *, source: str, verdicts: Mapping[str, str] | None = None
) -> Iterator[Record]:
    """ClaimReview records from the ``application/ld+json`` script blocks of HTML or text."""
    table = VerdictTable(verdicts)
    return guarded(_read_html(text_lines(stream), source, table), source)


def _read(lines: Iterator[str], source: str, table: VerdictTable) -> Iterator[Record]:
    head: list[str] = []
    for line in lines:
        head.append(line)
        if line.strip():
            break
    start = head[-1].lstrip()[:1] if head else ""
    if start and start not in "{[":
        yield from _read_html(_chain(head, lines), source, table)
        return
    count = 0
    for item in json_values(_chain(head, lines)):
        if item.error is not None:
            yield Record(f"{source}:{item.line}", None, item.error)
            continue
        nodes = list(_nodes(item.value, in_graph=False))
        for i, node in enumerate(nodes, 1):
            count += 1
            where = located(source, item.line, count if item.line == 0 else i, len(nodes) > 1)
            yield _record(node, where, table)


def _read_html(lines: Iterator[str], source: str, table: VerdictTable) -> Iterator[Record]:
    text = "".join(lines)
    line, pos = 1, 0
    for m in _SCRIPT.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        body = m.group(1)
        cdata = _CDATA.match(body)
        if cdata:
            body = cdata.group(1)
        try:
            value = json.loads(body)
        except json.JSONDecodeError as e:
            yield Record(f"{source}:{line}", None, f"ld+json block: {json_error(e, e.lineno)}")
            continue
        nodes = list(_nodes(value, in_graph=True))
        for i, node in enumerate(nodes, 1):
            yield _record(node, located(source, line, i, len(nodes) > 1), table)


def _chain(head: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from head
    yield from rest


def _types(obj: dict[str, Any]) -> list[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def _is_claimreview(obj: dict[str, Any]) -> bool:
    # "ClaimReview", "schema:ClaimReview", "http://schema.org/ClaimReview"
    return any(t.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == "ClaimReview" for t in _types(obj)) or (
        "claimReviewed" in obj and not _types(obj)
    )


def _nodes(value: Any, *, in_graph: bool) -> Iterator[Any]:
    """The ClaimReview objects in a JSON-LD value; non-objects come out to be reported.

    In a ``@graph`` or an HTML page other node types are normal and skipped; a top-level
    object, list element or feed item of another type is passed on (and reported).
    """
    if isinstance(value, list):
        for v in value:
            yield from _nodes(v, in_graph=in_graph)
        return
    if not isinstance(value, dict):
        if not in_graph:
            yield value
        return
    if "@graph" in value:
        yield from _nodes(value["@graph"], in_graph=True)
        return
    if "dataFeedElement" in value or "DataFeed" in _types(value):
        elements = value.get("dataFeedElement")
        for element in elements if isinstance(elements, list) else [elements]:
            if isinstance(element, dict) and not _is_claimreview(element):
                # A DataFeedItem: its "item" holds one ClaimReview or a list of them.
                yield from _nodes(element.get("item"), in_graph=False)
            else:
                yield from _nodes(element, in_graph=False)
        return
    if _is_claimreview(value) or not in_graph:
        yield value


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _name(value: Any) -> str | None:
    """The name of an author/publisher given as an object, a list of them, or a string."""
    value = _first(value)
    if isinstance(value, dict):
        return clean_text(value.get("name"))
    return clean_text(value)


def _record(node: Any, where: str, table: VerdictTable) -> Record:
    if not isinstance(node, dict):
        return Record(where, None, f"expected a ClaimReview object, not {type(node).__name__}")
    if not _is_claimreview(node):
        kind = ", ".join(_types(node)) or "no @type"
        return Record(where, None, f"not a ClaimReview ({kind})")
    text = clean_text(node.get("claimReviewed"))
    if text is None:
        problem = "missing" if node.get("claimReviewed") is None else "empty or not a string"
        return Record(f"{where}.claimReviewed", None, f"claim text {problem}")
    item = _first(node.get("itemReviewed"))
    item = item if isinstance(item, dict) else {}
    speaker = _name(item.get("author")) or UNKNOWN_SPEAKER
    review_date = normalize_date(node.get("datePublished"))
    claim_date = normalize_date(item.get("datePublished")) or review_date
    rating = _first(node.get("reviewRating"))
    verdict = clean_text(rating.get("alternateName")) if isinstance(rating, dict) else None
    checker = _name(node.get("author")) or _name(node.get("publisher"))
    url = clean_text(node.get("url"))
    title = clean_text(node.get("name")) or clean_text(node.get("headline"))
    status = table.status(verdict)
    claim = Claim(
        id=stable_id(ID_PREFIX, url, text),
        text=text,
        speaker=speaker,
        status=status,
        date=claim_date,
        disputed_by=(dispute_for(verdict, checker),)
        if verdict is not None and status is Status.DISPUTED
        else (),
        # The review's headline often says what the claim leaves implicit: kept as the
        # fact-check's title (searched and shown).
        sources=(Source("fact-check", title, url, checker, review_date),),
        tags=(f"checker:{checker}",) if checker else (),
        verdict=verdict,
    )
    return Record(where, claim, None)


# --- writing --------------------------------------------------------------------------------


def to_claimreview(claim: Claim) -> dict[str, Any]:
    """One ClaimReview object for ``claim`` (keys without a value are left out)."""
    src = next((s for s in claim.sources if s.kind == "fact-check"), None) or next(
        iter(claim.sources), None
    )
    item: dict[str, Any] = {
        "@type": "Claim",
        "author": {"@type": "Organization", "name": claim.speaker},
    }
    if claim.date:
        item["datePublished"] = claim.date
    review: dict[str, Any] = {"@context": "https://schema.org", "@type": "ClaimReview"}
    if src is not None and src.url:
        review["url"] = src.url
    if src is not None and src.name:
        review["name"] = src.name
    if src is not None and src.date:
        review["datePublished"] = src.date
    if src is not None and src.publisher:
        review["author"] = {"@type": "Organization", "name": src.publisher}
    review["claimReviewed"] = claim.text
    if claim.verdict:
        review["reviewRating"] = {"@type": "Rating", "alternateName": claim.verdict}
    review["itemReviewed"] = item
    return review


def write(claims: Iterable[Claim], out: TextIO) -> int:
    """Write a JSON list of ClaimReview objects, one per line; returns how many."""
    count = 0
    out.write("[")
    for claim in claims:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(to_claimreview(claim), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
