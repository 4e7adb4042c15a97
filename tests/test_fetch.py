"""factcheck.fetch against real HTTP(S) servers that the tests start on 127.0.0.1.

No other network is used: the DNS test asks for a name under .invalid (RFC 6761), which a
resolver answers without asking anyone, and the proxy test's "remote" host is never resolved.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import select
import shutil
import socket
import ssl
import subprocess
import threading
import time
import traceback
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from factcheck import __version__
from factcheck.errors import FactcheckError
from factcheck.fetch import (
    API_ENDPOINT,
    Failure,
    FetchError,
    FetchOptions,
    download,
    fetch,
    redact,
    search_claims,
)

Route = Callable[[BaseHTTPRequestHandler], None]
KEY = "AIzaSyTEST-secret_key.123"


@dataclass
class Seen:
    path: str
    headers: Message


class Server:
    """A threaded HTTP(S) server on 127.0.0.1 whose paths are answered by test functions."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.stop = threading.Event()  # set at teardown: stalled handlers return
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.seen.append(Seen(self.path, self.headers))
                route = server.routes.get(urlsplit(self.path).path)
                if route is None:
                    send(self, 404, b"no such route")
                else:
                    route(self)

            def do_CONNECT(self) -> None:
                server.seen.append(Seen(f"CONNECT {self.path}", self.headers))
                tunnel(self)

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep the test output clean

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def route(self, path: str, fn: Route) -> None:
        self.routes[path] = fn

    def stall(self, h: BaseHTTPRequestHandler) -> None:
        """A route that never answers (until teardown)."""
        self.stop.wait(10)

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def send(
    h: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    length: int | None = None,
) -> None:
    h.send_response(status)
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    h.send_header("Content-Length", str(len(body) if length is None else length))
    h.end_headers()
    h.wfile.write(body)


def tunnel(h: BaseHTTPRequestHandler) -> None:
    """Answer CONNECT host:port as an HTTPS proxy does: relay bytes both ways until EOF."""
    host, port = h.path.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as upstream:
        h.send_response(200, "Connection established")
        h.end_headers()
        ends = [h.connection, upstream]
        while True:
            ready, _, _ = select.select(ends, [], [], 5)
            if not ready:
                return
            for end in ready:
                data = end.recv(65536)
                if not data:
                    return
                (upstream if end is h.connection else h.connection).sendall(data)


def sequence(*routes: Route) -> Route:
    """A route answering the n-th request with the n-th route (the last one after that)."""
    calls = [0]

    def route(h: BaseHTTPRequestHandler) -> None:
        n = min(calls[0], len(routes) - 1)
        calls[0] += 1
        routes[n](h)

    return route


def status(code: int, body: bytes = b"", **headers: str) -> Route:
    named = {k.replace("_", "-"): v for k, v in headers.items()}
    return lambda h: send(h, code, body, named)


class Sleeps(list[float]):
    """An injected sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def options(sleeps: Sleeps | None = None, **kw: Any) -> FetchOptions:
    """Short timeouts and no retries unless a test asks: the suite must stay fast."""
    settings: dict[str, Any] = {
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "retries": 0,
        "sleep": Sleeps() if sleeps is None else sleeps,
    }
    settings.update(kw)
    return FetchOptions(**settings)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy set in the environment would route the loopback requests elsewhere."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- plain fetches --------------------------------------------------------------------------


def test_fetch_a_page(server: Server, tmp_path: Path) -> None:
    body = b"<html>" + b"claims " * 30_000 + b"</html>"  # several reads
    server.route(
        "/page",
        status(
            200,
            body,
            Content_Type="text/html; charset=ISO-8859-1",
            ETag='"v1"',
            Last_Modified="Wed, 21 Oct 2015 07:28:00 GMT",
        ),
    )
    spool = tmp_path / "spool"
    spool.mkdir()
    with fetch(server.url("/page"), options=options(tmpdir=spool)) as resp:
        assert resp.status == 200
        assert resp.url == server.url("/page")
        assert not resp.not_modified
        assert resp.content_type == "text/html"
        assert resp.charset == "iso-8859-1"
        assert resp.etag == '"v1"'
        assert resp.last_modified == "Wed, 21 Oct 2015 07:28:00 GMT"
        assert (resp.bytes_read, resp.size) == (len(body), len(body))
        assert resp.body.tell() == 0
        assert os.fstat(resp.body.fileno()).st_size == len(body)  # a file, not memory
        assert resp.body.read() == body
    assert resp.body.closed
    assert list(spool.iterdir()) == []  # nothing left behind
    headers = server.seen[0].headers
    assert headers["User-Agent"] == f"factcheck/{__version__}"
    assert headers["Accept-Encoding"] == "gzip, deflate"


def test_defaults_are_documented_values() -> None:
    o = FetchOptions()
    assert (o.connect_seconds, o.read_seconds) == (10.0, 30.0)
    assert (o.max_bytes, o.max_redirects, o.retries, o.max_wait) == (2**30, 5, 3, 60.0)
    assert o.user_agent == f"factcheck/{__version__}"
    assert (FetchOptions(timeout=0.5).connect_seconds, FetchOptions(timeout=0.5).read_seconds) == (
        0.5,
        0.5,
    )
    assert API_ENDPOINT == "https://factchecktools.googleapis.com/v1alpha1/claims:search"


def gzip_members(data: bytes) -> bytes:
    half = len(data) // 2
    return gzip.compress(data[:half]) + gzip.compress(data[half:])


def raw_deflate(data: bytes) -> bytes:
    z = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return z.compress(data) + z.flush()


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("gzip", gzip_members),
        ("deflate", zlib.compress),
        ("deflate", raw_deflate),  # what some servers send as "deflate"
    ],
    ids=["gzip", "gzip-2-members", "deflate-zlib", "deflate-raw"],
)
def test_content_encoding_is_decoded(
    server: Server, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    raw = b"".join(b"claim %d said something\n" % i for i in range(40_000))  # ~1 MB
    wire = encode(raw)
    server.route("/z", status(200, wire, Content_Encoding=encoding))
    with fetch(server.url("/z"), options=options()) as resp:
        assert resp.body.read() == raw
        assert (resp.bytes_read, resp.size) == (len(wire), len(raw))


@pytest.mark.parametrize("split", [0, 1], ids=["at-member-end", "inside-the-magic"])
def test_gzip_members_split_across_reads(server: Server, split: int) -> None:
    # The first member decodes to exactly two 64 KiB pieces and ends a read, so the decoder
    # sees the end of a member, full output and no more input all at once.
    first, second = os.urandom(2 * 65536), b"second member"
    one, two = gzip.compress(first), gzip.compress(second)
    cut = len(one) + split

    def slow(h: BaseHTTPRequestHandler) -> None:
        wire = one + two
        send(h, 200, wire[:cut], {"Content-Encoding": "gzip"}, length=len(wire))
        time.sleep(0.05)  # a separate read for the rest
        h.wfile.write(wire[cut:])

    server.route("/members", slow)
    with fetch(server.url("/members"), options=options()) as resp:
        assert resp.body.read() == first + second


def test_chunked_body(server: Server) -> None:
    parts = [b"a" * 70_000, b"b" * 10, b"c" * 100_000]

    def chunked(h: BaseHTTPRequestHandler) -> None:
        h.protocol_version = "HTTP/1.1"
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Connection", "close")
        h.end_headers()
        for part in parts:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        h.wfile.write(b"0\r\n\r\n")

    server.route("/c", chunked)
    with fetch(server.url("/c"), options=options()) as resp:
        assert resp.body.read() == b"".join(parts)


def test_progress_is_reported(server: Server) -> None:
    body = os.urandom(300_000)
    server.route("/p", status(200, body))
    calls: list[tuple[int, int | None]] = []
    with fetch(server.url("/p"), progress=lambda d, t: calls.append((d, t)), options=options()):
        pass
    assert calls[0] == (0, len(body))
    assert calls[-1] == (len(body), len(body))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_conditional_request_gets_not_modified(server: Server) -> None:
    date = "Wed, 21 Oct 2015 07:28:00 GMT"

    def conditional(h: BaseHTTPRequestHandler) -> None:
        if h.headers["If-None-Match"] == '"v7"' and h.headers["If-Modified-Since"] == date:
            send(h, 304, headers={"ETag": '"v7"'})
        else:
            send(h, 200, b"changed")

    server.route("/feed", conditional)
    with fetch(server.url("/feed"), etag='"v7"', last_modified=date, options=options()) as resp:
        assert resp.not_modified
        assert resp.status == 304
        assert resp.etag == '"v7"'
        assert resp.body.read() == b""
        assert resp.bytes_read == 0
    assert server.seen[0].headers["If-None-Match"] == '"v7"'
    assert server.seen[0].headers["If-Modified-Since"] == date
    with fetch(server.url("/feed"), options=options()) as resp:  # no validators: full body
        assert (resp.status, resp.body.read()) == (200, b"changed")


def test_http_error_is_one_line_with_status_and_not_retried(server: Server) -> None:
    server.route("/gone", status(404, b"nothing here"))
    sleeps = Sleeps()
    with pytest.raises(FetchError) as info:
        fetch(server.url("/gone"), options=options(sleeps, retries=3))
    e = info.value
    assert str(e) == f"HTTP 404 Not Found ({server.url('/gone')})"
    assert (e.kind, e.status, e.body) == (Failure.HTTP, 404, b"nothing here")
    assert isinstance(e, FactcheckError)
    assert sleeps == []
    assert len(server.seen) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/x", "not an http(s) URL"),
        ("example.org/x", "not an http(s) URL"),
        ("http://", "not an http(s) URL"),
        ("http://h:port/", "invalid URL"),
        ("http://h:99999/", "invalid URL"),
        ("http://[::1/", "invalid URL"),
        (f"http://exa\x00mple.invalid/?key={KEY}", "invalid host name"),
        ("http://" + "a" * 70 + ".invalid/", "invalid host name"),  # a DNS label is <= 63
    ],
)
def test_invalid_urls_are_argument_errors(url: str, message: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(url, options=options())
    assert (info.value.kind, info.value.message) == (Failure.ARGUMENT, message)
    assert_no_key(info.value)


def test_urls_are_percent_encoded_as_browsers_do(server: Server) -> None:
    server.route("/caf%C3%A9%20cr%C3%A8me", status(200, b"ok"))
    with fetch(server.url("/café crème?q=ü"), options=options()) as resp:
        assert resp.body.read() == b"ok"
    assert server.paths() == ["/caf%C3%A9%20cr%C3%A8me?q=%C3%BC"]


# --- redirects ------------------------------------------------------------------------------


def test_redirects_are_followed(server: Server) -> None:
    server.route("/old", status(301, Location="/moved"))
    server.route("/moved", status(302, Location=server.url("/final")))
    server.route("/final", status(200, b"here"))
    with fetch(server.url("/old"), etag='"e"', options=options()) as resp:
        assert resp.url == server.url("/final")
        assert resp.body.read() == b"here"
    assert server.paths() == ["/old", "/moved", "/final"]
    assert server.seen[-1].headers["If-None-Match"] == '"e"'  # kept across hops


def test_redirect_loop_is_an_error(server: Server) -> None:
    server.route("/a", status(302, Location="/b"))
    server.route("/b", status(307, Location="/a"))
    with pytest.raises(FetchError) as info:
        fetch(server.url("/a"), options=options())
    assert info.value.kind is Failure.REDIRECTS
    assert str(info.value) == f"redirect loop back to {server.url('/a')} ({server.url('/a')})"
    assert server.paths() == ["/a", "/b"]


def test_too_many_redirects(server: Server) -> None:
    for n in range(10):
        server.route(f"/hop{n}", status(302, Location=f"/hop{n + 1}"))
    with pytest.raises(FetchError) as info:
        fetch(server.url("/hop0"), options=options())
    assert info.value.kind is Failure.REDIRECTS
    assert info.value.message == "too many redirects (more than 5)"
    assert len(server.seen) == 6  # the request and 5 redirects


def test_redirect_to_another_scheme_is_refused(server: Server) -> None:
    server.route("/r", status(302, Location="file:///etc/passwd"))
    with pytest.raises(FetchError) as info:
        fetch(server.url("/r"), options=options())
    assert info.value.kind is Failure.ARGUMENT
    assert str(info.value) == "redirected to a URL that is not http(s) (file:///etc/passwd)"


# --- timeouts -------------------------------------------------------------------------------


def test_read_timeout_before_the_response(server: Server) -> None:
    server.route("/slow", server.stall)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(server.url("/slow"), options=options(read_timeout=0.2))
    assert time.monotonic() - started < 1.5
    assert info.value.kind is Failure.READ_TIMEOUT
    assert info.value.message == f"read timed out: no data from 127.0.0.1:{server.port} for 0.2 s"


def test_read_timeout_in_the_body(server: Server) -> None:
    def stall(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, b"x" * 1000, length=2000)
        server.stop.wait(10)

    server.route("/stall", stall)
    with pytest.raises(FetchError) as info:
        fetch(server.url("/stall"), options=options(timeout=0.2))
    assert info.value.kind is Failure.READ_TIMEOUT


def test_read_timeout_is_retried(server: Server) -> None:
    server.route("/flaky", sequence(server.stall, status(200)))
    sleeps = Sleeps()
    with fetch(server.url("/flaky"), options=options(sleeps, read_timeout=0.2, retries=2)) as r:
        assert r.status == 200
    assert sleeps == [1.0]


def test_connect_timeout() -> None:
    # A listening socket with a full accept queue drops new SYNs, so connect() hangs: a
    # loopback stand-in for a host that does not answer.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers: list[socket.socket] = []
        if not _fill_accept_queue(port, fillers):
            pytest.skip("this kernel accepts connections beyond the listen backlog")
        try:
            started = time.monotonic()
            with pytest.raises(FetchError) as info:
                fetch(
                    f"http://127.0.0.1:{port}/",
                    options=options(connect_timeout=0.3, read_timeout=5.0),
                )
            assert time.monotonic() - started < 2
        finally:
            for s in fillers:
                s.close()
    assert info.value.kind is Failure.CONNECT_TIMEOUT
    assert info.value.message == f"connect to 127.0.0.1:{port} timed out after 0.3 s"


def _fill_accept_queue(port: int, fillers: list[socket.socket]) -> bool:
    """Connect until a connect times out (True), keeping the connections in ``fillers``."""
    try:  # extend() keeps the connections made before one times out
        fillers.extend(socket.create_connection(("127.0.0.1", port), timeout=0.2) for _ in "1234")
    except TimeoutError:
        return True
    return False


# --- retries --------------------------------------------------------------------------------


def test_429_then_200_honours_retry_after(server: Server) -> None:
    server.route("/limited", sequence(status(429, Retry_After="7"), status(200, b"ok")))
    sleeps = Sleeps()
    with fetch(server.url("/limited"), options=options(sleeps, retries=3)) as resp:
        assert resp.body.read() == b"ok"
    assert sleeps == [7.0]
    assert len(server.seen) == 2


def test_retry_after_as_an_http_date(server: Server) -> None:
    when = formatdate(time.time() + 30, usegmt=True)
    server.route("/busy", sequence(status(503, Retry_After=when), status(200, b"ok")))
    sleeps = Sleeps()
    with fetch(server.url("/busy"), options=options(sleeps, retries=1)) as resp:
        assert resp.body.read() == b"ok"
    assert len(sleeps) == 1
    assert 28 <= sleeps[0] <= 30  # the date has whole seconds


def test_retry_after_beyond_the_cap_fails_at_once(server: Server) -> None:
    server.route("/quota", status(429, Retry_After="3600"))
    sleeps = Sleeps()
    with pytest.raises(FetchError) as info:
        fetch(server.url("/quota"), options=options(sleeps, retries=3))
    assert sleeps == []
    assert info.value.message == (
        "HTTP 429 Too Many Requests; the server asks to retry after 3600 s, "
        "longer than the 60 s limit"
    )
    assert info.value.status == 429


def test_503_retries_exhausted(server: Server) -> None:
    server.route("/down", status(503, b"maintenance"))
    sleeps = Sleeps()
    with pytest.raises(FetchError) as info:
        fetch(server.url("/down"), options=options(sleeps, retries=2, backoff=0.5))
    assert sleeps == [0.5, 1.0]  # exponential backoff
    assert len(server.seen) == 3
    assert (info.value.kind, info.value.status) == (Failure.HTTP, 503)
    assert info.value.message == "HTTP 503 Service Unavailable; gave up after 3 attempts"


def test_unusable_retry_after_falls_back_on_backoff(server: Server) -> None:
    server.route("/odd", status(503, Retry_After="\u00b2"))  # a digit to str.isdigit()
    sleeps = Sleeps()
    with pytest.raises(FetchError):
        fetch(server.url("/odd"), options=options(sleeps, retries=1))
    assert sleeps == [1.0]


def test_backoff_is_capped(server: Server) -> None:
    server.route("/down", status(500))
    sleeps = Sleeps()
    with pytest.raises(FetchError):
        fetch(server.url("/down"), options=options(sleeps, retries=4, backoff=10, max_wait=25))
    assert sleeps == [10, 20, 25, 25]


def test_dropped_connection_is_retried(server: Server) -> None:
    server.route("/drop", sequence(lambda h: None, status(200, b"second time")))
    sleeps = Sleeps()
    with fetch(server.url("/drop"), options=options(sleeps, retries=1)) as resp:
        assert resp.body.read() == b"second time"
    assert sleeps == [1.0]


def test_body_cut_short_is_retried_then_reported(server: Server) -> None:
    server.route("/short", lambda h: send(h, 200, b"x" * 500, length=1000))
    sleeps = Sleeps()
    with pytest.raises(FetchError) as info:
        fetch(server.url("/short"), options=options(sleeps, retries=1))
    assert info.value.kind is Failure.CONNECTION
    assert info.value.message == (
        "connection closed after 500 of 1,000 bytes; gave up after 2 attempts"
    )
    assert len(server.seen) == 2


# --- size limits ----------------------------------------------------------------------------


def test_endless_body_hits_the_size_limit_in_bounded_memory(server: Server) -> None:
    def endless(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)  # HTTP/1.0 without Content-Length: the body ends at EOF
        h.end_headers()
        block = b"x" * 65536
        with contextlib.suppress(OSError):  # the client hangs up
            while not server.stop.is_set():
                h.wfile.write(block)

    server.route("/endless", endless)
    limit = 16 * 2**20
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as info:
            fetch(server.url("/endless"), options=options(max_bytes=limit))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.kind is Failure.TOO_LARGE
    assert info.value.message == "response larger than the 16 MiB limit"
    assert peak < 2 * 2**20  # a few 64 KiB pieces, not the 16 MiB read


def test_announced_length_over_the_limit_fails_before_reading(server: Server) -> None:
    def huge(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, b"x" * 10, length=10 * 2**30)
        server.stop.wait(10)

    server.route("/huge", huge)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(server.url("/huge"), options=options())
    assert time.monotonic() - started < 1.5  # well before the 2 s read timeout
    assert info.value.message == "response larger than the 1 GiB limit"


def test_gzip_bomb_hits_the_decoded_limit(server: Server) -> None:
    bomb = gzip.compress(b"\0" * (8 * 2**20), compresslevel=9)  # 8 KiB on the wire
    server.route("/bomb", status(200, bomb, Content_Encoding="gzip"))
    with pytest.raises(FetchError) as info:
        fetch(server.url("/bomb"), options=options(max_bytes=2**20))
    assert info.value.kind is Failure.TOO_LARGE
    assert info.value.message == "decoded response larger than the 1 MiB limit"


def test_error_body_is_kept_only_in_part(server: Server) -> None:
    bomb = gzip.compress(b"e" * (64 * 2**20), compresslevel=9)
    server.route("/err", status(500, bomb, Content_Encoding="gzip"))
    with pytest.raises(FetchError) as info:
        fetch(server.url("/err"), options=options())
    assert info.value.body == b"e" * 65536


def test_corrupt_truncated_and_unknown_encodings(server: Server) -> None:
    whole = gzip.compress(b"claims " * 1000)
    server.route("/corrupt", status(200, b"not gzip at all", Content_Encoding="gzip"))
    server.route("/truncated", status(200, whole[: len(whole) // 2], Content_Encoding="gzip"))
    server.route("/br", status(200, b"...", Content_Encoding="br"))
    for path, message in [
        ("/corrupt", "corrupt gzip body"),
        ("/truncated", "truncated gzip body"),
        ("/br", "unsupported Content-Encoding 'br'"),
    ]:
        with pytest.raises(FetchError) as info:
            fetch(server.url(path), options=options())
        assert (info.value.kind, info.value.message) == (Failure.BAD_RESPONSE, message)


# --- connection failures --------------------------------------------------------------------


def test_connection_refused_is_clear_and_not_retried() -> None:
    port = closed_port()
    sleeps = Sleeps()
    with pytest.raises(FetchError) as info:
        fetch(f"http://127.0.0.1:{port}/x", options=options(sleeps, retries=3))
    assert str(info.value) == f"connection refused by 127.0.0.1:{port} (http://127.0.0.1:{port}/x)"
    assert info.value.kind is Failure.REFUSED
    assert sleeps == []


def _resolves_quickly(name: str) -> BaseException | None:
    """The error resolving ``name``, or None if it resolved; skips if the resolver hangs."""
    outcome: list[BaseException | None] = []

    def resolve() -> None:
        try:
            socket.getaddrinfo(name, 80)
            outcome.append(None)
        except OSError as e:
            outcome.append(e)

    thread = threading.Thread(target=resolve, daemon=True)
    thread.start()
    thread.join(3)
    if not outcome:
        pytest.skip(f"resolving {name} takes more than 3 s here")
    return outcome[0]


def test_dns_failure() -> None:
    name = "no-such-host.factcheck.invalid"
    if _resolves_quickly(name) is None:
        pytest.skip(f"the resolver here answers for {name}, a name that cannot exist")
    with pytest.raises(FetchError) as info:
        fetch(f"https://{name}/claims", options=options())
    assert info.value.kind is Failure.DNS
    assert info.value.message.startswith(f"cannot resolve host {name!r}")
    assert info.value.where == f"https://{name}/claims"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl binary is needed to make a test certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    s = Server(context)
    s.route("/secure", status(200, b"over TLS"))
    yield s
    s.close()


def test_self_signed_certificate_is_a_clear_tls_error(tls_server: Server) -> None:
    with pytest.raises(FetchError) as info:
        fetch(tls_server.url("/secure"), options=options(retries=2))
    assert info.value.kind is Failure.TLS
    assert re.fullmatch(  # OpenSSL 1.1 writes "self signed", 3.0 "self-signed"
        rf"TLS certificate verification failed for 127\.0\.0\.1:{tls_server.port}: "
        r"self[- ]signed certificate",
        info.value.message,
    )
    assert len(tls_server.seen) == 0


def test_https_works_with_a_trusted_certificate(
    tls_server: Server, certificate: tuple[Path, Path]
) -> None:
    context = ssl.create_default_context(cafile=str(certificate[0]))
    with fetch(tls_server.url("/secure"), options=options(ssl_context=context)) as resp:
        assert resp.body.read() == b"over TLS"


def test_proxy_from_the_environment(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    server.route("/via-proxy", status(200, b"proxied"))
    monkeypatch.setenv("http_proxy", server.url(""))
    with fetch("http://origin.factcheck.invalid/via-proxy", options=options()) as resp:
        assert resp.body.read() == b"proxied"
    assert server.paths() == ["http://origin.factcheck.invalid/via-proxy"]  # absolute form


def test_https_through_a_connect_proxy(
    server: Server,
    tls_server: Server,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("https_proxy", server.url(""))
    context = ssl.create_default_context(cafile=str(certificate[0]))
    with fetch(tls_server.url("/secure"), options=options(ssl_context=context)) as resp:
        assert resp.body.read() == b"over TLS"
    assert server.paths() == [f"CONNECT 127.0.0.1:{tls_server.port}"]


def test_no_proxy_is_honoured(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    server.route("/direct", status(200, b"direct"))
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with fetch(server.url("/direct"), options=options()) as resp:
        assert resp.body.read() == b"direct"


def test_unreachable_proxy_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{port}")
    with pytest.raises(FetchError) as info:
        fetch("http://origin.factcheck.invalid/", options=options())
    assert info.value.message == f"connection refused by proxy 127.0.0.1:{port}"


# --- downloads ------------------------------------------------------------------------------

MODEL = os.urandom(700_000)
MODEL_SHA = hashlib.sha256(MODEL).hexdigest()


def ranged(data: bytes, etag: str = '"m1"') -> Route:
    """A file server honouring ``Range: bytes=N-`` (and ``If-Range``)."""

    def route(h: BaseHTTPRequestHandler) -> None:
        wanted = h.headers["Range"]
        if_range = h.headers["If-Range"]
        if wanted is None or (if_range is not None and if_range != etag):
            send(h, 200, data, {"ETag": etag})
            return
        start = int(wanted.removeprefix("bytes=").removesuffix("-"))
        if start >= len(data):
            send(h, 416, headers={"Content-Range": f"bytes */{len(data)}"})
            return
        end = len(data) - 1
        headers = {"Content-Range": f"bytes {start}-{end}/{len(data)}", "ETag": etag}
        send(h, 206, data[start:], headers)

    return route


def test_download_fresh(server: Server, tmp_path: Path) -> None:
    server.route("/model.bin", ranged(MODEL))
    dest = tmp_path / "model.bin"
    result = download(server.url("/model.bin"), dest, sha256=MODEL_SHA.upper(), options=options())
    assert dest.read_bytes() == MODEL
    assert not (tmp_path / "model.bin.part").exists()
    assert (result.path, result.size, result.sha256) == (dest, len(MODEL), MODEL_SHA)
    assert (result.resumed_from, result.bytes_read) == (0, len(MODEL))
    assert "key=***" in repr(download(server.url(f"/model.bin?key={KEY}"), dest, options=options()))
    headers = server.seen[0].headers
    assert headers["Range"] is None
    assert headers["Accept-Encoding"] == "identity"


def test_download_resumes_a_partial_file(server: Server, tmp_path: Path) -> None:
    server.route("/model.bin", ranged(MODEL))
    dest = tmp_path / "model.bin"
    have = 300_000
    (tmp_path / "model.bin.part").write_bytes(MODEL[:have])
    calls: list[tuple[int, int | None]] = []
    result = download(
        server.url("/model.bin"),
        dest,
        sha256=MODEL_SHA,
        progress=lambda d, t: calls.append((d, t)),
        options=options(),
    )
    assert dest.read_bytes() == MODEL
    assert server.seen[0].headers["Range"] == f"bytes={have}-"
    assert (result.resumed_from, result.bytes_read) == (have, len(MODEL) - have)
    assert calls[0] == (have, len(MODEL))
    assert calls[-1] == (len(MODEL), len(MODEL))


def test_download_restarts_when_the_server_ignores_range(server: Server, tmp_path: Path) -> None:
    server.route("/model.bin", status(200, MODEL))  # no Range support
    dest = tmp_path / "model.bin"
    (tmp_path / "model.bin.part").write_bytes(b"stale bytes from another version")
    result = download(server.url("/model.bin"), dest, sha256=MODEL_SHA, options=options())
    assert server.seen[0].headers["Range"] == "bytes=32-"
    assert dest.read_bytes() == MODEL
    assert (result.resumed_from, result.bytes_read) == (0, len(MODEL))


def test_download_of_a_complete_partial_file(server: Server, tmp_path: Path) -> None:
    server.route("/model.bin", ranged(MODEL))
    dest = tmp_path / "model.bin"
    (tmp_path / "model.bin.part").write_bytes(MODEL)  # a crash came before the rename
    result = download(server.url("/model.bin"), dest, sha256=MODEL_SHA, options=options())
    assert dest.read_bytes() == MODEL
    assert (result.resumed_from, result.bytes_read) == (len(MODEL), 0)


def test_download_resumes_after_a_drop_in_the_same_call(server: Server, tmp_path: Path) -> None:
    def cut(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, MODEL[:250_000], {"ETag": '"m1"'}, length=len(MODEL))

    server.route("/model.bin", sequence(cut, ranged(MODEL)))
    sleeps = Sleeps()
    dest = tmp_path / "model.bin"
    result = download(
        server.url("/model.bin"), dest, sha256=MODEL_SHA, options=options(sleeps, retries=1)
    )
    assert dest.read_bytes() == MODEL
    assert server.seen[1].headers["Range"] == "bytes=250000-"
    assert server.seen[1].headers["If-Range"] == '"m1"'
    assert result.resumed_from == 250_000
    assert sleeps == [1.0]


def test_download_checksum_mismatch(server: Server, tmp_path: Path) -> None:
    server.route("/model.bin", ranged(MODEL))
    dest = tmp_path / "model.bin"
    wrong = "0" * 64
    with pytest.raises(FetchError) as info:
        download(server.url("/model.bin"), dest, sha256=wrong, options=options())
    assert info.value.kind is Failure.CHECKSUM
    assert info.value.message == (
        f"SHA-256 mismatch for model.bin: expected {wrong}, got {MODEL_SHA}"
    )
    assert list(tmp_path.iterdir()) == []  # neither the file nor the partial one


def test_download_argument_and_file_errors(server: Server, tmp_path: Path) -> None:
    server.route("/model.bin", ranged(MODEL))
    with pytest.raises(FetchError) as info:
        download(server.url("/model.bin"), tmp_path / "m", sha256="abc", options=options())
    assert info.value.kind is Failure.ARGUMENT
    with pytest.raises(FetchError) as info:
        download(server.url("/model.bin"), tmp_path / "missing" / "m", options=options())
    assert info.value.kind is Failure.FILE
    assert "No such file or directory" in info.value.message


# --- the Fact Check Tools API ---------------------------------------------------------------

PAGES = {
    None: {"claims": [{"text": "c1"}, {"text": "c2"}], "nextPageToken": "t2"},
    "t2": {"claims": [{"text": "c3"}, {"text": "c4"}], "nextPageToken": "t3"},
    "t3": {"claims": [{"text": "c5"}]},
}


def api(pages: dict[str | None, Any]) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        query = parse_qs(urlsplit(h.path).query)
        token = query.get("pageToken", [None])[0]
        send(h, 200, json.dumps(pages[token]).encode(), {"Content-Type": "application/json"})

    return route


def queries(server: Server) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(path).query) for path in server.paths()]


def test_api_pages_through_next_page_token(server: Server) -> None:
    server.route("/v1alpha1/claims:search", api(PAGES))
    pages = list(
        search_claims(
            "ukraine drone",
            key=KEY,
            language="en-US",
            max_age_days=30,
            site="example.org",
            page_size=2,
            endpoint=server.url("/v1alpha1/claims:search"),
            options=options(),
        )
    )
    assert pages == list(PAGES.values())
    shape = {
        "query": ["ukraine drone"],
        "languageCode": ["en-US"],
        "maxAgeDays": ["30"],
        "reviewPublisherSiteFilter": ["example.org"],
        "pageSize": ["2"],
        "key": [KEY],
    }
    assert queries(server) == [
        shape,
        {**shape, "pageToken": ["t2"]},
        {**shape, "pageToken": ["t3"]},
    ]
    assert server.seen[0].headers["Accept"] == "application/json"
    assert server.seen[0].headers["User-Agent"] == f"factcheck/{__version__}"


def test_api_sends_only_what_is_given(server: Server) -> None:
    server.route("/s", api({None: {}}))  # no claims at all: the API's empty answer
    assert list(search_claims("q", key=KEY, endpoint=server.url("/s"), options=options())) == [{}]
    assert queries(server) == [{"query": ["q"], "key": [KEY]}]


@pytest.mark.parametrize(
    ("limit", "counts", "requests"), [(3, [2, 1], 2), (4, [2, 2], 2), (0, [], 0)]
)
def test_api_limit(server: Server, limit: int, counts: list[int], requests: int) -> None:
    server.route("/s", api(PAGES))
    pages = list(
        search_claims("q", key=KEY, limit=limit, endpoint=server.url("/s"), options=options())
    )
    assert [len(p["claims"]) for p in pages] == counts
    assert len(server.seen) == requests
    if limit == 3:
        assert "nextPageToken" not in pages[-1]  # cut short: the token would skip a claim


LOOPING = {"claims": [{}], "nextPageToken": "same"}


def test_api_repeated_token_is_an_error(server: Server) -> None:
    server.route(
        "/s",
        api({None: LOOPING, "same": LOOPING}),
    )
    with pytest.raises(FetchError) as info:
        list(search_claims("q", key=KEY, endpoint=server.url("/s"), options=options()))
    assert info.value.message == "the Fact Check Tools API returned the same nextPageToken twice"


def assert_no_key(e: BaseException) -> None:
    text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    for shown in (str(e), repr(e), text, *map(str, e.args), getattr(e, "where", "") or ""):
        assert KEY not in shown
    assert KEY.encode() not in getattr(e, "body", b"")


def test_api_error_shows_the_api_message_never_the_key(server: Server) -> None:
    body = {
        "error": {
            "code": 400,
            "message": f"API key not valid. Please pass a valid API key. (got {KEY})",
            "status": "INVALID_ARGUMENT",
        }
    }
    server.route("/s", status(400, json.dumps(body).encode(), Content_Type="application/json"))
    with pytest.raises(FetchError) as info:
        next(search_claims("q", key=KEY, endpoint=server.url("/s"), options=options()))
    e = info.value
    assert_no_key(e)
    assert (e.kind, e.status) == (Failure.HTTP, 400)
    assert e.message == (
        "HTTP 400 Bad Request: API key not valid. Please pass a valid API key. (got ***)"
    )
    assert e.where == server.url("/s") + "?query=q&key=***"
    assert e.hint is not None and "API key" in e.hint
    assert "\n" not in str(e)


def test_api_quota_after_retries(server: Server) -> None:
    body = {"error": {"code": 429, "message": "Quota exceeded for quota metric 'Queries'."}}
    server.route("/s", status(429, json.dumps(body).encode()))
    sleeps = Sleeps()
    with pytest.raises(FetchError) as info:
        next(
            search_claims(
                "q", key=KEY, endpoint=server.url("/s"), options=options(sleeps, retries=1)
            )
        )
    assert_no_key(info.value)
    assert info.value.message == (
        "HTTP 429 Too Many Requests; gave up after 2 attempts: "
        "Quota exceeded for quota metric 'Queries'."
    )
    assert sleeps == [1.0]


def test_api_invalid_json(server: Server) -> None:
    server.route("/s", status(200, b"<html>captive portal</html>"))
    with pytest.raises(FetchError) as info:
        next(search_claims("q", key=KEY, endpoint=server.url("/s"), options=options()))
    assert info.value.kind is Failure.JSON
    assert info.value.message == (
        "invalid JSON from the Fact Check Tools API: Expecting value at line 1 column 1"
    )
    assert_no_key(info.value)


def test_api_deeply_nested_json(server: Server) -> None:
    server.route("/s", status(200, b"[" * 100_000 + b"]" * 100_000))
    with pytest.raises(FetchError) as info:
        next(search_claims("q", key=KEY, endpoint=server.url("/s"), options=options()))
    assert info.value.message == "invalid JSON from the Fact Check Tools API: nested too deeply"


def test_api_network_errors_never_show_the_key() -> None:
    port = closed_port()
    with pytest.raises(FetchError) as info:
        next(search_claims("q", key=KEY, endpoint=f"http://127.0.0.1:{port}/s", options=options()))
    assert info.value.kind is Failure.REFUSED
    assert_no_key(info.value)


def test_api_arguments_are_checked_at_call_time() -> None:
    cases: list[dict[str, Any]] = [{}, {"query": "q", "page_size": 0}, {"query": "q", "limit": -1}]
    for kwargs in cases:
        with pytest.raises(FetchError) as info:
            search_claims(key=KEY, **kwargs)  # no iteration needed
        assert info.value.kind is Failure.ARGUMENT
    with pytest.raises(FetchError):
        search_claims("q", key="")


# --- showing URLs ---------------------------------------------------------------------------


def test_redact() -> None:
    assert redact("https://h/p?query=x&key=SECRET&pageSize=2") == (
        "https://h/p?query=x&key=***&pageSize=2"
    )
    assert redact("https://h/p?API_KEY=s#frag") == "https://h/p?API_KEY=***#frag"
    assert redact("https://user:pw@h/p?monkey=1") == "https://user:***@h/p?monkey=1"
    assert redact("https://h/\x1b[31mred") == "https://h/\\x1b[31mred"


def test_response_repr_is_redacted(server: Server) -> None:
    server.route("/r", status(200, b"{}"))
    with fetch(server.url(f"/r?key={KEY}"), options=options()) as resp:
        assert KEY not in repr(resp)
        assert "key=***" in repr(resp)
