"""Analysis never raises on any text, and the linear rewrites match what the old regexes did.

The old patterns are kept here as the reference: each new pattern or scan must give the same
answer on generated texts made of the characters that matter to it.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from factcheck.analyze import analyze as analyze_text
from factcheck.analyze import extract_figures
from factcheck.analyze import notes as analyze
from factcheck.dates import _ISO_DATE, normalize_date
from factcheck.formats import LineSource, _has_ld_json
from factcheck.formats.claimreview import _blocks
from factcheck.model import Claim, Dispute, Related, Status
from factcheck.normalize import normalize

OLD_DISPUTE = re.compile(
    r"^(?P<who>.+?)\s+(?P<verb>denied|denies|disputed|disputes|rejected|rejects|dismissed|"
    r"dismisses|refuted|refutes|contested|contests)\b(?:\s+(?:these|the|this|those|that|such|"
    r"all)?\s*(?:claims?|reports?|allegations?|accounts?|accusations?|it|them))?"
    r"(?:\s*[,;:]?\s*(?:and\s+)?(?:stating|saying|claiming|insisting|asserting|arguing|"
    r"maintaining)\s+(?:that\s+)?(?P<instead>.+))?",
    re.IGNORECASE | re.DOTALL,
)
OLD_CLAUSE_END = re.compile(r"\s+(?:following|after|amid|while|when)\s|[,;.:(]", re.IGNORECASE)
OLD_ISO_DATE = re.compile(r"(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?(?:[T ][\d:.]+.*)?")
OLD_LD_JSON = re.compile(rb"""<script[^>]*application/ld\+json""", re.IGNORECASE)
OLD_SCRIPT = re.compile(
    r"""<script\b[^>]*?\btype\s*=\s*["']?application/ld\+json["']?[^>]*>(.*?)</script\s*>""",
    re.IGNORECASE | re.DOTALL,
)


def _words(*words: str, max_size: int = 12) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(words), max_size=max_size).map("".join)


DISPUTE_TEXT = _words(
    " ", "  ", "\n", "\t", "Moscow", "M", "denied", "Denies", "rejected", "x", "the", "these",
    "claims", "it", "them", ",", ";", ":", "and", "stating", "saying", "that", "deniedx", ".",
)  # fmt: skip


@settings(max_examples=200)
@given(DISPUTE_TEXT)
def test_dispute_parse_is_what_the_old_regex_gave(text: str) -> None:
    text = text.strip()  # as _dispute_summary calls it
    old = OLD_DISPUTE.match(text)
    new = analyze._disputing(text)
    if old is None:
        assert new is None
    else:
        assert new == (old.group("who"), old.group("verb"), old.group("instead"))


@settings(max_examples=150)
@given(_words(" ", "  ", "\n", "following", "after", "when", "x", ",", "(", ".", "amid "))
def test_clause_end_is_where_the_old_regex_found_it(text: str) -> None:
    old = OLD_CLAUSE_END.search(text)
    new = analyze._CLAUSE_END.search(text)
    assert (old.start() if old else None) == (new.start() if new else None)


@settings(max_examples=150)
@given(_words("2019", "-", "/", "1", "12", "T", " ", ":", ".", "\n", "Z", "x", max_size=10))
def test_iso_date_matches_what_the_old_regex_did(text: str) -> None:
    old = OLD_ISO_DATE.fullmatch(text)
    new = _ISO_DATE.fullmatch(text)
    assert (old.groups() if old else None) == (new.groups() if new else None)


TAGS = _words(
    "<script", "<SCRIPT", " ", ">", 'type="application/ld+json"', "type=application/ld+json",
    "application/ld+json", "</script>", "</script >", "</SCRIPT\n>", "{}", "x", "\n", "<",
    "type =", "'", "text/javascript",
)  # fmt: skip


@settings(max_examples=200)
@given(TAGS)
def test_ld_json_sniffing_agrees_with_the_old_regex(text: str) -> None:
    data = text.encode()
    assert _has_ld_json(data) == bool(OLD_LD_JSON.search(data))


@settings(max_examples=200)
@given(TAGS)
def test_ld_json_blocks_are_the_old_regex_matches(text: str) -> None:
    old = [(1 + text.count("\n", 0, m.start()), m.group(1)) for m in OLD_SCRIPT.finditer(text)]
    new = list(_blocks(LineSource([text]).read(), 1))
    # The scan reports an unclosed block at the end, which the regex silently skipped.
    if new and new[-1][2] is not None:
        assert new[-1][2].startswith("ld+json block without </script>")
        new = new[:-1]
    assert [(line, body) for line, body, _ in new] == old


# --- never raises ------------------------------------------------------------------------

RECORD = Claim(
    "r",
    "About 55,000 soldiers died in March 2024, a 31% rise since 2023, the ministry said.",
    "Ministry",
    Status.DISPUTED,
    date="2024-03",
    disputed_by=(Dispute("Moscow", "Moscow denied these claims, stating they were false."),),
    related=(Related("old", "updates"),),
)
OLD = Claim("old", "Earlier, 46,000 soldiers had died.", "Ministry", Status.UNDISPUTED)

DIGITISH = _words(*"0123456789 ,.%k-:", "million ", "hundred ", "one ", "per cent ", max_size=80)
HUGE = st.integers(309, 5000).map(lambda n: "9" * n)


@settings(max_examples=150)
@given(st.one_of(st.text(max_size=200), DIGITISH, HUGE.map(lambda h: f"About {h} died.")))
def test_analyze_never_raises(text: str) -> None:
    analyze_text(text, RECORD, lookup=lambda i: OLD if i == "old" else None)
    analyze_text("55,000 soldiers died in 2024", RECORD._replace(text=text))
    extract_figures(text)
    normalize(text)


def test_figures_of_309_digits_and_more_are_dropped_not_fatal() -> None:
    for text in ("9" * 309, "1" * 400 + " million", "one " + "hundred " * 400, "1e400"):
        assert all(f.value < float("inf") for f in extract_figures(f"About {text} died."))
        analyze_text(f"About {text} soldiers died.", RECORD)
    assert normalize("1" * 400 + " million soldiers") == "inf soldiers"


def test_dispute_summary_of_runs_of_spaces_is_quick_and_right() -> None:
    spaces = " " * 100_000
    record = RECORD._replace(
        disputed_by=(Dispute("Moscow", f"Moscow{spaces}denied{spaces}it,{spaces}saying{spaces}no"),)
    )
    assert analyze._dispute_summary(record) == "Moscow denied it (no)"
    assert normalize_date("2019-01-01T" + "1" * 100_000 + "\nx") is None
