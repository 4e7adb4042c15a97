"""The command line: parse options, call the core once, emit through one output path.

Every command is ``options -> one Session (or importer) call -> output.emit``. Everything an
invocation touches of the outside world is in its ``Env`` (streams, their TTY flags, the
environment), built once in ``main(argv, env)`` and passed down, so tests run the CLI in
process with a fake one. Exit codes (grep-like): 0 found, 1 nothing found, 2 error,
130 interrupted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout, suppress
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, NamedTuple, NoReturn, TextIO

import typer
from typer.core import TyperGroup

from factcheck import __version__
from factcheck.errors import FactcheckError
from factcheck.output import Format

if TYPE_CHECKING:
    from factcheck.api import Session
    from factcheck.output import Document, Listing


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

    stdin: BinaryIO
    stdout: TextIO
    stderr: TextIO
    environ: Mapping[str, str]
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    color: bool = False
    db: str | None = None
    debug: bool = False
    width: int | None = None  # of the terminal; None: rich asks the terminal
    sessions: list[Session] = field(default_factory=list)  # closed when the command ends

    @classmethod
    def from_sys(cls) -> Env:
        return cls(
            sys.stdin.buffer,
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

    def cache_dir(self) -> Path:
        from factcheck.api import default_cache_dir

        return default_cache_dir(self.environ)

    def say(self, line: str) -> None:
        """One line to stderr: messages, warnings, summaries (never data)."""
        self.stderr.write(line + "\n")

    def console(self) -> Any:
        """A rich Console on stdout (only called to draw on a terminal)."""
        from factcheck.term import make_console

        return make_console(self.stdout, color=True, width=self.width, environ=self.environ)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# --- the command table ------------------------------------------------------------------


class Command(NamedTuple):
    name: str
    function: Callable[..., None]
    panel: str
    quick: bool = False  # part of the lean app that searching and checking start with


COMMANDS: list[Command] = []  # filled by @command below, in help order


def command(name: str, panel: str, *, quick: bool = False) -> Callable[[Any], Any]:
    def register(function: Callable[..., None]) -> Callable[..., None]:
        COMMANDS.append(Command(name, function, panel, quick))
        return function

    return register


def group(name: str, panel: str, help: str) -> typer.Typer:
    """A command group (``factcheck NAME COMMAND``), listed like a command; its commands
    register on the returned app. Only the full app has groups: none searches or checks."""
    sub = typer.Typer(
        name=name,
        help=help,
        invoke_without_command=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="markdown",
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @sub.callback()
    def show_help(ctx: typer.Context) -> None:
        if ctx.invoked_subcommand is None:  # `factcheck NAME` alone: its help, as --help
            shown = ctx.get_help()  # rich help prints itself and returns ""
            if shown:
                typer.echo(shown)
            raise typer.Exit(Exit.FOUND)

    COMMANDS.append(Command(name, sub, panel))
    return sub


COMMANDS_HELP = """\
Check claims against a curated database of attributed statements.

Examples (bundled database):

    factcheck "Zelensky said 50,000 Ukrainian soldiers have died"

    factcheck search "US drone forced down over the Black Sea" --json

    cat article.txt | factcheck

Exit status: 0 found, 1 nothing found, 2 error.
"""
GLOBAL_VALUE_OPTIONS = ("--db", "--color")


class DefaultToSearch(TyperGroup):
    """A first argument that is not a command name is claim text for ``search``."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        env = env_of(ctx)
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            import difflib

            names = [c.name for c in COMMANDS]
            close = difflib.get_close_matches(args[0], names, n=1, cutoff=0.8)
            if close and len(args) == 1:
                hint = f"did you mean 'factcheck {close[0]}'?"
                env.say(f"factcheck: searching for {sanitized(repr(args[0]))}; {hint}")
            args = ["search", *args]
        elif args and args[0].startswith("-") and args[0] not in ("--help", "-h"):
            # Options only: claim text among them means search; none, with text piped in,
            # means check stdin (`cat article.txt | factcheck --json`).
            if self._has_text(args) or env.stdin_isatty:
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


def build_app(*, quick: bool) -> typer.Typer:
    """The typer app of every command, or (``quick``) of only those that search and check:
    typer builds each command's parameters on every run (~17 ms for all of them)."""
    app = typer.Typer(
        cls=DefaultToSearch,
        invoke_without_command=True,
        no_args_is_help=False,
        add_completion=False,  # `factcheck completion SHELL` prints the script instead
        pretty_exceptions_enable=False,
        rich_markup_mode="markdown",
        help=COMMANDS_HELP,
        context_settings={"help_option_names": ["-h", "--help"], "ignore_unknown_options": True},
    )
    app.callback()(main_callback)
    for c in COMMANDS:
        if isinstance(c.function, typer.Typer):  # a group()
            if not quick:
                app.add_typer(c.function, name=c.name, rich_help_panel=c.panel)
        elif c.quick or not quick:
            app.command(c.name, rich_help_panel=c.panel)(c.function)
    return app


# --- options shared by commands ---------------------------------------------------------

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Claims database file. Default: $FACTCHECK_DB, else the bundled database.",
        show_envvar=False,
    ),
]
FormatOption = Annotated[
    Format | None, typer.Option("--format", help="Output format: text, json, jsonl or csv.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Same as --format json: one document.")]
JsonlOption = Annotated[
    bool, typer.Option("--jsonl", help="Same as --format jsonl: one object per line, streamed.")
]
CsvOption = Annotated[bool, typer.Option("--csv", help="Same as --format csv (with a header).")]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000, help="At most N.")]


def _finite(value: float | None) -> float | None:
    """Refuse nan, which passes every min/max check typer makes."""
    if value is not None and value != value:  # nan is the one value unequal to itself
        raise typer.BadParameter("nan is not a number")
    return value


def _no_limit_past_maxsize(value: int | None) -> int | None:
    """A limit past the largest size Python can count to is no limit."""
    return None if value is not None and value > sys.maxsize else value


ThresholdOption = Annotated[
    float,
    typer.Option(
        "--threshold",
        "-t",
        min=0,
        max=100,
        callback=_finite,
        help="Minimum score 0-100 (default 50).",
    ),
]
SemanticOption = Annotated[
    bool | None,
    typer.Option(
        "--semantic/--lexical",
        help="Fuse sentence-embedding search in (--semantic: required, an error if it cannot "
        "be; --lexical: words only). Default: when the database has vectors and the model is "
        "installed.",
        show_default=False,
    ),
]
ModelDirOption = Annotated[
    str | None,
    typer.Option(
        "--model-dir",
        help="The embedding model's folder. Default: $FACTCHECK_MODEL_DIR, else the user cache.",
    ),
]


def env_of(ctx: Any) -> Env:
    root = ctx.find_root()
    if not isinstance(root.obj, Env):
        root.obj = Env.from_sys()
    return root.obj


def sanitized(text: str) -> str:
    from factcheck.render import sanitize

    return sanitize(text)


def fail(env: Env, message: str, code: Exit = Exit.ERROR) -> NoReturn:
    """One error line on stderr (input quoted in it is shown as text, never as escapes)."""
    env.say(f"factcheck: error: {sanitized(message)}")
    raise typer.Exit(code)


@contextmanager
def guarded(env: Env) -> Iterator[None]:
    """Expected failures become one stderr line and exit 2; a closed pipe ends quietly."""
    from factcheck.api import UnknownSpeaker

    try:
        yield
    except UnknownSpeaker as e:  # a filter that finds nobody: nothing found, not an error
        env.say(f"factcheck: {sanitized(e.message)}")
        raise typer.Exit(Exit.NOT_FOUND) from None
    except FactcheckError as e:
        fail(env, str(e))
    except BrokenPipeError:
        _quiet_pipe(env)
    except KeyboardInterrupt:
        env.say("factcheck: interrupted")
        raise typer.Exit(Exit.INTERRUPTED) from None
    except MemoryError:
        fail(env, "out of memory: the input or the database is too big for this machine")
    except Exception as e:
        if type(e).__module__ != "sqlite3":  # not imported here: search starts without it
            raise
        fail(env, _damaged(env, e))
    finally:
        for session in env.sessions:
            session.close()
        env.sessions.clear()


def _damaged(env: Env, error: Exception) -> str:
    """The message for SQLite failing while a command reads: a JSON database's index cache is
    removed (the next run rebuilds it); a SQLite database is named."""
    from factcheck.store import kind_of
    from factcheck.store.cache import discard_cache

    for session in env.sessions:
        if kind_of(session.path) == "sqlite":
            return f"database unreadable: {error} ({session.path})"
        removed = discard_cache(session.path, session.cache_dir)
        if removed is not None:
            return (
                f"the index cache was damaged ({error}); removed it, the next run rebuilds it "
                f"({removed})"
            )
    return f"SQLite error: {error}"


def _size_limits(env: Env) -> None:
    """FACTCHECK_MAX_DB_SIZE: how big a JSON database may be (see ``store.jsonfile``)."""
    text = env.environ.get("FACTCHECK_MAX_DB_SIZE")
    if not text and "factcheck.store.jsonfile" not in sys.modules:
        return  # the default stands, and searching need not import the module to know it
    from factcheck.store import jsonfile
    from factcheck.store.files import parse_size

    if not text:
        jsonfile.MAX_SIZE = jsonfile.DEFAULT_MAX_SIZE  # a test may have run with another
        return
    try:
        jsonfile.MAX_SIZE = parse_size(text)
    except ValueError:
        fail(env, f"bad FACTCHECK_MAX_DB_SIZE {text!r}: expected a size such as 800M or 2G")


def _quiet_pipe(env: Env) -> NoReturn:
    # The reader went away (`| head`): point stdout at devnull so the final flush is silent.
    with suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), env.stdout.fileno())
    raise typer.Exit(Exit.FOUND)


def session_for(
    env: Env, db: str | None, semantic: bool | None = False, model_dir: str | None = None
) -> Session:
    """The session on the database a command reads (a first index build of a big database
    shows a bar on a terminal); closed when the command ends. ``semantic`` as in
    ``factcheck.open`` (browsing never needs the model: False)."""
    import factcheck.api

    progress = None
    if env.stderr_isatty:
        from factcheck.term import BuildProgress

        progress = BuildProgress(env.stderr, "indexing")
    session = factcheck.api.open(
        db or env.db,
        environ=env.environ,
        cache_dir=env.cache_dir(),
        progress=progress,
        semantic=semantic,
        model_dir=model_dir,
        warn=lambda message: env.say(f"factcheck: {sanitized(message)}"),
    )
    env.sessions.append(session)
    return session


def emit(env: Env, fmt: Format, what: Document | Listing) -> int:
    from factcheck.output import emit as write

    count = write(env.stdout, fmt, what, env.console if env.color else None)
    env.stdout.flush()
    return count


def output_format(
    env: Env,
    fmt: Format | None,
    *,
    json: bool = False,
    jsonl: bool = False,
    csv: bool = False,
    allowed: Iterable[Format] = (Format.text, Format.json),
) -> Format:
    from factcheck.output import choose_format

    try:
        return choose_format(fmt, json=json, jsonl=jsonl, csv=csv, allowed=tuple(allowed))
    except FactcheckError as e:
        fail(env, str(e))


def _version(env: Env) -> NoReturn:
    """``--version``: the version and the database this invocation would use."""
    from factcheck.store import kind_of, locate_database, open_index

    path = locate_database(env.db, env.environ)
    try:
        from factcheck.semantic.stored import vector_count, vector_path

        index = open_index(path, env.cache_dir())
        kind = kind_of(path)
        vectors = vector_count(vector_path(path, kind, env.cache_dir()))[0]
        embedded = f", {vectors} embedded" if vectors else ""
        count = f"{index.size} claims, {kind} store{embedded}"
        index.close()
    except FactcheckError:
        count = "database unavailable"
    env.stdout.write(f"factcheck {__version__} ({count}, {sanitized(str(path))})\n")
    raise typer.Exit(Exit.FOUND)


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
        typer.Option("--version", help="Show version and database."),
    ] = False,
) -> None:
    """Check claims against a curated database of attributed statements."""
    env = env_of(ctx)
    env.db = db or env.environ.get("FACTCHECK_DB") or None
    env.debug = debug
    env.resolve_color(color)
    _size_limits(env)
    if version:  # here, not in an eager callback, so that --db anywhere on the line counts
        _version(env)
    if ctx.invoked_subcommand is None:
        if env.stdin_isatty:
            env.say(
                'usage: factcheck "claim text" | factcheck check FILE... | '
                "cat FILE | factcheck   (factcheck --help for more)"
            )
            raise typer.Exit(Exit.ERROR)
        ctx.invoke(check, ctx=ctx, files=["-"])


# --- search and check -------------------------------------------------------------------


@command("search", "Search", quick=True)
def search(
    ctx: typer.Context,
    text: Annotated[
        list[str], typer.Argument(metavar="TEXT", help="The claim to look up (quotes optional).")
    ],
    limit: LimitOption = 3,
    threshold: ThresholdOption = 50.0,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
    semantic: SemanticOption = None,
    model_dir: ModelDirOption = None,
) -> None:
    """Find the known claims closest to TEXT, with speaker, date, sources and disputes.

    Examples:

        factcheck "Zelensky said 50,000 Ukrainian soldiers have died"

        factcheck search "US drone forced down over the Black Sea" --json

        factcheck search "russian jets dumped fuel on a drone" --limit 5 --threshold 30

        factcheck search "Washington and Moscow revive military hotline" --semantic
    """
    from factcheck.output import Document
    from factcheck.render import search_document, write_matches_plain

    env = env_of(ctx)
    out = output_format(env, fmt, json=as_json, allowed=(Format.text, Format.json, Format.jsonl))
    query = " ".join(text).strip()
    if not query:
        fail(env, "empty claim text: give the claim to look up")
    with guarded(env):
        session = session_for(env, db, semantic, model_dir)
        matches = session.search(query, limit=limit, threshold=threshold)
        if matches or out is not Format.text:

            def rich(console: Any) -> None:
                from factcheck.term import print_matches

                print_matches(console, matches)

            document = search_document(query, matches)
            emit(env, out, Document(document, lambda o: write_matches_plain(o, matches), rich))
        if not matches:
            env.say(
                f"factcheck: no known claim matches (threshold {threshold:g}); "
                "try other words or --threshold"
            )
    raise typer.Exit(Exit.FOUND if matches else Exit.NOT_FOUND)


PARALLEL_FROM = 512 * 1024  # bytes of input from which a second process pays for itself


@command("check", "Search", quick=True)
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
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=10_000, help="Matches per sentence.")
    ] = 3,
    threshold: ThresholdOption = 50.0,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
    as_jsonl: JsonlOption = False,
    db: DbOption = None,
    semantic: SemanticOption = None,
    model_dir: ModelDirOption = None,
) -> None:
    """Report each sentence of a text that repeats a known claim, with its line number.

    Examples:

        cat article.txt | factcheck

        factcheck check draft.md speech.txt

        factcheck check - --json < notes.txt

        factcheck check claims.txt --lines --all
    """
    from factcheck.check import Summary
    from factcheck.output import Listing
    from factcheck.render import write_results_plain

    env = env_of(ctx)
    out = output_format(
        env, fmt, json=as_json, jsonl=as_jsonl, allowed=(Format.text, Format.json, Format.jsonl)
    )
    names = files or ["-"]
    if names == ["-"] and env.stdin_isatty:
        env.say("usage: factcheck check FILE... (or pipe text in: cat FILE | factcheck)")
        raise typer.Exit(Exit.ERROR)
    summary = Summary()
    with guarded(env):
        session = session_for(env, db, semantic, model_dir)

        def results() -> Iterator[Any]:
            for name in names:
                yield from _check_one(
                    env, session, name, summary, lines, show_all, limit, threshold
                )

        show_names = len(names) > 1
        listing = Listing(
            "results",
            results(),
            lambda o, items: write_results_plain(o, items, show_names=show_names),
            tail=lambda: {"summary": summary.to_dict()},
        )
        emit(env, out, listing)
    env.say(
        f"{summary.sentences} sentences checked, {summary.matched} match known claims, "
        f"{summary.disputed} of them disputed"
    )
    if summary.errors:
        raise typer.Exit(Exit.ERROR)
    raise typer.Exit(Exit.FOUND if summary.matched else Exit.NOT_FOUND)


def _check_one(
    env: Env,
    session: Session,
    name: str,
    summary: Any,
    lines: bool,
    show_all: bool,
    limit: int,
    threshold: float,
) -> Iterator[Any]:
    """The results of one input: a file, or '-' for stdin (problems reported, not raised)."""
    from factcheck.textio import read_lines

    label = sanitized("<stdin>" if name == "-" else name)

    def warn(message: str) -> None:
        env.say(f"factcheck: {label}: {message}")

    def error(message: str) -> None:
        summary.errors.append(f"{label}: {message}")
        env.say(f"factcheck: error: {label}: {message}")

    text_lines = read_lines(name, env.stdin if name == "-" else None, warn=warn, error=error)
    if text_lines is None:
        return
    summary.files += 1
    progress = _progress_for(env, name)
    yield from session.check(
        progress(text_lines) if progress else text_lines,
        file="<stdin>" if name == "-" else name,
        limit=limit,
        threshold=threshold,
        one_per_line=lines,
        show_all=show_all,
        summary=summary,
        # The model is loaded once, in this process: with it, no worker processes.
        workers=1 if session.matcher.dense is not None else _workers_for(name),
    )


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


# --- browsing ---------------------------------------------------------------------------

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
ListLimitOpt = Annotated[
    int | None,
    typer.Option("--limit", "-n", min=1, callback=_no_limit_past_maxsize, help="At most N claims."),
]


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
ALL_FORMATS = (Format.text, Format.json, Format.jsonl, Format.csv)


@command("list", "Browse")
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
    limit: ListLimitOpt = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
    as_jsonl: JsonlOption = False,
    as_csv: CsvOption = False,
    db: DbOption = None,
) -> None:
    """List claims; filters combine.

    Examples:

        factcheck list --speaker zelensky

        factcheck list --status disputed --since 2023

        factcheck list --tag prisoner-exchange --jsonl

        factcheck list --search starlink --sort date --csv
    """
    env = env_of(ctx)
    out = output_format(env, fmt, json=as_json, jsonl=as_jsonl, csv=as_csv, allowed=ALL_FORMATS)
    _list(env, out, speaker, status, tag, since, until, search_text, sort, limit, db)


@command("disputed", "Browse")
def disputed(
    ctx: typer.Context,
    speaker: SpeakerOpt = None,
    tag: TagOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    search_text: SearchOpt = None,
    sort: SortOpt = SortChoice.none,
    limit: ListLimitOpt = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
    as_jsonl: JsonlOption = False,
    as_csv: CsvOption = False,
    db: DbOption = None,
) -> None:
    """Every disputed claim: who disputes it and what they say instead.

    Same as `factcheck list --status disputed`.

    Examples:

        factcheck disputed

        factcheck disputed --speaker Moscow --json
    """
    env = env_of(ctx)
    out = output_format(env, fmt, json=as_json, jsonl=as_jsonl, csv=as_csv, allowed=ALL_FORMATS)
    _list(env, out, speaker, StatusChoice.disputed, tag, since, until, search_text, sort, limit, db)


def _list(
    env: Env,
    out: Format,
    speaker: str | None,
    status: StatusChoice | None,
    tag: str | None,
    since: str | None,
    until: str | None,
    search_text: str | None,
    sort: SortChoice,
    limit: int | None,
    db: str | None,
) -> None:
    from factcheck.browse import Filters, SortKey
    from factcheck.formats.csv_format import write as write_csv
    from factcheck.model import Status
    from factcheck.output import Listing
    from factcheck.render import write_claims_plain

    with guarded(env):
        session = session_for(env, db)
        filters = Filters(
            speaker, Status(status.value) if status else None, tag, since, until, search_text
        )
        order = None if sort is SortChoice.none else SortKey(sort.value)
        # In JSON the store's own text goes out undecoded (twice the records per second).
        in_json = out in (Format.json, Format.jsonl)
        claims = session.claims(filters, sort=order, limit=limit, encoded=in_json)
        resolved = filters._replace(speaker=session.resolve_speaker(speaker) if speaker else None)

        def rich(console: Any, items: Iterable[Any]) -> None:
            from factcheck.term import print_claims

            print_claims(console, items, session.index.speakers)

        listing = Listing(
            "claims",
            claims,
            write_claims_plain,
            head={"filters": resolved.to_dict()},
            csv=write_csv,
            rich=rich,
            flush_each=False,  # the database is no slow producer: a flush per claim cost a third
        )
        shown = emit(env, out, listing)
    if not shown:
        env.say("factcheck: no claim passes these filters")
    raise typer.Exit(Exit.FOUND if shown else Exit.NOT_FOUND)


@command("show", "Browse")
def show(
    ctx: typer.Context,
    claim_id: Annotated[str, typer.Argument(metavar="ID", help="The claim's id.")],
    fmt: FormatOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One claim in full: quote, speaker and role, disputes, sources, related records.

    Examples:

        factcheck show mq9-reaper-forced-down-black-sea

        factcheck show zelenskyy-55000-soldiers-died --json
    """
    from factcheck.output import Document
    from factcheck.render import write_detail_plain

    env = env_of(ctx)
    out = output_format(env, fmt, json=as_json, allowed=(Format.text, Format.json, Format.jsonl))
    with guarded(env):
        detail = session_for(env, db).show(claim_id)

        def rich(console: Any) -> None:
            from factcheck.term import print_detail

            print_detail(console, detail)

        emit(env, out, Document(detail, lambda o: write_detail_plain(o, detail), rich))
    raise typer.Exit(Exit.FOUND)


@command("speakers", "Browse")
def speakers(
    ctx: typer.Context,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
    as_jsonl: JsonlOption = False,
    db: DbOption = None,
) -> None:
    """Each speaker with role, aliases, number of claims and of disputed claims.

    Examples:

        factcheck speakers

        factcheck speakers --json
    """
    from factcheck.output import Listing
    from factcheck.render import write_speakers_plain

    env = env_of(ctx)
    out = output_format(
        env, fmt, json=as_json, jsonl=as_jsonl, allowed=(Format.text, Format.json, Format.jsonl)
    )
    with guarded(env):
        rows = session_for(env, db).speakers()

        def rich(console: Any, items: Iterable[Any]) -> None:
            from factcheck.term import print_speakers

            print_speakers(console, items)

        shown = emit(env, out, Listing("speakers", rows, write_speakers_plain, rich=rich))
    raise typer.Exit(Exit.FOUND if shown else Exit.NOT_FOUND)


@command("stats", "Browse")
def stats(
    ctx: typer.Context, fmt: FormatOption = None, as_json: JsonOption = False, db: DbOption = None
) -> None:
    """Counts by status, speaker and tag; the database's path, version and size.

    Examples:

        factcheck stats

        factcheck stats --json
    """
    from factcheck.output import Document
    from factcheck.render import write_stats_plain

    env = env_of(ctx)
    out = output_format(env, fmt, json=as_json, allowed=(Format.text, Format.json, Format.jsonl))
    with guarded(env):
        doc = session_for(env, db).stats()
        emit(env, out, Document(doc, lambda o: write_stats_plain(o, doc)))
    raise typer.Exit(Exit.FOUND if doc["claims"] else Exit.NOT_FOUND)


# --- the database -----------------------------------------------------------------------


def _writable_db(env: Env, db: str | None) -> Path:
    """The database a command writes to: --db or FACTCHECK_DB, never the bundled copy."""
    chosen = db or env.db
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


TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        min=0.1,
        max=86_400,
        callback=_finite,
        help="Network timeout in seconds, for connecting and between bytes (default 10 / 30).",
    ),
]
MaxSizeOption = Annotated[
    int | None,
    typer.Option(
        "--max-size",
        min=1,
        metavar="MIB",
        help="Largest response read from the network, in MiB, before and after gzip "
        "(default 1024).",
    ),
]


@command("import", "Database")
def import_(
    ctx: typer.Context,
    files: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILE|URL",
            help="Files ('-' is stdin; .gz ok) or http(s) URLs of pages and feeds.",
        ),
    ] = None,
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
    api: Annotated[
        str | None,
        typer.Option("--api", help="Search Google's Fact Check Tools API for these words."),
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="--api: language code, e.g. en.")
    ] = None,
    max_age_days: Annotated[
        int | None, typer.Option("--max-age-days", min=1, help="--api: reviews this recent.")
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="--api: one publisher's site, e.g. snopes.com.")
    ] = None,
    api_limit: Annotated[
        int | None,
        typer.Option("--api-limit", "--limit", min=1, help="--api: at most N claims."),
    ] = None,
    timeout: TimeoutOption = None,
    max_size: MaxSizeOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    skip_bad: Annotated[
        bool,
        typer.Option("--skip-bad", help="Skip bad records (each reported) instead of failing."),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            help="Worker processes reading a big JSONL input into a SQLite database "
            "(default: one per CPU, at most 4; 0: none).",
        ),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Import claims: ClaimReview (JSON-LD, feeds, HTML), Fact Check API, JSONL, CSV, LIAR.

    Records with the same text and speaker merge; ids stay stable; nothing is written unless
    every record is good (or --skip-bad). A --db that does not exist is created. URLs and
    --api queries (key in $FACTCHECK_API_KEY) are remembered for `factcheck update`.

    Examples:

        factcheck import feed.json.gz --db mine.json

        factcheck import checks.csv --map text=statement,speaker=who --db mine.json

        factcheck import liar/train.tsv --format liar --db mine.json --dry-run

        factcheck import https://example.org/claimreview-feed.json.gz --db mine.sqlite

        factcheck import --api "starlink ukraine" --language en --db mine.sqlite

        factcheck import million.jsonl --db big.sqlite --jobs 2
    """
    from factcheck.importer import file_input, import_inputs
    from factcheck.output import Document
    from factcheck.remote import ApiQuery, api_input, api_key, is_url, url_input, utc_now

    env = env_of(ctx)
    target = _writable_db(env, db)
    columns = _pairs(env, mapping, "--map")
    verdicts = _pairs(env, verdict_map, "--verdict")
    if not files and api is None:
        fail(env, "nothing to import: give FILE or URL arguments, or --api QUERY")
    if api is None:
        for option, value in (("--language", language), ("--max-age-days", max_age_days),
                              ("--site", site), ("--api-limit", api_limit)):  # fmt: skip
            if value is not None:
                fail(env, f"{option} refines an --api QUERY search; there is no --api here")
    options = _fetch_options(timeout, max_size)
    pages, paging = _pages_progress(env)
    with guarded(env):
        inputs = []
        for name in files or []:
            if is_url(name):  # fetched now, before the database is locked
                item = url_input(name, options=options, progress=_fetch_progress(env, name))
                assert item is not None and item.origin is not None
                if fmt is not ImportFormat.auto:
                    item = item._replace(origin=item.origin._replace(format=fmt.value))
                inputs.append(item)
            else:
                inputs.append(file_input(name, env.stdin))
        if api is not None:
            query = ApiQuery(api, language, max_age_days, site, api_limit)
            endpoint = env.environ.get("FACTCHECK_API_URL") or None
            key = api_key(env.environ)
            inputs.append(
                api_input(query, key=key, options=options, endpoint=endpoint, progress=pages)
            )
        report = import_inputs(
            target,
            inputs,
            fmt=fmt.value,
            mapping=columns or None,
            verdicts=verdicts or None,
            skip_bad=skip_bad,
            dry_run=dry_run,
            jobs=jobs,
            ids=as_json,  # the summary line needs only the counts
            on_skip=lambda where, why: env.say(
                f"factcheck: skipped {sanitized(where)}: {sanitized(why)}"
            ),
            on_wait=lambda: env.say(
                f"factcheck: waiting for another process writing {sanitized(str(target))}"
            ),
            progress=_import_progress(env, busy=paging),
            now=utc_now,
        )
        if as_json:
            emit(env, Format.json, Document(report, lambda o: None))
        env.stderr.write(_import_summary(report))
        if not dry_run:
            _keep_vectors(env, target)
    raise typer.Exit(Exit.FOUND if report["read"] else Exit.NOT_FOUND)


def _fetch_options(timeout: float | None, max_size: int | None = None) -> Any:
    from factcheck.fetch import FetchOptions

    if max_size is None:
        return FetchOptions(timeout=timeout)
    return FetchOptions(timeout=timeout, max_bytes=max_size * 2**20)


def _fetch_progress(env: Env, url: str) -> Callable[[int, int | None], None] | None:
    """On a terminal: a bar of the bytes of a download."""
    if not env.stderr_isatty:
        return None
    from urllib.parse import urlsplit

    from factcheck.fetch import redact
    from factcheck.term import BuildProgress

    shown = redact(url)
    if len(shown) > 40:  # the bar and the byte count need the room: the file name and host
        parts = urlsplit(shown)
        name = parts.path.rstrip("/").rsplit("/", 1)[-1] or "/"
        shown = f"{name[:30]} from {parts.netloc[:30]}"
    return BuildProgress(env.stderr, f"fetching {shown}", unit="bytes")


def _pages_progress(
    env: Env, label: str = "searching the Fact Check Tools API"
) -> tuple[Callable[[int, int | None], None] | None, Callable[[], bool]]:
    """On a terminal: a bar counting the API's pages, and whether it is on screen (the
    records bar then waits: two bars would fight over one line)."""
    if not env.stderr_isatty:
        return None, lambda: False
    from factcheck.term import BuildProgress

    bar = BuildProgress(env.stderr, label, unit="pages")
    drawn = [False]

    def progress(done: int, total: int | None) -> None:
        drawn[0] = total is None
        bar(done, total)

    return progress, lambda: drawn[0]


def _shown_origin(origin: Any) -> Any:
    """``origin`` fit to print: a URL's secrets (``key=``, passwords) as ``***``."""
    from factcheck.fetch import redact

    return origin._replace(location=redact(origin.location)) if origin.kind == "url" else origin


@command("sources", "Database")
def sources(
    ctx: typer.Context,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
    as_jsonl: JsonlOption = False,
    db: DbOption = None,
) -> None:
    """What the database imported from which URL or API query, when, and how many claims.

    Examples:

        factcheck --db mine.sqlite sources

        factcheck --db mine.sqlite sources --json
    """
    from factcheck.output import Listing
    from factcheck.render import write_origins_plain
    from factcheck.store import locate_database, origins

    env = env_of(ctx)
    out = output_format(
        env, fmt, json=as_json, jsonl=as_jsonl, allowed=(Format.text, Format.json, Format.jsonl)
    )
    with guarded(env):
        found = origins(locate_database(db or env.db, env.environ))
        found = [_shown_origin(o) for o in found]
        shown = emit(env, out, Listing("sources", found, write_origins_plain))
    if not shown:
        env.say("factcheck: nothing was imported from a URL or the API into this database")
    raise typer.Exit(Exit.FOUND if shown else Exit.NOT_FOUND)


@command("update", "Database")
def update(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fetch and report what would change; write nothing.")
    ] = False,
    timeout: TimeoutOption = None,
    max_size: MaxSizeOption = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
    as_jsonl: JsonlOption = False,
    db: DbOption = None,
) -> None:
    """Fetch every remembered URL and API query again and merge only what changed.

    Unchanged feeds cost one small conditional request. A source that fails is reported (and
    its status in `sources` says so), its claims stay as they were, and the others go on;
    exit 2 if any failed.

    Examples:

        factcheck --db mine.sqlite update

        factcheck --db mine.sqlite update --dry-run --json
    """
    from factcheck.output import Listing
    from factcheck.remote import update as update_all
    from factcheck.render import write_updates_plain
    from factcheck.store import origins

    env = env_of(ctx)
    out = output_format(
        env, fmt, json=as_json, jsonl=as_jsonl, allowed=(Format.text, Format.json, Format.jsonl)
    )
    target = _writable_db(env, db)
    failed = 0
    with guarded(env):
        remembered = origins(target)
        results = update_all(
            target,
            remembered,
            environ=env.environ,
            dry_run=dry_run,
            options=_fetch_options(timeout, max_size),
            endpoint=env.environ.get("FACTCHECK_API_URL") or None,
            progress=lambda o: (
                _pages_progress(env, f"searching the API for {o.location}")[0]
                if o.kind == "api"
                else _fetch_progress(env, o.location)
            ),
        )

        def counted() -> Iterator[Any]:
            nonlocal failed
            for r in results:
                failed += r.status == "failed"
                yield r._replace(origin=_shown_origin(r.origin))

        emit(env, out, Listing("updates", counted(), write_updates_plain))
    if not remembered:
        env.say("factcheck: no remembered sources to update (import a URL or --api first)")
        raise typer.Exit(Exit.NOT_FOUND)
    raise typer.Exit(Exit.ERROR if failed else Exit.FOUND)


def _import_progress(
    env: Env, busy: Callable[[], bool] = lambda: False
) -> Callable[[int, int | None], None] | None:
    """On a terminal: a bar counting records read, then a note while merging and writing;
    not while ``busy()`` (another bar is drawn)."""
    if not env.stderr_isatty:
        return None
    from factcheck.term import BuildProgress

    bar = BuildProgress(env.stderr, "reading records", unit="records")

    def progress(done: int, total: int | None) -> None:
        if total is None and busy():
            return
        bar(done, total)
        if total is not None:
            env.say(f"factcheck: merging {done:,} records and writing...")

    return progress


def _import_summary(report: dict[str, Any]) -> str:
    counts = ", ".join(f"{report[k]:,} {k}" for k in ("added", "merged", "changed", "updated"))
    verb = "would write" if report["dry_run"] else ("wrote" if report["written"] else "left")
    return (
        f"{report['read']:,} records read from {len(report['files'])} file(s): {counts}, "
        f"{report['unchanged']:,} unchanged, {len(report['skipped']):,} skipped; "
        f"{verb} {sanitized(report['database'])} ({report['claims']:,} claims)\n"
    )


class ExportFormat(str, Enum):
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    claimreview = "claimreview"


@command("export", "Database")
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
        index = session_for(env, db).index

        def write(out: TextIO) -> int:
            claims = index.iter_claims()
            if fmt is ExportFormat.json:
                speakers = [s.to_dict() for s in index.speakers]
                head = {"version": index.version, "speakers": speakers}
                return render.write_json_listing(out, "claims", claims, head)
            from factcheck.formats import writer

            return writer(fmt.value)(claims, out)

        if output:
            from factcheck.store import replace_atomically

            count = replace_atomically(output, write, newline="")
        else:
            count = write(env.stdout)
        env.stdout.flush()
        env.say(f"{count:,} claims exported")
    raise typer.Exit(Exit.FOUND if count else Exit.NOT_FOUND)


@command("validate", "Database")
def validate(
    ctx: typer.Context,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
    as_jsonl: JsonlOption = False,
    db: DbOption = None,
) -> None:
    """Check a database: schema, duplicate ids, dangling references, dates, URLs, empty text.

    Every problem is one line naming the record and field. Exit 0 clean, 1 problems found.

    Examples:

        factcheck validate --db mine.json

        factcheck validate --db mine.json --jsonl
    """
    from factcheck.output import Document
    from factcheck.render import write_problems_plain
    from factcheck.store import locate_database, validate

    env = env_of(ctx)
    out = output_format(
        env, fmt, json=as_json, jsonl=as_jsonl, allowed=(Format.text, Format.json, Format.jsonl)
    )
    with guarded(env):
        path = locate_database(db or env.db, env.environ)
        problems = validate(path)
        if out is Format.jsonl:
            for p in problems:
                emit(env, out, Document(p.to_dict(), lambda o: None))
        else:
            doc = {
                "database": str(path),
                "problems": [str(p) for p in problems],  # the lines, as before
                "records": [p.to_dict() for p in problems],  # the same, field by field
            }
            emit(env, out, Document(doc, lambda o: write_problems_plain(o, problems)))
        shown = sanitized(str(path))
        env.say(f"{shown}: {len(problems)} problem(s)" if problems else f"{shown}: ok")
    raise typer.Exit(Exit.NOT_FOUND if problems else Exit.FOUND)


@command("add", "Database")
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
    fmt: FormatOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Add one claim to a database (created if missing); disputed when --disputed-by is given.

    Examples:

        factcheck add "The bridge reopens in May" -s "Mayor Ann Lee" --date 2026-03 --db my.json

        factcheck add "Turnout was 80%" -s "Party X" --disputed-by "Board:it was 61%" --db my.json
    """
    from factcheck.importer import add_claim
    from factcheck.output import Document

    env = env_of(ctx)
    out = output_format(env, fmt, json=as_json, allowed=(Format.text, Format.json, Format.jsonl))
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
        doc = {"outcome": outcome, "claim": claim.to_dict()}
        emit(env, out, Document(doc, lambda o: o.write(f"{sanitized(claim.id)}\n")))
        env.say(f"factcheck: {outcome} {sanitized(claim.id)} in {sanitized(str(target))}")
        _keep_vectors(env, target)
    raise typer.Exit(Exit.FOUND)


def _keep_vectors(env: Env, target: Path) -> None:
    """After a write: if the database has claim vectors, embed what the write added or
    changed when the model is there; else say how many claims wait for ``embed``."""
    from factcheck.semantic.stored import vector_count

    session = session_for(env, str(target))
    if not vector_count(session.vector_path)[0]:
        return  # never embedded: semantic matching was not asked for
    try:
        report = session.embed(_embed_progress(env))
    except FactcheckError as e:
        env.say(f"factcheck: claim vectors not updated ({sanitized(str(e))}); run: factcheck embed")
        return
    except ImportError:
        env.say("factcheck: claim vectors not updated (the semantic extra is not installed)")
        return
    if report.embedded or report.dropped:
        env.say(f"factcheck: embedded {report.embedded:,} claims")


def _embed_progress(env: Env) -> Callable[[int, int], None] | None:
    if not env.stderr_isatty:
        return None
    from factcheck.term import BuildProgress

    return BuildProgress(env.stderr, "embedding claims")


@command("embed", "Database")
def embed(
    ctx: typer.Context,
    model_dir: ModelDirOption = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Compute sentence-embedding vectors for the claims that lack them (semantic extra).

    Once per database; afterwards import and add embed what they add, and search and check
    fuse the embedding with word matching. Claims whose text or titles changed are embedded
    again; interrupted, it goes on from where it stopped. Needs the semantic extra and the
    model (factcheck model install).

    Examples:

        factcheck --db claims.sqlite embed

        factcheck embed --model-dir ~/models/all-MiniLM-L6-v2 --json
    """
    from factcheck.output import Document

    env = env_of(ctx)
    out = output_format(env, fmt, json=as_json, allowed=(Format.text, Format.json, Format.jsonl))
    with guarded(env):
        session = session_for(env, db, True, model_dir)
        try:
            report = session.embed(_embed_progress(env))
        except ImportError as e:
            fail(env, f"the semantic extra is not installed ({e.name}): "
                 "pip install 'factcheck[semantic]'")  # fmt: skip
        doc = report.to_dict()

        def plain(o: TextIO) -> None:
            o.write(
                f"{report.claims:,} claims: {report.embedded:,} embedded, {report.kept:,} "
                f"already had a vector, {report.dropped:,} vectors of removed claims dropped\n"
            )

        emit(env, out, Document(doc, plain))
    raise typer.Exit(Exit.FOUND)


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


@command("completion", "Setup")
def completion(
    ctx: typer.Context,
    shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish.")],
) -> None:
    """Print the shell completion script for bash, zsh or fish.

    Examples:

        factcheck completion bash > ~/.local/share/bash-completion/completions/factcheck

        factcheck completion zsh > "${fpath[1]}/_factcheck"

        factcheck completion fish > ~/.config/fish/completions/factcheck.fish
    """
    from typer._completion_shared import get_completion_script

    env = env_of(ctx)
    script = get_completion_script(
        prog_name="factcheck", complete_var="_FACTCHECK_COMPLETE", shell=shell.value
    )
    env.stdout.write(script if script.endswith("\n") else script + "\n")
    raise typer.Exit(Exit.FOUND)


# --- the sentence-embedding model of the semantic extra --------------------------------

MODEL_HELP = """\
Install the sentence-embedding model of the semantic extra, or see where it is.

The extra's packages come with `pip install 'factcheck[semantic]'`; the model (23.5 MB) is
fetched once by `factcheck model install`. Nothing is downloaded at any other time.

Examples:

    factcheck model install

    factcheck model status

    factcheck model install --model-dir /srv/models/all-MiniLM-L6-v2
"""
model_app = group("model", "Setup", MODEL_HELP)
OFFLINE_HINT = (
    "check the network connection; on a machine without one, copy an installed model folder "
    "and point --model-dir or FACTCHECK_MODEL_DIR at it"
)


@model_app.command("install")
def model_install(
    ctx: typer.Context,
    model_dir: ModelDirOption = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="Fetch the pinned files from a mirror of the model's repository at the "
            "pinned revision (or a test server). Default: the Hugging Face hub.",
        ),
    ] = None,
    timeout: TimeoutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Download the pinned model into the user cache (or --model-dir), checksum-verified.

    Goes into --model-dir, else $FACTCHECK_MODEL_DIR, else the user cache: where search,
    check and embed look for it. Run again after an interruption, it goes on where it
    stopped; when the model is there already, it downloads nothing. A progress bar on a
    terminal; the folder's path on stdout.

    Examples:

        factcheck model install

        factcheck model install --model-dir ~/models/all-MiniLM-L6-v2 --json
    """
    from factcheck.fetch import Failure, FetchError, download
    from factcheck.output import Document
    from factcheck.semantic import model

    env = env_of(ctx)
    options = _fetch_options(timeout)
    received: list[int] = []

    def fetch(url: str, dest: Path, *, sha256: str | None = None, progress: Any = None) -> Any:
        got = download(url, dest, sha256=sha256, progress=progress, options=options)
        received.append(got.bytes_read)
        return got

    with guarded(env):
        manifest = model.MANIFEST  # read now: tests point it at small files
        location = model.find_model_dir(model_dir, env.environ)
        there = model.is_installed(location.path, manifest)
        total = sum(f.size for f in manifest)
        try:
            path = model.install_model(
                location.path,
                download=fetch,
                base_url=base_url,
                progress=_model_progress(env, total),
                manifest=manifest,
            )
        except FetchError as e:
            offline = e.kind not in (Failure.HTTP, Failure.CHECKSUM, Failure.ARGUMENT, Failure.FILE)
            hint = OFFLINE_HINT if offline else e.hint
            raise FactcheckError(f"cannot download the model: {e.message}", e.where, hint) from None
        downloaded = sum(received)
        doc = {
            "path": str(path),
            "source": location.source,
            "model": model.MODEL_NAME,
            "revision": model.REVISION,
            "model_id": model.model_id(path),
            "files": [
                {"name": f.name, "path": f.path, "size": f.size, "sha256": f.sha256}
                for f in manifest
            ],
            "bytes": total,
            "downloaded": downloaded,
            "already_installed": there,
        }
        plain = Document(doc, lambda o: o.write(f"{path}\n"))
        emit(env, Format.json if as_json else Format.text, plain)
        shown = sanitized(str(path))
        size = f"{total / 1e6:.1f} MB"
        if there:
            env.say(f"factcheck: the model is already installed in {shown} ({size})")
        else:
            got = f"{downloaded / 1e6:.1f} MB downloaded"
            env.say(f"factcheck: installed {model.MODEL_NAME} ({size}, {got}) in {shown}")
        if model.find_model_dir(None, env.environ).path != path:
            env.say(
                f"factcheck: not where it is looked for by default: pass --model-dir {shown} "
                f"or set {model.ENV_VAR}={shown}"
            )
    raise typer.Exit(Exit.FOUND)


def _model_progress(env: Env, total: int) -> Callable[[int, int], None] | None:
    """On a terminal: a bar of the bytes downloaded over all the model's files."""
    if not env.stderr_isatty:
        return None
    from factcheck.term import BuildProgress

    bar = BuildProgress(env.stderr, f"downloading the model ({total / 1e6:.1f} MB)")
    return lambda done, size: bar(done, size)


@model_app.command("status")
def model_status(
    ctx: typer.Context,
    model_dir: ModelDirOption = None,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Where the model is looked for, whether it is there, and whether the extra is installed.

    The model is looked for in --model-dir, else $FACTCHECK_MODEL_DIR, else the user cache.
    Exit 0 when semantic matching can run, 1 when the model or a package of the extra is
    missing.

    Examples:

        factcheck model status

        factcheck model status --model-dir ~/models/all-MiniLM-L6-v2 --json
    """
    from factcheck.output import Document

    env = env_of(ctx)
    out = output_format(env, fmt, json=as_json, allowed=(Format.text, Format.json, Format.jsonl))
    with guarded(env):
        from factcheck.render import model_status_lines
        from factcheck.semantic.model import status

        doc = status(model_dir, env.environ)

        def plain(o: TextIO) -> None:
            for label, value in model_status_lines(doc):
                o.write(f"{label:<10}  {sanitized(value)}\n")

        emit(env, out, Document(doc, plain))
    if not doc["usable"]:
        fix = "" if doc["installed"] else "; to fetch it: factcheck model install"
        env.say(f"factcheck: semantic matching is not available: {sanitized(doc['problem'])}{fix}")
    raise typer.Exit(Exit.FOUND if doc["usable"] else Exit.NOT_FOUND)


COMMAND_NAMES = [c.name for c in COMMANDS]
app = build_app(quick=False)
quick = build_app(quick=True)


def _app_for(args: list[str], environ: Mapping[str, str]) -> typer.Typer:
    """``quick`` when the arguments lead to search or check, else the full ``app``."""
    if environ.get("_FACTCHECK_COMPLETE"):
        return app  # shell completion: every command name may be asked for
    quick_names = {c.name for c in COMMANDS if c.quick}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in GLOBAL_VALUE_OPTIONS:
            i += 2
        elif arg.startswith("--db=") or arg.startswith("--color=") or arg == "--debug":
            i += 1
        elif arg in ("-h", "--help", "--version") or (
            arg in COMMAND_NAMES and arg not in quick_names
        ):
            return app
        else:
            return quick
    return quick


def _undecodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def main(argv: list[str] | None = None, env: Env | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``) with ``env`` (default
    the real streams); returns the exit status. Tests call this in process."""
    env = env or Env.from_sys()
    args = sys.argv[1:] if argv is None else list(argv)
    for i, arg in enumerate(args, 1):
        # Python hands bytes that are not UTF-8 over as lone surrogates, which no output can
        # print and no database can store; only a name of an existing file may hold them.
        if not arg.isascii() and _undecodable(arg) and not os.path.exists(arg):
            env.say(f"factcheck: error: argument {i} is not UTF-8 text: {sanitized(arg)}")
            return Exit.ERROR
    try:
        # click and typer print help to sys.stdout: the Env's streams must get it too.
        with redirect_stdout(env.stdout), redirect_stderr(env.stderr):
            rv = _app_for(args, env.environ)(
                args=args, prog_name="factcheck", standalone_mode=False, obj=env
            )
    except SystemExit as e:
        code = e.code
        return code if isinstance(code, int) else (0 if code is None else Exit.ERROR)
    except BrokenPipeError:
        with suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), env.stdout.fileno())
        return Exit.FOUND
    except KeyboardInterrupt:
        env.say("factcheck: interrupted")
        return Exit.INTERRUPTED
    except Exception as e:
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):  # click's usage errors
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "factcheck"
            env.say(f"factcheck: error: {sanitized(e.format_message())} (see '{where} --help')")
            return Exit.ERROR
        # Last resort: one line; a traceback only with --debug.
        if "--debug" in args:
            raise
        env.say(
            f"factcheck: error: unexpected {type(e).__name__}: {sanitized(str(e))} "
            "(run with --debug for a traceback)"
        )
        return Exit.ERROR
    return rv if isinstance(rv, int) else Exit.FOUND
