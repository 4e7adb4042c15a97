"""Standard-library writers: JSON, JSONL and plain text. No rich here (see term.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, TextIO

from factcheck.model import Claim, Match, Speaker

# C0/C1 controls except tab and newline, DEL, and bidi overrides that can reorder a line.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def sanitize(text: str, *, one_line: bool = True) -> str:
    """Make untrusted text safe to print: controls become visible escapes, never act."""
    text = _UNSAFE.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 256
                       else f"\\u{ord(m.group(0)):04x}", text)  # fmt: skip
    if one_line:
        text = text.replace("\n", " ").replace("\t", " ")
    return text


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def write_json(out: TextIO, obj: Any) -> None:
    out.write(json.dumps(obj, ensure_ascii=False, indent=2))
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


def source_labels(claim: Claim) -> list[str]:
    labels = []
    for s in claim.sources:
        parts = [p for p in (s.name, s.publisher, s.date, s.url) if p]
        if not parts:  # e.g. the seed report, which has no title, URL or date
            parts = [f"{s.kind} ({s.ref})" if s.ref else s.kind]
        labels.append(sanitize(", ".join(parts)))
    return labels


def match_lines(m: Match) -> list[str]:
    """Plain-text lines for one match: what a reader needs to judge it."""
    c = m.claim
    lines = [f"{m.score:5.1f}  {sanitize(c.text)}"]
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
