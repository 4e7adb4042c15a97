"""Rich rendering for terminals. The only module that imports rich; loaded lazily by cli."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from rich.console import Console, Group
from rich.padding import Padding
from rich.text import Text

from factcheck.model import Match
from factcheck.render import sanitize, source_labels, speaker_label


def make_console(file: TextIO, *, color: bool, width: int | None = None) -> Console:
    """A console for one invocation; colour decided by the caller (cli's Env)."""

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
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

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
