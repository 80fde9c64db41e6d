"""What ingesting produces and is told: results, options, and its two errors (the records it shares with the
warehouse, ``InputRecord`` and ``Known``, live in ``pipeline.models``)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from pipeline.models import InputRecord, Known, RawDocument, Rejection
from pipeline.sources import Source


@dataclass


class IngestResult:
    documents: list[RawDocument] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    inputs: list[InputRecord] = field(default_factory=list)  # one per document, same order
    skipped: list[InputRecord] = field(default_factory=list)  # already loaded and unchanged
    out_of_window: int = 0  # inputs dated outside the run's data interval (not this run's inputs)
    # local files caught while being written (too recent, or changed while read): read by a later run
    deferred: list[str] = field(default_factory=list)
    # what kept part of a source from being read at all (a folder that could not be listed or walked)
    errors: list[str] = field(default_factory=list)
    # sources that yielded nothing because of such an error: the run records its rejections, then fails
    failed_sources: list[str] = field(default_factory=list)

    def extend(self, other: "IngestResult") -> None:
        self.documents.extend(other.documents)
        self.rejections.extend(other.rejections)
        self.inputs.extend(other.inputs)
        self.skipped.extend(other.skipped)
        self.out_of_window += other.out_of_window
        self.deferred.extend(other.deferred)
        self.errors.extend(other.errors)
        self.failed_sources.extend(other.failed_sources)


@dataclass(frozen=True)


class Options:
    max_bytes: int = 2_000_000
    min_english_ratio: float = 0.10  # share of words that are common English words; 0 disables the check
    min_language_words: int = 30  # texts shorter than this are not language-checked
    since: datetime | None = None  # the data interval; inputs dated outside it belong to other runs
    until: datetime | None = None
    known: Known = Known()
    max_folder_depth: int = 32  # folder nesting walked below a source folder (PIPELINE_MAX_FOLDER_DEPTH)
    # a local file modified less than this long ago may still be being written (PIPELINE_FILE_SETTLE_S)
    settle_s: float = 0.0
    tick: Callable[[], None] = field(default=lambda: None, compare=False)  # once per input, for progress

    def in_window(self, when: datetime | None, source: Source | None = None, slack_s: float = 0.0) -> bool:
        if when is None or (source is not None and not source.use_interval):
            return True
        # ``slack_s`` reaches back into the previous interval for what its run deferred; what that run
        # did read is skipped as unchanged by size and mtime, without being read again
        if self.since is not None and when < self.since - timedelta(seconds=slack_s):
            return False
        return self.until is None or when < self.until


class BadInput(ValueError):
    """An input that cannot become a document; the message is the user-facing reason."""


class SourceFailed(RuntimeError):
    """A source yielded nothing because it could not be read; the message names each source and why."""


def input_hash(data: bytes | str) -> str:
    """Hash of an input's bytes, the incremental key together with its source URI."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:20]
