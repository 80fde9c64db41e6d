"""Typed records that flow between pipeline stages.

Every record carries a deterministic id derived from its content, so that
loading the same input twice upserts the same rows instead of adding new ones.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

# Event types, their roles and statuses are data (pipeline/data/event_types.json): extraction,
# coreference blocking, the data checks and the warehouse's accepted values all read them from here.
_SPEC = json.loads((Path(__file__).resolve().parent / "data" / "event_types.json").read_text(encoding="utf-8"))
EVENT_SPECS: dict[str, dict[str, Any]] = _SPEC["types"]
EVENT_TYPES = tuple(EVENT_SPECS)
ACTOR_ROLES = tuple(dict.fromkeys(role for spec in EVENT_SPECS.values() for role in spec["roles"]))
STATUSES = tuple(_SPEC["statuses"])
DIRECTED = tuple(t for t, spec in EVENT_SPECS.items() if spec["directed"])


def content_hash(*parts: object, length: int = 20) -> str:
    """Stable hex id of the given parts; ``None`` and '' hash differently."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(b"\x1f")
        digest.update(b"\x00" if part is None else str(part).encode("utf-8"))
    return digest.hexdigest()[:length]


@dataclass(frozen=True)
class RawDocument:
    """An article as read from a source, before normalisation."""

    source_uri: str
    text: str
    source_name: str = "local"
    title: str | None = None
    published: date | None = None
    url: str | None = None
    fetched_at: datetime | None = None
    language: str | None = None


@dataclass(frozen=True)
class Rejection:
    """An input that could not be ingested, with a reason a person understands."""

    source_uri: str
    reason: str
    content_hash: str | None = None
    source_name: str = "local"


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int


@dataclass
class Document:
    """A normalised article. Offsets in ``sentences`` index into ``text``."""

    doc_id: str
    source_uri: str
    text: str
    title: str | None
    published: date | None
    source_name: str = "local"
    url: str | None = None
    fetched_at: datetime | None = None
    sentences: list[Sentence] = field(default_factory=list)

    @staticmethod
    def id_for(text: str) -> str:
        return content_hash("doc", text)

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["sentences"] = [[s.start, s.end] for s in self.sentences]
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Document":
        row = dict(row)
        row["sentences"] = [Sentence(int(s[0]), int(s[1])) for s in row.get("sentences") or []]
        return cls(**row)


@dataclass(frozen=True)
class Actor:
    role: str  # one of ACTOR_ROLES
    code: str | None  # ISO 3166-1 alpha-3 or a body code (EU, WTO, ...)
    name: str  # the surface text that named the actor


@dataclass
class EventMention:
    """One report of an event in one document, with its own slots and evidence."""

    doc_id: str
    event_type: str
    sentence: str
    char_start: int
    char_end: int
    trigger: str
    trigger_start: int
    actors: list[Actor]
    extractor_version: str
    event_date: date | None = None
    date_text: str | None = None
    rate_pct: float | None = None
    alt_rates: list[float] = field(default_factory=list)
    status: str | None = None
    confidence: float = 0.5
    # The reporting document's publication date: undated reports only corefer when published close together.
    published: date | None = None

    @property
    def mention_id(self) -> str:
        actor_key = ",".join(sorted(f"{a.role}:{a.code}" for a in self.actors))
        return content_hash("mention", self.doc_id, self.event_type, self.trigger_start, actor_key)

    def codes(self, role: str) -> list[str]:
        return sorted({a.code for a in self.actors if a.role == role and a.code})


@dataclass
class Event:
    """A resolved event: a cluster of mentions that report it, with its best-supported slots."""

    event_id: str
    event_type: str
    block_key: str
    event_date: date | None
    status: str | None
    rate_pct: float | None
    alt_rates: list[float]
    confidence: float
    actors: list[Actor]
    mentions: list[EventMention] = field(repr=False)


@dataclass(frozen=True)
class StoryUpdate:
    """How one load changes the story clusters: stories for newly signed documents, and merged stories."""

    assigned: dict[str, str]  # doc_id -> story_id, for documents in no story yet
    merged: dict[str, str]  # old story_id -> the story_id it was merged into


@dataclass(frozen=True)
class InputRecord:
    """One input as read: where from and the hash of its bytes (before any cleaning)."""

    source_uri: str
    content_hash: str
    source_name: str = "local"
    size_bytes: int | None = None
    site_name: str | None = None  # the publisher's name from an HTML page, when it gives one
    mtime_ns: int | None = None  # a whole local file's modification time, when old enough to trust (see ingest.folders._stat_key)


@dataclass(frozen=True)
class Known:
    """What the warehouse already holds, so unchanged inputs are not parsed or fetched again."""

    inputs: frozenset[tuple[str, str]] = frozenset()  # (source_uri, content_hash) loaded and extracted
    uris: frozenset[str] = frozenset()  # source URIs loaded and extracted (remote articles are fetched once)
    # (source_uri, size_bytes, mtime_ns) -> content_hash of local files loaded and extracted: a file whose size
    # and modification time are unchanged is skipped without being read (a changed one is read and hashed)
    stats: dict[tuple[str, int, int], str] = field(default_factory=dict, hash=False, compare=False)
