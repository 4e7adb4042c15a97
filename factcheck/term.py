"""Rich rendering for terminals. The only module that imports rich; loaded lazily by cli."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from rich.console import Console, Group
from rich.padding import Padding
from rich.text import Text

from factcheck.model import Claim, Match, Speaker
from factcheck.render import detail_lines, sanitize, source_labels, speaker_label


def make_console(
    file: TextIO,
    *,
    color: bool,
    width: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> Console:
    """A console for one invocation; colour decided by the caller (cli's Env), and the
    environment rich reads (COLUMNS, LINES, TERM...) is the invocation's, not os.environ."""

    def build(system: Any) -> Console:
        return Console(
            file=file,
            force_terminal=color,
            no_color=not color,
            color_system=system if color else None,
            width=width,
            highlight=False,
            markup=False,
            emoji=False,
            legacy_windows=False,
            soft_wrap=False,
            _environ=environ,
        )

    console = build("auto")
    if color and console.color_system is None:  # --color always where TERM says nothing
        console = build("standard")
    return console


def _field(label: str, value: str, style: str = "") -> Text:
    t = Text(f"{label}: ", style="dim")
    t.append(value, style=style)
    return t


def match_renderable(m: Match) -> Group:
    """One match: score and claim, then speaker, date, status, disputes, sources, notes."""
    c = m.claim
    head = Text()
    head.append(f"{m.score:5.1f}  ", style="bold cyan")
    if m.verdict:
        style = {"same": "green", "differs": "yellow", "contradicts": "bold red"}
        head.append(f"[{m.verdict}]", style=style.get(m.verdict, "dim"))
        head.append("  ")
    head.append(sanitize(c.text), style="bold")
    status = (
        Text("DISPUTED", style="bold red") if c.disputed else Text(c.status.value, style="green")
    )
    body: list[Text] = [
        _field("speaker", speaker_label(c.speaker, m.speaker), "yellow"),
        Text.assemble(
            _field("date", c.date or "not given"), Text("    "), Text("status: ", "dim"), status
        ),
    ]
    if c.verdict:
        body.append(_field("verdict", sanitize(c.verdict)))
    for d in c.disputed_by:
        t = Text("disputed by ", style="red")
        t.append(sanitize(d.speaker), style="bold red")
        t.append(": " + sanitize(d.text))
        body.append(t)
    body.extend(_field("source", label) for label in source_labels(c))
    body.extend(_field(sanitize(r.relation), sanitize(r.id), "dim") for r in c.related)
    body.extend(Text("! " + sanitize(n.message), style="bold magenta") for n in m.notes)
    body.append(_field("id", sanitize(c.id), "dim"))
    return Group(head, Padding(Group(*body), (0, 0, 0, 7)))


def print_matches(console: Console, matches: Iterable[Match]) -> None:
    for i, m in enumerate(matches):
        if i:
            console.print()
        console.print(match_renderable(m))


def track_bytes(lines: Iterable[str], total: int, label: str, stderr: TextIO) -> Iterator[str]:
    """Yield ``lines`` while a progress bar on stderr follows the bytes read."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = Console(file=stderr, stderr=True, highlight=False, markup=False)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(sanitize(label), total=total)
        done = 0
        for line in lines:
            done += len(line.encode("utf-8", "replace"))
            if done & 0xFFFF < len(line) + 1 or done >= total:
                progress.update(task, completed=min(done, total))
            yield line


def print_claims(console: Console, claims: Iterable[Claim], speakers: Iterable[Speaker]) -> None:
    """A table that stays readable at 80 columns: the claim column wraps, nothing is cut."""
    from rich.table import Table

    roles = {s.name: s.role for s in speakers}
    if console.width < NARROW:
        _print_claims_stacked(console, claims, roles)
        return
    table = Table(show_lines=True, expand=True, pad_edge=False)
    table.add_column("Date", no_wrap=True, min_width=7)
    table.add_column("Speaker", ratio=1, overflow="fold")
    table.add_column("Claim", ratio=3, overflow="fold")
    table.add_column("Status", no_wrap=True)
    for c in claims:
        who = Text(sanitize(c.speaker), style="yellow")
        if roles.get(c.speaker):
            who.append("\n" + sanitize(roles[c.speaker] or ""), style="dim")
        body = Text(sanitize(c.text))
        for d in c.disputed_by:
            body.append("\ndisputed by ", style="red")
            body.append(sanitize(d.speaker), style="bold red")
            body.append(": " + sanitize(d.text))
        body.append("\n" + sanitize(c.id), style="dim")
        status = Text("DISPUTED", "bold red") if c.disputed else Text(c.status.value, "green")
        table.add_row(c.date or "-", who, body, status)
    console.print(table)


NARROW = 60  # below this a four-column table would squeeze the claim out of view


def _print_claims_stacked(
    console: Console, claims: Iterable[Claim], roles: dict[str, str | None]
) -> None:
    """One block per claim for narrow terminals: every line wraps, nothing is dropped."""
    for i, c in enumerate(claims):
        if i:
            console.print()
        head = Text(f"{c.date or '-'}  ")
        head.append("DISPUTED" if c.disputed else c.status.value,
                    "bold red" if c.disputed else "green")  # fmt: skip
        head.append("  " + sanitize(c.speaker), style="yellow")
        if roles.get(c.speaker):
            head.append(f" ({sanitize(roles[c.speaker] or '')})", style="dim")
        console.print(head)
        console.print(Text(sanitize(c.text)))
        for d in c.disputed_by:
            t = Text("disputed by ", style="red")
            t.append(sanitize(d.speaker), style="bold red")
            t.append(": " + sanitize(d.text))
            console.print(t)
        console.print(Text(sanitize(c.id), style="dim"), overflow="fold")


def print_detail(console: Console, detail: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in detail_lines(detail):
        style = "bold red" if value == "DISPUTED" or label.startswith("disputed") else ""
        table.add_row(Text(label), Text(value, style=style))
    console.print(table)


def print_speakers(console: Console, rows: Iterable[Any]) -> None:
    from rich.table import Table

    table = Table(expand=True, pad_edge=False)
    table.add_column("Speaker", ratio=2, overflow="fold")
    table.add_column("Role", ratio=2, overflow="fold")
    table.add_column("Claims", justify="right", no_wrap=True)
    table.add_column("Disputed", justify="right", no_wrap=True)
    table.add_column("Aliases", ratio=3, overflow="fold")
    for r in rows:
        table.add_row(
            Text(sanitize(r.name), style="yellow"),
            Text(sanitize(r.role or "")),
            str(r.claims),
            Text(str(r.disputed), style="red" if r.disputed else ""),
            Text(sanitize(", ".join(r.aliases)), style="dim"),
        )
    console.print(table)


class BuildProgress:
    """A progress callback that draws a bar on stderr only once work is reported, and
    removes it when done: a warm cache shows nothing. ``total=None``: an unknown amount
    (the bar pulses and counts); the call with ``done == total`` ends it. ``unit``: also
    show the count, "bytes" as a size (``1.2/4.0 MB``), another word after the number."""

    def __init__(self, stderr: TextIO, label: str, unit: str | None = None) -> None:
        self._stderr = stderr
        self._label = label
        self._unit = unit
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int | None) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            ProgressColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        if self._progress is None:
            console = Console(file=self._stderr, stderr=True, highlight=False, markup=False)
            # Literal text: a URL in the label may hold "{" or "[", format and markup syntax.
            label = sanitize(self._label).replace("{", "{{").replace("}", "}}")
            columns: list[ProgressColumn] = [TextColumn(label, markup=False), BarColumn()]
            if self._unit == "bytes":
                columns.append(DownloadColumn())
            elif self._unit:
                unit = self._unit.replace("{", "{{").replace("}", "}}")
                columns.append(TextColumn("{task.completed:,.0f} " + unit, markup=False))
            columns += [TaskProgressColumn(), TimeElapsedColumn()]
            self._progress = Progress(*columns, console=console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task("", total=total)
        self._progress.update(self._task, completed=done if total is None else min(done, total))
        if total is not None and done >= total:
            self._progress.stop()
