"""The command line: parse options, resolve I/O into an Env, call the core, pick a writer.

Exit codes (grep-like): 0 something found, 1 nothing found, 2 error, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import Enum, IntEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO

import typer
from typer.core import TyperGroup

from factcheck import __version__
from factcheck.errors import FactcheckError


class Exit(IntEnum):
    FOUND = 0
    NOT_FOUND = 1
    ERROR = 2
    INTERRUPTED = 130


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


@dataclass
class Env:
    """The streams and settings one invocation works with (tests build their own)."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    environ: Mapping[str, str]
    stdin_isatty: bool
    stdout_isatty: bool
    stderr_isatty: bool
    color: bool = False
    db: str | None = None
    debug: bool = False

    @classmethod
    def from_sys(cls) -> Env:
        return cls(
            sys.stdin,
            sys.stdout,
            sys.stderr,
            os.environ,
            _isatty(sys.stdin),
            _isatty(sys.stdout),
            _isatty(sys.stderr),
        )

    def resolve_color(self, choice: Color) -> None:
        if choice is Color.always:
            self.color = True
        elif choice is Color.never:
            self.color = False
        else:
            self.color = (
                self.stdout_isatty
                and self.environ.get("TERM") != "dumb"
                and not self.environ.get("NO_COLOR")
            )

    def cache_dir(self) -> Path | None:
        if self.environ.get("FACTCHECK_CACHE"):
            return Path(self.environ["FACTCHECK_CACHE"])
        base = self.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "factcheck"


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


COMMANDS_HELP = """\
Check claims against a curated database of attributed statements.

Examples (bundled database):

    factcheck "Zelensky said 50,000 Ukrainian soldiers have died"

    factcheck search "US drone forced down over the Black Sea" --json

Exit status: 0 found, 1 nothing found, 2 error.
"""


class DefaultToSearch(TyperGroup):
    """A first argument that is not a command name is claim text for ``search``."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            import difflib

            close = difflib.get_close_matches(args[0], COMMAND_NAMES, n=1, cutoff=0.8)
            if close and len(args) == 1:
                typer.echo(
                    f"factcheck: searching for {args[0]!r}; did you mean 'factcheck {close[0]}'?",
                    err=True,
                )
            args = ["search", *args]
        elif args and args[0].startswith("-") and args[0] not in ("--help", "-h"):
            # Options only: claim text among them means search; none, with text piped in,
            # means check stdin (`cat article.txt | factcheck --json`).
            if self._has_text(args) or _isatty(sys.stdin):
                args = ["search", *args]
            else:
                args = ["check", *args]
        return super().resolve_command(ctx, args)

    def _has_text(self, args: list[str]) -> bool:
        """Whether ``args`` hold a positional word once options and their values are skipped."""
        takes_value = {
            opt
            for name in ("search", "check")
            for p in self.commands[name].params
            if not getattr(p, "is_flag", True) and getattr(p, "opts", None)
            for opt in p.opts
        }
        skip = False
        for arg in args:
            if skip:
                skip = False
            elif arg == "--":
                return True
            elif arg.startswith("-") and len(arg) > 1:
                skip = arg in takes_value  # "--limit 5"; "--limit=5" carries its value
            else:
                return True
        return False


def _make_app() -> typer.Typer:
    return typer.Typer(
        cls=DefaultToSearch,
        invoke_without_command=True,
        no_args_is_help=False,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="markdown",
        help=COMMANDS_HELP,
        context_settings={"help_option_names": ["-h", "--help"], "ignore_unknown_options": True},
    )


# typer builds every command's parameters on each run (~17 ms for all of them), so a run
# that will search or check uses `quick`, which holds only those; everything else `app`.
app = _make_app()
quick = _make_app()
COMMAND_NAMES = ["search", "check", "list", "disputed", "show", "speakers", "stats",
                 "import", "export", "validate", "add"]  # fmt: skip
GLOBAL_VALUE_OPTIONS = ("--db", "--color")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="FACTCHECK_DB",
        help="Claims database (JSON). Default: $FACTCHECK_DB, else the bundled database.",
        show_envvar=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def env_of(ctx: typer.Context) -> Env:
    root = ctx.find_root()
    if not isinstance(root.obj, Env):
        root.obj = Env.from_sys()
    return root.obj


def fail(env: Env, message: str) -> NoReturn:
    env.stderr.write(f"factcheck: error: {message}\n")
    raise typer.Exit(Exit.ERROR)


@contextmanager
def guarded(env: Env) -> Iterator[None]:
    """Map expected failures to one stderr line and exit 2; a closed pipe ends quietly."""
    try:
        yield
    except FactcheckError as e:
        fail(env, str(e))
    except BrokenPipeError:
        _quiet_pipe(env)
    except KeyboardInterrupt:
        env.stderr.write("factcheck: interrupted\n")
        raise typer.Exit(Exit.INTERRUPTED) from None


def _quiet_pipe(env: Env) -> NoReturn:
    # The reader went away (`| head`): point stdout at devnull so the final flush is silent.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, env.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    raise typer.Exit(Exit.FOUND)


def _version(value: bool) -> None:
    if not value:
        return
    from factcheck.store import load_database, locate_database

    path = locate_database(None, os.environ)
    try:
        count = f"{len(load_database(path).claims)} claims"
    except FactcheckError:
        count = "database unavailable"
    typer.echo(f"factcheck {__version__} ({count}, {path})")
    raise typer.Exit(Exit.FOUND)


@app.callback()
def main_callback(
    ctx: typer.Context,
    db: DbOption = None,
    color: Annotated[
        Color, typer.Option("--color", help="Colour output: auto (on a terminal), always, never.")
    ] = Color.auto,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show version and database."
        ),
    ] = False,
) -> None:
    """Check claims against a curated database of attributed statements."""
    env = env_of(ctx)
    env.db = db
    env.debug = debug
    env.resolve_color(color)
    if ctx.invoked_subcommand is None:
        if env.stdin_isatty:
            env.stderr.write(
                'usage: factcheck "claim text" | factcheck check FILE... | '
                "cat FILE | factcheck   (factcheck --help for more)\n"
            )
            raise typer.Exit(Exit.ERROR)
        ctx.invoke(check, ctx=ctx, files=["-"])


quick.callback()(main_callback)


def _db_path(env: Env, db: str | None) -> Path:
    from factcheck.store import locate_database

    return locate_database(db or env.db, env.environ)


def _open_index(env: Env, db: str | None) -> Any:
    """The database's index; a first build of a big one shows a bar on a terminal."""
    from factcheck.index import open_index

    path = _db_path(env, db)
    progress = None
    if env.stderr_isatty:
        from factcheck.term import BuildProgress

        progress = BuildProgress(env.stderr, f"indexing {path.name}")
    return open_index(path, env.cache_dir(), progress)


@app.command(rich_help_panel="Search")
def search(
    ctx: typer.Context,
    text: Annotated[
        list[str], typer.Argument(metavar="TEXT", help="The claim to look up (quotes optional).")
    ],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most N matches.")] = 3,
    threshold: Annotated[
        float,
        typer.Option("--threshold", "-t", min=0, max=100, help="Minimum score 0-100 (default 50)."),
    ] = 50.0,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Find the known claims closest to TEXT, with speaker, date, sources and disputes.

    Examples:

        factcheck "Zelensky said 50,000 Ukrainian soldiers have died"

        factcheck search "US drone forced down over the Black Sea" --json

        factcheck search "russian jets dumped fuel on a drone" --limit 5 --threshold 30
    """
    env = env_of(ctx)
    query = " ".join(text).strip()
    with guarded(env):
        if not query:
            fail(env, "empty claim text: give the claim to look up")
        from factcheck.match import Matcher

        matcher = Matcher(_open_index(env, db))
        matches = matcher.find(query, limit=limit, threshold=threshold)
        if as_json:
            from factcheck.render import search_document, write_json

            write_json(env.stdout, search_document(query, matches))
        elif matches:
            _print_matches(env, matches)
        if not matches:
            env.stderr.write(
                f"factcheck: no known claim matches (threshold {threshold:g}); "
                "try other words or --threshold\n"
            )
        env.stdout.flush()
    raise typer.Exit(Exit.FOUND if matches else Exit.NOT_FOUND)


def _print_matches(env: Env, matches: list[Any]) -> None:
    if env.color:
        from factcheck.term import make_console, print_matches

        print_matches(make_console(env.stdout, color=True), matches)
    else:
        from factcheck.render import write_matches_plain

        write_matches_plain(env.stdout, matches)


@app.command(rich_help_panel="Search")
def check(
    ctx: typer.Context,
    files: Annotated[
        list[str] | None,
        typer.Argument(metavar="FILE", help="Text files to check; '-' or none reads stdin."),
    ] = None,
    lines: Annotated[
        bool, typer.Option("--lines", help="One claim per line: no sentence splitting.")
    ] = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="Show every sentence with its best candidate.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Matches per sentence.")] = 3,
    threshold: Annotated[
        float, typer.Option("--threshold", "-t", min=0, max=100, help="Minimum score 0-100.")
    ] = 50.0,
    as_json: JsonOption = False,
    as_jsonl: Annotated[
        bool, typer.Option("--jsonl", help="One JSON object per sentence, streamed.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Report each sentence of a text that repeats a known claim, with its line number.

    Examples:

        cat article.txt | factcheck

        factcheck check draft.md speech.txt

        factcheck check - --json < notes.txt

        factcheck check claims.txt --lines --all
    """
    from factcheck.check import Summary, check_text
    from factcheck.match import Matcher
    from factcheck.render import sanitize
    from factcheck.textio import read_lines

    env = env_of(ctx)
    names = files or ["-"]
    if names == ["-"] and env.stdin_isatty:
        env.stderr.write("usage: factcheck check FILE... (or pipe text in: cat FILE | factcheck)\n")
        raise typer.Exit(Exit.ERROR)
    summary = Summary()
    results: list[dict[str, Any]] = []
    with guarded(env):
        matcher = Matcher(_open_index(env, db))
        show_names = len(names) > 1
        for name in names:
            label = "<stdin>" if name == "-" else name

            def warn(message: str, label: str = sanitize(label)) -> None:
                env.stderr.write(f"factcheck: {label}: {message}\n")

            def error(message: str, label: str = sanitize(label)) -> None:
                summary.errors.append(f"{label}: {message}")
                env.stderr.write(f"factcheck: error: {label}: {message}\n")

            stream = _stdin_bytes(env) if name == "-" else None
            text_lines = read_lines(name, stream, warn=warn, error=error)
            if text_lines is None:
                continue
            summary.files += 1
            progress = _progress_for(env, name)
            for result in check_text(
                matcher,
                progress(text_lines) if progress else text_lines,
                file=label,
                limit=limit,
                threshold=threshold,
                one_per_line=lines,
                show_all=show_all,
                summary=summary,
                workers=_workers_for(name),
                factory=lambda: Matcher(_open_index(env, db)),
            ):
                if as_jsonl:
                    from factcheck.render import dumps

                    env.stdout.write(dumps(result.to_dict()) + "\n")
                    env.stdout.flush()
                elif as_json:
                    results.append(result.to_dict())
                else:
                    _print_result(env, result, show_names)
        if as_json:
            from factcheck.render import write_json

            write_json(env.stdout, {"results": results, "summary": summary.to_dict()})
        env.stdout.flush()
    env.stderr.write(
        f"{summary.sentences} sentences checked, {summary.matched} match known claims, "
        f"{summary.disputed} of them disputed\n"
    )
    if summary.errors:
        raise typer.Exit(Exit.ERROR)
    raise typer.Exit(Exit.FOUND if summary.matched else Exit.NOT_FOUND)


PARALLEL_FROM = 512 * 1024  # bytes of input from which a second process pays for itself


def _workers_for(name: str) -> int:
    """Processes to check a file with: all cores for a big regular file, else one (a pipe
    or a small file is answered faster, and line by line, by this process)."""
    if name == "-":
        return 1
    try:
        big = os.path.getsize(name) >= PARALLEL_FROM
    except OSError:
        return 1
    return min(os.cpu_count() or 1, 4) if big else 1


quick.command(rich_help_panel="Search")(search)
quick.command(rich_help_panel="Search")(check)


def _stdin_bytes(env: Env) -> Any:
    return getattr(env.stdin, "buffer", env.stdin)


def _progress_for(env: Env, name: str) -> Callable[[Any], Any] | None:
    """A stderr progress bar for big files when stderr is a terminal."""
    if not env.stderr_isatty or name == "-":
        return None
    try:
        size = os.path.getsize(name)
    except OSError:
        return None
    if size < 1_000_000:
        return None
    from factcheck.term import track_bytes

    return lambda lines: track_bytes(lines, size, name, env.stderr)


def _print_result(env: Env, result: Any, show_names: bool) -> None:
    """grep-like: ``file:line: sentence``, then its known claims, indented."""
    from factcheck.render import sanitize, status_label

    where = f"{result.file}:{result.line}" if show_names else str(result.line)
    env.stdout.write(f"{sanitize(where)}: {sanitize(result.sentence)}\n")
    shown = result.matches or ((result.candidate,) if result.candidate else ())
    mark = "" if result.matches else "below threshold: "
    for m in shown:
        c = m.claim
        verdict = f"[{m.verdict}]  " if m.verdict else ""
        env.stdout.write(
            f"    {mark}{m.score:5.1f}  {verdict}{status_label(c)}  {sanitize(c.speaker)}: "
            f"{sanitize(c.text)} [{sanitize(c.id)}]\n"
        )
        env.stdout.writelines(f"        ! {sanitize(n.message)}\n" for n in m.notes)


JsonlOption = Annotated[bool, typer.Option("--jsonl", help="One JSON object per line, streamed.")]
SpeakerOpt = Annotated[
    str | None,
    typer.Option("--speaker", "-s", help="Only this speaker (any alias, any case)."),
]
TagOpt = Annotated[str | None, typer.Option("--tag", help="Only claims with this tag.")]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Dated on or after: YYYY, YYYY-MM or YYYY-MM-DD.")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", help="Dated on or before: YYYY, YYYY-MM or YYYY-MM-DD.")
]
SearchOpt = Annotated[
    str | None, typer.Option("--search", help="Only claims containing these words (fuzzy).")
]
LimitOpt = Annotated[int | None, typer.Option("--limit", "-n", min=1, help="At most N claims.")]


class StatusChoice(str, Enum):
    disputed = "disputed"
    undisputed = "undisputed"
    unverified = "unverified"


class SortChoice(str, Enum):
    none = "none"
    date = "date"
    speaker = "speaker"
    status = "status"


SortOpt = Annotated[
    SortChoice, typer.Option("--sort", help="Order: database order (none), date, speaker, status.")
]


@app.command("list", rich_help_panel="Browse")
def list_(
    ctx: typer.Context,
    speaker: SpeakerOpt = None,
    status: Annotated[
        StatusChoice | None, typer.Option("--status", help="Only this status.")
    ] = None,
    tag: TagOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    search_text: SearchOpt = None,
    sort: SortOpt = SortChoice.none,
    limit: LimitOpt = None,
    as_json: JsonOption = False,
    as_jsonl: JsonlOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV with a header row.")] = False,
    db: DbOption = None,
) -> None:
    """List claims; filters combine.

    Examples:

        factcheck list --speaker zelensky

        factcheck list --status disputed --since 2023

        factcheck list --tag prisoner-exchange --jsonl

        factcheck list --search starlink --sort date --csv
    """
    _list(ctx, speaker, status, tag, since, until, search_text, sort, limit, as_json, as_jsonl,
          as_csv, db)  # fmt: skip


@app.command(rich_help_panel="Browse")
def disputed(
    ctx: typer.Context,
    speaker: SpeakerOpt = None,
    tag: TagOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    search_text: SearchOpt = None,
    sort: SortOpt = SortChoice.none,
    limit: LimitOpt = None,
    as_json: JsonOption = False,
    as_jsonl: JsonlOption = False,
    db: DbOption = None,
) -> None:
    """Every disputed claim: who disputes it and what they say instead.

    Same as `factcheck list --status disputed`.

    Examples:

        factcheck disputed

        factcheck disputed --speaker Moscow --json
    """
    _list(ctx, speaker, StatusChoice.disputed, tag, since, until, search_text, sort, limit,
          as_json, as_jsonl, False, db)  # fmt: skip


def _list(
    ctx: typer.Context,
    speaker: str | None,
    status: StatusChoice | None,
    tag: str | None,
    since: str | None,
    until: str | None,
    search_text: str | None,
    sort: SortChoice,
    limit: int | None,
    as_json: bool,
    as_jsonl: bool,
    as_csv: bool,
    db: str | None,
) -> None:
    import itertools

    from factcheck.browse import Filters, SortKey, filter_claims, resolve_speaker, sort_claims
    from factcheck.model import Status

    env = env_of(ctx)
    if sum((as_json, as_jsonl, as_csv)) > 1:
        fail(env, "choose one of --json, --jsonl, --csv")
    shown = 0
    with guarded(env):
        index = _open_index(env, db)
        name = None
        if speaker is not None:
            known: set[str] = set()

            def named() -> set[str]:
                known.update(c.speaker for c in index.iter_claims())
                return known

            name = resolve_speaker(index.speakers, speaker, named)
            if name is None:
                close = index.speakers.suggest(speaker, known)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                env.stderr.write(f"factcheck: no speaker named {speaker!r}{hint}\n")
                raise typer.Exit(Exit.NOT_FOUND)
        filters = Filters(
            name, Status(status.value) if status else None, tag, since, until, search_text
        )
        claims: Iterable[Any] = filter_claims(index.iter_claims(), filters)
        if sort is not SortChoice.none:
            claims = sort_claims(claims, SortKey(sort.value))
        if limit is not None:
            claims = itertools.islice(claims, limit)
        shown = _write_claims(env, claims, filters, as_json, as_jsonl, as_csv, index)
        env.stdout.flush()
    if not shown:
        env.stderr.write("factcheck: no claim passes these filters\n")
    raise typer.Exit(Exit.FOUND if shown else Exit.NOT_FOUND)


def _write_claims(
    env: Env,
    claims: Iterable[Any],
    filters: Any,
    as_json: bool,
    as_jsonl: bool,
    as_csv: bool,
    index: Any,
) -> int:
    """Stream claims to stdout in the chosen format; returns how many were written."""
    from factcheck import render

    if as_json:
        return render.write_json_listing(
            env.stdout, "claims", claims, {"filters": filters.to_dict()}
        )
    if as_jsonl:
        return render.write_jsonl_counted(env.stdout, (c.to_dict() for c in claims))
    if as_csv:
        from factcheck.formats import csv_format

        counter = render.Counted(claims)
        csv_format.write(counter, env.stdout)
        return counter.count
    if env.color:
        from factcheck.term import make_console, print_claims

        counter = render.Counted(claims)
        print_claims(make_console(env.stdout, color=True), counter, index.speakers)
        return counter.count
    return render.write_claims_plain(env.stdout, claims)


@app.command(rich_help_panel="Browse")
def show(
    ctx: typer.Context,
    claim_id: Annotated[str, typer.Argument(metavar="ID", help="The claim's id.")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One claim in full: quote, speaker and role, disputes, sources, related records.

    Examples:

        factcheck show mq9-reaper-forced-down-black-sea

        factcheck show zelenskyy-55000-soldiers-died --json
    """
    from factcheck.browse import suggest_ids

    env = env_of(ctx)
    with guarded(env):
        index = _open_index(env, db)
        claim = index.claim_by_id(claim_id)
        if claim is None:
            close = suggest_ids(claim_id, index.ids())
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            fail(env, f"no claim with id {claim_id!r}{hint}")
        from factcheck import render

        detail = render.claim_detail(claim, index.speakers, index.claim_by_id)
        if as_json:
            render.write_json(env.stdout, detail)
        elif env.color:
            from factcheck.term import make_console, print_detail

            print_detail(make_console(env.stdout, color=True), detail)
        else:
            render.write_detail_plain(env.stdout, detail)
        env.stdout.flush()
    raise typer.Exit(Exit.FOUND)


@app.command(rich_help_panel="Browse")
def speakers(
    ctx: typer.Context,
    as_json: JsonOption = False,
    as_jsonl: JsonlOption = False,
    db: DbOption = None,
) -> None:
    """Each speaker with role, aliases, number of claims and of disputed claims.

    Examples:

        factcheck speakers

        factcheck speakers --json
    """
    from factcheck import render
    from factcheck.browse import speaker_stats

    env = env_of(ctx)
    with guarded(env):
        index = _open_index(env, db)
        rows = speaker_stats(index.iter_claims(), index.speakers)
        if as_json:
            render.write_json(env.stdout, {"speakers": [r.to_dict() for r in rows]})
        elif as_jsonl:
            render.write_jsonl(env.stdout, (r.to_dict() for r in rows))
        elif env.color:
            from factcheck.term import make_console, print_speakers

            print_speakers(make_console(env.stdout, color=True), rows)
        else:
            render.write_speakers_plain(env.stdout, rows)
        env.stdout.flush()
    raise typer.Exit(Exit.FOUND if rows else Exit.NOT_FOUND)


@app.command(rich_help_panel="Browse")
def stats(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """Counts by status, speaker and tag; the database's path, version and size.

    Examples:

        factcheck stats

        factcheck stats --json
    """
    from factcheck import render
    from factcheck.browse import database_stats

    env = env_of(ctx)
    with guarded(env):
        path = _db_path(env, db)
        index = _open_index(env, db)
        counts = database_stats(index.iter_claims())
        doc = {
            "database": {
                "path": str(path),
                "version": index.version,
                "bytes": path.stat().st_size,
                "speakers": len(index.speakers),
            },
            **counts.to_dict(),
        }
        if as_json:
            render.write_json(env.stdout, doc)
        else:
            render.write_stats_plain(env.stdout, doc)
        env.stdout.flush()
    raise typer.Exit(Exit.FOUND if counts.claims else Exit.NOT_FOUND)


def _writable_db(env: Env, db: str | None) -> Path:
    """The database a command writes to: --db or FACTCHECK_DB, never the bundled copy."""
    chosen = db or env.db or env.environ.get("FACTCHECK_DB")
    if not chosen:
        fail(
            env,
            "this command writes to a database: give --db PATH (or set FACTCHECK_DB); "
            "the bundled database is read-only",
        )
    return Path(chosen)


def _pairs(env: Env, items: list[str], option: str) -> dict[str, str]:
    """Parse ``key=value`` items (``--map``, ``--verdict``)."""
    out = {}
    for item in items:
        for part in item.split(","):
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                fail(env, f"bad {option} {part!r}: expected KEY=VALUE")
            out[key.strip()] = value.strip()
    return out


class ImportFormat(str, Enum):
    auto = "auto"
    claimreview = "claimreview"
    claimreview_html = "claimreview-html"
    factcheck_api = "factcheck-api"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    liar = "liar"


@app.command("import", rich_help_panel="Database")
def import_(
    ctx: typer.Context,
    files: Annotated[
        list[str], typer.Argument(metavar="FILE", help="Files to import ('-' is stdin; .gz ok).")
    ],
    fmt: Annotated[
        ImportFormat, typer.Option("--format", "-f", help="Input format (auto: guessed).")
    ] = ImportFormat.auto,
    mapping: Annotated[
        list[str],
        typer.Option("--map", help="CSV columns: text=statement,speaker=who,date=when,..."),
    ] = [],  # noqa: B006 - typer needs a literal default
    verdict_map: Annotated[
        list[str],
        typer.Option("--verdict", help="Override the verdict table: 'Half True=undisputed'."),
    ] = [],  # noqa: B006
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    skip_bad: Annotated[
        bool,
        typer.Option("--skip-bad", help="Skip bad records (each reported) instead of failing."),
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Import claims: ClaimReview (JSON-LD, feeds, HTML), Fact Check API, JSONL, CSV, LIAR.

    Records with the same text and speaker merge; ids stay stable; nothing is written unless
    every record is good (or --skip-bad). A --db that does not exist is created.

    Examples:

        factcheck import feed.json.gz --db mine.json

        factcheck import checks.csv --map text=statement,speaker=who --db mine.json

        factcheck import liar/train.tsv --format liar --db mine.json --dry-run
    """
    from factcheck.importer import import_files

    env = env_of(ctx)
    target = _writable_db(env, db)
    columns = _pairs(env, mapping, "--map")
    verdicts = _pairs(env, verdict_map, "--verdict")
    with guarded(env):
        report = import_files(
            target,
            files,
            fmt=fmt.value,
            mapping=columns or None,
            verdicts=verdicts or None,
            skip_bad=skip_bad,
            dry_run=dry_run,
            stdin=_stdin_bytes(env),
            on_skip=lambda where, why: _say(
                env, f"factcheck: skipped {sanitize_text(where)}: {sanitize_text(why)}"
            ),
            on_wait=lambda: _say(env, f"factcheck: waiting for another process writing {target}"),
            progress=_import_progress(env),
        )
        if as_json:
            from factcheck.render import write_json

            write_json(env.stdout, report)
        env.stderr.write(_import_summary(report))
        env.stdout.flush()
    raise typer.Exit(Exit.FOUND if report["read"] else Exit.NOT_FOUND)


def _import_progress(env: Env) -> Callable[[int, int | None], None] | None:
    """On a terminal: a bar counting records read, then a note while merging and writing."""
    if not env.stderr_isatty:
        return None
    from factcheck.term import BuildProgress

    bar = BuildProgress(env.stderr, "reading records")

    def progress(done: int, total: int | None) -> None:
        bar(done, total)
        if total is not None:
            _say(env, f"factcheck: merging {done:,} records and writing...")

    return progress


def _say(env: Env, line: str) -> None:
    env.stderr.write(line + "\n")


def sanitize_text(text: str) -> str:
    from factcheck.render import sanitize

    return sanitize(text)


def _import_summary(report: dict[str, Any]) -> str:
    counts = ", ".join(f"{report[k]:,} {k}" for k in ("added", "merged", "changed", "updated"))
    verb = "would write" if report["dry_run"] else ("wrote" if report["written"] else "left")
    return (
        f"{report['read']:,} records read from {len(report['files'])} file(s): {counts}, "
        f"{report['unchanged']:,} unchanged, {len(report['skipped']):,} skipped; "
        f"{verb} {report['database']} ({report['claims']:,} claims)\n"
    )


class ExportFormat(str, Enum):
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    claimreview = "claimreview"


@app.command(rich_help_panel="Database")
def export(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", "-f", help="json (whole database), jsonl, csv, claimreview."),
    ] = ExportFormat.jsonl,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to FILE (atomically), not stdout.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Export the database (json and jsonl import back to exactly the same claims).

    Examples:

        factcheck export --format csv > claims.csv

        factcheck export --format claimreview -o feed.json
    """
    from factcheck import render

    env = env_of(ctx)
    with guarded(env):
        index = _open_index(env, db)

        def write(out: TextIO) -> int:
            claims = index.iter_claims()
            if fmt is ExportFormat.json:
                speakers = [s.to_dict() for s in index.speakers]
                head = {"version": index.version, "speakers": speakers}
                return render.write_json_listing(out, "claims", claims, head)
            from factcheck.formats import writer

            return writer(fmt.value)(claims, out)

        if output:
            from factcheck.store import write_text_atomically

            count = write_text_atomically(Path(output), write)
        else:
            count = write(env.stdout)
        env.stdout.flush()
        env.stderr.write(f"{count:,} claims exported\n")
    raise typer.Exit(Exit.FOUND if count else Exit.NOT_FOUND)


@app.command(rich_help_panel="Database")
def validate(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """Check a database: schema, duplicate ids, dangling references, dates, URLs, empty text.

    Every problem is one line naming the record and field. Exit 0 clean, 1 problems found.

    Examples:

        factcheck validate --db mine.json
    """
    from factcheck.store import validate_file

    env = env_of(ctx)
    with guarded(env):
        path = _db_path(env, db)
        problems = validate_file(path)
        if as_json:
            from factcheck.render import write_json

            write_json(env.stdout, {"database": str(path), "problems": problems})
        else:
            env.stdout.writelines(sanitize_text(p) + "\n" for p in problems)
        env.stdout.flush()
        env.stderr.write(f"{path}: {len(problems)} problem(s)\n" if problems else f"{path}: ok\n")
    raise typer.Exit(Exit.NOT_FOUND if problems else Exit.FOUND)


@app.command(rich_help_panel="Database")
def add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The statement.")],
    speaker: Annotated[str, typer.Option("--speaker", "-s", help="Who said it (required).")],
    date: Annotated[
        str | None, typer.Option("--date", help="When: YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    disputed_by: Annotated[
        list[str],
        typer.Option("--disputed-by", help="SPEAKER:WHAT THEY SAY INSTEAD (repeatable)."),
    ] = [],  # noqa: B006
    source: Annotated[
        list[str], typer.Option("--source", help="URL where it was reported (repeatable).")
    ] = [],  # noqa: B006
    tag: Annotated[list[str], typer.Option("--tag", help="A tag (repeatable).")] = [],  # noqa: B006
    quote: Annotated[
        str | None, typer.Option("--quote", help="The exact words, if quoted.")
    ] = None,
    claim_id: Annotated[
        str | None, typer.Option("--id", help="Record id (default: made from speaker and text).")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Add one claim to a database (created if missing); disputed when --disputed-by is given.

    Examples:

        factcheck add "The bridge reopens in May" -s "Mayor Ann Lee" --date 2026-03 --db my.json

        factcheck add "Turnout was 80%" -s "Party X" --disputed-by "Board:it was 61%" --db my.json
    """
    from factcheck.importer import add_claim

    env = env_of(ctx)
    target = _writable_db(env, db)
    disputes = []
    for item in disputed_by:
        who, sep, what = item.partition(":")
        if not sep or not who.strip():
            fail(env, f"bad --disputed-by {item!r}: expected SPEAKER:WHAT THEY SAY INSTEAD")
        disputes.append((who.strip(), what.strip()))
    with guarded(env):
        claim, outcome = add_claim(
            target,
            text,
            speaker,
            date=date,
            disputes=disputes,
            urls=source,
            tags=tag,
            quote=quote,
            claim_id=claim_id,
        )
        if as_json:
            from factcheck.render import write_json

            write_json(env.stdout, {"outcome": outcome, "claim": claim.to_dict()})
        else:
            env.stdout.write(f"{claim.id}\n")
        env.stderr.write(f"factcheck: {outcome} {claim.id} in {target}\n")
        env.stdout.flush()
    raise typer.Exit(Exit.FOUND)


def _app_for(args: list[str]) -> typer.Typer:
    """``quick`` when the arguments lead to search or check, else the full ``app``."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in GLOBAL_VALUE_OPTIONS:
            i += 2
        elif arg.startswith("--db=") or arg.startswith("--color=") or arg == "--debug":
            i += 1
        elif arg in ("-h", "--help", "--version") or arg in COMMAND_NAMES[2:]:
            return app
        else:
            return quick
    return quick


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    try:
        rv = _app_for(args)(args=args, prog_name="factcheck", standalone_mode=False)
    except SystemExit as e:
        code = e.code
        return code if isinstance(code, int) else (0 if code is None else Exit.ERROR)
    except BrokenPipeError:
        with suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return Exit.FOUND
    except KeyboardInterrupt:
        sys.stderr.write("factcheck: interrupted\n")
        return Exit.INTERRUPTED
    except Exception as e:
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):  # click's usage errors
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "factcheck"
            sys.stderr.write(f"factcheck: error: {e.format_message()} (see '{where} --help')\n")
            return Exit.ERROR
        # Last resort: one line; a traceback only with --debug.
        if "--debug" in (argv if argv is not None else sys.argv):
            raise
        sys.stderr.write(
            f"factcheck: error: unexpected {type(e).__name__}: {e} "
            "(run with --debug for a traceback)\n"
        )
        return Exit.ERROR
    return rv if isinstance(rv, int) else Exit.FOUND
