"""Folder sources: a walk that costs a bad entry only itself, and reading one file of any format."""
from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import stat
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from pipeline.models import RawDocument, Rejection
from pipeline.sources import Source
from pipeline.ingest.records import BadInput, IngestResult, InputRecord, Options, input_hash
from pipeline.ingest.decoding import decode_with_encoding
from pipeline.ingest.formats import (
    finish_document, read_record, record_date, parse_html, parse_jsonl_record, parse_record, parse_txt, site_name,
)

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".json", ".html", ".htm")


def _within(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
        return False


def _link_problem(path: Path, root: Path) -> str | None:
    """Why a symbolic link under ``root`` is not read, or None when it leads to something inside ``root``."""
    try:
        target = path.resolve(strict=True)
    except RuntimeError:
        return "file is a symbolic link loop; it was not read"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "file is a symbolic link loop; it was not read"
        if exc.errno == errno.ENOENT:
            return ("file is a link to a place outside the source folder; it was not read" if not _within(path, root)
                    else "file is a broken link")
        return f"link could not be followed ({exc.strerror or exc})"
    try:
        target.relative_to(root)
    except ValueError:
        return "file is a link to a place outside the source folder; it was not read"
    return None


VANISHED = "file vanished between listing and reading; it is read on the next run if it comes back"


# A modification time this close to the moment of reading is not trusted as a skip key: a write landing in
# the same timestamp tick right after the read would leave size and mtime unchanged (git's "racy" entries).
# 1 s is far above the timestamp granularity of Linux file systems (ns, updated per jiffy).
_RACY_NS = 1_000_000_000


def _stat_key(st: os.stat_result, read_at_ns: int) -> int | None:
    """The mtime to record for a whole file read now, or None when it is too recent to trust."""
    return st.st_mtime_ns if st.st_mtime_ns < read_at_ns - _RACY_NS else None


def stream_hash(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()[:20]
    except OSError:
        return None


def read_file(path: Path, max_bytes: int | Options = 2_000_000, source_name: str = "local",
              root: Path | None = None, st: os.stat_result | None = None) -> IngestResult:
    """One file of a folder source; ``root`` is the folder it must stay inside; ``st`` its ``stat()``, if taken."""
    opts = max_bytes if isinstance(max_bytes, Options) else Options(max_bytes=max_bytes)
    result = IngestResult()
    uri = path.absolute().as_uri()
    fetched_at = datetime.now(timezone.utc)
    reject = lambda reason, digest=None: result.rejections.append(Rejection(uri, reason, digest, source_name))  # noqa: E731
    suffix = path.suffix.lower()
    whole_file = suffix not in (".jsonl", ".json")  # JSON inputs are skipped record by record, not as a file
    try:
        read_at_ns = time.time_ns()
        st = st or path.stat()
        size = st.st_size
        if size > opts.max_bytes:
            reject(f"file is {size:,} bytes, above the {opts.max_bytes:,}-byte limit (PIPELINE_MAX_DOCUMENT_BYTES)",
                   stream_hash(path))
            return result
        if whole_file and opts.known.stats:
            known_hash = opts.known.stats.get((uri, size, st.st_mtime_ns))
            if known_hash is not None:  # same size and mtime as when loaded: unchanged, not even read
                result.skipped.append(InputRecord(uri, known_hash, source_name, size, mtime_ns=st.st_mtime_ns))
                return result
        if opts.settle_s and st.st_mtime_ns > read_at_ns - int(opts.settle_s * 1e9):
            result.deferred.append(uri)  # a copy in progress would become a truncated document for good
            return result
        data = path.read_bytes()
        after = path.stat()
        if len(data) != size or (after.st_size, after.st_mtime_ns) != (size, st.st_mtime_ns):
            result.deferred.append(uri)  # written to while it was read
            return result
    except FileNotFoundError:
        reject(VANISHED)
        return result
    except OSError as exc:
        reject(f"file could not be read ({exc.strerror or exc})")
        return result
    digest = input_hash(data)
    mtime_ns = _stat_key(st, read_at_ns) if whole_file and len(data) == size else None
    if whole_file and (uri, digest) in opts.known.inputs:
        result.skipped.append(InputRecord(uri, digest, source_name, len(data), mtime_ns=mtime_ns))
        return result
    try:
        if not data.strip():
            raise BadInput("file is empty")
        text, encoding = decode_with_encoding(data)
    except BadInput as exc:
        reject(str(exc), digest)
        return result
    if encoding != "utf-8":
        log.info("%s is not UTF-8; read it as %s", uri, encoding)
    whole = InputRecord(uri, digest, source_name, len(data), mtime_ns=mtime_ns)
    if suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                line_uri = f"{uri}#L{number}"
                read_record(line, line_uri, lambda line=line, line_uri=line_uri: parse_jsonl_record(
                    line, line_uri, fetched_at), opts, source_name, result)
    elif suffix == ".json":
        _read_json(text, uri, whole, fetched_at, opts, source_name, root or path.parent, path, result)
    elif suffix in (".html", ".htm"):
        try:
            raw = parse_html(data, uri, fetched_at, source_name=source_name)
        except BadInput as exc:
            reject(str(exc), digest)
            return result
        finish_document(raw, InputRecord(uri, digest, source_name, len(data), site_name(data), mtime_ns), opts, result)
    else:
        try:
            raw = parse_txt(text, uri, fetched_at)
        except BadInput as exc:
            reject(str(exc), digest)
            return result
        finish_document(RawDocument(**{**raw.__dict__, "source_name": source_name}), whole, opts, result)
    return result


def _read_json(text: str, uri: str, whole: InputRecord, fetched_at: datetime, opts: Options, source_name: str,
               root: Path, path: Path, result: IngestResult) -> None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        result.rejections.append(Rejection(uri, f"file is not valid JSON ({exc.msg} at line {exc.lineno}); "
                                           "it may be truncated", whole.content_hash, source_name))
        return
    if isinstance(value, list):
        items = [(f"{uri}#{i}", item) for i, item in enumerate(value, start=1)]
    else:
        items = [(uri, value)]
    for item_uri, item in items:
        raw_text = json.dumps(item, sort_keys=True, ensure_ascii=False)

        def parse(item=item, item_uri=item_uri) -> RawDocument:
            if isinstance(item, dict) and not (item.get("text") or item.get("maintext")) and (
                    item.get("localpath") or item.get("filename")):
                return _record_html_file(item, item_uri, fetched_at, opts, source_name, root, path)
            return parse_record(item, item_uri, fetched_at, source_name)

        read_record(raw_text, item_uri, parse, opts, source_name, result)


def _record_html_file(item: dict, item_uri: str, fetched_at: datetime, opts: Options, source_name: str,
                      root: Path, path: Path) -> RawDocument:
    """A news-please record whose text is in a saved HTML file; the file must be inside the source folder."""
    ref = str(item.get("localpath") or item.get("filename"))
    target = (path.parent / ref).resolve()
    if not _within(target, root):
        raise BadInput(f"record points at {ref!r}, which is outside the source folder; it was not read")
    if not target.is_file():
        raise BadInput(f"record points at {ref!r}, which does not exist in the source folder")
    if target.stat().st_size > opts.max_bytes:
        raise BadInput(f"{ref!r} is above the {opts.max_bytes:,}-byte limit (PIPELINE_MAX_DOCUMENT_BYTES)")
    raw = parse_html(target.read_bytes(), item_uri, fetched_at, url=item.get("url"), source_name=source_name)
    title = item.get("title") if isinstance(item.get("title"), str) else None
    published = record_date(item.get("date_publish") or item.get("published")) or raw.published
    return RawDocument(**{**raw.__dict__, "title": title or raw.title, "published": published})


def _folder_entries(folder: Path, recursive: bool, max_depth: int, depth: int = 0
                    ) -> Iterator[tuple[Path, str | None]]:
    """(path, None) for every file or link under ``folder`` in path order, (path, reason) for what cannot be walked.

    Folders are listed one at a time, so an entry that cannot be listed costs only itself; linked folders
    are not descended into, and nesting stops at ``max_depth`` (recursion and path length stay bounded).
    """
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except (OSError, RuntimeError) as exc:
        yield folder, f"folder could not be listed ({getattr(exc, 'strerror', None) or exc}); nothing in it was read"
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue  # hidden files and folders (.git, .DS_Store) are not articles
        path = Path(entry.path)
        try:
            is_folder = entry.is_dir(follow_symlinks=False)
        except OSError as exc:
            yield path, f"entry could not be read ({exc.strerror or exc})"
            continue
        if not is_folder:
            yield path, None
        elif not recursive:
            continue
        elif depth + 1 > max_depth:
            yield path, (f"folder is nested more than {max_depth} levels below the source folder; nothing in it "
                         "was read (move it higher, or raise PIPELINE_MAX_FOLDER_DEPTH)")
        else:
            yield from _folder_entries(path, recursive, max_depth, depth + 1)


def ingest_folder(folder: Path, max_bytes: int = 2_000_000, source: Source | None = None,
                  opts: Options | None = None) -> IngestResult:
    """All supported files under ``folder``, in a stable order; a failure costs only the entry it happens to."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"source folder {folder} does not exist; pass --source DIR with articles in it")
    opts = opts or Options(max_bytes=max_bytes)
    source = source or Source.local_folder(folder)
    root = folder.resolve()
    result = IngestResult()
    for path, problem in _folder_entries(folder, source.recursive, opts.max_folder_depth):
        opts.tick()
        uri = path.absolute().as_uri()
        if problem is not None:
            result.rejections.append(Rejection(uri, problem, None, source.name))
            result.errors.append(f"{path}: {problem}")
            continue
        try:
            result.extend(_folder_file(path, uri, root, source, opts))
        except (OSError, RuntimeError) as exc:  # whatever one file does, the rest of the folder is read
            reason = VANISHED if isinstance(exc, FileNotFoundError) else \
                f"file could not be read ({getattr(exc, 'strerror', None) or exc})"
            result.rejections.append(Rejection(uri, reason, None, source.name))
    return result


def _folder_file(path: Path, uri: str, root: Path, source: Source, opts: Options) -> IngestResult:
    result = IngestResult()
    st = path.lstat()  # FileNotFoundError here: listed a moment ago, gone now
    if stat.S_ISLNK(st.st_mode):
        # Only a link can lead outside: the walk does not descend into linked folders, so a file that is
        # not a link lies inside ``root`` without resolving its path.
        problem = _link_problem(path, root)
        if problem is not None:
            result.rejections.append(Rejection(uri, problem, None, source.name))
            return result
        st = path.stat()
    if stat.S_ISDIR(st.st_mode):
        return result
    if not stat.S_ISREG(st.st_mode):
        result.rejections.append(Rejection(uri, "not a regular file (a device, pipe or socket); it was not read",
                                           None, source.name))
        return result
    mtime = datetime.fromtimestamp(st.st_mtime, tz=timezone.utc)
    if not opts.in_window(mtime, source, slack_s=opts.settle_s):
        result.out_of_window += 1
        return result
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        result.rejections.append(Rejection(uri, f"unsupported file type {path.suffix or '(none)'}; "
                                           f"expected one of {', '.join(SUPPORTED_SUFFIXES)}",
                                           stream_hash(path), source.name))
        return result
    return read_file(path, opts, source.name, root, st)
