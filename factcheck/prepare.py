"""Big JSON Lines imports spread over worker processes: read here, prepared there.

Importing a million claims is mostly CPU spent per record, independent of every other record:
decoding the line, validating it (``formats.jsonl.records_of``), normalising its text and
computing its merge key, search terms and stored JSON (``index.prepare``). The main process
keeps what must see records in order: it reads the lines (``formats.json_values(raw=True)``,
so line numbers, the line length limit and the JSON Lines/document decision are the
reader's own), merges and writes. Batches of lines go to worker processes and come back,
prepared, in input order, with at most a few batches in flight (memory stays flat).

Workers start only once an input proves big (``PARALLEL_AFTER`` values prepared here first),
so a small import never starts a process; they ignore Ctrl-C (the main process stops them).
Only the SQLite store takes prepared claims (``merge.merge_into`` accepts them).
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, NamedTuple

from factcheck.errors import InputError
from factcheck.formats import (
    READ_FAILURES,
    Input,
    JsonValue,
    LineSource,
    decode_line,
    json_values,
    read_failure,
)
from factcheck.formats.jsonl import SPINE, records_of
from factcheck.index import prepare
from factcheck.safejson import Decoder
from factcheck.store.records import Prepared

PARALLEL_AFTER = 10_000  # values prepared in-process before workers start
BATCH = 2_500  # values a worker prepares at a time
IN_FLIGHT = 2  # batches per worker sent ahead


class Ready(NamedTuple):
    """An input record prepared for the store, or the reason there is none (as
    ``formats.Record``, with the claim prepared)."""

    location: str
    claim: Prepared | None
    error: str | None


MAX_WORKERS = 4  # the default's ceiling: see default_workers


def default_workers() -> int:
    """One worker per CPU this process may use, at most MAX_WORKERS: the main process reads,
    merges and writes every record itself, at about the pace of two or three workers, and
    each worker holds some 50 MB (a 32-core machine would spend 1.6 GB to go no faster)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cpus = os.cpu_count() or 1
    return min(cpus, MAX_WORKERS)


def read_prepared(
    stream: Input, *, source: str, workers: int, verdicts: Mapping[str, str] | None = None
) -> Iterator[Ready]:
    """The records of a JSON Lines (or JSON) input, prepared, in order; ``workers`` processes
    share the work once the input is big (0: all of it here). ``verdicts`` is accepted for
    the readers' uniform signature only (``formats.jsonl.read``)."""
    del verdicts
    values = json_values(LineSource(stream), SPINE, raw=True)
    pending: deque[Future[list[Wire]] | list[Ready]] = deque()
    pool: ProcessPoolExecutor | None = None
    batch: list[JsonValue] = []
    failure: Ready | None = None
    try:
        try:
            for n, value in enumerate(values):
                if pool is None and (n < PARALLEL_AFTER or workers < 1):
                    yield from prepared([value], source)
                    continue
                if pool is None:
                    pool = _start(workers)
                batch.append(value)
                if len(batch) == BATCH:
                    pending.append(pool.submit(_wired, batch, source))
                    batch = []
                    while len(pending) > workers * IN_FLIGHT:
                        yield from _result(pending.popleft(), source)
        except READ_FAILURES as e:
            # after the records read before it, as the reader itself would have it
            failure = Ready(*read_failure(e, source))
        if batch:
            pending.append(
                prepared(batch, source) if pool is None else pool.submit(_wired, batch, source)
            )
        while pending:
            yield from _result(pending.popleft(), source)
        if failure is not None:
            yield failure
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


_DECODER: Decoder | None = None


def prepared(values: list[JsonValue], source: str) -> list[Ready]:
    """The records of ``values``, prepared (in a worker process, or here)."""
    global _DECODER
    decoder = _DECODER = _DECODER or Decoder()
    out: list[Ready] = []
    for value in values:
        if value.text is not None:
            value = decode_line(decoder, value.line, value.text)
        out.extend(
            Ready(r.location, None if r.claim is None else prepare(r.claim), r.error)
            for r in records_of(value, source)
        )
    return out


# A prepared record as it crosses between processes: (location, error, *Prepared's fields),
# or (location, error). Plain tuples: named ones cost 22 us a record to pickle and unpickle,
# these 6 (a million records: 16 s of CPU).
Wire = tuple[Any, ...]


def _wired(values: list[JsonValue], source: str) -> list[Wire]:
    """``prepared`` in a worker process, in the form sent back."""
    return [
        (r.location, r.error) if r.claim is None else (r.location, r.error, *r.claim)
        for r in prepared(values, source)
    ]


def _unwired(rows: list[Wire]) -> list[Ready]:
    return [
        # tuple.__new__: Prepared._make would check the length again, 4x slower
        Ready(row[0], tuple.__new__(Prepared, row[2:]) if len(row) > 2 else None, row[1])
        for row in rows
    ]


def _start(workers: int) -> ProcessPoolExecutor:
    import multiprocessing

    # fork where it is safe and at hand (Linux): a worker starts at once, and no script that
    # imports us needs a ``__main__`` guard, as spawn (macOS, Windows) makes it re-import its
    # main module. The workers only run ``_wired``: they never touch the parent's SQLite
    # connection or a progress bar's thread.
    fork = sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init)


def _worker_init() -> None:
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    # A main process killed outright (kill -9) cannot stop its workers, and a forked worker
    # waiting for work would wait for ever (its siblings hold the queue's other end open):
    # each one ends itself once its parent is gone.
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()


def _end_with(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _result(item: Future[list[Wire]] | list[Ready], source: str) -> list[Ready]:
    if isinstance(item, list):
        return item
    from concurrent.futures.process import BrokenProcessPool

    try:
        return _unwired(item.result())
    except BrokenProcessPool:
        raise InputError(
            "a worker process reading it stopped (out of memory?)",
            source,
            "try again with --jobs 0; nothing was written",
        ) from None
