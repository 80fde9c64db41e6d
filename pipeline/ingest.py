"""Read articles from a folder of ``.txt`` and ``.jsonl`` files.

Every input ends up either as a ``RawDocument`` or as a ``Rejection`` with a
reason a person understands; one bad file never stops the others.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from pipeline.models import RawDocument, Rejection, content_hash

_DATE_HEADER = re.compile(r"^date[ \t]+(\S.*?)\s*$", re.IGNORECASE)
SUPPORTED_SUFFIXES = (".txt", ".jsonl")


@dataclass
class IngestResult:
    documents: list[RawDocument] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


class BadInput(ValueError):
    """An input that cannot become a document; the message is the user-facing reason."""


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise BadInput(f"publication date {value!r} is not YYYY-MM-DD") from None


def parse_txt(text: str, source_uri: str, fetched_at: datetime | None = None) -> RawDocument:
    """A ``.txt`` article, with an optional first line ``date YYYY-MM-DD``."""
    published = None
    first, _, rest = text.partition("\n")
    header = _DATE_HEADER.match(first.strip())
    if header:
        published = parse_date(header.group(1))
        text = rest
    if not text.strip():
        raise BadInput("the file holds no article text")
    return RawDocument(source_uri=source_uri, text=text, published=published, fetched_at=fetched_at)


def parse_jsonl_record(line: str, source_uri: str, fetched_at: datetime | None = None) -> RawDocument:
    """One JSONL record: ``{"id", "url", "title", "published", "text"}``."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadInput(f"line is not valid JSON ({exc.msg} at column {exc.colno}); "
                       "the record may be truncated") from None
    if not isinstance(record, dict):
        raise BadInput("line is JSON but not an object with id, url, title, published and text")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadInput("record has no 'text' field with article text")
    published = record.get("published")
    return RawDocument(
        source_uri=source_uri,
        text=text,
        title=record.get("title") or None,
        published=parse_date(str(published)) if published else None,
        url=record.get("url") or None,
        fetched_at=fetched_at,
    )


def decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise BadInput("file looks binary (it contains NUL bytes), not a text article")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("file is not valid UTF-8; re-save it as UTF-8") from None


def read_file(path: Path, max_bytes: int) -> IngestResult:
    result = IngestResult()
    uri = path.resolve().as_uri()
    fetched_at = datetime.now(timezone.utc)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BadInput(f"file is {size:,} bytes, above the {max_bytes:,}-byte limit "
                           "(PIPELINE_MAX_DOCUMENT_BYTES)")
        data = path.read_bytes()
        if not data.strip():
            raise BadInput("file is empty")
        text = decode(data)
    except BadInput as exc:
        data = path.read_bytes() if path.stat().st_size <= max_bytes else b""
        result.rejections.append(Rejection(uri, str(exc), content_hash("bytes", data) if data else None))
        return result
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            record_uri = f"{uri}#L{number}"
            try:
                result.documents.append(parse_jsonl_record(line, record_uri, fetched_at))
            except BadInput as exc:
                result.rejections.append(Rejection(record_uri, str(exc), content_hash("bytes", line)))
    else:
        try:
            result.documents.append(parse_txt(text, uri, fetched_at))
        except BadInput as exc:
            result.rejections.append(Rejection(uri, str(exc), content_hash("bytes", data)))
    return result


def ingest_folder(folder: Path, max_bytes: int = 2_000_000) -> IngestResult:
    """All supported files under ``folder``, in a stable order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"source folder {folder} does not exist; pass --source DIR with articles in it")
    result = IngestResult()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            result.rejections.append(Rejection(path.resolve().as_uri(),
                                               f"unsupported file type {path.suffix or '(none)'}; "
                                               f"expected one of {', '.join(SUPPORTED_SUFFIXES)}"))
            continue
        part = read_file(path, max_bytes)
        result.documents.extend(part.documents)
        result.rejections.extend(part.rejections)
    return result
