from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from factcheck.errors import InputError
from factcheck.model import Dispute, Status
from factcheck.verdicts import VerdictTable, dispute_for, status_for, verdict_key

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

DISPUTED = [
    "false", "False", "FALSE", "pants-fire", "Pants on Fire", "barely-true", "Mostly False",
    "half-true", "Half True", "MIXED", "Mixture", "Misleading", "Four Pinocchios",
    "One Pinocchio", "Bottomless Pinocchio", "Distorts The Facts", "Distorts the Facts",
    "Spins the Facts", "Not the whole story", "Needs context", "Lacks Context",
    "Missing Context", "Out of Context", "Decontextualized", "Cherry Picks", "Exaggerates",
    "Exagerated", "Wrong", "Incorrect", "Not True", "Fake", "Partly False", "Partlyfalse",
    "Somewhat False", "Miscaptioned", "Misattributed", "Altered Image", "Altered Photo",
    "Altered Video", "No Evidence", "Unsupported", "Disputed", "In dispute",
    "False: Distorts Facts", "  false.  ",
]  # fmt: skip
UNDISPUTED = [
    "true", "True", "TRUE", "mostly-true", "Mostly True", "Correct", "Correct Attribution",
    "Geppetto Checkmark", "Somewhat True",
]  # fmt: skip
UNVERIFIED = [
    "Unproven", "Unknown", "Other", "Verdict Pending", "No way to know", "Satire",
    "Originated as Satire", "Legend", "Full Flop", "Half Flip", "Flip Flop", "Flip- Flop",
    "No Flip", "Upside-Down Pinocchio", "Will military drills end?", "It depends.", "", "  ",
    "Truth: it's complicated",
]  # fmt: skip


@pytest.mark.parametrize("verdict", DISPUTED)
def test_disputed(verdict: str) -> None:
    assert status_for(verdict) is Status.DISPUTED


@pytest.mark.parametrize("verdict", UNDISPUTED)
def test_undisputed(verdict: str) -> None:
    assert status_for(verdict) is Status.UNDISPUTED


@pytest.mark.parametrize("verdict", UNVERIFIED)
def test_unverified(verdict: str) -> None:
    assert status_for(verdict) is Status.UNVERIFIED


def test_key_ignores_case_space_and_punctuation() -> None:
    assert verdict_key("Flip- Flop") == verdict_key("flip flop") == "flipflop"
    assert verdict_key("Pants-on-Fire!") == "pantsonfire"
    assert verdict_key("Fälsch") == "falsch"  # accents fold as in normalize()


def test_no_verdict_is_unverified() -> None:
    assert VerdictTable().status(None) is Status.UNVERIFIED


def test_overrides_win_over_rules_and_match_any_spelling() -> None:
    overrides = {"Out of date": "disputed", "half TRUE": "unverified", "Satire": "undisputed"}
    table = VerdictTable(overrides)
    assert table.status("out-of-date") is Status.DISPUTED
    assert table.status("Half True") is Status.UNVERIFIED
    assert table.status("SATIRE") is Status.UNDISPUTED
    assert table.status("False") is Status.DISPUTED  # untouched rules still apply
    assert status_for("Out of date") is Status.UNVERIFIED
    assert status_for("Out of date", overrides) is Status.DISPUTED
    assert status_for("Half True", {"half true": Status.UNDISPUTED}) is Status.UNDISPUTED


def test_override_applies_to_the_part_before_a_colon() -> None:
    assert status_for("Verified: mostly", {"verified": "undisputed"}) is Status.UNDISPUTED


def test_bad_override_status_is_an_input_error() -> None:
    with pytest.raises(InputError) as err:
        VerdictTable({"False": "wrong"})
    assert str(err.value) == (
        "bad status 'wrong' for verdict 'False': use one of disputed, undisputed, unverified"
    )


def test_dispute_names_the_checker_and_keeps_the_verdict() -> None:
    assert dispute_for("Pants on Fire", "Millbrook Fact Desk") == Dispute(
        "Millbrook Fact Desk", 'rated it "Pants on Fire"', None
    )
    assert dispute_for("False", None) == Dispute("Unknown fact-checker", 'rated it "False"')


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


def test_real_datacommons_verdicts() -> None:
    path = _need(DATA / "claimreview" / "datacommons_fact_checks_20190605.jsonl")
    table = VerdictTable()
    counts: collections.Counter[Status] = collections.Counter()
    strings: set[str] = set()
    with path.open(encoding="utf-8") as f:
        for line in f:
            verdict = json.loads(line)["reviewRating"]["alternateName"]
            strings.add(verdict)
            counts[table.status(verdict)] += 1
    assert len(strings) == 394
    assert counts == {Status.DISPUTED: 4395, Status.UNDISPUTED: 968, Status.UNVERIFIED: 401}


def test_liar_labels() -> None:
    labels = {"true", "mostly-true", "half-true", "barely-true", "false", "pants-fire"}
    assert {label: status_for(label).value for label in labels} == {
        "true": "undisputed",
        "mostly-true": "undisputed",
        "half-true": "disputed",
        "barely-true": "disputed",
        "false": "disputed",
        "pants-fire": "disputed",
    }
