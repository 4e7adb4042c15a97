"""Importing from URLs and the Fact Check Tools API, ``sources`` and ``update``, end to end
through the CLI (in process) against HTTP servers on the loopback address."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import io
import json
import ssl
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

import factcheck.cli
import factcheck.term
from factcheck import __version__
from factcheck.cli import Env, main

from .test_fetch import KEY, Server, Sleeps, send, sequence, status
from .test_fetch import certificate as certificate  # a fixture: the test TLS certificate

FIXTURES = Path(__file__).parent / "fixtures"
FEED = (FIXTURES / "claimreview_feed.json").read_bytes()
PAGE = (FIXTURES / "claimreview_page.html").read_bytes()


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    """Retries wait on this instead of the clock: the CLI's own options, minus the waiting."""
    waits = Sleeps()
    made = factcheck.cli._fetch_options

    def options(*args: Any) -> Any:
        return dataclasses.replace(made(*args), sleep=waits)

    monkeypatch.setattr(factcheck.cli, "_fetch_options", options)
    return waits


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = code, stdout, stderr


def cli(tmp_path: Path, *args: str, tty: bool = False, **environ: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    env = Env(
        io.BytesIO(),
        out,
        err,
        {"FACTCHECK_CACHE": str(tmp_path / "cache"), **environ},
        stderr_isatty=tty,
    )
    return Result(main(list(args), env), out.getvalue(), err.getvalue())


def sources(tmp_path: Path, db: str) -> list[dict[str, Any]]:
    r = cli(tmp_path, "--db", db, "sources", "--json")
    assert r.returncode == 0, r.stderr
    found: list[dict[str, Any]] = json.loads(r.stdout)["sources"]
    return found


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


# --- each requirement of the network import, through the CLI --------------------------------

API_PATH = "/v1alpha1/claims:search"
JSON = {"Content-Type": "application/json"}


def api_environ(server: Server) -> dict[str, str]:
    return {"FACTCHECK_API_KEY": KEY, "FACTCHECK_API_URL": server.url(API_PATH)}


def test_a_self_signed_certificate_is_refused_in_one_line(
    certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    tls = Server(context)
    tls.route("/feed.json", status(200, FEED, **JSON))
    db = tmp_path / "mine.sqlite"
    try:
        r = cli(tmp_path, "import", tls.url("/feed.json"), "--db", str(db))
    finally:
        tls.close()
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("factcheck: error: TLS certificate verification failed for ")
    assert tls.url("/feed.json") in r.stderr
    assert tls.seen == []  # nothing was asked over the untrusted connection
    assert not db.exists()


def test_redirects_are_followed_up_to_five(server: Server, tmp_path: Path) -> None:
    for n in range(1, 7):
        server.route(f"/r{n}", status(302, Location=f"/r{n - 1}"))
    server.route("/r0", status(200, FEED, **JSON))
    db = str(tmp_path / "mine.json")
    r = cli(tmp_path, "import", server.url("/r5"), "--db", db)
    assert r.returncode == 0, r.stderr
    assert "3 added" in r.stderr
    assert [s["location"] for s in sources(tmp_path, db)] == [server.url("/r5")]
    r = cli(tmp_path, "import", server.url("/r6"), "--db", db)
    assert (r.returncode, r.stderr.count("\n")) == (2, 1)
    assert "too many redirects (more than 5)" in r.stderr


@pytest.mark.parametrize(
    ("encoding", "encode"), [("gzip", gzip.compress), ("deflate", zlib.compress)]
)
def test_compressed_responses_and_the_request_headers(
    server: Server, tmp_path: Path, encoding: str, encode: Any
) -> None:
    server.route("/feed.json", status(200, encode(FEED), Content_Encoding=encoding, **JSON))
    r = cli(tmp_path, "import", server.url("/feed.json"), "--db", str(tmp_path / "m.json"))
    assert r.returncode == 0, r.stderr
    assert "3 added" in r.stderr
    (seen,) = server.seen
    assert seen.headers["Accept-Encoding"] == "gzip, deflate"
    assert seen.headers["User-Agent"] == f"factcheck/{__version__}"


def test_a_slow_server_times_out_with_timeout(
    server: Server, tmp_path: Path, sleeps: Sleeps
) -> None:
    server.route("/slow", server.stall)
    db = tmp_path / "mine.sqlite"
    r = cli(tmp_path, "import", server.url("/slow"), "--timeout", "0.2", "--db", str(db))
    assert (r.returncode, r.stderr.count("\n")) == (2, 1)
    assert (
        f"read timed out: no data from 127.0.0.1:{server.port} for 0.2 s; gave up after 4 attempts"
    ) in r.stderr
    assert sleeps == [1.0, 2.0, 4.0]  # backoff between the attempts
    assert not db.exists()


def test_429_then_200_honours_retry_after(server: Server, tmp_path: Path, sleeps: Sleeps) -> None:
    server.route(
        "/feed.json",
        sequence(status(429, b"slow down", Retry_After="2"), status(200, FEED, **JSON)),
    )
    r = cli(tmp_path, "import", server.url("/feed.json"), "--db", str(tmp_path / "m.sqlite"))
    assert r.returncode == 0, r.stderr
    assert "3 added" in r.stderr
    assert (sleeps, len(server.seen)) == ([2.0], 2)


@pytest.mark.parametrize("suffix", [".json", ".sqlite"])
def test_update_with_last_modified_only(server: Server, tmp_path: Path, suffix: str) -> None:
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"

    def route(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-Modified-Since") == stamp:
            send(h, 304)
        else:
            send(h, 200, FEED, {"Last-Modified": stamp, **JSON})

    server.route("/feed.json", route)
    db = str(tmp_path / f"mine{suffix}")
    assert cli(tmp_path, "import", server.url("/feed.json"), "--db", db).returncode == 0
    r = cli(tmp_path, "--db", db, "update")
    assert (r.returncode, r.stdout) == (0, f"not modified  {server.url('/feed.json')}\n")
    assert len(server.seen) == 2
    assert server.seen[1].headers["If-Modified-Since"] == stamp
    assert "If-None-Match" not in server.seen[1].headers


@pytest.mark.parametrize("suffix", [".json", ".sqlite"])
def test_an_endless_body_stops_at_max_size(server: Server, tmp_path: Path, suffix: str) -> None:
    def endless(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)  # HTTP/1.0 without Content-Length: the body ends at EOF
        h.end_headers()
        with contextlib.suppress(OSError):  # the client hangs up
            while not server.stop.is_set():
                h.wfile.write(b" " * 65536)

    server.route("/endless", endless)
    db = tmp_path / f"mine{suffix}"
    assert cli(tmp_path, "import", str(FIXTURES / "claimreview_feed.json"), "--db", str(db))
    before = db.read_bytes()
    r = cli(tmp_path, "import", server.url("/endless"), "--max-size", "1", "--db", str(db))
    assert (r.returncode, r.stderr.count("\n")) == (2, 1)
    assert f"response larger than the 1 MiB limit ({server.url('/endless')})" in r.stderr
    assert db.read_bytes() == before


def test_proxy_from_the_environment(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.route("/feed.json", status(200, FEED, **JSON))
    monkeypatch.setenv("http_proxy", server.url(""))
    url = "http://claims.example.invalid/feed.json"  # never resolved: the proxy is asked
    r = cli(tmp_path, "import", url, "--db", str(tmp_path / "m.json"))
    assert r.returncode == 0, r.stderr
    assert [s.path for s in server.seen] == [url]


def test_api_parameters_paging_and_limit(server: Server, tmp_path: Path) -> None:
    server.route(
        API_PATH,
        api_route([{"claims": [api_claim(1), api_claim(2)]}, {"claims": [api_claim(3),
                  api_claim(4)]}, {"claims": [api_claim(5)]}]),
    )  # fmt: skip
    db = str(tmp_path / "mine.sqlite")
    args = ("--api", "starlink", "--language", "en-US", "--max-age-days", "30")
    r = cli(
        tmp_path, "import", *args, "--site", "checker.example", "--limit", "3", "--db", db,
        **api_environ(server),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "3 records read" in r.stderr
    first, second = (parse_qs(urlsplit(s.path).query) for s in server.seen)
    assert first == {
        "query": ["starlink"],
        "languageCode": ["en-US"],
        "maxAgeDays": ["30"],
        "reviewPublisherSiteFilter": ["checker.example"],
        "key": [KEY],
    }
    assert second == {**first, "pageToken": ["1"]}
    (source,) = sources(tmp_path, db)
    assert source["params"] == {
        "language": "en-US",
        "max_age_days": "30",
        "site": "checker.example",
        "limit": "3",
    }
    # Without a limit, every page to the end.
    r = cli(tmp_path, "import", "--api", "starlink", "--db", db, **api_environ(server))
    assert "5 records read" in r.stderr
    assert len(server.seen) == 2 + 3


def test_api_quota_and_an_error_page_part_way(
    server: Server, tmp_path: Path, sleeps: Sleeps
) -> None:
    quota = {"error": {"code": 429, "message": f"Quota exceeded for key {KEY}"}}
    server.route(API_PATH, status(429, json.dumps(quota).encode(), **JSON))
    db = tmp_path / "mine.json"
    r = cli(tmp_path, "import", "--api", "x", "--db", str(db), **api_environ(server))
    assert (r.returncode, r.stderr.count("\n")) == (2, 1)
    assert "HTTP 429 Too Many Requests; gave up after 4 attempts: Quota exceeded" in r.stderr
    assert KEY not in r.stderr
    assert not db.exists()
    # A failure on the second page: nothing of the first is written.
    server.route(
        API_PATH,
        sequence(
            status(200, json.dumps({"claims": [api_claim(1)], "nextPageToken": "1"}).encode()),
            status(500, b"boom"),
        ),
    )
    r = cli(tmp_path, "import", "--api", "x", "--db", str(db), **api_environ(server))
    assert (r.returncode, r.stderr.count("\n")) == (2, 1)
    assert "HTTP 500 Internal Server Error" in r.stderr and "pageToken=1" in r.stderr
    assert KEY not in r.stderr
    assert not db.exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [("--language", "en"), ("--max-age-days", "3"), ("--site", "x.org"), ("--limit", "2")],
)
def test_api_options_without_api_are_an_error(tmp_path: Path, option: str, value: str) -> None:
    db = tmp_path / "mine.json"
    feed = str(FIXTURES / "claimreview_feed.json")
    r = cli(tmp_path, "import", feed, option, value, "--db", str(db))
    assert (r.returncode, r.stderr.count("\n")) == (2, 1)
    assert "there is no --api here" in r.stderr
    assert not db.exists()


def test_secrets_in_a_url_are_never_shown(server: Server, tmp_path: Path) -> None:
    server.route("/feed.json", feed_route(FEED))
    url = server.url("/feed.json?token=SECRET-TOKEN")
    db = str(tmp_path / "mine.json")
    r = cli(tmp_path, "import", url, "--db", db, "--json")
    assert r.returncode == 0, r.stderr
    shown = r.stdout + r.stderr
    for args in (("sources",), ("sources", "--json"), ("update",), ("update", "--json")):
        r = cli(tmp_path, "--db", db, *args)
        assert r.returncode == 0, r.stderr
        shown += r.stdout + r.stderr
    assert "SECRET-TOKEN" not in shown
    assert server.url("/feed.json?token=***") in shown
    # The database keeps the whole URL, so update can ask for it.
    assert [s.path for s in server.seen] == ["/feed.json?token=SECRET-TOKEN"] * 3


@pytest.mark.parametrize("suffix", [".json", ".sqlite"])
def test_update_records_a_failure_in_sources(server: Server, tmp_path: Path, suffix: str) -> None:
    db = str(tmp_path / f"mine{suffix}")
    server.route("/feed.json", feed_route(FEED, '"v1"'))
    assert cli(tmp_path, "import", server.url("/feed.json"), "--db", db).returncode == 0
    server.route("/feed.json", status(404, b"gone"))
    r = cli(tmp_path, "--db", db, "update", "--dry-run")
    assert r.returncode == 2
    assert sources(tmp_path, db)[0]["status"] == "ok"  # a dry run writes nothing
    r = cli(tmp_path, "--db", db, "update")
    assert (r.returncode, r.stdout) == (
        2,
        f"failed  {server.url('/feed.json')}: HTTP 404 Not Found\n",
    )
    (source,) = sources(tmp_path, db)
    assert (source["status"], source["etag"], source["read"]) == (
        "failed: HTTP 404 Not Found",
        '"v1"',
        3,
    )
    server.route("/feed.json", feed_route(FEED, '"v2"'))
    assert cli(tmp_path, "--db", db, "update").returncode == 0
    assert sources(tmp_path, db)[0]["status"] == "ok"


class Bar:
    """Stands in for term.BuildProgress: records what a bar would show."""

    made: ClassVar[list[Bar]] = []

    def __init__(self, stderr: Any, label: str, unit: str | None = None) -> None:
        self.label, self.unit = label, unit
        self.calls: list[tuple[int, int | None]] = []
        Bar.made.append(self)

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))


def test_progress_bars_only_on_a_terminal(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(factcheck.term, "BuildProgress", Bar)
    monkeypatch.setattr(Bar, "made", [])
    server.route("/feed.json", status(200, FEED, **JSON))
    server.route(API_PATH, api_route([{"claims": [api_claim(1)]}, {"claims": [api_claim(2)]}]))
    args = ("import", server.url("/feed.json"), "--api", "starlink")
    environ = api_environ(server)
    r = cli(tmp_path, *args, "--db", str(tmp_path / "m.json"), tty=True, **environ)
    assert r.returncode == 0, r.stderr
    bars = {bar.unit: bar for bar in Bar.made if bar.unit}  # others may draw their own
    assert sorted(bars) == ["bytes", "pages", "records"]
    assert bars["bytes"].calls[-1] == (len(FEED), len(FEED))  # the last call ends the bar
    assert bars["pages"].calls == [(1, None), (2, None), (2, 2)]
    assert bars["records"].calls[-1] == (5, 5)
    Bar.made.clear()
    r = cli(tmp_path, *args, "--db", str(tmp_path / "n.json"), tty=False, **environ)
    assert r.returncode == 0, r.stderr
    assert [bar for bar in Bar.made if bar.unit] == []


def test_a_failed_download_ends_its_bar(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(factcheck.term, "BuildProgress", Bar)
    monkeypatch.setattr(Bar, "made", [])
    server.route("/short", lambda h: send(h, 200, b"x" * 500, length=1000))
    r = cli(tmp_path, "import", server.url("/short"), "--db", str(tmp_path / "m.json"), tty=True)
    assert r.returncode == 2
    (bar,) = [bar for bar in Bar.made if bar.unit == "bytes"]
    assert bar.calls[0] == (0, 1000)
    assert bar.calls[-1][0] == bar.calls[-1][1]  # ended: the error line is not drawn over


@pytest.mark.parametrize("suffix", [".json", ".sqlite"])
def test_a_site_only_api_search_is_remembered_and_updated(
    server: Server, tmp_path: Path, suffix: str
) -> None:
    server.route(API_PATH, api_route([{"claims": [api_claim(1), api_claim(2)]}]))
    db = str(tmp_path / f"mine{suffix}")
    environ = api_environ(server)
    r = cli(tmp_path, "import", "--api", " ", "--site", "checker.example", "--db", db, **environ)
    assert r.returncode == 0, r.stderr
    (source,) = sources(tmp_path, db)  # the database stays readable: no blank location
    assert (source["location"], source["params"]) == (
        "site:checker.example",
        {"site": "checker.example"},
    )
    r = cli(tmp_path, "--db", db, "update", **environ)
    assert (r.returncode, r.stdout) == (
        0,
        "updated  site:checker.example: 2 read, 0 added, 0 updated, 2 unchanged\n",
    )
    for seen in server.seen:  # no query words, on import and on update alike
        assert parse_qs(urlsplit(seen.path).query) == {
            "reviewPublisherSiteFilter": ["checker.example"],
            "key": [KEY],
        }
    r = cli(tmp_path, "import", "--api", " ", "--db", db, **environ)
    assert (r.returncode, r.stderr.count("\n")) == (2, 1)
    assert "needs a query or a publisher site" in r.stderr
