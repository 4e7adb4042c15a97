from __future__ import annotations

from collections.abc import Callable

from factcheck.merge import MergeResult, merge
from factcheck.model import Claim, Database, Dispute, Related, Source, Speaker, Status
from factcheck.normalize import normalize

DESK = "Millbrook Fact Desk"
LAB = "Riverside Fact Lab"


def desk_source(url: str = "https://factdesk.example.org/c/1", publisher: str = DESK) -> Source:
    return Source("fact-check", None, url, publisher, "2024-03-12")


def make(cid: str, text: str, speaker: str = "Dana Whitfield", **extra: object) -> Claim:
    fields: dict[str, object] = {"status": Status.UNDISPUTED}
    fields.update(extra)
    return Claim(id=cid, text=text, speaker=speaker, **fields)  # type: ignore[arg-type]


BRIDGE = make(
    "cr-bridge",
    "The bridge cost 40 million dollars.",
    status=Status.DISPUTED,
    verdict="False",
    disputed_by=(Dispute(DESK, 'rated it "False"'),),
    sources=(desk_source(),),
    tags=(f"checker:{DESK}",),
)
LIBRARY = make("hand-library", "The library opens on Sundays.", date="2024-03", tags=("library",))


def db(*claims: Claim) -> Database:
    return Database(tuple(claims), (Speaker("Dana Whitfield"),), 1, "db.json")


def counts(result: MergeResult) -> tuple[int, int, int, int, int]:
    c = result.counts
    return c["added"], c["merged"], c["changed"], c["updated"], c["unchanged"]


def test_new_records_are_added_in_order() -> None:
    result = merge(db(LIBRARY), [BRIDGE, make("x", "Parks are green.")])
    assert counts(result) == (2, 0, 0, 0, 0)
    assert result.added == ["cr-bridge", "x"]
    assert [c.id for c in result.database.claims] == ["hand-library", "cr-bridge", "x"]
    assert result.database.get("x") == make("x", "Parks are green.")


def test_result_keeps_speakers_version_and_path_and_leaves_the_input_alone() -> None:
    existing = db(LIBRARY)
    result = merge(existing, [BRIDGE])
    assert existing.claims == (LIBRARY,)
    assert existing.get("cr-bridge") is None
    assert result.database.speakers == (Speaker("Dana Whitfield"),)
    assert (result.database.version, result.database.path) == (1, "db.json")


def test_identical_record_is_unchanged() -> None:
    result = merge(db(LIBRARY, BRIDGE), [BRIDGE, LIBRARY])
    assert counts(result) == (0, 0, 0, 0, 2)
    assert result.unchanged == ["cr-bridge", "hand-library"]
    assert result.database.claims == (LIBRARY, BRIDGE)


def test_same_text_and_speaker_merge_into_the_existing_record() -> None:
    other = make(
        "liar-77",
        "the  Bridge cost 40,000,000 dollars",  # same normalised text
        speaker="DANA WHITFIELD",
        status=Status.DISPUTED,
        verdict="barely-true",
        date="2024-02-01",
        disputed_by=(Dispute("PolitiFact", 'rated it "barely-true"'), BRIDGE.disputed_by[0]),
        sources=(Source("fact-check", publisher="PolitiFact", ref="politifact:77"), desk_source()),
        tags=("infrastructure", f"checker:{DESK}"),
        related=(Related("hand-library", "same-event"),),
    )
    result = merge(db(BRIDGE), [other])
    assert counts(result) == (0, 1, 0, 0, 0)
    assert result.merged == ["cr-bridge"]
    assert result.database.claims == (
        BRIDGE._replace(
            date="2024-02-01",  # filled in; text, speaker, id and verdict stay
            disputed_by=(
                Dispute(DESK, 'rated it "False"'),
                Dispute("PolitiFact", 'rated it "barely-true"'),
            ),
            sources=(
                desk_source(),
                Source("fact-check", publisher="PolitiFact", ref="politifact:77"),
            ),
            tags=(f"checker:{DESK}", "infrastructure"),
            related=(Related("hand-library", "same-event"),),
        ),
    )
    assert result.database.get("liar-77") is None


def test_a_merge_that_adds_nothing_is_unchanged() -> None:
    twin = BRIDGE._replace(id="cr-other")
    result = merge(db(BRIDGE), [twin])
    assert counts(result) == (0, 0, 0, 0, 1)
    assert result.unchanged == ["cr-bridge"]


def test_other_speaker_is_another_claim() -> None:
    result = merge(db(BRIDGE), [BRIDGE._replace(id="cr-2", speaker="Oscar Pemberton")])
    assert counts(result) == (1, 0, 0, 0, 0)


def test_merged_status_disputed_wins_then_undisputed() -> None:
    a = make("a", "Taxes rose.", status=Status.UNVERIFIED)
    b = make("b", "Taxes rose.", status=Status.UNDISPUTED)
    c = make("c", "Taxes rose.", status=Status.DISPUTED)
    result = merge(db(a), [b])
    assert result.database.claims[0].status is Status.UNDISPUTED
    result = merge(result.database, [c])
    assert result.database.claims[0].status is Status.DISPUTED
    result = merge(result.database, [b])
    assert result.database.claims[0].status is Status.DISPUTED
    assert counts(result) == (0, 0, 0, 0, 1)


def test_duplicates_inside_the_batch_merge_too() -> None:
    first = make("a", "Millbrook has 55,000 residents.", sources=(desk_source("https://x/1"),))
    second = make("b", "Millbrook has 55 000 residents", sources=(desk_source("https://x/2"),))
    again = make("a", "Millbrook has 55,000 residents.", sources=(desk_source("https://x/1"),))
    result = merge(db(), [first, second, again])
    assert counts(result) == (1, 1, 0, 0, 1)
    (only,) = result.database.claims
    assert only.id == "a"
    assert [s.url for s in only.sources] == ["https://x/1", "https://x/2"]


def test_same_id_with_new_text_is_changed_in_place() -> None:
    edited = BRIDGE._replace(text="The bridge cost $40m, twice the budget.")
    result = merge(db(LIBRARY, BRIDGE), [edited])
    assert counts(result) == (0, 0, 1, 0, 0)
    assert result.changed == ["cr-bridge"]
    assert result.database.claims == (LIBRARY, edited)
    # the key moved with the text: the old wording is now a new claim, the new one merges
    later = merge(
        result.database,
        [
            make("n1", "The bridge cost 40 million dollars."),
            make("n2", "the bridge cost $40m twice the budget", tags=("x",)),
        ],
    )
    assert counts(later) == (1, 1, 0, 0, 0)
    assert later.added == ["n1"] and later.merged == ["cr-bridge"]


def test_same_id_other_metadata_is_updated() -> None:
    renamed = BRIDGE._replace(
        date="2024-03-01",
        sources=(desk_source(publisher="The Millbrook Fact Desk"),),
        tags=("checker:The Millbrook Fact Desk",),
        disputed_by=(Dispute("The Millbrook Fact Desk", 'rated it "False"'),),
    )
    result = merge(db(BRIDGE), [renamed])
    assert counts(result) == (0, 0, 0, 1, 0)
    assert result.updated == ["cr-bridge"]
    # the source with the same URL is replaced, with the tag and dispute derived from it
    assert result.database.claims == (renamed,)


def test_update_with_a_new_verdict_drops_the_stale_dispute() -> None:
    rerated = BRIDGE._replace(status=Status.UNDISPUTED, verdict="True", disputed_by=())
    result = merge(db(BRIDGE), [rerated])
    assert counts(result) == (0, 0, 0, 1, 0)
    assert result.database.claims == (rerated,)


def test_update_keeps_what_other_origins_added() -> None:
    liar = make(
        "liar-1",
        "The bridge cost 40 million dollars.",
        status=Status.DISPUTED,
        verdict="false",
        disputed_by=(Dispute("PolitiFact", 'rated it "false"'),),
        sources=(Source("fact-check", publisher="PolitiFact", ref="politifact:1"),),
        tags=("infrastructure",),
    )
    merged = merge(db(liar), [BRIDGE]).database
    (stored,) = merged.claims
    assert stored.disputed_by == (liar.disputed_by[0], BRIDGE.disputed_by[0])
    # re-importing either origin changes nothing: no flip-flop, nothing lost
    assert counts(merge(merged, [liar])) == (0, 0, 0, 0, 1)
    assert counts(merge(merged, [BRIDGE])) == (0, 0, 0, 0, 1)
    # PolitiFact re-rates its claim: its own dispute goes, the Desk's keeps it disputed
    rerated = liar._replace(status=Status.UNDISPUTED, verdict="true", disputed_by=())
    result = merge(merged, [rerated])
    assert counts(result) == (0, 0, 0, 1, 0)
    (after,) = result.database.claims
    assert (after.status, after.verdict) == (Status.DISPUTED, "true")
    assert after.disputed_by == BRIDGE.disputed_by
    assert after.sources == stored.sources
    assert after.tags == ("infrastructure", f"checker:{DESK}")


def test_update_keeps_a_date_the_incoming_lacks() -> None:
    result = merge(db(LIBRARY), [LIBRARY._replace(date=None)])
    assert counts(result) == (0, 0, 0, 0, 1)


def test_no_normalisation_for_reimports_and_only_the_needed_speakers() -> None:
    calls: list[str] = []

    def counting(text: str) -> str:
        calls.append(text)
        return normalize(text)

    existing = db(
        make("a1", "Alpha one."),
        make("a2", "Alpha two."),
        make("a3", "Alpha three."),
        make("b1", "Beta one.", speaker="Oscar Pemberton"),
        make("b2", "Beta two.", speaker="oscar pemberton"),
    )
    merge(existing, list(existing.claims), norm=counting)
    assert calls == []
    merge(existing, [make("new", "Beta three.", speaker="OSCAR PEMBERTON")], norm=counting)
    assert sorted(calls) == ["Beta one.", "Beta three.", "Beta two."]


def test_many_claims_with_a_cheap_norm() -> None:
    n = 20_000
    norm: Callable[[str], str] = str.casefold
    existing = db(*(make(f"e{i}", f"Claim number {i}", speaker=f"S{i % 50}") for i in range(n)))
    incoming = [make(f"i{i}", f"CLAIM NUMBER {i}", speaker=f"s{i % 50}") for i in range(0, n, 2)]
    incoming += [make(f"j{i}", f"Fresh claim {i}") for i in range(1000)]
    result = merge(existing, incoming, norm=norm)
    assert counts(result) == (1000, 0, 0, 0, n // 2)
    assert len(result.database.claims) == n + 1000
    assert len({c.id for c in result.database.claims}) == n + 1000
