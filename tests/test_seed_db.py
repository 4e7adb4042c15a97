"""The bundled database holds the report's statements with the report's attributions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from factcheck.model import Database, Status
from factcheck.normalize import normalize
from factcheck.store import bundled_database, load_database

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed"


@pytest.fixture(scope="module")
def db() -> Database:
    return load_database(bundled_database())


@pytest.mark.parametrize(
    ("cid", "speaker", "status", "date", "must_contain"),
    [
        ("us-russia-restore-military-dialogue", "News report", "undisputed", None, "four years"),
        ("eucom-channel-consistent-military-contact", "U.S. European Command", "undisputed", None,
         "military-to-military contact"),
        ("military-dialogue-suspended-late-2021", "News report", "undisputed", "2021", "late 2021"),
        ("russia-invaded-ukraine-february-2022", "News report", "undisputed", "2022-02",
         "February 2022"),
        ("trump-pledge-halt-hostilities", "Donald Trump", "undisputed", None, "halt hostilities"),
        ("trump-peace-proposals-favored-kremlin", "News report", "undisputed", None,
         "favored the Kremlin"),
        ("grynkewich-attended-abu-dhabi-talks", "News report", "undisputed", None, "Abu Dhabi"),
        ("russia-intensifying-strikes-electrical-grid", "News report", "undisputed", None,
         "electrical grid"),
        ("front-line-1000-km", "News report", "undisputed", None, "1,000-kilometer"),
        ("mq9-reaper-forced-down-black-sea", "News report", "disputed", "2023-03", "propeller"),
        ("moscow-mq9-crashed-evasive-maneuvers", "Moscow", "disputed", "2023-03",
         "evasive maneuvers"),
        ("russian-authorities-nato-recon-flights-black-sea", "Russian authorities", "undisputed",
         None, "reconnaissance"),
        ("russian-drones-polish-airspace-september", "News report", "undisputed", None, "Polish"),
        ("nato-jets-escort-russian-warplanes-estonia", "News report", "undisputed", None,
         "Estonia"),
        ("witkoff-kushner-abu-dhabi-talks", "News report", "undisputed", None, "Kushner"),
        ("umerov-talks-aim-negotiated-settlement", "Rustem Umerov", "undisputed", None,
         "negotiated settlement"),
        ("russia-repatriated-157-servicemen-3-nationals", "News report", "undisputed", None, "157"),
        ("ukraine-received-150-servicemen-7-civilians", "News report", "undisputed", None, "150"),
        ("ukrainian-officials-illegally-sentenced", "Ukrainian officials", "undisputed", None,
         "illegally sentenced"),
        ("zelenskyy-55000-soldiers-died", "Volodymyr Zelenskyy", "undisputed", None, "55,000"),
        ("zelenskyy-46000-soldiers-died", "Volodymyr Zelenskyy", "undisputed", "2025", "46,000"),
        ("zelenskyy-credible-security-guarantees", "Volodymyr Zelenskyy", "undisputed", None,
         "security guarantees"),
        ("hrw-31-percent-increase-civilian-casualties", "Human Rights Watch", "undisputed", None,
         "31%"),
        ("hrw-15000-killed-40000-wounded", "Human Rights Watch", "undisputed", None, "40,000"),
        ("fedorov-russia-lost-starlink-access", "Mykhailo Fedorov", "undisputed", None,
         "Starlink"),
        ("ukraine-starlink-user-registry", "News report", "undisputed", None, "registry"),
        ("russia-no-response-starlink-reports", "News report", "undisputed", None, "respond"),
        ("tusk-zelenskyy-joint-ammunition-production", "News report", "undisputed", None,
         "ammunition"),
        ("poland-increase-lng-supplies-ukraine", "News report", "undisputed", None,
         "liquefied natural gas"),
        ("poland-ukraine-mig-jets-drones-exchange", "News report", "undisputed", None, "MiG"),
        ("ukrainian-air-force-183-drones-2-missiles", "Ukrainian Air Force", "undisputed", None,
         "183 drones"),
        ("russian-defense-ministry-95-drones-intercepted", "Russian Defense Ministry",
         "undisputed", None, "95"),
        ("crimea-annexed-2014", "News report", "undisputed", "2014", "2014"),
    ],
)  # fmt: skip
def test_statement_present(
    db: Database, cid: str, speaker: str, status: str, date: str | None, must_contain: str
) -> None:
    c = db.get(cid)
    assert c is not None
    assert (c.speaker, c.status, c.date) == (speaker, Status(status), date)
    assert must_contain in c.text


def test_mq9_dispute_points_at_moscows_own_record(db: Database) -> None:
    c = db.get("mq9-reaper-forced-down-black-sea")
    assert c is not None
    assert [(d.speaker, d.claim) for d in c.disputed_by] == [
        ("Moscow", "moscow-mq9-crashed-evasive-maneuvers")
    ]


def test_55000_updates_46000(db: Database) -> None:
    new, old = db.get("zelenskyy-55000-soldiers-died"), db.get("zelenskyy-46000-soldiers-died")
    assert new is not None and old is not None
    assert ("zelenskyy-46000-soldiers-died", "updates") in [(r.id, r.relation) for r in new.related]
    assert ("zelenskyy-55000-soldiers-died", "updated-by") in [
        (r.id, r.relation) for r in old.related
    ]


def test_references_resolve_and_speakers_are_defined(db: Database) -> None:
    names = {s.name for s in db.speakers}
    for c in db.claims:
        assert c.speaker in names, c.id
        for d in c.disputed_by:
            assert d.speaker in names and (d.claim is None or db.get(d.claim)), c.id
        for r in c.related:
            assert db.get(r.id) is not None, c.id
        assert all(s.url is None for s in c.sources), c.id  # the report gives no URL


def test_aliases_resolve_to_one_speaker(db: Database) -> None:
    seen: dict[str, str] = {}
    for s in db.speakers:
        for alias in (s.name, *s.aliases):
            key = normalize(alias)
            assert seen.setdefault(key, s.name) == s.name, alias
    assert seen[normalize("Zelensky")] == "Volodymyr Zelenskyy"
    assert seen[normalize("EUCOM")] == "U.S. European Command"


@pytest.mark.skipif(not SEED.is_dir(), reason="../shared/seed is not present (a user's clone)")
def test_every_figure_comes_from_the_report(db: Database) -> None:
    report = normalize(" ".join(p.read_text(encoding="utf-8") for p in SEED.glob("*.txt")))
    figures = set(re.findall(r"\d+(?:\.\d+)?", report))
    for c in db.claims:
        for n in re.findall(r"\d+(?:\.\d+)?", normalize(c.text)):
            assert n in figures, (c.id, n)
