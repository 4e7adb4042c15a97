"""The library API: one ``Session`` per database, the same calls the command line makes::

    import factcheck

    with factcheck.open() as fc:                    # the bundled database
        for m in fc.search("Zelensky said 55,000 soldiers died"):
            print(m.score, m.verdict, m.claim.id, m.claim.speaker)
        for result in fc.check(["Russia annexed Crimea in 2014.\\n"]):
            print(result.line, result.sentence, [m.claim.id for m in result.matches])
        disputed = list(fc.claims(factcheck.Filters(status=factcheck.Status.DISPUTED)))

``open(db)`` takes a path (``.json`` for a JSON database, ``.sqlite``/``.db`` for SQLite), or
None for ``$FACTCHECK_DB`` else the bundled database. The search index is built or opened on
first use and cached as the command line caches it. Every expected failure raises a
``FactcheckError`` subclass whose ``str()`` is one line naming what went wrong and where.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

from factcheck.errors import InputError
from factcheck.model import Claim, Match

if TYPE_CHECKING:  # imported on use: ``import factcheck`` stays cheap
    from factcheck.browse import Filters, SortKey, SpeakerStats
    from factcheck.check import SentenceResult, Summary
    from factcheck.index import Index
    from factcheck.match import Dense, Matcher
    from factcheck.semantic.dense import EmbedReport
    from factcheck.store.records import Encoded

Progress = Callable[[int, int], None]


class UnknownSpeaker(InputError):
    """A speaker filter names nobody in the database; ``close`` holds the nearest names."""

    def __init__(self, typed: str, close: list[str]) -> None:
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(f"no speaker named {typed!r}{hint}")
        self.typed = typed
        self.close = close


class UnknownId(InputError):
    """No claim has this id; ``close`` holds the nearest ids."""

    def __init__(self, claim_id: str, close: list[str]) -> None:
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        super().__init__(f"no claim with id {claim_id!r}{hint}")
        self.claim_id = claim_id
        self.close = close


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """``$FACTCHECK_CACHE``, else ``$XDG_CACHE_HOME/factcheck``, else ``~/.cache/factcheck``."""
    if environ.get("FACTCHECK_CACHE"):
        return Path(environ["FACTCHECK_CACHE"])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "factcheck"


_DEFAULT: Any = object()


def open(  # shadows the builtin in this module only: factcheck.open() is the entry point
    db: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cache_dir: Path | None = _DEFAULT,
    progress: Progress | None = None,
    semantic: bool | None = None,
    model_dir: str | os.PathLike[str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Session:
    """A session on the database at ``db`` (else ``$FACTCHECK_DB``, else the bundled one).

    ``environ`` defaults to ``os.environ``; ``cache_dir`` to ``default_cache_dir(environ)``
    (None: index in memory, no cache file). ``progress(done, total)`` hears about a first
    index build of a big database.

    ``semantic``: None (the default) fuses sentence-embedding search in when the database has
    vectors (``embed``) and the model and the semantic extra are there, and else matches
    lexically, telling ``warn`` why if the database has vectors; True requires it (an error if
    it cannot); False never loads it. ``model_dir`` overrides ``$FACTCHECK_MODEL_DIR`` and the
    user cache as the model's folder.
    """
    from factcheck.store import locate_database

    env = os.environ if environ is None else environ
    path = locate_database(db, env)
    cache = default_cache_dir(env) if cache_dir is _DEFAULT else cache_dir
    return Session(
        path, cache, progress, semantic=semantic, model_dir=model_dir, environ=env, warn=warn
    )


class Session:
    """Searching, checking and browsing one database. Not thread-safe (one SQLite
    connection); a forked process opens its own with ``reopen()``."""

    def __init__(
        self,
        path: Path,
        cache_dir: Path | None,
        progress: Progress | None = None,
        *,
        semantic: bool | None = False,  # open()'s default is None (see there)
        model_dir: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        warn: Callable[[str], None] | None = None,
    ):
        self.path = path
        self.cache_dir = cache_dir
        self._progress = progress
        self._index: Index | None = None
        self._matcher: Matcher | None = None
        self.semantic = semantic
        self.model_dir = model_dir
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.warn = warn
        self._encoder: Any = None

    # --- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        self._index = self._matcher = None

    def reopen(self) -> Session:
        """A new session on the same database (for another process or thread)."""
        return Session(
            self.path,
            self.cache_dir,
            semantic=self.semantic,
            model_dir=self.model_dir,
            environ=self.environ,
            warn=self.warn,
        )

    @property
    def index(self) -> Index:
        """The search index (opened, or built, on first use)."""
        if self._index is None:
            from factcheck.store import open_index

            self._index = open_index(self.path, self.cache_dir, self._progress)
        return self._index

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            from factcheck.match import Matcher

            self._matcher = Matcher(self.index, self._dense())
        return self._matcher

    # --- sentence embeddings (the semantic extra) ---------------------------------------------

    @property
    def vector_path(self) -> Path | None:
        """The file that holds this database's claim vectors (see ``semantic.stored``)."""
        from factcheck.semantic.stored import vector_path
        from factcheck.store import kind_of

        return vector_path(self.path, kind_of(self.path), self.cache_dir)

    def encoder(self) -> Any:
        """The sentence-embedding model (loaded once); SemanticError if it cannot be."""
        if self._encoder is None:
            from factcheck.semantic.encoder import load_encoder
            from factcheck.semantic.model import locate_model

            self._encoder = load_encoder(locate_model(self.model_dir, env=self.environ))
        return self._encoder

    def _dense(self) -> Dense | None:
        """The vectors to fuse in, per ``semantic`` (see ``open``), or None."""
        if self.semantic is False:
            return None
        from factcheck.errors import FactcheckError
        from factcheck.semantic.stored import vector_count

        path = self.vector_path
        count, _ = vector_count(path)
        if not count:
            if self.semantic:
                raise InputError(
                    f"{self.path}: the database has no claim vectors; run: factcheck embed"
                )
            return None
        try:
            from factcheck.semantic.dense import DenseIndex
            from factcheck.semantic.stored import vector_map_path

            assert path is not None
            mapped = vector_map_path(self.path, self.cache_dir)
            dense = DenseIndex.load(self.index, path, self.encoder(), mapped)
        except FactcheckError as e:
            if self.semantic:
                raise
            if self.warn:
                self.warn(f"{e}; matching by words only")
            return None
        except ImportError as e:  # numpy missing: the extra is not installed
            if self.semantic:
                raise InputError(f"the semantic extra is not installed ({e.name})") from e
            if self.warn:
                self.warn("the semantic extra is not installed; matching by words only")
            return None
        if dense is None:
            message = (
                "the claim vectors were made by another model or factcheck version;"
                " run: factcheck embed"
            )
            if self.semantic:
                raise InputError(f"{self.path}: {message}")
            if self.warn:
                self.warn(f"{message} (matching by words only)")
        return dense

    def embed(self, progress: Progress | None = None) -> EmbedReport:
        """Embed the claims that have no vector, or a stale one; drop those of gone claims.

        Holds the writers' lock of the database while it writes, as ``add`` and ``import`` do.
        """
        from factcheck.semantic.dense import embed
        from factcheck.store import locked, real_path

        path = self.vector_path
        if path is None:
            raise InputError(
                "no cache folder for the vectors of a JSON database; set FACTCHECK_CACHE"
            )
        encoder = self.encoder()
        # The SQLite store's vectors are in the database: its writers' lock. A JSON database's
        # are in the cache (the database may be read-only, e.g. the bundled one): theirs.
        path.parent.mkdir(parents=True, exist_ok=True)
        with locked(real_path(path)):
            report = embed(self.index, path, encoder, progress=progress)
        self._matcher = None  # the next search loads the new vectors
        return report

    # --- searching -------------------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        limit: int | None = None,
        threshold: float | None = None,
        exclude: Iterable[str] = (),
        explain: bool = True,
    ) -> list[Match]:
        """The known claims closest to ``text``, best first, with notes and a verdict."""
        from factcheck.match import DEFAULT_LIMIT, DEFAULT_THRESHOLD

        return self.matcher.find(
            text,
            DEFAULT_LIMIT if limit is None else limit,
            DEFAULT_THRESHOLD if threshold is None else threshold,
            explain=explain,
            exclude=exclude,
        )

    def check(
        self,
        lines: Iterable[str],
        *,
        file: str | None = None,
        limit: int | None = None,
        threshold: float | None = None,
        one_per_line: bool = False,
        show_all: bool = False,
        summary: Summary | None = None,
        workers: int = 1,
    ) -> Iterator[SentenceResult]:
        """Each sentence of ``lines`` that repeats a known claim (every one with
        ``show_all``), streamed; ``workers`` > 1 matches in that many processes."""
        from factcheck.check import check_text
        from factcheck.match import DEFAULT_LIMIT, DEFAULT_THRESHOLD

        return check_text(
            self.matcher,
            lines,
            file=file,
            limit=DEFAULT_LIMIT if limit is None else limit,
            threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
            one_per_line=one_per_line,
            show_all=show_all,
            summary=summary,
            workers=workers,
            factory=lambda: self.reopen().matcher,
        )

    # --- browsing --------------------------------------------------------------------------

    def resolve_speaker(self, typed: str) -> str:
        """The canonical name of a speaker as a user types it; UnknownSpeaker if none."""
        from factcheck.browse import resolve_speaker

        known: set[str] = set()

        def named() -> set[str]:
            known.update(self.index.speaker_names())
            return known

        name = resolve_speaker(self.index.speakers, typed, named)
        if name is None:
            raise UnknownSpeaker(typed, self.index.speakers.suggest(typed, known))
        return name

    @overload
    def claims(
        self,
        filters: Filters | None = None,
        *,
        sort: SortKey | None = None,
        limit: int | None = None,
        encoded: Literal[False] = False,
    ) -> Iterator[Claim]: ...

    @overload
    def claims(
        self,
        filters: Filters | None = None,
        *,
        sort: SortKey | None = None,
        limit: int | None = None,
        encoded: bool,
    ) -> Iterator[Claim | Encoded]: ...

    def claims(
        self,
        filters: Filters | None = None,
        *,
        sort: SortKey | None = None,
        limit: int | None = None,
        encoded: bool = False,
    ) -> Iterator[Claim] | Iterator[Claim | Encoded]:
        """The claims that pass ``filters`` (a speaker as typed is resolved first), in
        database order or sorted, streamed. Every filter runs in the index's SQL (status,
        speaker, tag and date through B-tree indexes, ``search`` through FTS candidates
        confirmed by the fuzzy check), so the first record comes at once at any size.

        ``encoded``: for output in JSON, claims come as the store holds them (``Encoded``:
        ``to_json()`` and ``to_dict()``), not decoded, except those ``search`` must read."""
        import itertools

        from factcheck.browse import SQL_ORDER, Filters, check_date, search_groups, search_matcher

        f = filters or Filters()
        for value, option in ((f.since, "--since"), (f.until, "--until")):
            if value is not None:
                check_date(value, option)
        speaker = self.resolve_speaker(f.speaker) if f.speaker is not None else None
        index = self.index
        rowids = None
        if f.search:
            groups = search_groups(f.search, index.terms_starting_with)
            rowids = index.containing(groups) if groups else []
        where: dict[str, Any] = {
            "status": f.status,
            "speaker": speaker,
            "tag": f.tag,
            "since": f.since,
            "until": f.until,
            "rowids": rowids,
            "order": SQL_ORDER[sort] if sort is not None else "rowid",
        }
        found: Iterable[Claim | Encoded]
        if f.search:
            hit = search_matcher(f.search)
            found = (c for c in index.select(**where) if hit(c))
        elif encoded:
            found = index.select_encoded(**where)
        else:
            found = index.select(**where)
        return iter(itertools.islice(found, limit) if limit is not None else found)

    def claim(self, claim_id: str) -> Claim:
        """The claim with this id; UnknownId (with close ids) if none."""
        found = self.index.claim_by_id(claim_id)
        if found is None:
            from factcheck.browse import suggest_ids

            raise UnknownId(claim_id, suggest_ids(claim_id, self.index.ids()))
        return found

    def show(self, claim_id: str) -> dict[str, Any]:
        """One claim in full, with its speaker and the records it points to (``show --json``)."""
        from factcheck.render import claim_detail

        return claim_detail(self.claim(claim_id), self.index.speakers, self.index.claim_by_id)

    def speakers(self) -> list[SpeakerStats]:
        """Each speaker with role, aliases and claim counts, most claims first."""
        from factcheck.browse import SpeakerStats

        counts = self.index.speaker_counts()
        listed = {s.name: s for s in self.index.speakers}
        names = list(listed) + sorted(n for n in counts if n not in listed)
        rows = []
        for name in names:
            sp = listed.get(name)
            claims, disputed = counts.get(name, (0, 0))
            rows.append(
                SpeakerStats(
                    name, sp.role if sp else None, sp.aliases if sp else (), claims, disputed
                )
            )
        rows.sort(key=lambda s: (-s.claims, s.name.casefold()))
        return rows

    def stats(self) -> dict[str, Any]:
        """Counts by status, speaker and tag, and what the database is (``stats --json``)."""
        from factcheck.store import kind_of

        index = self.index
        return {
            "database": {
                "path": str(self.path),
                "version": index.version,
                "bytes": self.path.stat().st_size,
                "speakers": len(index.speakers),
                "kind": kind_of(self.path),
            },
            **index.counts(),
            "semantic": self.semantic_stats(),
        }

    def semantic_stats(self) -> dict[str, Any]:
        """How many claims have vectors, of which model (no model or numpy is loaded)."""
        from factcheck.semantic.stored import vector_count

        path = self.vector_path
        count, model = vector_count(path)
        return {
            "vectors": count,
            "claims": self.index.size,
            "model": model,
            "path": str(path) if count else None,
        }
