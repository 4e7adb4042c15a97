"""schema.org ClaimReview (JSON-LD), as fact-checkers publish it, in and out.

Read: a single object, a list, ``@graph``, a ``DataFeed`` (``dataFeedElement[].item`` is one
object or a list), JSON Lines of any of these, or HTML/text with ``<script
type="application/ld+json">`` blocks (``read`` picks by the first character; ``read_html``
forces the last). Other node types in a ``@graph`` or a page (WebPage, Organization...) are
skipped; elsewhere a non-ClaimReview object is an error record.

Mapping (as README "Import, export, validate, add" documents it): ``claimReviewed`` -> text;
``itemReviewed.author.name`` -> speaker (generic claimants such as "Bloggers" keep their
name; none -> "Unknown");
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

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from factcheck.dates import normalize_date
from factcheck.formats import (
    CHUNK,
    MAX_VALUE,
    UNKNOWN_SPEAKER,
    Input,
    JsonValue,
    LineSource,
    Pieces,
    Record,
    clean_text,
    guarded,
    json_values,
    located,
    stable_id,
    value_error,
)
from factcheck.model import Claim, Source, Status
from factcheck.safejson import Decoder, JsonProblem, dumps, shorten
from factcheck.verdicts import VerdictTable, dispute_for

ID_PREFIX = "cr-"
# The ld+json blocks of a page are found by a scan, not one regex: "<script\b[^>]*?...>(.*?)
# </script>" retried its lazy parts from every "<script" in the text, quadratic in the number
# of them (20,000 copies of "<script " took 43 s). Each of these is tried at few places.
_OPEN = re.compile(r"<script\b", re.IGNORECASE)
_TYPE_LD = re.compile(r"""\btype\s*=\s*["']?application/ld\+json""", re.IGNORECASE)
_CLOSE = re.compile(r"</script\s*>", re.IGNORECASE)
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[(.*?)(?://\s*)?\]\]>\s*$", re.DOTALL)
MAX_TAG = 65536  # characters of a <script ...> tag; a longer one is not a script tag
MAX_NESTING = 32  # lists in lists, or @graph in @graph: real feeds nest two or three
# Top-level arrays read an element at a time (see formats.json_values).
SPINE = ("@graph", "dataFeedElement")


def read(
    stream: Input, *, source: str, verdicts: Mapping[str, str] | None = None
) -> Iterator[Record]:
    """ClaimReview records from JSON, JSON Lines or HTML (sniffed from the first character)."""
    table = VerdictTable(verdicts)
    return guarded(_read(LineSource(stream), source, table), source)


def read_html(
    stream: Input, *, source: str, verdicts: Mapping[str, str] | None = None
) -> Iterator[Record]:
    """ClaimReview records from the ``application/ld+json`` script blocks of HTML or text."""
    table = VerdictTable(verdicts)
    return guarded(_read_html(LineSource(stream), source, table), source)


def _read(lines: LineSource, source: str, table: VerdictTable) -> Iterator[Record]:
    start = lines.first_char()
    if start and start not in "{[":
        yield from _read_html(lines, source, table)
        return
    count = 0
    for item in json_values(lines, SPINE):
        if item.error is not None:
            yield Record(f"{source}:{item.line}", None, item.error)
            continue
        for node, i, many in _item_nodes(item):
            if isinstance(node, _TooDeep):
                where = f"{source}:{item.line}" if item.line else source
                yield Record(where, None, node.message)
                continue
            count += 1
            where = located(source, item.line, count if item.line == 0 else i, many)
            yield _record(node, where, table)


def _item_nodes(item: JsonValue) -> Iterator[tuple[Any, int, bool]]:
    """(node, number within its line, whether the line holds several) for one JSON value or
    part of a document."""
    part = item.part
    if part is None:
        nodes = list(_nodes(item.value, in_graph=False))
    elif part[0] == "{}":
        nodes = [] if part[1] else list(_nodes(item.value, in_graph=False))
    elif part[0] == "dataFeedElement":
        nodes = list(_feed_element(item.value, 0))
    else:  # an element of a top-level array, or of @graph
        nodes = list(_nodes(item.value, in_graph=part[0] == "@graph"))
    for i, node in enumerate(nodes, 1):
        yield node, i, len(nodes) > 1


def _read_html(lines: LineSource, source: str, table: VerdictTable) -> Iterator[Record]:
    decoder = Decoder()
    for line, body, problem in _blocks(lines.read(), lines.line + 1):
        if problem is not None:
            yield Record(f"{source}:{line}", None, problem)
            continue
        cdata = _CDATA.match(body)
        if cdata:
            body = cdata.group(1)
        try:
            value = decoder.decode(body)
        except JsonProblem as p:
            at = body.count("\n", 0, p.pos) + 1 if p.pos is not None else None
            yield Record(f"{source}:{line}", None, f"ld+json block: {value_error(p, body, at)}")
            continue
        nodes = list(_nodes(value, in_graph=True))
        for i, node in enumerate(nodes, 1):
            if isinstance(node, _TooDeep):
                yield Record(f"{source}:{line}", None, node.message)
                continue
            yield _record(node, located(source, line, i, len(nodes) > 1), table)


def _blocks(pieces: Pieces, line: int) -> Iterator[tuple[int, str, str | None]]:
    """(line, body, None) for each ``<script type="application/ld+json">`` block of a text read
    in pieces, or (line, "", problem) for one that cannot be read.

    Linear: the search for a tag's ``>`` and for a block's ``</script>`` each go on from where
    the last one stopped, and memory holds one block (up to MAX_VALUE characters) and a piece.
    A block without ``</script>`` before the end of the text is reported once, and ends the
    scan (every ``<script`` after it is inside it).
    """
    buf, pos, counted = "", 0, 0  # counted: newlines before buf[counted] are in `line`
    searched, gt = 0, -1  # buf.find(">", searched) == gt, while buf stays as it is
    pieces_left = True

    def more() -> bool:
        nonlocal buf, pos, counted, line, pieces_left, searched, gt
        # As much again as is kept (at least a piece): a long block grows by doubling.
        piece = pieces.take(max(CHUNK, len(buf) - pos)) if pieces_left else ""
        if not piece:
            pieces_left = False
            return False
        # Keep from the earliest place still needed; the caller restarts its search there.
        line += buf.count("\n", counted, pos)
        buf, pos, counted = buf[pos:] + piece, 0, 0
        searched, gt = len(buf) + 1, -1  # forget the ">" search: the text moved
        return True

    while True:
        m = _OPEN.search(buf, pos)
        if m is None:
            pos = max(pos, len(buf) - len("<script"))  # a "<script" cut by the end
            if not more():
                return
            continue
        start = m.start()
        if not (searched <= m.end() and (gt < 0 or m.end() <= gt)):
            searched, gt = m.end(), buf.find(">", m.end())
        # (a "<script" inside a tag whose ">" was already looked for reuses the answer:
        # "<script <script <script ..." would otherwise scan on from each one)
        if gt < 0:
            if len(buf) - start > MAX_TAG:
                pos = m.end()  # too long for a tag: look on past this "<script"
                continue
            pos = start  # read on; the tag is searched again, at most MAX_TAG of it
            if not more():
                return
            continue
        if not _TYPE_LD.search(buf, m.end(), gt):
            pos = gt + 1  # another script: its body is searched too, as a regex would
            continue
        line += buf.count("\n", counted, start)
        counted = pos = start
        block_line = line
        body = gt + 1 - start  # offsets from pos, which more() moves to 0
        scanned = body
        too_long = False
        while (close := _CLOSE.search(buf, pos + scanned)) is None:
            if len(buf) - pos > MAX_VALUE + body:
                # Too long to hold: drop what is scanned but the last MAX_TAG characters,
                # where a "</script" may have been cut.
                too_long = True
                keep = len(buf) - MAX_TAG
                line += buf.count("\n", counted, keep)
                buf, pos, counted, body = buf[keep:], 0, 0, 0
                searched, gt = len(buf) + 1, -1
            # The next search starts MAX_TAG back: far enough for any cut closing tag.
            scanned = max(len(buf) - pos - MAX_TAG, body)
            if not more():
                yield block_line, "", "ld+json block without </script> (the text ends inside it)"
                return
        if too_long or close.start() - (pos + body) > MAX_VALUE:
            yield block_line, "", f"ld+json block longer than {MAX_VALUE:,} characters"
        else:
            yield block_line, buf[pos + body : close.start()], None
        pos = close.end()


class _TooDeep:
    """Stands in for the nodes of a value nested too deeply to walk."""

    message = f"JSON-LD lists nested more than {MAX_NESTING} levels deep"


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


def _nodes(value: Any, *, in_graph: bool, depth: int = 0) -> Iterator[Any]:
    """The ClaimReview objects in a JSON-LD value; non-objects come out to be reported.

    In a ``@graph`` or an HTML page other node types are normal and skipped; a top-level
    object, list element or feed item of another type is passed on (and reported). Nesting
    deeper than MAX_NESTING gives one _TooDeep instead (the walk recurses).
    """
    if depth > MAX_NESTING:
        yield _TooDeep()
        return
    if isinstance(value, list):
        for v in value:
            yield from _nodes(v, in_graph=in_graph, depth=depth + 1)
        return
    if not isinstance(value, dict):
        if not in_graph:
            yield value
        return
    if "@graph" in value:
        yield from _nodes(value["@graph"], in_graph=True, depth=depth + 1)
        return
    if "dataFeedElement" in value or "DataFeed" in _types(value):
        elements = value.get("dataFeedElement")
        for element in elements if isinstance(elements, list) else [elements]:
            yield from _feed_element(element, depth + 1)
        return
    if _is_claimreview(value) or not in_graph:
        yield value


def _feed_element(element: Any, depth: int) -> Iterator[Any]:
    if isinstance(element, dict) and not _is_claimreview(element):
        # A DataFeedItem: its "item" holds one ClaimReview or a list of them.
        yield from _nodes(element.get("item"), in_graph=False, depth=depth + 1)
    else:
        yield from _nodes(element, in_graph=False, depth=depth + 1)


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
        kind = shorten(", ".join(_types(node)), 80) or "no @type"
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
        # A review "url" that is no link ("in an ad": where the claim appeared) is kept as
        # the source's ref, so that what import accepts, validate accepts too.
        sources=(
            Source("fact-check", title, url, checker, review_date)
            if url is None or url.startswith(("http://", "https://"))
            else Source("fact-check", title, None, checker, review_date, url),
        ),
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
        out.write(dumps(to_claimreview(claim)))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
