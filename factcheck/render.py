"""Standard-library writers: JSON, JSONL and plain text. No rich here (see term.py).

Everything that quotes untrusted text goes through one sanitiser: ``sanitize`` for data shown
as text, ``sanitize_message`` for error and warning lines, and ``dumps`` for JSON (which
escapes what JSON lets through raw: see ``safejson.dumps``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from factcheck.model import Claim, Match, Source, Speaker
from factcheck.safejson import dumps as _json_dumps

# C0 controls except tab and newline, DEL, C1, the bidi controls that can reorder a line
# (embeddings and overrides U+202A-202E, isolates U+2066-2069, the marks U+200E, U+200F and
# U+061C), and lone surrogates (which no UTF-8 output can hold).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 256 else f"\\u{c:04x}"


def sanitize(text: str, *, one_line: bool = True) -> str:
    """Make untrusted text safe to print: controls become visible escapes, never act.

    ``\\x1b``, ``\\x9b``, ``\\u202e``, ``\\ud800``; with ``one_line`` (the default) tabs and
    newlines become spaces too.
    """
    if not (text.isascii() and text.isprintable()):  # the common case needs no regex
        text = _UNSAFE.sub(_escape, text)
    if one_line:
        text = text.replace("\n", " ").replace("\t", " ")
    return text


MESSAGE_LIMIT = 1000  # characters of an error line; longer ones keep their start and end
WORD_LIMIT = 200  # characters of one word (a quoted value, a path) within it


def sanitize_message(text: str, *, limit: int = MESSAGE_LIMIT) -> str:
    """An error or warning for stderr: one line, controls escaped, long input shortened.

    Messages quote input (a file name, a field name, an ``@type``), which may hold escapes
    or be a megabyte long. Any run of non-spaces over WORD_LIMIT characters keeps its first
    and last characters around ``...``; then a message over ``limit`` keeps its start and its
    end (where the hint is).
    """
    text = sanitize(text.replace("\r\n", " ").replace("\r", " "))
    if len(text) > WORD_LIMIT:
        text = _LONG_WORD.sub(lambda m: _cut(m.group(), WORD_LIMIT), text)
    return _cut(text, limit)


# (?<!\S): tried once per run; from every character of a 200-character run it would
# scan on 200 characters each time.
_LONG_WORD = re.compile(rf"(?<!\S)\S{{{WORD_LIMIT + 1},}}")


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = limit * 3 // 4
    return f"{text[:head]}...{text[len(text) - (limit - head - 3) :]}"


def dumps(obj: Any) -> str:
    """One-line JSON, non-ASCII kept, C1/bidi controls and lone surrogates escaped."""
    return _json_dumps(obj)


def write_json(out: TextIO, obj: Any) -> None:
    out.write(_json_dumps(obj, indent=2))
    out.write("\n")


def write_jsonl(out: TextIO, objs: Iterable[Any]) -> None:
    for obj in objs:
        out.write(dumps(obj))
        out.write("\n")
        out.flush()


def search_document(query: str, matches: Iterable[Match]) -> dict[str, Any]:
    """The ``--json`` shape of a search: ``{"query": ..., "matches": [...]}``."""
    return {"query": query, "matches": [m.to_dict() for m in matches]}


def speaker_label(name: str, speaker: Speaker | None) -> str:
    if speaker is not None and speaker.role:
        return f"{sanitize(name)} ({sanitize(speaker.role)})"
    return sanitize(name)


def status_label(claim: Claim) -> str:
    return "DISPUTED" if claim.disputed else claim.status.value


def source_label(s: Source) -> str:
    """What a reader needs of a source: its name, publisher, date and URL, or its kind."""
    parts = [p for p in (s.name, s.publisher, s.date, s.url) if p]
    if not parts:  # e.g. the seed report, which has no title, URL or date
        parts = [f"{s.kind} ({s.ref})" if s.ref else s.kind]
    return sanitize(", ".join(parts))


def source_labels(claim: Claim) -> list[str]:
    return [source_label(s) for s in claim.sources]


def match_lines(m: Match) -> list[str]:
    """Plain-text lines for one match: what a reader needs to judge it."""
    c = m.claim
    mark = f"[{m.verdict}]  " if m.verdict else ""
    lines = [f"{m.score:5.1f}  {mark}{sanitize(c.text)}"]
    lines.append(f"       speaker: {speaker_label(c.speaker, m.speaker)}")
    lines.append(f"       date: {c.date or 'not given'}    status: {status_label(c)}")
    if c.verdict:
        lines.append(f"       verdict: {sanitize(c.verdict)}")
    lines.extend(
        f"       disputed by {sanitize(d.speaker)}: {sanitize(d.text)}" for d in c.disputed_by
    )
    lines.extend(f"       source: {label}" for label in source_labels(c))
    lines.extend(f"       {sanitize(r.relation)}: {sanitize(r.id)}" for r in c.related)
    lines.extend(f"       ! {sanitize(n.message)}" for n in m.notes)
    lines.append(f"       id: {sanitize(c.id)}")
    return lines


def write_matches_plain(out: TextIO, matches: Iterable[Match]) -> None:
    for i, m in enumerate(matches):
        if i:
            out.write("\n")
        out.write("\n".join(match_lines(m)))
        out.write("\n")


class Counted:
    """Wrap an iterable and count what passes through (listings are streamed, not len()-ed)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = items
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self._items:
            self.count += 1
            yield item


def write_json_listing(
    out: TextIO, key: str, records: Iterable[Any], head: dict[str, Any] | None = None
) -> int:
    """One JSON document, streamed one record per line (memory stays flat for big listings).

    Shape: ``{**head, key: [...], "count": N}``.
    """
    out.write("{")
    for k, v in (head or {}).items():
        out.write(f"{dumps(k)}: {dumps(v)}, ")
    out.write(f"{dumps(key)}: [")
    n = 0
    for record in records:
        out.write(",\n  " if n else "\n  ")
        out.write(dumps(record.to_dict()))
        n += 1
    out.write("\n]" if n else "]")
    out.write(f', "count": {n}}}\n')
    return n


def write_jsonl_counted(out: TextIO, objs: Iterable[Any]) -> int:
    counter = Counted(objs)
    write_jsonl(out, counter)
    return counter.count


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def claim_line(c: Claim) -> str:
    """One greppable line: id, date, status, speaker and text."""
    return (
        f"{sanitize(c.id)}  {c.date or '-'}  {status_label(c)}  "
        f"{sanitize(c.speaker)}: {sanitize(c.text)}"
    )


def write_claims_plain(out: TextIO, claims: Iterable[Claim]) -> int:
    n = 0
    for c in claims:
        out.write(claim_line(c) + "\n")
        for d in c.disputed_by:
            out.write(f"    disputed by {sanitize(d.speaker)}: {sanitize(d.text)}\n")
        n += 1
    return n


def claim_detail(
    claim: Claim, speakers: Iterable[Speaker], lookup: Callable[[str], Claim | None]
) -> dict[str, Any]:
    """The ``show --json`` document: the record plus what it points to, resolved."""
    speaker = next((s for s in speakers if s.name == claim.speaker), None)
    return {
        "claim": claim.to_dict(),
        "speaker": speaker.to_dict() if speaker else None,
        "disputes": [
            {**d.to_dict(), "record": _dict_or_none(lookup(d.claim) if d.claim else None)}
            for d in claim.disputed_by
        ],
        "related": [{**r.to_dict(), "claim": _dict_or_none(lookup(r.id))} for r in claim.related],
    }


def _dict_or_none(claim: Claim | None) -> dict[str, Any] | None:
    return claim.to_dict() if claim else None


def detail_lines(detail: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs of a claim in full, shared by the plain and rich views."""
    c, sp = detail["claim"], detail["speaker"]
    who = c["speaker"] + (f" ({sp['role']})" if sp and sp.get("role") else "")
    rows = [("id", c["id"]), ("text", c["text"])]
    if c["quote"]:
        rows.append(("quote", c["quote"]))
    rows += [("speaker", who), ("date", c["date"] or "not given")]
    rows.append(("status", "DISPUTED" if c["status"] == "disputed" else c["status"]))
    if c["verdict"]:
        rows.append(("verdict", c["verdict"]))
    for d in detail["disputes"]:
        rows.append((f"disputed by {d['speaker']}", d["text"]))
        if d["record"]:
            rows.append(("  their record", f"{d['record']['id']}: {d['record']['text']}"))
    rows.extend(("source", source_label(Source(**s))) for s in c["sources"])
    if c["tags"]:
        rows.append(("tags", ", ".join(c["tags"])))
    for r in detail["related"]:
        text = f": {r['claim']['text']}" if r["claim"] else " (not in this database)"
        rows.append((r["relation"], f"{r['id']}{text}"))
    return [(sanitize(k), sanitize(v)) for k, v in rows]


def write_detail_plain(out: TextIO, detail: dict[str, Any]) -> None:
    for label, value in detail_lines(detail):
        out.write(f"{label}: {value}\n")


def write_speakers_plain(out: TextIO, rows: Iterable[Any]) -> int:
    n = 0
    for r in rows:
        role = f" ({sanitize(r.role)})" if r.role else ""
        aliases = f"; aliases: {sanitize(', '.join(r.aliases))}" if r.aliases else ""
        out.write(f"{sanitize(r.name)}{role}: {r.claims} claims, {r.disputed} disputed{aliases}\n")
        n += 1
    return n


def write_stats_plain(out: TextIO, doc: dict[str, Any]) -> None:
    db = doc["database"]
    out.write(f"database: {sanitize(db['path'])}\n")
    kind = f"    store: {db['kind']}" if "kind" in db else ""
    out.write(f"version: {db['version']}    size: {db['bytes']:,} bytes{kind}\n")
    out.write(f"claims: {doc['claims']:,} ({doc['dated']:,} dated)    speakers: {db['speakers']}\n")
    sem = doc.get("semantic")
    if sem and sem["vectors"]:
        model = str(sem["model"] or "").split(";")[0]
        out.write(f"semantic: {sem['vectors']:,} of {sem['claims']:,} claims embedded ({model})\n")
    elif sem is not None:
        out.write("semantic: not embedded (words only; see factcheck embed)\n")
    for title, key in (("status", "by_status"), ("speaker", "by_speaker"), ("tag", "by_tag")):
        counts = doc[key]
        top = list(counts.items())[:10]
        more = f" (+{len(counts) - 10} more)" if len(counts) > 10 else ""
        out.write(f"by {title}{more}:\n")
        out.writelines(f"  {n:>7,}  {sanitize(k)}\n" for k, n in top)


def write_results_plain(out: TextIO, results: Iterable[Any], *, show_names: bool) -> int:
    """``check`` as grep prints: ``[file:]line: sentence``, then its known claims indented
    (with ``--all``, a sentence's best candidate below the threshold is marked so)."""
    n = 0
    for r in results:
        n += 1
        where = f"{r.file}:{r.line}" if show_names else str(r.line)
        out.write(f"{sanitize(where)}: {sanitize(r.sentence)}\n")
        shown = r.matches or ((r.candidate,) if r.candidate else ())
        mark = "" if r.matches else "below threshold: "
        for m in shown:
            c = m.claim
            verdict = f"[{m.verdict}]  " if m.verdict else ""
            out.write(
                f"    {mark}{m.score:5.1f}  {verdict}{status_label(c)}  {sanitize(c.speaker)}: "
                f"{sanitize(c.text)} [{sanitize(c.id)}]\n"
            )
            out.writelines(f"        ! {sanitize(note.message)}\n" for note in m.notes)
        out.flush()  # results of a slow pipe appear as its sentences arrive
    return n


def write_problems_plain(out: TextIO, problems: Iterable[Any]) -> int:
    """``validate``: one line per problem, ``where.field: message``."""
    n = 0
    for p in problems:
        out.write(sanitize(str(p)) + "\n")
        n += 1
    return n


def write_origins_plain(out: TextIO, origins: Iterable[Any]) -> int:
    """``sources``: one line per remembered URL or API query."""
    n = 0
    for o in origins:
        params = " ".join(f"{k}={v}" for k, v in o.params)
        what = f"{o.kind}  {o.location}" + (f"  ({params})" if params else "")
        out.write(
            f"{sanitize(what)}\n    fetched {o.fetched or '-'}: {o.read:,} read, "
            f"{o.added:,} added, {o.updated:,} updated; {sanitize(o.status)}\n"
        )
        n += 1
    return n


def write_updates_plain(out: TextIO, results: Iterable[Any]) -> int:
    """``update``: one line per source, as it is done."""
    n = 0
    for r in results:
        where = sanitize(r.origin.location)
        if r.status == "failed":
            line = f"failed  {where}: {sanitize(r.error or '')}"
        elif r.report is None:
            line = f"not modified  {where}"
        else:
            rep = r.report
            verb = "would update" if rep["dry_run"] else "updated"
            changed = rep["merged"] + rep["changed"] + rep["updated"]
            line = (
                f"{verb}  {where}: {rep['read']:,} read, {rep['added']:,} added, "
                f"{changed:,} updated, {rep['unchanged']:,} unchanged"
            )
        out.write(line + "\n")
        out.flush()
        n += 1
    return n


def model_status_lines(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """``model status`` (``semantic.model.status``) as labelled lines."""
    where = {"argument": "from --model-dir", "cache": "the user cache"}
    source = where.get(doc["source"], f"from ${doc['source']}")
    if doc["pinned"]:
        state = f"installed: {doc['model']} at revision {doc['revision'][:12]}"
    elif doc["installed"]:
        state = "installed: a folder with model.onnx and tokenizer.json (not the pinned download)"
    else:
        state = "not installed"
    found = ", ".join(f"{n} {'ok' if ok else 'missing'}" for n, ok in doc["packages"].items())
    lines = [("folder", f"{doc['path']} ({source})"), ("model", state)]
    if doc["model_id"]:
        lines.append(("model id", doc["model_id"]))
    lines.append(("packages", found))
    lines.append(("semantic", "usable" if doc["usable"] else "not available"))
    return lines
