"""Fact-checks from the network: URLs and Fact Check Tools API queries as import inputs, and
``update``, which fetches every remembered one again and merges only what changed.

Core code, no terminal: HTTP is ``factcheck.fetch`` (timeouts, size limits, retries,
conditional requests); what was fetched becomes an ``importer.Input`` with an ``Origin`` that
the database remembers (the URL or the query and its parameters, validators, counts; never
an API key).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from factcheck.errors import FactcheckError, InputError
from factcheck.importer import Input, import_inputs
from factcheck.model import Origin

API_KEY_VARIABLE = "FACTCHECK_API_KEY"


def is_url(name: str) -> bool:
    return name.startswith(("http://", "https://"))


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def url_input(
    url: str,
    *,
    origin: Origin | None = None,
    options: Any = None,
    progress: Callable[[int, int | None], None] | None = None,
    conditional: bool = False,
) -> Input | None:
    """Fetch ``url`` now (into a temporary file) as an import input; None when
    ``conditional`` and the server says it has not changed since ``origin``'s validators.
    ``progress`` gets the bytes as they come and ``(n, n)`` at the end, or on a failure."""
    from factcheck.fetch import fetch

    known = origin or Origin("url", url)
    seen = [-1]  # bytes last reported; -1: nothing yet

    def reported(done: int, total: int | None) -> None:
        seen[0] = done
        if progress:
            progress(done, total)

    try:
        response = fetch(
            url,
            etag=known.etag if conditional else None,
            last_modified=known.last_modified if conditional else None,
            progress=reported,
            options=options,
        )
    finally:
        # The end, also of a failure or a body of unknown length: a bar would never end.
        if progress and seen[0] >= 0:
            progress(seen[0], seen[0])
    if response.not_modified:
        return None
    body = response.body
    name = urlsplit(response.url).path.rsplit("/", 1)[-1] or "page.html"
    remembered = known._replace(etag=response.etag, last_modified=response.last_modified)
    # The body is read once by the importer, which closes it (the temporary file goes).
    return Input(_shown(url, name), lambda: body, origin=remembered)


def _shown(url: str, name: str) -> str:
    """How an input fetched from ``url`` is named in locations: the redacted URL, whose last
    path segment (``feed.json.gz``) also helps guess the format."""
    from factcheck.fetch import redact

    shown = redact(url)
    return shown if shown.rsplit("/", 1)[-1] == name else f"{shown} ({name})"


class ApiQuery(NamedTuple):
    """A Fact Check Tools API ``claims:search`` query as a user gives it."""

    query: str
    language: str | None = None
    max_age_days: int | None = None
    site: str | None = None
    limit: int | None = None

    def origin(self) -> Origin:
        params = {
            "language": self.language,
            "max_age_days": None if self.max_age_days is None else str(self.max_age_days),
            "site": self.site,
            "limit": None if self.limit is None else str(self.limit),
        }
        kept = tuple(sorted((k, v) for k, v in params.items() if v is not None))
        return Origin(
            "api", self.query.strip() or _site_only(self.site), kept, format="factcheck-api"
        )

    @classmethod
    def of(cls, origin: Origin) -> ApiQuery:
        p = dict(origin.params)
        site_only = "site" in p and origin.location == _site_only(p["site"])
        return cls(
            "" if site_only else origin.location,
            p.get("language"),
            int(p["max_age_days"]) if "max_age_days" in p else None,
            p.get("site"),
            int(p["limit"]) if "limit" in p else None,
        )


def _site_only(site: str | None) -> str:
    """The location remembered for a search of one publisher's reviews without words (the
    API allows it; a location is never blank). A query of these very words with the same
    --site is read back as this search, which differs little."""
    return f"site:{site}"


def api_key(environ: Mapping[str, str]) -> str:
    key = environ.get(API_KEY_VARIABLE, "").strip()
    if not key:
        raise InputError(
            "the Fact Check Tools API needs a key",
            hint=f"set {API_KEY_VARIABLE} (a Google API key with the Fact Check Tools API on)",
        )
    return key


def api_input(
    query: ApiQuery,
    *,
    key: str,
    options: Any = None,
    endpoint: str | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> Input:
    """The API's pages for ``query`` as an import input, fetched as the import reads them
    (a failure part-way aborts the import, which then writes nothing). ``progress`` is told
    ``(pages, None)`` after each page and ``(pages, pages)`` at the end, or on a failure."""
    from factcheck.fetch import API_ENDPOINT, search_claims

    pages = search_claims(
        query.query.strip() or None,
        key=key,
        language=query.language,
        max_age_days=query.max_age_days,
        site=query.site,
        limit=query.limit,
        endpoint=endpoint or API_ENDPOINT,
        options=options,
    )

    def lines() -> Iterator[str]:
        n = 0
        try:
            for n, page in enumerate(pages, 1):
                if progress:
                    progress(n, None)
                yield json.dumps(page, ensure_ascii=False) + "\n"
        finally:  # the end, also of a failure: a bar would never end
            if progress and n:
                progress(n, n)

    origin = query.origin()
    return Input(f"api:{origin.location}", lines=lines(), origin=origin, format="factcheck-api")


class Updated(NamedTuple):
    """What ``update`` did with one remembered origin."""

    origin: Origin
    status: str  # updated, not modified, failed
    report: dict[str, Any] | None = None  # the import report, when something was imported
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin.to_dict(),
            "status": self.status,
            "report": self.report,
            "error": self.error,
        }


def update(
    target: Path,
    origins: list[Origin],
    *,
    environ: Mapping[str, str],
    dry_run: bool = False,
    options: Any = None,
    endpoint: str | None = None,
    now: Callable[[], str] = utc_now,
    on_wait: Callable[[], None] | None = None,
    progress: Callable[[Origin], Callable[[int, int | None], None] | None] | None = None,
) -> Iterator[Updated]:
    """Fetch each origin again (URLs conditionally: an unchanged feed costs one small
    request) and import what changed, one origin at a time, so a failing one leaves the
    claims as they were and the others still go on; its ``status`` in the database says
    ``failed: ...`` (unless ``dry_run``). ``progress(origin)`` may give a callback for the
    bytes of a URL or the pages of an API query."""
    for origin in origins:
        try:
            shown = progress(origin) if progress else None
            if origin.kind == "api":
                item: Input | None = api_input(
                    ApiQuery.of(origin),
                    key=api_key(environ),
                    options=options,
                    endpoint=endpoint,
                    progress=shown,
                )
            else:
                item = url_input(
                    origin.location,
                    origin=origin,
                    options=options,
                    progress=shown,
                    conditional=True,
                )
            if item is None:
                if not dry_run:
                    _touch(target, origin._replace(fetched=now(), status="not modified"))
                yield Updated(origin, "not modified")
                continue
            report = import_inputs(
                target, [item], fmt=origin.format or "auto", dry_run=dry_run, now=now,
                on_wait=on_wait,
            )  # fmt: skip
            yield Updated(origin, "updated", report)
        except FactcheckError as e:
            error = _failure(e, origin)
            if not dry_run:
                # If the database itself failed, the error already says so.
                with contextlib.suppress(FactcheckError):
                    _touch(target, origin._replace(status=f"failed: {error}"))
            yield Updated(origin, "failed", error=error)


def _failure(e: FactcheckError, origin: Origin) -> str:
    """``e`` as one line for ``origin``'s report: the location is not repeated (a redirect
    target is still named)."""
    from factcheck.fetch import redact

    where = None if e.where in (origin.location, redact(origin.location)) else e.where
    return str(FactcheckError(e.message, where, e.hint))


def _touch(target: Path, origin: Origin) -> None:
    """Remember that ``origin`` was fetched again and had not changed."""
    from factcheck.store import writing

    with writing(target) as store:
        store.remember(origin)
