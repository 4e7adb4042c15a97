"""HTTP for importing from URLs and from Google's Fact Check Tools API: fetch, download, search.

Three entry points, all synchronous and all raising only ``FetchError`` for network trouble:

- ``fetch(url)`` GETs one resource and returns a ``Response`` whose ``body`` is a temporary
  file (decoded, at offset 0, deleted on close); conditional with ``etag``/``last_modified``.
- ``download(url, dest, sha256=...)`` writes a file beside ``dest`` (``dest.name + ".part"``),
  resumes it with a ``Range`` request, checks the SHA-256 and renames it into place.
- ``search_claims(query, key=...)`` yields the decoded JSON pages of ``claims:search``.

Why the standard library is enough (no new dependency): ``urllib.request`` already takes
proxies from ``http_proxy``/``https_proxy``/``no_proxy`` (``ProxyHandler``, with CONNECT
tunnels for HTTPS), ``http.client`` speaks HTTP/1.1 including chunked bodies, ``ssl``'s default
context verifies certificates and host names against the system store, and ``zlib`` decodes
gzip and deflate. What requests/httpx would add (connection pools, HTTP/2, cookies, auth flows)
is not needed for a few sequential GETs, and what they lack too (a limit on decoded bytes,
Retry-After with a cap, separate timeouts on urllib's proxy handling) is written here anyway.

Behaviour, with defaults in ``FetchOptions``:

- **Timeouts** are separate: ``connect_timeout`` (10 s) covers DNS, TCP, a proxy tunnel and the
  TLS handshake; ``read_timeout`` (30 s) is the longest silence while waiting for the response
  or its body (per read, as in requests: a slow but steady download does not time out).
  ``timeout`` sets both.
- **Size**: at most ``max_bytes`` (1 GiB) of body are read off the wire *and* at most that many
  once decoded, so a gzip bomb or an endless response is an error, not memory exhaustion. The
  body goes to a temporary file in 64 KiB pieces; memory stays flat whatever the size.
- **Redirects**: up to ``max_redirects`` (5); a URL seen twice is a redirect loop.
- **Retries**: 408, 429 and 5xx (not 501/505, which are final by definition) and transient
  connection trouble (timeouts, resets, a body cut short, a temporary DNS failure) are retried
  ``retries`` times (3) after ``backoff * 2**n`` seconds (1, 2, 4), or after what a
  ``Retry-After`` header asks (seconds or an HTTP date). A server asking for more than
  ``max_wait`` (60 s) fails at once, naming the wait: retrying sooner would only be refused
  again. Connection refused is not retried (nothing listens there), nor are DNS names that do
  not exist, certificate failures or 4xx. The error after the last retry says how many
  attempts were made. ``sleep`` is injectable so tests never wait.
- **Encoding**: ``Accept-Encoding: gzip, deflate`` is sent (``identity`` for downloads, so that
  byte ranges mean file bytes) and the body is decoded as it streams.
- **Identity**: ``User-Agent: factcheck/<version>``.

Secrets: a URL is only ever shown through ``redact()``, which replaces the values of ``key``,
``api_key``, ``access_token`` and similar query parameters and any password in the URL with
``***``; ``search_claims`` also scrubs the literal key from the API's own error text.
Server-supplied text (reason phrases, API messages) is shown with control characters escaped.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import json
import os
import re
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from enum import Enum
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, NoReturn, TypeVar, cast
from urllib.parse import quote, quote_plus, urlencode, urljoin, urlsplit, urlunsplit

from factcheck import __version__
from factcheck.errors import FactcheckError

API_ENDPOINT = "https://factchecktools.googleapis.com/v1alpha1/claims:search"
# An API page is parsed in memory, so it gets a tighter bound than files; real pages are a few
# hundred KiB even at the largest page size.
API_MAX_BYTES = 64 * 2**20

USER_AGENT = f"factcheck/{__version__}"
GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 64 * 1024  # bytes per read and per decompression step: bounds memory per response
ERROR_BODY_LIMIT = 64 * 1024  # of an error response, kept for FetchError.body

# progress(done, total): body bytes received so far, and the expected total (None when the
# server does not say). For downloads both count the bytes already on disk.
Progress = Callable[[int, int | None], None]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# 501 Not Implemented and 505 HTTP Version Not Supported will not change on a retry.
_FINAL_5XX = frozenset({501, 505})
# Query parameters that carry credentials: API keys, OAuth tokens, signed-URL signatures.
_SECRET_PARAMS = (
    "key", "api_key", "apikey", "access_token", "token", "client_secret", "password",
    "sig", "signature", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
    "x-goog-signature", "x-goog-credential",
)  # fmt: skip
_SECRET_QUERY = re.compile(
    r"([?&;](?:" + "|".join(map(re.escape, _SECRET_PARAMS)) + r")=)[^&;#\s]*", re.IGNORECASE
)
_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://[^/?#@:]*):[^/?#@]*@", re.IGNORECASE)
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE | re.ASCII)
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)\s*$", re.IGNORECASE | re.ASCII)
_SECONDS = re.compile(r"\d+", re.ASCII)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NEEDS_QUOTING = re.compile(r"[^\x21-\x7e]")  # spaces, controls, non-ASCII
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~"  # RFC 3986 delimiters and %, kept as they are
# C0/C1 controls and bidi overrides, shown as escapes so a hostile server cannot drive the
# terminal through an error message (the same set as render.sanitize, which the core may not
# import).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SHOWN_TEXT = 300  # characters of server-supplied text in a message

T = TypeVar("T")


class Failure(str, Enum):
    """What went wrong, for callers that react differently (``FetchError.kind``)."""

    ARGUMENT = "argument"  # a bad argument: not an http(s) URL, a malformed checksum, ...
    DNS = "dns"
    REFUSED = "refused"
    TLS = "tls"
    CONNECT_TIMEOUT = "connect-timeout"
    READ_TIMEOUT = "read-timeout"
    CONNECTION = "connection"  # reset, closed early, unreachable network
    HTTP = "http"  # an HTTP error status (``status`` says which)
    REDIRECTS = "redirects"  # too many, or a loop
    TOO_LARGE = "too-large"
    BAD_RESPONSE = "bad-response"  # not HTTP, corrupt gzip, an encoding we did not ask for
    JSON = "json"  # the API sent something that is not a JSON object as documented
    CHECKSUM = "checksum"
    FILE = "file"  # the download cannot be written


class FetchError(FactcheckError):
    """A URL could not be fetched: one line naming the reason, with the (redacted) URL as
    ``where``. ``kind`` classifies it, ``status`` is the HTTP status if there was one, and
    ``body`` holds up to 64 KiB of an error response's decoded body (b"" otherwise).
    """

    def __init__(
        self,
        message: str,
        url: str,
        kind: Failure,
        *,
        status: int | None = None,
        hint: str | None = None,
        body: bytes = b"",
    ) -> None:
        shown = redact(url)
        super().__init__(message, shown, hint)
        self.url = shown
        self.kind = kind
        self.status = status
        self.body = body

    def __repr__(self) -> str:
        return f"FetchError({str(self)!r}, kind={self.kind.value!r}, status={self.status!r})"


@dataclass(frozen=True)
class FetchOptions:
    """How to fetch; the defaults suit an interactive CLI. See the module docstring."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    timeout: float | None = None  # when set, both timeouts (a CLI's --timeout)
    max_bytes: int = 2**30
    max_redirects: int = 5
    retries: int = 3
    backoff: float = 1.0
    max_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    # None: ssl.create_default_context() (system CAs, host names checked), made per call;
    # pass one to share it across many calls, or to trust a private CA.
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False)
    user_agent: str = USER_AGENT
    tmpdir: str | os.PathLike[str] | None = None  # where fetch() spools bodies; None: $TMPDIR

    @property
    def connect_seconds(self) -> float:
        """The connect timeout in effect."""
        return self.connect_timeout if self.timeout is None else self.timeout

    @property
    def read_seconds(self) -> float:
        """The read timeout in effect."""
        return self.read_timeout if self.timeout is None else self.timeout


@dataclass
class Response:
    """A fetched resource. ``body`` is a binary temporary file holding the decoded body at
    offset 0: read it, then ``close()`` (or use ``with``), which deletes it. A 304 (not
    modified) has an empty in-memory body and costs no file.
    """

    url: str  # the final URL, after redirects (unredacted: show it through redact())
    status: int
    headers: http.client.HTTPMessage
    body: BinaryIO
    bytes_read: int  # body bytes received, as sent (before gzip decoding)
    size: int  # bytes in ``body``, decoded

    @property
    def not_modified(self) -> bool:
        """The server says the copy the validators name is current (HTTP 304)."""
        return self.status == HTTPStatus.NOT_MODIFIED

    @property
    def etag(self) -> str | None:
        """The ``ETag`` to send back as ``etag=`` next time."""
        return self.headers.get("ETag")

    @property
    def last_modified(self) -> str | None:
        """The ``Last-Modified`` date, verbatim, to send back as ``last_modified=``."""
        return self.headers.get("Last-Modified")

    @property
    def content_type(self) -> str | None:
        """The media type, lower case without parameters (``application/json``), if given."""
        value = self.headers.get("Content-Type")
        if value is None:
            return None
        return value.split(";", 1)[0].strip().lower() or None

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of ``Content-Type``, if given."""
        return self.headers.get_content_charset() if "Content-Type" in self.headers else None

    def close(self) -> None:
        """Close and delete the body."""
        self.body.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Response(url={redact(self.url)!r}, status={self.status}, "
            f"content_type={self.content_type!r}, size={self.size})"
        )


@dataclass(frozen=True)
class Download:
    """A file ``download()`` put in place."""

    path: Path
    url: str  # the final URL, after redirects
    size: int
    sha256: str  # of the file, lower-case hex (checked against the expected one if given)
    resumed_from: int  # bytes of an earlier partial file that were kept (0: fresh)
    bytes_read: int  # bytes received by this call

    def __repr__(self) -> str:
        return (
            f"Download(path={str(self.path)!r}, url={redact(self.url)!r}, size={self.size}, "
            f"sha256={self.sha256!r}, resumed_from={self.resumed_from})"
        )


def redact(url: str) -> str:
    """``url`` fit to show: secret query values and a password become ``***``, controls escaped.

    >>> redact("https://u:pw@h/p?query=x&key=SECRET")
    'https://u:***@h/p?query=x&key=***'
    """
    url = _SECRET_QUERY.sub(r"\1***", url)
    url = _USERINFO.sub(r"\1:***@", url)
    return _printable(url, limit=2000)


# --- public entry points --------------------------------------------------------------------


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    headers: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    options: FetchOptions | None = None,
) -> Response:
    """GET ``url`` (following redirects, retrying transient failures) into a ``Response``.

    ``etag`` and ``last_modified`` are the validators of a copy the caller has (from an earlier
    ``Response``); they are sent as ``If-None-Match`` / ``If-Modified-Since``, and a 304 comes
    back as ``not_modified`` without a body. ``headers`` are added to the request. Any status
    other than 2xx or 304 raises ``FetchError`` (``status`` set, ``body`` the error's start).
    ``progress`` is called with ``(0, total)`` when the body starts and after every piece; a
    retry starts it again from 0.
    """
    opts = options or FetchOptions()
    url = _as_uri(url)
    request_headers = _base_headers(opts, "gzip, deflate")
    if headers:
        request_headers.update(headers)
    if etag is not None:
        request_headers["If-None-Match"] = etag
    if last_modified is not None:
        request_headers["If-Modified-Since"] = last_modified
    opener = _opener(opts)

    def attempt() -> Response:
        final_url, resp = _get(opener, url, request_headers, opts)
        with contextlib.closing(resp):
            if resp.status == HTTPStatus.NOT_MODIFIED:
                return Response(final_url, resp.status, resp.headers, io.BytesIO(), 0, 0)
            if not 200 <= resp.status < 300:
                _raise_status(resp, final_url, opts)
            body = _spool(opts, final_url)
            try:
                wire, size = _copy_body(resp, final_url, body, opts, progress=progress)
                body.seek(0)
            except BaseException:
                body.close()
                raise
            return Response(final_url, resp.status, resp.headers, body, wire, size)

    return _with_retries(opts, attempt)


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    progress: Progress | None = None,
    options: FetchOptions | None = None,
) -> Download:
    """Download ``url`` to the file ``dest``, resumably, atomically and verified.

    Bytes go to ``dest.name + ".part"`` in the same directory (which must exist). If that file
    exists, the download resumes with ``Range: bytes=N-``: a 206 appends, a 200 (the server
    ignored the range) starts over, a 416 whose length equals the partial file means it is
    complete. A transient failure mid-body resumes the same way on retry (with ``If-Range``
    so a file that changed meanwhile restarts). The finished file is fsynced; if ``sha256``
    (hex) is given and differs, the partial file is removed and ``FetchError`` raised (kind
    ``checksum``); otherwise it is renamed onto ``dest`` and the directory fsynced. Across
    calls a resume trusts the ``.part`` file, so pass ``sha256`` when corruption matters.
    Two processes downloading the same ``dest`` at once must be kept apart by the caller.
    """
    opts = options or FetchOptions()
    url = _as_uri(url)
    expected = _check_sha256(sha256, url)
    target = Path(dest)
    part = target.with_name(target.name + ".part")
    opener = _opener(opts)
    # The validator of the first response, for If-Range on a retry within this call.
    validator: list[str] = []

    def attempt() -> Download:
        while True:  # at most twice: a resume the server cannot honour restarts from 0 once
            offset = _file_size(part, url)
            headers = _base_headers(opts, "identity")  # ranges must be about the file's bytes
            if offset:
                headers["Range"] = f"bytes={offset}-"
                if validator:
                    headers["If-Range"] = validator[0]
            final_url, resp = _get(opener, url, headers, opts)
            with contextlib.closing(resp):
                if not validator and (v := _strong_validator(resp.headers)):
                    validator.append(v)
                start = _resume_point(resp, offset)
                if start is None:  # the partial file cannot be continued
                    if not offset:
                        raise FetchError(
                            "a 206 response without a usable Content-Range to a request "
                            "without Range",
                            final_url,
                            Failure.BAD_RESPONSE,
                        )
                    _remove(part, url)
                    continue
                if resp.status == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE and start:
                    hasher = _hash_file(part, url)  # already complete
                    return _finish(part, target, final_url, hasher, offset, offset, 0, expected)
                if not 200 <= resp.status < 300:
                    _raise_status(resp, final_url, opts)
                hasher = _hash_file(part, url) if start else hashlib.sha256()
                total = _expected_total(resp, start)
                try:
                    with open(part, "ab" if start else "wb") as out:
                        wire, size = _copy_body(
                            resp,
                            final_url,
                            out,
                            opts,
                            progress=progress,
                            start=start,
                            total=total,
                            hasher=hasher,
                        )
                        out.flush()
                        os.fsync(out.fileno())
                except OSError as e:  # the network's OSErrors are already FetchErrors
                    raise _file_error(part, e, url) from None
                return _finish(part, target, final_url, hasher, start + size, start, wire, expected)

    return _with_retries(opts, attempt)


def search_claims(
    query: str | None = None,
    *,
    key: str,
    language: str | None = None,
    max_age_days: int | None = None,
    site: str | None = None,
    page_size: int | None = None,
    limit: int | None = None,
    endpoint: str = API_ENDPOINT,
    options: FetchOptions | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the decoded JSON pages of the Fact Check Tools API ``claims:search``.

    Parameters map one to one onto the documented query parameters: ``query`` -> ``query``,
    ``language`` -> ``languageCode`` (BCP-47, e.g. ``en-US``), ``max_age_days`` ->
    ``maxAgeDays``, ``site`` -> ``reviewPublisherSiteFilter``, ``page_size`` -> ``pageSize``,
    ``key`` -> ``key``; only those given are sent. ``query`` or ``site`` is required. Pages are
    followed through ``nextPageToken`` to the end, or until ``limit`` claims have been yielded
    (the last page is then cut to fit and loses its ``nextPageToken``). A page without claims
    ends the search, as does a token seen before (an error: the API would loop). ``endpoint``
    is for tests. Each page is a dict as the API sent it (``claims``, ``nextPageToken``).

    Arguments are checked at once; requests are made as the generator is consumed. Every
    failure is a ``FetchError`` whose text never contains ``key``; an API error includes the
    API's own ``error.message``.
    """
    if not key:
        raise FetchError("an API key is required", endpoint, Failure.ARGUMENT)
    if not query and not site:
        raise FetchError(
            "claims:search needs a query or a publisher site", endpoint, Failure.ARGUMENT
        )
    for name, value, least in (("max_age_days", max_age_days, 1), ("page_size", page_size, 1)):
        if value is not None and value < least:
            raise FetchError(f"{name} must be at least {least}", endpoint, Failure.ARGUMENT)
    if limit is not None and limit < 0:
        raise FetchError("limit must not be negative", endpoint, Failure.ARGUMENT)
    endpoint = _as_uri(endpoint)
    params: dict[str, str] = {}
    if query:
        params["query"] = query
    if language:
        params["languageCode"] = language
    if max_age_days is not None:
        params["maxAgeDays"] = str(max_age_days)
    if site:
        params["reviewPublisherSiteFilter"] = site
    if page_size is not None:
        params["pageSize"] = str(page_size)
    opts = options or FetchOptions()
    opts = replace(opts, max_bytes=min(opts.max_bytes, API_MAX_BYTES))
    return _search_pages(endpoint, params, key, limit, opts)


# --- the API's pages ------------------------------------------------------------------------


def _search_pages(
    endpoint: str, params: dict[str, str], key: str, limit: int | None, opts: FetchOptions
) -> Iterator[dict[str, Any]]:
    remaining = limit
    seen_tokens: set[str] = set()
    token: str | None = None
    if opts.ssl_context is None and endpoint.lower().startswith("https:"):
        opts = replace(opts, ssl_context=ssl.create_default_context())  # one for all pages
    while remaining is None or remaining > 0:
        page_params = dict(params)
        if token is not None:
            page_params["pageToken"] = token
        page_params["key"] = key
        url = endpoint + ("&" if "?" in endpoint else "?") + urlencode(page_params)
        page = _api_page(url, key, opts)
        claims = page.get("claims", [])
        if not isinstance(claims, list):
            raise FetchError(
                "unexpected response from the Fact Check Tools API: 'claims' is not a list",
                url,
                Failure.JSON,
            )
        next_token = page.get("nextPageToken")
        if remaining is not None:
            if len(claims) > remaining:
                page = {k: v for k, v in page.items() if k != "nextPageToken"}
                page["claims"] = claims[:remaining]
            remaining -= min(len(claims), remaining)
        yield page
        if not claims or not isinstance(next_token, str) or not next_token:
            return
        if next_token in seen_tokens:
            raise FetchError(
                "the Fact Check Tools API returned the same nextPageToken twice",
                url,
                Failure.JSON,
            )
        seen_tokens.add(next_token)
        token = next_token


def _api_page(url: str, key: str, opts: FetchOptions) -> dict[str, Any]:
    try:
        with fetch(url, headers={"Accept": "application/json"}, options=opts) as resp:
            data = json.load(resp.body)
    except FetchError as e:
        raise _api_error(e, key) from None
    except json.JSONDecodeError as e:
        raise FetchError(
            f"invalid JSON from the Fact Check Tools API: {e.msg} at line {e.lineno} "
            f"column {e.colno}",
            url,
            Failure.JSON,
        ) from None
    except UnicodeDecodeError:
        raise FetchError(
            "invalid JSON from the Fact Check Tools API: not UTF-8", url, Failure.JSON
        ) from None
    except RecursionError:
        raise FetchError(
            "invalid JSON from the Fact Check Tools API: nested too deeply", url, Failure.JSON
        ) from None
    if not isinstance(data, dict):
        raise FetchError(
            "unexpected response from the Fact Check Tools API: not a JSON object",
            url,
            Failure.JSON,
        )
    return data


def _api_error(e: FetchError, key: str) -> FetchError:
    """``e`` with the API's ``error.message`` added and every trace of ``key`` removed."""
    secrets = {key, quote_plus(key)}

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "***")
        return text

    message = e.message
    detail = _api_message(e.body)
    if detail:
        message += ": " + _printable(scrub(detail))
    hint = e.hint
    if e.status in (HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN, HTTPStatus.UNAUTHORIZED):
        hint = "check the API key and that the Fact Check Tools API is enabled for its project"
    elif e.status == HTTPStatus.TOO_MANY_REQUESTS:
        hint = "the API quota is used up for now; try again later"
    body = e.body
    for secret in secrets:
        body = body.replace(secret.encode(), b"***")
    return FetchError(
        scrub(message),
        scrub(e.url),
        e.kind,
        status=e.status,
        hint=scrub(hint) if hint else None,
        body=body,
    )


def _api_message(body: bytes) -> str | None:
    """``error.message`` of a Google API error body, if it has one."""
    try:
        doc = json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError: not an API error body
        return None
    error = doc.get("error") if isinstance(doc, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message.strip() or None if isinstance(message, str) else None


# --- requests, redirects, retries -----------------------------------------------------------


class _Retry(Exception):
    """A failure worth retrying; ``wait`` is what the server asked for (Retry-After)."""

    def __init__(self, error: FetchError, wait: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait


def _with_retries(opts: FetchOptions, attempt: Callable[[], T]) -> T:
    """``attempt()``, repeated after a pause while it raises _Retry, at most ``retries`` more."""
    tries = 0
    while True:
        try:
            return attempt()
        except _Retry as r:
            if tries >= opts.retries:
                if not tries:
                    raise r.error from None
                # Say that it was retried: otherwise a 1 s --timeout taking 11 s is a puzzle.
                e = r.error
                raise FetchError(
                    f"{e.message}; gave up after {tries + 1} attempts",
                    e.url,
                    e.kind,
                    status=e.status,
                    hint=e.hint,
                    body=e.body,
                ) from None
            wait = r.wait
            if wait is None:
                wait = min(opts.backoff * 2**tries, opts.max_wait)
            elif wait > opts.max_wait:
                raise FetchError(
                    f"{r.error.message}; the server asks to retry after {wait:g} s, "
                    f"longer than the {opts.max_wait:g} s limit",
                    r.error.url,
                    r.error.kind,
                    status=r.error.status,
                    hint="try again later",
                    body=r.error.body,
                ) from None
        opts.sleep(wait)
        tries += 1


def _get(
    opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str], opts: FetchOptions
) -> tuple[str, http.client.HTTPResponse]:
    """Open ``url`` following redirects; the final URL and its open response (not a 3xx)."""
    seen = {url}
    current = url
    for _ in range(opts.max_redirects + 1):
        resp = _open(opener, current, headers, opts)
        location = resp.headers.get("Location")
        if resp.status not in _REDIRECTS or not location:
            return current, resp
        resp.close()
        target = _as_uri(urljoin(current, location.strip()), redirect=True)
        if target in seen:
            raise FetchError(f"redirect loop back to {redact(target)}", url, Failure.REDIRECTS)
        seen.add(target)
        current = target
    raise FetchError(f"too many redirects (more than {opts.max_redirects})", url, Failure.REDIRECTS)


def _open(
    opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str], opts: FetchOptions
) -> http.client.HTTPResponse:
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        return cast(http.client.HTTPResponse, opener.open(request, timeout=opts.connect_seconds))
    except UnicodeError:  # IDNA: a host name label that is empty or too long
        raise FetchError("invalid host name", url, Failure.ARGUMENT) from None
    except (ValueError, http.client.InvalidURL):  # their text would repeat the URL, key and all
        raise FetchError("invalid URL", url, Failure.ARGUMENT) from None
    except (OSError, http.client.HTTPException) as e:  # URLError is an OSError
        raise _network_error(e, url, request, opts) from None


def _raise_status(resp: http.client.HTTPResponse, url: str, opts: FetchOptions) -> NoReturn:
    """Raise the FetchError (or _Retry) for an unwanted status."""
    status = resp.status
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = resp.reason
    error = FetchError(
        f"HTTP {status} {_printable(phrase)}".rstrip(),
        url,
        Failure.HTTP,
        status=status,
        body=_error_body(resp, url, opts),
    )
    retryable = status in (408, 429) or (500 <= status < 600 and status not in _FINAL_5XX)
    if retryable:
        raise _Retry(error, _retry_after(resp.headers.get("Retry-After")))
    raise error


def _retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None  # unparseable: fall back on our own backoff
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        return None
    return max(0.0, when.timestamp() - time.time())


# --- connections with separate timeouts ------------------------------------------------------


class _ConnectTimeout(TimeoutError):
    """The connect phase (DNS, TCP, proxy tunnel, TLS handshake) timed out."""


class _HTTPConnection(http.client.HTTPConnection):
    """Connects with the connect timeout (``timeout``), then reads with ``read_timeout``."""

    def __init__(self, host: str, *, read_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self.read_timeout = read_timeout

    def connect(self) -> None:
        try:
            super().connect()
        except TimeoutError as e:
            raise _ConnectTimeout(*e.args) from e
        if self.sock is not None:
            self.sock.settimeout(self.read_timeout)


class _HTTPSConnection(_HTTPConnection, http.client.HTTPSConnection):
    """HTTPS with the two timeouts; the handshake counts as connecting."""


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, read_timeout: float) -> None:
        super().__init__()
        self._read_timeout = read_timeout

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req, read_timeout=self._read_timeout)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, read_timeout: float, context: ssl.SSLContext | None) -> None:
        super().__init__()
        self._read_timeout = read_timeout
        self._ssl_context = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        if self._ssl_context is None:
            # Made on first use: loading the system CAs takes tens of milliseconds, wasted
            # on plain-HTTP URLs; the opener lives for one call, so retries share it.
            self._ssl_context = ssl.create_default_context()
        return self.do_open(
            _HTTPSConnection, req, context=self._ssl_context, read_timeout=self._read_timeout
        )


def _opener(opts: FetchOptions) -> urllib.request.OpenerDirector:
    """urllib's machinery without its redirect and error handlers: we want every status.

    ProxyHandler() reads the proxy environment variables (and no_proxy) like urlopen does.
    """
    opener = urllib.request.OpenerDirector()
    opener.addheaders = []  # no "Python-urllib" User-Agent
    for handler in (
        urllib.request.ProxyHandler(),
        _HTTPHandler(opts.read_seconds),
        _HTTPSHandler(opts.read_seconds, opts.ssl_context),
    ):
        opener.add_handler(handler)
    return opener


def _base_headers(opts: FetchOptions, accept_encoding: str) -> dict[str, str]:
    return {"User-Agent": opts.user_agent, "Accept-Encoding": accept_encoding}


# --- failures -------------------------------------------------------------------------------


def _network_error(
    exc: BaseException, url: str, request: urllib.request.Request, opts: FetchOptions
) -> FetchError | _Retry:
    """The FetchError for a failure to connect or to get a response (a _Retry if transient)."""
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    origin = urlsplit(url)
    # With a proxy, urllib connects to request.host, the proxy, not the URL's host.
    host = request.host.rsplit("@", 1)[-1]  # urllib keeps any user:password@ in it
    via_proxy = host.lower() != origin.netloc.rsplit("@", 1)[-1].lower()
    peer = ("proxy " if via_proxy else "") + _printable(host)
    if isinstance(reason, _ConnectTimeout):
        return _Retry(
            FetchError(
                f"connect to {peer} timed out after {opts.connect_seconds:g} s",
                url,
                Failure.CONNECT_TIMEOUT,
                hint="check the network and proxy settings, or allow a longer timeout",
            )
        )
    if isinstance(reason, socket.gaierror):
        name = host.rsplit(":", 1)[0] if via_proxy else (origin.hostname or "")
        what = "proxy host" if via_proxy else "host"
        temporary = reason.errno == socket.EAI_AGAIN
        error = FetchError(
            f"cannot resolve {what} {name!r}" + (" (temporary DNS failure)" if temporary else ""),
            url,
            Failure.DNS,
            hint="check the address and the network connection",
        )
        return _Retry(error) if temporary else error
    if isinstance(reason, ssl.SSLCertVerificationError):
        detail = reason.verify_message or reason.reason or str(reason)
        return FetchError(
            f"TLS certificate verification failed for {peer}: {detail}",
            url,
            Failure.TLS,
            hint="if this is a private CA, point SSL_CERT_FILE at its certificate",
        )
    if isinstance(reason, ConnectionRefusedError):
        return FetchError(f"connection refused by {peer}", url, Failure.REFUSED)
    return _read_error(reason, url, opts, peer)


def _read_error(
    reason: object, url: str, opts: FetchOptions, peer: str | None = None
) -> FetchError | _Retry:
    """The FetchError for a failure after connecting (a _Retry if transient)."""
    who = peer or _printable(urlsplit(url).netloc.rsplit("@", 1)[-1])
    if isinstance(reason, TimeoutError):
        return _Retry(
            FetchError(
                f"read timed out: no data from {who} for {opts.read_seconds:g} s",
                url,
                Failure.READ_TIMEOUT,
                hint="try again later, or allow a longer timeout",
            )
        )
    if isinstance(reason, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return _Retry(FetchError(f"TLS connection to {who} closed", url, Failure.CONNECTION))
    if isinstance(reason, ssl.SSLError):
        return FetchError(f"TLS error with {who}: {reason.reason or reason}", url, Failure.TLS)
    if isinstance(reason, (ConnectionError, http.client.IncompleteRead)):
        # resets, aborts, broken pipes, RemoteDisconnected, a chunked body cut short
        return _Retry(
            FetchError(f"connection to {who} closed unexpectedly", url, Failure.CONNECTION)
        )
    if isinstance(reason, http.client.HTTPException):
        return FetchError(
            f"invalid HTTP response from {who}: {type(reason).__name__}",
            url,
            Failure.BAD_RESPONSE,
        )
    if isinstance(reason, OSError):
        detail = reason.strerror or str(reason) or type(reason).__name__
        return FetchError(f"cannot connect to {who}: {detail}", url, Failure.CONNECTION)
    return FetchError(
        f"cannot connect to {who}: {_printable(str(reason))}", url, Failure.CONNECTION
    )


def _file_error(path: Path, e: OSError, url: str) -> FetchError:
    return FetchError(f"cannot write {path}: {e.strerror or e}", url, Failure.FILE)


def _too_large(url: str, opts: FetchOptions, decoded: bool) -> FetchError:
    what = "decoded response" if decoded else "response"
    return FetchError(
        f"{what} larger than the {_size(opts.max_bytes)} limit",
        url,
        Failure.TOO_LARGE,
        hint="raise the size limit if this is expected",
    )


# --- bodies ---------------------------------------------------------------------------------


class _Decoder:
    """Streaming gzip/deflate decoding whose output comes in pieces of at most CHUNK bytes."""

    def __init__(self, encoding: str | None, url: str) -> None:
        name = (encoding or "identity").strip().lower()
        if name not in ("identity", "gzip", "x-gzip", "deflate"):
            raise FetchError(
                f"unsupported Content-Encoding {_printable(name)!r}", url, Failure.BAD_RESPONSE
            )
        self._url = url
        self._gzip = name in ("gzip", "x-gzip")
        self._deflate = name == "deflate"
        self._z = self._new() if name != "identity" else None
        self._started = False
        self._between = False  # a gzip member ended; another may follow
        self._carry = b""
        self._done = False

    def _new(self, raw: bool = False) -> Any:  # zlib's decompressor type is not public
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS | (16 * self._gzip))

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data``."""
        if self._z is None:
            yield data
            return
        data, self._carry = self._carry + data, b""
        pending = False  # the last piece filled CHUNK: zlib may hold more output
        while not self._done:
            if self._between:
                if len(data) < 2 and GZIP_MAGIC.startswith(data):
                    self._carry = data  # the next member's magic may be split across reads
                    return
                if not data.startswith(GZIP_MAGIC):
                    self._done = True  # bytes after the end marker are ignored, as gzip does
                    return
                self._z, self._between = self._new(), False  # another gzip member
            elif not data and not pending:
                return
            try:
                out = self._z.decompress(data, CHUNK)
            except zlib.error:
                if self._deflate and not self._started:
                    # "deflate" should be zlib-wrapped, but some servers send raw deflate.
                    self._z, self._deflate = self._new(raw=True), False
                    continue
                raise self._corrupt() from None
            self._started = True
            if out:
                yield out
            if self._z.eof:
                data, pending = self._z.unused_data, False
                self._between, self._done = self._gzip, not self._gzip
            else:
                data, pending = self._z.unconsumed_tail, len(out) == CHUNK

    def finish(self) -> None:
        """Check the encoded stream ended properly."""
        if self._z is not None and self._started and not (self._done or self._between):
            raise self._corrupt("truncated")

    def _corrupt(self, how: str = "corrupt") -> FetchError:
        name = "gzip" if self._gzip else "deflate"
        return FetchError(f"{how} {name} body", self._url, Failure.BAD_RESPONSE)


def _copy_body(
    resp: http.client.HTTPResponse,
    url: str,
    out: BinaryIO,
    opts: FetchOptions,
    *,
    progress: Progress | None = None,
    start: int = 0,
    total: int | None = None,
    hasher: Any = None,  # hashlib's type is not public before 3.12
) -> tuple[int, int]:
    """Stream the decoded body into ``out``; (bytes received, bytes written).

    ``start`` bytes are already in the destination: they count toward ``max_bytes`` and
    ``progress``. Raises _Retry for a body cut short, FetchError for one too large.
    """
    expected = resp.length  # Content-Length; None for chunked or unframed bodies
    if total is None and expected is not None:
        total = start + expected
    if expected is not None and start + expected > opts.max_bytes:
        raise _too_large(url, opts, decoded=False)
    decoder = _Decoder(resp.headers.get("Content-Encoding"), url)
    wire = written = 0
    if progress:
        progress(start, total)
    while True:
        try:
            chunk = resp.read1(CHUNK)
        except (OSError, http.client.HTTPException) as e:
            raise _read_error(e, url, opts) from None
        if not chunk:
            break
        wire += len(chunk)
        if start + wire > opts.max_bytes:
            raise _too_large(url, opts, decoded=False)
        for piece in decoder.feed(chunk):
            written += len(piece)
            if start + written > opts.max_bytes:
                raise _too_large(url, opts, decoded=True)
            try:
                out.write(piece)
            except OSError as e:
                raise FetchError(
                    f"cannot store the body: {e.strerror or e}", url, Failure.FILE
                ) from None
            if hasher is not None:
                hasher.update(piece)
        if progress:
            progress(start + wire, total)
    if expected is not None and wire < expected:
        # read1() reports a body cut short as a plain end of data
        raise _Retry(
            FetchError(
                f"connection closed after {wire:,} of {expected:,} bytes",
                url,
                Failure.CONNECTION,
            )
        )
    decoder.finish()
    return wire, written


def _error_body(resp: http.client.HTTPResponse, url: str, opts: FetchOptions) -> bytes:
    """The first ERROR_BODY_LIMIT bytes of an error response, decoded; what arrives of it."""
    pieces: list[bytes] = []
    kept = 0
    try:
        decoder = _Decoder(resp.headers.get("Content-Encoding"), url)
        while kept < ERROR_BODY_LIMIT and (chunk := resp.read1(CHUNK)):
            for piece in decoder.feed(chunk):
                pieces.append(piece[: ERROR_BODY_LIMIT - kept])
                kept += len(pieces[-1])
                if kept >= ERROR_BODY_LIMIT:
                    break  # decoding on would only spend time on a gzip bomb
    except (OSError, http.client.HTTPException, FetchError):
        # the status is the error; its body is only a detail, and may be cut short
        return b"".join(pieces)
    return b"".join(pieces)


def _spool(opts: FetchOptions, url: str) -> BinaryIO:
    try:
        return cast(BinaryIO, tempfile.TemporaryFile(dir=opts.tmpdir))
    except OSError as e:
        raise FetchError(
            f"cannot create a temporary file: {e.strerror or e}", url, Failure.FILE
        ) from None


# --- downloads ------------------------------------------------------------------------------


def _resume_point(resp: http.client.HTTPResponse, offset: int) -> int | None:
    """Where the body of ``resp`` starts in the file (0 for a full body), or None when the
    partial file of ``offset`` bytes cannot be continued and must be discarded.
    """
    status = resp.status
    if status == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE and offset:
        m = _UNSATISFIED_RANGE.match(resp.headers.get("Content-Range", ""))
        # complete already, or else longer than the file: start over
        return offset if m and int(m.group(1)) == offset else None
    if status != HTTPStatus.PARTIAL_CONTENT:
        return 0  # 200: the server ignored the range (or other statuses, handled by the caller)
    m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
    encoding = (resp.headers.get("Content-Encoding") or "identity").strip().lower()
    if m is None or int(m.group(1)) != offset or encoding != "identity":
        return None
    return offset


def _expected_total(resp: http.client.HTTPResponse, start: int) -> int | None:
    m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
    if resp.status == HTTPStatus.PARTIAL_CONTENT and m and m.group(3) != "*":
        return int(m.group(3))
    return None if resp.length is None else start + resp.length


def _strong_validator(headers: http.client.HTTPMessage) -> str | None:
    """A validator If-Range accepts: a strong ETag, else Last-Modified."""
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("Last-Modified")


def _finish(
    part: Path,
    target: Path,
    url: str,
    hasher: Any,
    size: int,
    kept: int,
    wire: int,
    expected: str | None,
) -> Download:
    digest = str(hasher.hexdigest())
    if expected is not None and digest != expected:
        _remove(part, url)
        raise FetchError(
            f"SHA-256 mismatch for {target.name}: expected {expected}, got {digest}",
            url,
            Failure.CHECKSUM,
            hint="the partial file was removed; try again, or check the expected checksum",
        )
    try:
        os.replace(part, target)
    except OSError as e:
        raise _file_error(target, e, url) from None
    _fsync_dir(target.parent)
    return Download(target, url, size, digest, kept, wire)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        return  # nor fsync them
    finally:
        os.close(fd)


def _file_size(path: Path, url: str) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
    except OSError as e:
        raise _file_error(path, e, url) from None


def _hash_file(path: Path, url: str) -> Any:
    hasher = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                hasher.update(block)
    except OSError as e:
        raise FetchError(f"cannot read {path}: {e.strerror or e}", url, Failure.FILE) from None
    return hasher


def _remove(path: Path, url: str) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as e:
        raise FetchError(f"cannot remove {path}: {e.strerror or e}", url, Failure.FILE) from None


# --- small helpers --------------------------------------------------------------------------


def _as_uri(url: str, redirect: bool = False) -> str:
    """``url`` checked to be http(s), with what HTTP cannot send percent-encoded as browsers
    do (spaces, non-ASCII letters in the path and query: common in non-English fact-check
    URLs). The host is left alone: http.client and the resolver apply IDNA themselves.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        _ = parts.port  # a bad port raises here rather than deep in http.client
    except ValueError:  # a bad port or IPv6 literal
        raise FetchError("invalid URL", url, Failure.ARGUMENT) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        what = "redirected to a URL that is not http(s)" if redirect else "not an http(s) URL"
        raise FetchError(what, url, Failure.ARGUMENT)
    if _CONTROL.search(parts.netloc):
        raise FetchError("invalid host name", url, Failure.ARGUMENT)
    if not _NEEDS_QUOTING.search(url):
        return url
    quoted = [quote(part, safe=_URI_SAFE) for part in (parts.path, parts.query, parts.fragment)]
    return urlunsplit((parts.scheme, parts.netloc, *quoted))


def _check_sha256(value: str | None, url: str) -> str | None:
    if value is None:
        return None
    digest = value.strip().lower()
    if not _SHA256.fullmatch(digest):
        raise FetchError(
            f"not a SHA-256 checksum (64 hex digits): {_printable(value)!r}", url, Failure.ARGUMENT
        )
    return digest


def _printable(text: str, limit: int = _SHOWN_TEXT) -> str:
    """Server text fit for a one-line message: controls escaped, long text cut."""
    text = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _size(n: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n:,} bytes"
