# ruff: noqa: E501 - a table reads better one row to a line
"""Every regex that sees user or database text, each with its own worst repeated characters.

One row per (regex, input shape): ``(id, run, make)`` where ``make(n)`` builds an input of
about n repetitions and ``run`` uses the regex the way the code does (or calls the function
that uses it). Shared by test_regex_growth.py and by the review table printed with
``python -m tests.hostile.cases``.
"""

from __future__ import annotations

import io
import types
from collections.abc import Callable
from typing import Any

from factcheck import normalize, render, safejson, segment, store, verdicts
from factcheck.analyze import figures, notes, text, tokens
from factcheck.dates import _ISO_DATE, _PARTIAL, normalize_date
from factcheck.formats import (
    _API_KEY,
    _CLAIMREVIEW_HINTS,
    _EOL,
    _OUR_KEYS,
    _SPACE,
    _has_ld_json,
    claimreview,
    csv_format,
    jsonl,
    liar,
)
from factcheck.importer import _SLUG
from factcheck.model import Claim, Dispute, Status
from factcheck.normalize import _CAPITALISED

# The analysis is a package now; its regexes and helpers under the one name the cases use.
analyze = types.SimpleNamespace(**{**vars(tokens), **vars(figures), **vars(text), **vars(notes)})

Case = tuple[str, Callable[[Any], object], Callable[[int], Any]]

# Measured at smaller sizes: detect() is only ever given a 64 KiB head, and its tens of MB
# test inputs leave the cache (which a linear scan feels too, as 6 to 7 times for 4).
OPTIONS: dict[str, dict[str, Any]] = {}

# Super-linear, but not through a regex: algorithms (not regexes) known to grow faster than
# their input. The growth test marks them xfail; an XPASS in its summary means one got fixed.
# Empty: the three the analysis had (each negation cue walking to the end of "not not ...",
# a list searched per figure, every month tried against every year) are linear now.
KNOWN_QUADRATIC: dict[str, str] = {}

RECORD = Claim(
    "r",
    "About 55,000 soldiers died in 2024, a 31% rise, the ministry said.",
    "Ministry",
    Status.DISPUTED,
    disputed_by=(Dispute("Moscow", "Moscow denied these claims, stating they were false."),),
)


def _analyze(text: str) -> object:
    analyze._parse.cache_clear()  # a memo would time the second call at nothing
    return analyze.analyze(text, RECORD)


# A query with a figure, a date, a direction, a negation and a speaker: what a record's
# hostile text is compared with.
QUERY = "About 50,000 soldiers did not die in March 2023, a 31% rise, Moscow said."


def _analyze_record(text: str) -> object:
    """The record's side: a database text is not capped as a sentence is."""
    analyze._parse.cache_clear()
    return analyze.analyze(QUERY, RECORD._replace(text=text))


def _analyze_pair(texts: str) -> object:
    """Both sides hostile: ``query|record``."""
    query, record = texts.split("|")
    analyze._parse.cache_clear()
    return analyze.analyze(query, RECORD._replace(text=record))


def _pair(query: str, record: str) -> Callable[[int], str]:
    return lambda n: f"{query * n}.|{record * n}."


def _dispute_summary(text: str) -> object:
    """What a disputed note says of a dispute text (_DISPUTE_VERB, _DISPUTE_REST, _gist)."""
    return analyze._dispute_summary(RECORD._replace(disputed_by=(Dispute("Moscow", text),)))


def _raw_decode(text: str) -> object:
    try:
        return safejson.Decoder().raw_decode(text)
    except safejson.JsonProblem as p:
        return p


def _read(reader: Callable[..., Any]) -> Callable[[bytes], object]:
    return lambda data: list(reader(io.BytesIO(data), source="x"))


def _rep(atom: str, tail: str = "", head: str = "") -> Callable[[int], str]:
    return lambda n: head + atom * n + tail


def _brep(atom: bytes, tail: bytes = b"", head: bytes = b"") -> Callable[[int], bytes]:
    return lambda n: head + atom * n + tail


def _finditer(rx: Any) -> Callable[[Any], object]:
    return lambda text: sum(1 for _ in rx.finditer(text))


CASES: list[Case] = [
    # analyze.py
    *[(f"analyze._TOKEN {a!r}", _finditer(analyze._TOKEN), _rep(a, "!")) for a in
      ("a.", "a-", "a'", "1.", "-a", "a.a", ".")],
    *[(f"analyze._DIGITS {a!r}", _finditer(analyze._DIGITS), _rep(a, "x")) for a in
      ("1", "1 ", "1,", ",000", " 000", "1.", "1:", "1-", ".1", "1 million ", "1k")],
    ("analyze._PERCENT spaces", lambda t: analyze._PERCENT.match(t, 0), _rep(" ", "x")),
    ("analyze._PERCENT per+spaces", lambda t: analyze._PERCENT.match(t, 0), _rep(" ", "x", "per")),
    *[(f"analyze._DISPUTE_VERB {a!r}", lambda t: analyze._DISPUTE_VERB.search(t), _rep(a, "x", "M"))
      for a in (" ", "a ", " d", " denie")],
    *[(f"analyze._DISPUTE_REST {a!r}", lambda t: analyze._DISPUTE_REST.match(t), _rep(a, "x"))
      for a in (" ", " , ", " the ", ", and ")],
    ("analyze._DISPUTE_REST stating+spaces", lambda t: analyze._DISPUTE_REST.match(t),
     _rep(" ", "", ", stating")),
    *[(f"analyze._CLAUSE_END {a!r}", lambda t: analyze._CLAUSE_END.search(t), _rep(a, "x"))
      for a in (" ", " following", " whilex")],
    ("analyze._gist article+spaces", analyze._gist, _rep(" ", "x", "the")),
    ("dates._PARTIAL digits", lambda t: _PARTIAL.fullmatch(t), _rep("1", "-")),
    *[(f"analyze.analyze query {a!r}", _analyze, _rep(a, "."))
      for a in (" ", "1,000 ", "a. ", "not ", "said ", "Moscow denied ", "March 2024 ", "1 one ",
                "rose 1 ", "soldiers fell ", "no, ", "not publicly ")],
    *[(f"analyze.analyze record {a!r}", _analyze_record, _rep(a, "."))
      for a in (" ", "1,000 ", "not ", "March 2024 ", "1 one ", "rose 1 ", "soldiers fell ", "said ")],
    *[(f"analyze.analyze pair {q!r} {r!r}", _analyze_pair, _pair(q, r)) for q, r in
      (("1,000 ", "2,000 "), ("soldiers rose ", "soldiers fell "), ("March 2024 ", "May 2023 "),
       ("not soldiers died ", "soldiers died "), ("Moscow said ", "Kyiv said "))],
    # Cues in a row before one word of n hyphenated parts: a stem set per cue was cues x parts.
    *[(f"analyze.analyze {side} cues+hyphenated word", run, lambda n: "not " * n + "ab-" * n + "ab.")
      for side, run in (("query", _analyze), ("record", _analyze_record))],
    *[(f"analyze._dispute_summary {a!r}", _dispute_summary, _rep(a, "x", "Moscow"))
      for a in (" ", " denied", " denied, stating ", " following")],
    # normalize.py
    *[(f"normalize.normalize {a!r}", normalize.normalize, _rep(a, "x")) for a in
      ("1 000 ", "000 ", "1,000,", "1,", "a.", "'", "s'", " ", "1k", "per ", "1 %", "one hundred ")],
    ("normalize._GROUPED groups+4 digits", lambda t: normalize._GROUPED.sub("", t),
     _rep(" 000", " 0000", "1")),
    ("normalize._PERCENT digit+spaces", lambda t: normalize._PERCENT.sub("", t), _rep(" ", "x", "1")),
    ("normalize._ACRONYM", lambda t: normalize._ACRONYM.sub("", t), _rep("a.", "1")),
    # segment.py
    *[(f"segment.split_sentences {a!r}", lambda t: list(segment.split_sentences([t])), _rep(a, "x"))
      for a in ("-", "a.", "#", "1.", "U.S. ", "a ", ".", '"', "Mr. ", "... ", "- ", "\n")],
    ("segment._RULE dashes", lambda t: segment._RULE.fullmatch(t), _rep("-", "x")),
    ("segment._DOTTED", lambda t: segment._DOTTED.fullmatch(t), _rep("a.", "1")),
    # render.py, safejson.py, csv
    *[(f"render.sanitize {a!r}", render.sanitize, _rep(a)) for a in ("\x1b", "\x9b", "a\n")],
    *[(f"render.sanitize_message {a!r}", render.sanitize_message, _rep(a)) for a in
      ("a" * 200 + " ", "a", "\x1b[2J", " ")],
    ("safejson.dumps C1", safejson.dumps, _rep("\x9b\u202e")),
    ("safejson.Decoder surrogate escapes", _raw_decode, _rep("\\ud800", '"', '"')),
    ("safejson.Decoder nesting", _raw_decode, _rep("[")),
    ("csv_format.safe_cell controls", csv_format.safe_cell, _rep("\x1b", "", "=")),
    # formats: sniffing, dates, readers
    *[(f"formats.detect {a!r}", lambda b: _detect(b), _brep(a)) for a in
      (b"<script ", b'<script type="application/ld+json"', b'{"claimReview" ', b"[" + b" " * 7)],
    ("formats._has_ld_json unclosed", _has_ld_json, _brep(b"<script ")),
    ("formats._API_KEY", lambda b: _API_KEY.search(b), _brep(b'"claimReview"', b"x", b"[")),
    ("formats._CLAIMREVIEW_HINTS", lambda b: _CLAIMREVIEW_HINTS.search(b), _brep(b'"claimReviewed" ')),
    ("formats._OUR_KEYS", lambda b: _OUR_KEYS.search(b), _brep(b'"speaker" ')),
    ("formats._ISO_DATE digits+newline", lambda t: _ISO_DATE.fullmatch(t), _rep("1", "\nx", "2019-01-01T")),
    ("formats.normalize_date long", normalize_date, _rep("1", "\nx", "2019-01-01T")),
    ("formats._EOL", _finditer(_EOL), _rep("\r")),
    ("formats._SPACE", lambda t: _SPACE.match(t), _rep(" \t", "x")),
    *[(f"claimreview.read_html {a!r}", _read(claimreview.read_html), _brep(a)) for a in
      (b"<script ", b"<script>", b'<script type="application/ld+json">', b"</script", b"<", b"\n")],
    ("claimreview.read auto-detected html", _read(claimreview.read),
     _brep(b'<script type="application/ld+json">', b"", b"x\n")),
    ("claimreview._CDATA slashes", lambda t: claimreview._CDATA.match(t), _rep("//", "x", "<![CDATA[")),
    ("claimreview._CDATA end+spaces", lambda t: claimreview._CDATA.match(t), _rep(" ", "x", "<![CDATA[]]>")),
    ("claimreview._TYPE_LD", lambda t: claimreview._TYPE_LD.search(t), _rep("type ", "=")),
    ("claimreview._CLOSE", lambda t: claimreview._CLOSE.search(t), _rep(" ", "x", "</script")),
    *[(f"jsonl.read {a!r}", _read(jsonl.read), _brep(a, b"", h)) for a, h in
      ((b"\n", b"["), (b"\n", b""), (b" ", b""), (b"\r\n", b""), (b"[", b""), (b'"', b"["),
       (b'{"id":"a","text":"x","speaker":"y"},\n', b"["),
       (b'{"id":"a","text":"x","speaker":"y"}\n', b""))],
    ("csv_format.read blank lines", _read(csv_format.read), _brep(b"\n", b"x\n", b"text\n")),
    ("csv_format.read quoted blank lines", _read(csv_format.read), _brep(b"\n", b'"\n', b'text\n"')),
    ("liar.read blank lines", _read(liar.read), _brep(b"\n")),
    ("liar._ID", lambda t: liar._ID.fullmatch(t), _rep("1", ".jso")),
    # files others own: reviewed, not edited
    ("store.ID_RE", lambda t: store.ID_RE.match(t), _rep("a.", "!", "a")),
    ("dates.is_partial", lambda t: _PARTIAL.fullmatch(t), _rep("1")),
    ("verdicts.verdict_key pinocchio", verdicts.verdict_key, _rep("pinocchio")),
    ("verdicts.status pinocchios", verdicts.VerdictTable().status, _rep("Pinocchio ", "s")),
    ("importer._SLUG", lambda t: _SLUG.sub("-", t), _rep("-!")),
    ("match._CAPITALISED", _finditer(_CAPITALISED), _rep("A'.", " ")),
]  # fmt: skip


OPTIONS.update(
    {
        name: {"floor": 0.001, "most": 1 << 21}
        for name, _, _ in CASES
        if name.startswith("formats.detect")
    }
)


def _detect(head: bytes) -> object:
    try:
        return claimreview_or_none(head)
    except Exception:  # "cannot tell the format" is an answer too
        return None


def claimreview_or_none(head: bytes) -> str:
    from factcheck.formats import detect

    return detect("x", head)


if __name__ == "__main__":
    from tests.hostile.growth import growth

    for name, run, make in CASES:
        known = name in KNOWN_QUADRATIC
        options = {"floor": 0.02 if known else 0.005, "second_look": not known}
        ratio, n, t = growth(run, make, **{**options, **OPTIONS.get(name, {})})
        print(f"{ratio:5.2f}  n={n:>9,}  t(n)={t * 1000:6.2f} ms  {name}")
