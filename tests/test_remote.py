"""Importing from URLs and the Fact Check Tools API, ``sources`` and ``update``, end to end
through the CLI (in process) against HTTP servers on the loopback address."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from factcheck.cli import Env, main

from .test_fetch import KEY, Server, send

FIXTURES = Path(__file__).parent / "fixtures"
FEED = (FIXTURES / "claimreview_feed.json").read_bytes()
PAGE = (FIXTURES / "claimreview_page.html").read_bytes()


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = code, stdout, stderr


def cli(tmp_path: Path, *args: str, **environ: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    env = Env(io.BytesIO(), out, err, {"FACTCHECK_CACHE": str(tmp_path / "cache"), **environ})
    return Result(main(list(args), env), out.getvalue(), err.getvalue())


def feed_route(body: bytes, etag: str = '"v1"') -> Any:
    def route(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == etag:
            send(h, 304)
        else:
            send(h, 200, body, {"Content-Type": "application/json", "ETag": etag})

    return route


@pytest.mark.parametrize("suffix", [".json", ".sqlite"])
def test_import_a_feed_then_update_only_what_changed(
    server: Server, tmp_path: Path, suffix: str
) -> None:
    db = str(tmp_path / f"mine{suffix}")
    server.route("/feed.json.gz", feed_route(gzip.compress(FEED)))
    r = cli(tmp_path, "import", server.url("/feed.json.gz"), "--db", db)
    assert r.returncode == 0, r.stderr
    assert "3 added" in r.stderr
    r = cli(tmp_path, "--db", db, "sources", "--json")
    (source,) = json.loads(r.stdout)["sources"]
    assert (source["kind"], source["location"], source["etag"]) == (
        "url",
        server.url("/feed.json.gz"),
        '"v1"',
    )
    assert (source["read"], source["added"], source["status"]) == (3, 3, "ok")
    # Unchanged: one conditional request, answered 304, nothing imported.
    r = cli(tmp_path, "--db", db, "update")
    assert (r.returncode, r.stdout) == (0, f"not modified  {server.url('/feed.json.gz')}\n")
    assert server.seen[-1].headers.get("If-None-Match") == '"v1"'
    # Changed: the new version is merged (one claim re-rated, one new).
    doc = json.loads(FEED)
    doc["dataFeedElement"][0]["item"]["reviewRating"]["alternateName"] = "True"
    server.route("/feed.json.gz", feed_route(json.dumps(doc).encode(), etag='"v2"'))
    r = cli(tmp_path, "--db", db, "update", "--json")
    (done,) = json.loads(r.stdout)["updates"]
    assert done["status"] == "updated"
    assert done["report"]["updated"] + done["report"]["changed"] >= 1
    r = cli(tmp_path, "--db", db, "sources", "--json")
    assert json.loads(r.stdout)["sources"][0]["etag"] == '"v2"'


def test_a_page_with_claimreview_markup(server: Server, tmp_path: Path) -> None:
    server.route(
        "/fact-check/some-claim/",
        lambda h: send(h, 200, PAGE, {"Content-Type": "text/html; charset=utf-8"}),
    )
    r = cli(
        tmp_path, "import", server.url("/fact-check/some-claim/"), "--db", str(tmp_path / "p.json")
    )
    assert r.returncode == 0, r.stderr
    assert "added" in r.stderr


def test_network_failures_are_one_line_and_change_nothing(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "mine.sqlite"
    server.route("/gone.json", lambda h: send(h, 404, b"no"))
    r = cli(tmp_path, "import", server.url("/gone.json"), "--db", str(db))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "404" in r.stderr
    assert server.url("/gone.json") in r.stderr
    assert not db.exists()


def test_update_goes_on_past_a_failing_source(server: Server, tmp_path: Path) -> None:
    db = str(tmp_path / "mine.json")
    server.route("/a.json", feed_route(FEED, '"a"'))
    server.route("/b.json", feed_route(PAGE, '"b"'))
    assert (
        cli(tmp_path, "import", server.url("/a.json"), server.url("/b.json"), "--db", db).returncode
        == 0
    )
    server.route("/a.json", lambda h: send(h, 503, b"down"))
    r = cli(tmp_path, "--db", db, "update")
    assert r.returncode == 2
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"failed  {server.url('/a.json')}: HTTP 503")
    assert lines[1] == f"not modified  {server.url('/b.json')}"


def api_route(pages: list[dict[str, Any]]) -> Any:
    def route(h: BaseHTTPRequestHandler) -> None:
        q = parse_qs(urlsplit(h.path).query)
        if q.get("key") != [KEY]:
            send(h, 400, json.dumps({"error": {"message": "API key not valid."}}).encode())
            return
        token = q.get("pageToken", ["0"])[0]
        page = dict(pages[int(token)])
        if int(token) + 1 < len(pages):
            page["nextPageToken"] = str(int(token) + 1)
        send(h, 200, json.dumps(page).encode(), {"Content-Type": "application/json"})

    return route


def api_claim(n: int) -> dict[str, Any]:
    return {
        "text": f"Claim number {n} about starlink terminals in Ukraine.",
        "claimant": "Someone",
        "claimReview": [
            {"url": f"https://checker.example/{n}", "title": f"Fact check {n}",
             "publisher": {"name": "Checker"}, "textualRating": "False"}
        ],
    }  # fmt: skip


def test_api_import_pages_through_and_never_stores_the_key(server: Server, tmp_path: Path) -> None:
    server.route(
        "/v1alpha1/claims:search",
        api_route([{"claims": [api_claim(1), api_claim(2)]}, {"claims": [api_claim(3)]}]),
    )
    db = tmp_path / "mine.sqlite"
    environ = {"FACTCHECK_API_KEY": KEY, "FACTCHECK_API_URL": server.url("/v1alpha1/claims:search")}
    r = cli(
        tmp_path,
        "import",
        "--api",
        "starlink ukraine",
        "--language",
        "en",
        "--db",
        str(db),
        **environ,
    )
    assert r.returncode == 0, r.stderr
    assert "3 added" in r.stderr
    first = parse_qs(urlsplit(server.seen[0].path).query)
    assert (first["query"], first["languageCode"]) == (["starlink ukraine"], ["en"])
    r = cli(tmp_path, "--db", str(db), "sources", "--json")
    (source,) = json.loads(r.stdout)["sources"]
    assert (source["kind"], source["location"], source["params"]) == (
        "api",
        "starlink ukraine",
        {"language": "en"},
    )
    for path in tmp_path.rglob("mine.sqlite*"):
        assert KEY.encode() not in path.read_bytes()
    r = cli(tmp_path, "--db", str(db), "update", "--json", **environ)
    assert json.loads(r.stdout)["updates"][0]["report"]["unchanged"] == 3


def test_api_errors_and_a_missing_key(server: Server, tmp_path: Path) -> None:
    server.route("/v1alpha1/claims:search", api_route([{"claims": []}]))
    db = str(tmp_path / "mine.json")
    r = cli(tmp_path, "import", "--api", "x", "--db", db)
    assert r.returncode == 2 and "FACTCHECK_API_KEY" in r.stderr
    environ = {
        "FACTCHECK_API_KEY": "wrong-key",
        "FACTCHECK_API_URL": server.url("/v1alpha1/claims:search"),
    }
    r = cli(tmp_path, "import", "--api", "x", "--db", db, **environ)
    assert r.returncode == 2
    assert "API key not valid" in r.stderr and "wrong-key" not in r.stderr


def test_sources_on_a_database_without_any(tmp_path: Path) -> None:
    r = cli(tmp_path, "sources")
    assert r.returncode == 1 and "nothing was imported" in r.stderr
