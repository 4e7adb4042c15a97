"""Files the stores write: atomic replacement, the backup, the writers' lock, and the checks a
database file passes before anything reads or writes it.

Every write of a database or an export goes through ``replace_atomically``: a temp file in
the same directory, fsync, rename over the target, fsync of the directory. A crash at any
moment leaves the old file or the new one, never a mix. A target that is a symbolic link
is resolved first, so the write lands in the real file behind the link (and two names of
one file share one lock). A temp file is named ``.<name>.<pid>.<random>.tmp``, so the next
write can tell one whose writer died (kill -9, power loss) and remove it.

A database is a regular file (a FIFO, a device or a directory is refused at once, before any
read could block or never end), and a write never replaces a read-only file.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from factcheck.errors import DatabaseError, WriteError


def real_path(path: str | os.PathLike[str]) -> Path:
    """The file a path names, links followed (a missing file: its would-be real path)."""
    return Path(os.path.realpath(path))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_database_file(path: str | os.PathLike[str], *, max_size: int | None = None) -> int:
    """Refuse, with one line naming it, a database path that is missing, unreadable, not a
    regular file, or (with ``max_size``) bigger than that; returns the file's size.

    Opened without blocking and checked on the open file, so a FIFO is refused rather than
    waited on, and nothing read later can be a device that never ends (``/dev/zero``).
    """
    name = os.fspath(path)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        if not os.path.isdir(os.path.dirname(os.path.abspath(name))):
            raise DatabaseError("database not found: no such directory", name) from None
        raise DatabaseError("database not found", name, "pass --db PATH") from None
    except IsADirectoryError:
        raise DatabaseError("database is a directory, not a file", name) from None
    except PermissionError:
        raise DatabaseError("cannot read database: permission denied", name) from None
    except OSError as e:
        raise DatabaseError(f"cannot read database: {e.strerror or e}", name) from None
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(st.st_mode):
        raise DatabaseError(f"database is {_kind(st.st_mode)}, not a regular file", name)
    if max_size is not None and st.st_size > max_size:
        raise DatabaseError(
            f"database is {_size(st.st_size)}, over the limit of {_size(max_size)} for a JSON "
            "database",
            name,
            "use a SQLite database (--db NAME.sqlite), or raise the limit with "
            "FACTCHECK_MAX_DB_SIZE",
        )
    return st.st_size


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{n:,} bytes"


def parse_size(text: str) -> int:
    """``512M``, ``2G``, ``1.5GiB``, ``100000``: a size in bytes; ValueError if it is not one."""
    value = text.strip().upper().removesuffix("IB").removesuffix("B")
    scale = 1
    for suffix, factor in (("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40)):
        if value.endswith(suffix):
            value, scale = value[:-1], factor
            break
    number = float(value)  # ValueError for anything else; nan and inf are refused below
    if not number >= 0 or number * scale > 1 << 60:
        raise ValueError(text)
    return int(number * scale)


def check_writable(target: str | os.PathLike[str], what: str = "file") -> Path:
    """The real path a write to ``target`` replaces, once it is known that it can: the
    directory exists and is writable, and the file, if there, is a regular writable one.
    WriteError otherwise (a read-only file is refused even for root, who could write it)."""
    path = real_path(target)
    directory = path.parent
    if not directory.is_dir():
        raise WriteError(f"cannot write {what}: no such directory", str(directory))
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise WriteError(f"cannot write {what}: {e.strerror or e}", str(target)) from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise WriteError(f"cannot write {what}: it is {_kind(st.st_mode)}", str(target))
        if not st.st_mode & 0o222 or not os.access(path, os.W_OK):
            raise WriteError(
                f"{what} is read-only: not changed", str(target), "make it writable first"
            )
    if not os.access(directory, os.W_OK):
        raise WriteError(
            f"cannot write {what}: its directory is not writable (lock and temporary files "
            "go beside it)",
            str(directory),
        )
    return path


def replace_atomically(
    target: str | os.PathLike[str],
    write: Callable[[TextIO], Any],
    *,
    backup: bool = False,
    newline: str | None = None,
) -> Any:
    """Call ``write(stream)`` on a temp file beside ``target``, then rename it into place;
    returns what ``write`` returned. With ``backup`` the previous file is kept as
    ``<name>.bak`` (a hard link: no copy, and no moment without a database).

    WriteError (the target untouched) for a read-only target, a missing directory, a full
    disk or any other failure to write.
    """
    import tempfile  # only writers pay for it

    path = check_writable(target)
    directory = path.parent
    sweep_stale(directory, f".{path.name}.")
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=directory
        )
    except OSError as e:
        raise _write_error(e, target) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            result = write(f)
            f.flush()
            os.fsync(f.fileno())
        _match_mode(tmp, path)
        if backup and path.exists():
            _keep_backup(path)
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and not isinstance(e, BrokenPipeError):
            raise _write_error(e, target) from None
        raise
    fsync_directory(directory)
    return result


def _write_error(e: OSError, target: str | os.PathLike[str]) -> WriteError:
    reason = "no space left on device" if e.errno in (errno.ENOSPC, errno.EDQUOT) else None
    return WriteError(
        f"cannot write: {reason or e.strerror or e}", os.fspath(target), "the old file is unchanged"
    )


def sweep_stale(directory: Path, prefix: str) -> int:
    """Remove ``<prefix><pid>.<anything>.tmp`` and ``<prefix>bak.<pid>`` files in ``directory``
    whose writing process is gone (killed before it could clean up); returns how many."""
    removed = 0
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix)]
    except OSError:
        return 0
    for name in names:
        rest = name[len(prefix) :]
        if rest.endswith(".tmp"):
            pid_text = rest.split(".", 1)[0]
        elif rest.startswith("bak."):
            pid_text = rest[4:]
        else:
            continue
        if not pid_text.isdigit() or process_alive(int(pid_text)):
            continue
        try:
            (directory / name).unlink()
            removed += 1
        except OSError:
            pass  # another writer swept it first, or no permission: not ours to fail on
    return removed


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a process of another user counts)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, someone else's; anything else: assume alive
        return True
    return True


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
    one wrote. WriteError if the lock file cannot be created (no such or a read-only
    directory).
    """
    lock_path = Path(f"{real_path(path)}.lock")
    try:
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR | getattr(os, "O_CLOEXEC", 0), 0o644)
    except FileNotFoundError:
        raise WriteError("cannot lock: no such directory", str(lock_path.parent)) from None
    except OSError as e:
        raise WriteError(
            f"cannot create the lock file: {e.strerror or e}", str(lock_path)
        ) from None
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
        try:
            yield
        finally:
            # Released outright: a worker process forked meanwhile (a big import's) shares
            # this open file, and closing only our copy would leave the lock held by its.
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
