"""Files the stores write: atomic replacement, the backup, the writers' lock.

Every write of a database or an export goes through ``replace_atomically``: a temp file in
the same directory, fsync, rename over the target, fsync of the directory. A crash at any
moment leaves the old file or the new one, never a mix. A target that is a symbolic link
is resolved first, so the write lands in the real file behind the link (and two names of
one file share one lock).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO


def real_path(path: str | os.PathLike[str]) -> Path:
    """The file a path names, links followed (a missing file: its would-be real path)."""
    return Path(os.path.realpath(path))


def replace_atomically(
    target: str | os.PathLike[str],
    write: Callable[[TextIO], Any],
    *,
    backup: bool = False,
    newline: str | None = None,
) -> Any:
    """Call ``write(stream)`` on a temp file beside ``target``, then rename it into place;
    returns what ``write`` returned. With ``backup`` the previous file is kept as
    ``<name>.bak`` (a hard link: no copy, and no moment without a database)."""
    import tempfile  # only writers pay for it

    path = real_path(target)
    directory = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            result = write(f)
            f.flush()
            os.fsync(f.fileno())
        _match_mode(tmp, path)
        if backup and path.exists():
            _keep_backup(path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_directory(directory)
    return result


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where directories can be opened at all)."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _match_mode(tmp: str, target: Path) -> None:
    """mkstemp creates 0600 files: give the new file the old one's mode (or the umask's)."""
    import stat

    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def _keep_backup(target: Path) -> None:
    backup = target.with_name(target.name + ".bak")
    link = target.with_name(f".{target.name}.bak.{os.getpid()}")
    link.unlink(missing_ok=True)
    try:
        try:
            os.link(target, link)
        except OSError:  # no hard links here: copy instead
            import shutil

            shutil.copy2(target, link)
        os.replace(link, backup)
    finally:
        link.unlink(missing_ok=True)


@contextmanager
def locked(
    path: str | os.PathLike[str], on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold ``<db>.lock`` while reading, merging and writing, so two writers never lose records.

    An advisory ``flock`` on the lock file beside the real database file (links resolved):
    the kernel releases it when the process dies (even by kill -9), so a crash never leaves a
    stale lock. A second writer waits (``on_wait`` is told) and then reads what the first
    one wrote.
    """
    lock_path = Path(f"{real_path(path)}.lock")
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            import fcntl
        except ImportError:  # Windows: no flock; writes are still atomic
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
