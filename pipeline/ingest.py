"""Read articles from the configured sources: folders, RSS/Atom feeds and URL lists.

Every input ends up as a ``RawDocument``, a ``Rejection`` with a reason a
person understands, or (when it was already loaded unchanged) a skipped
``InputRecord``; one bad input never stops the others.

Folders hold ``.txt`` (optional first line ``date YYYY-MM-DD``), ``.jsonl``
(one article per line), ``.json`` (news-please style: ``title``, ``maintext``,
``date_publish``, ``url``, ...) and ``.html`` (main text through trafilatura).
"""
from __future__ import annotations

import email.utils
import errno
import hashlib
import json
import logging
import os
import re
import stat
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from pipeline.models import RawDocument, Rejection, content_hash
from pipeline.sources import Source

log = logging.getLogger(__name__)

_DATE_HEADER = re.compile(r"^date(?:[ \t]*:[ \t]*|[ \t]+)(\S.*?)\s*$", re.IGNORECASE)
SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".json", ".html", ".htm")
MIN_HTML_WORDS = 20  # fewer words after boilerplate removal means the page has no article body
_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%Y/%m/%d")
_MAGIC = {b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"GIF8": "a GIF image", b"\xff\xd8\xff": "a JPEG image",
          b"PK\x03\x04": "a ZIP archive or Office document", b"\x1f\x8b": "a gzip archive", b"\x7fELF": "a program"}
_WORD = re.compile(r"[^\W\d_]+")
# Frequent English function words: a cheap language check with no model to load.
_ENGLISH = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does during each few for from further had has have having he her here him his how i if in
into is it its itself just me more most my no nor not now of off on once only or other our out over own said same
says she should so some such than that the their them then there these they this those through to too under until
up very was we were what when where which while who whom why will with would you your
""".split())


@dataclass(frozen=True)
class InputRecord:
    """One input as read: where from and the hash of its bytes (before any cleaning)."""

    source_uri: str
    content_hash: str
    source_name: str = "local"
    size_bytes: int | None = None
    site_name: str | None = None  # the publisher's name from an HTML page, when it gives one
    mtime_ns: int | None = None  # a whole local file's modification time, when old enough to trust (see _stat_key)


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
class Known:
    """What the warehouse already holds, so unchanged inputs are not parsed or fetched again."""

    inputs: frozenset[tuple[str, str]] = frozenset()  # (source_uri, content_hash) loaded and extracted
    uris: frozenset[str] = frozenset()  # source URIs loaded and extracted (remote articles are fetched once)
    # (source_uri, size_bytes, mtime_ns) -> content_hash of local files loaded and extracted: a file whose size
    # and modification time are unchanged is skipped without being read (a changed one is read and hashed)
    stats: dict[tuple[str, int, int], str] = field(default_factory=dict, hash=False, compare=False)


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


# ---- parsing one input ---------------------------------------------------------------------------

def parse_date(value: str) -> date:
    """ISO dates (with or without a time), RFC 822 dates and '7 August 2025'-style dates."""
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise BadInput(f"publication date {value!r} is not a valid date; write it as YYYY-MM-DD")


def english_ratio(text: str) -> tuple[float, int]:
    """Share of words that are common English function words, and the number of words."""
    words = _WORD.findall(text.lower())
    if not words:
        return 0.0, 0
    return sum(w in _ENGLISH for w in words) / len(words), len(words)


def check_language(text: str, opts: Options, declared: str | None = None) -> str:
    if opts.min_english_ratio <= 0:
        return declared or "en"
    ratio, words = english_ratio(text)
    if words < opts.min_language_words:
        return declared or "en"
    if ratio < opts.min_english_ratio:
        hint = f" (the source says {declared!r})" if declared and not declared.lower().startswith("en") else ""
        raise BadInput(f"article does not look like English{hint}: only {ratio:.0%} of its {words} words are common "
                       f"English words (threshold {opts.min_english_ratio:.0%}); the extractor reads English only")
    return "en"


def decode(data: bytes) -> str:
    """UTF-8 text; text in Windows-1252 or Latin-1 is decoded with that fallback instead of rejected."""
    text, _ = decode_with_encoding(data)
    return text


def decode_with_encoding(data: bytes) -> tuple[str, str]:
    head = data[:4096]
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            raise BadInput(f"file looks binary ({kind}), not a text article")
    if b"\x00" in head:
        raise BadInput("file looks binary (it contains NUL bytes), not a text article")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
    sample = text[:4096]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f")
    if sample and controls / len(sample) > 0.05:
        raise BadInput(f"file looks binary ({controls} control characters in its first {len(sample)}), "
                       "not a text article")
    return text, encoding


def parse_txt(text: str, source_uri: str, fetched_at: datetime | None = None) -> RawDocument:
    """A ``.txt`` article, with an optional first line ``date YYYY-MM-DD``."""
    published = None
    first, _, rest = text.lstrip("\ufeff").partition("\n")
    header = _DATE_HEADER.match(first.strip())
    # "Date palms grow ..." is text, not a header; a header value has a digit in it.
    if header and len(first) <= 60 and re.search(r"\d", header.group(1)):
        try:
            published = parse_date(header.group(1))
        except BadInput:
            raise BadInput(f"first line {first.strip()!r} is a malformed date header; "
                           "write it as 'date YYYY-MM-DD' or remove it") from None
        text = rest
    if not text.strip():
        raise BadInput("the file holds no article text")
    return RawDocument(source_uri=source_uri, text=text, published=published, fetched_at=fetched_at)


def _record_date(value: object) -> date | None:
    if value in (None, ""):
        return None
    return parse_date(str(value))


def parse_record(record: object, source_uri: str, fetched_at: datetime | None = None,
                 source_name: str = "local") -> RawDocument:
    """One article record: ours (``text``, ``published``) or news-please's (``maintext``, ``date_publish``)."""
    if not isinstance(record, dict):
        raise BadInput("JSON value is not an object with title, text (or maintext) and published (or date_publish)")
    text = record.get("text") if record.get("text") is not None else record.get("maintext")
    if not isinstance(text, str) or not text.strip():
        raise BadInput("record has no 'text' (or news-please 'maintext') field with article text")
    title = record.get("title")
    published = record.get("published") if record.get("published") is not None else record.get("date_publish")
    url = record.get("url")
    language = record.get("language")
    return RawDocument(
        source_uri=source_uri, text=text, source_name=source_name,
        title=title.strip() or None if isinstance(title, str) else None,
        published=_record_date(published),
        url=url if isinstance(url, str) and url else None,
        fetched_at=fetched_at,
        language=language if isinstance(language, str) else None,
    )


def parse_jsonl_record(line: str, source_uri: str, fetched_at: datetime | None = None) -> RawDocument:
    """One JSONL record: ``{"id", "url", "title", "published", "text"}`` (news-please keys work too)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadInput(f"line is not valid JSON ({exc.msg} at column {exc.colno}); "
                       "the record may be truncated") from None
    return parse_record(record, source_uri, fetched_at)


def parse_html(data: bytes | str, source_uri: str, fetched_at: datetime | None = None, url: str | None = None,
               source_name: str = "local") -> RawDocument:
    """Main text, title, publication date and site name of a web page, through trafilatura."""
    import trafilatura

    extracted = trafilatura.bare_extraction(data, url=url, with_metadata=True, include_comments=False,
                                            include_tables=False)
    text = (getattr(extracted, "text", None) or "").strip()
    if len(_WORD.findall(text)) < MIN_HTML_WORDS:
        raise BadInput(f"page has no article body: only {len(_WORD.findall(text))} words of text remain after "
                       "removing navigation and boilerplate")
    title = getattr(extracted, "title", None)
    # trafilatura repeats the headline as the body's first line; the title field already holds it.
    if title and text.startswith(title + "\n"):
        text = text[len(title) + 1:]
    published = None
    if getattr(extracted, "date", None):
        try:
            published = parse_date(extracted.date)
        except BadInput:
            published = None
    return RawDocument(source_uri=source_uri, text=text, source_name=source_name, title=title or None,
                       published=published, url=url or None, fetched_at=fetched_at,
                       language=getattr(extracted, "language", None))


def site_name(data: bytes | str) -> str | None:
    """The site's own name (og:site_name and the like), kept as provenance next to the source name."""
    import trafilatura

    try:
        return trafilatura.extract_metadata(data).sitename or None
    except Exception:  # metadata is a nicety; a page without it is still an article
        return None


# ---- folders -------------------------------------------------------------------------------------

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


def _stream_hash(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()[:20]
    except OSError:
        return None


def _finish(raw: RawDocument, record: InputRecord, opts: Options, result: IngestResult) -> None:
    """Language-check a parsed document and add it, or its rejection, to ``result``."""
    try:
        language = check_language(raw.text + " " + (raw.title or ""), opts, raw.language)
    except BadInput as exc:
        result.rejections.append(Rejection(raw.source_uri, str(exc), record.content_hash, raw.source_name))
        return
    if raw.language != language:
        raw = RawDocument(**{**raw.__dict__, "language": language})
    result.documents.append(raw)
    result.inputs.append(record)


def _one_record(raw_text: str, uri: str, parse, opts: Options, source_name: str, result: IngestResult) -> None:
    digest = input_hash(raw_text)
    record = InputRecord(uri, digest, source_name, len(raw_text.encode("utf-8")))
    if (uri, digest) in opts.known.inputs:
        result.skipped.append(record)
        return
    try:
        raw = parse()
    except BadInput as exc:
        result.rejections.append(Rejection(uri, str(exc), digest, source_name))
        return
    if raw.source_name != source_name:
        raw = RawDocument(**{**raw.__dict__, "source_name": source_name})
    _finish(raw, record, opts, result)


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
                   _stream_hash(path))
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
                _one_record(line, line_uri, lambda line=line, line_uri=line_uri: parse_jsonl_record(
                    line, line_uri, fetched_at), opts, source_name, result)
    elif suffix == ".json":
        _read_json(text, uri, whole, fetched_at, opts, source_name, root or path.parent, path, result)
    elif suffix in (".html", ".htm"):
        try:
            raw = parse_html(data, uri, fetched_at, source_name=source_name)
        except BadInput as exc:
            reject(str(exc), digest)
            return result
        _finish(raw, InputRecord(uri, digest, source_name, len(data), site_name(data), mtime_ns), opts, result)
    else:
        try:
            raw = parse_txt(text, uri, fetched_at)
        except BadInput as exc:
            reject(str(exc), digest)
            return result
        _finish(RawDocument(**{**raw.__dict__, "source_name": source_name}), whole, opts, result)
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

        _one_record(raw_text, item_uri, parse, opts, source_name, result)


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
    published = _record_date(item.get("date_publish") or item.get("published")) or raw.published
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
                                           _stream_hash(path), source.name))
        return result
    return read_file(path, opts, source.name, root, st)


# ---- feeds and URLs ------------------------------------------------------------------------------

def _entry_time(entry) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


_BLOCK_END = re.compile(r"(?i)</(?:p|div|h[1-6]|li|blockquote|section|article)\s*>|<br\s*/?>")


def _html_to_text(fragment: str) -> str:
    """Text of an HTML fragment from a feed (already sanitised by feedparser), one paragraph per block."""
    if "<" not in fragment:
        return fragment
    import lxml.html

    try:
        return lxml.html.fromstring(f"<div>{_BLOCK_END.sub(chr(10) * 2, fragment)}</div>").text_content()
    except Exception:  # lxml rejects some broken markup; the tags' text is still the text
        return re.sub(r"<[^>]+>", " ", fragment)


def _fetch_article(url: str, fetcher, source_name: str, opts: Options, result: IngestResult,
                   title: str | None = None, published: date | None = None) -> None:
    from pipeline.fetch import FetchError

    fetched_at = datetime.now(timezone.utc)
    try:
        fetched = fetcher.fetch(url)
    except FetchError as exc:
        result.rejections.append(Rejection(url, f"article could not be fetched: {exc}", None, source_name))
        return
    digest = input_hash(fetched.content)
    record = InputRecord(url, digest, source_name, len(fetched.content))
    try:
        if fetched.content_type.startswith("text/plain"):
            raw = parse_txt(decode(fetched.content), url, fetched_at)
        else:
            raw = parse_html(fetched.content, url, fetched_at, url=fetched.final_url, source_name=source_name)
            record = InputRecord(url, digest, source_name, len(fetched.content), site_name(fetched.content))
    except BadInput as exc:
        result.rejections.append(Rejection(url, str(exc), digest, source_name))
        return
    raw = RawDocument(**{**raw.__dict__, "source_name": source_name, "url": fetched.final_url,
                         "title": raw.title or title, "published": raw.published or published})
    _finish(raw, record, opts, result)


def ingest_feed(source: Source, opts: Options, fetcher=None) -> IngestResult:
    """Entries of an RSS/Atom feed; entries with only a summary have their article page fetched."""
    import feedparser

    from pipeline.fetch import FetchError, check_url

    result = IngestResult()
    if source.feed_is_url:
        feed_uri = source.feed
        try:
            data = fetcher.fetch(source.feed).content
        except FetchError as exc:
            result.rejections.append(Rejection(feed_uri, f"feed could not be fetched: {exc}", None, source.name))
            return result
    else:
        path = Path(source.feed)
        feed_uri = path.absolute().as_uri()
        try:
            size = path.stat().st_size
            if size > opts.max_bytes:
                result.rejections.append(Rejection(feed_uri, f"feed file is {size:,} bytes, above the "
                                                   f"{opts.max_bytes:,}-byte limit", _stream_hash(path), source.name))
                return result
            data = path.read_bytes()
        except OSError as exc:
            result.rejections.append(Rejection(feed_uri, f"feed file could not be read ({exc.strerror or exc})",
                                               None, source.name))
            return result
    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        reason = (f"feed could not be parsed ({type(problem).__name__}: {problem}); no entries were read"
                  if parsed.get("bozo") else "feed has no entries")
        if parsed.get("bozo") or not parsed.get("version"):
            result.rejections.append(Rejection(feed_uri, reason, input_hash(data), source.name))
        else:
            log.info("feed %s has no entries", feed_uri)
        return result
    if parsed.get("bozo"):
        log.warning("feed %s is not well-formed (%s); read %d entries anyway", feed_uri,
                    parsed.get("bozo_exception"), len(parsed.entries))
    for number, entry in enumerate(parsed.entries, start=1):
        opts.tick()
        when = _entry_time(entry)
        if not opts.in_window(when, source):
            result.out_of_window += 1
            continue
        link = (entry.get("link") or "").strip()
        content = "\n\n".join(c.get("value", "") for c in entry.get("content", []) if c.get("value"))
        title = (entry.get("title") or "").strip() or None
        published = when.date() if when else None
        if link:
            try:
                link = check_url(link)
            except FetchError as exc:
                if not content and not entry.get("summary"):  # nothing of the entry can be read
                    result.rejections.append(Rejection(link, f"feed entry link is not followed: {exc}", None,
                                                       source.name))
                    continue
                # The entry's own text (its content, else its summary) is still read; the link never is.
                # feedparser takes an RSS <guid> as the link, and a guid need not be a URL.
                link = ""
        uri = link or f"{feed_uri}#{entry.get('id') or number}"
        if link and link in opts.known.uris:
            result.skipped.append(InputRecord(link, "", source.name))
            continue
        if content:
            _one_record(content, uri, lambda content=content, uri=uri, title=title, published=published: RawDocument(
                source_uri=uri, text=_nonempty(_html_to_text(content)), source_name=source.name, title=title,
                published=published, url=link or None, fetched_at=datetime.now(timezone.utc)),
                opts, source.name, result)
        elif link and source.fetch_articles and fetcher is not None:
            _fetch_article(link, fetcher, source.name, opts, result, title, published)
        elif entry.get("summary"):
            summary = entry["summary"]
            _one_record(summary, uri, lambda summary=summary, uri=uri, title=title, published=published: RawDocument(
                source_uri=uri, text=_nonempty(_html_to_text(summary)), source_name=source.name, title=title,
                published=published, url=link or None, fetched_at=datetime.now(timezone.utc)),
                opts, source.name, result)
        else:
            result.rejections.append(Rejection(uri, "feed entry has no content, no summary and no link",
                                               None, source.name))
    if parsed.get("bozo") and not result.documents and not result.skipped:
        problem = parsed.get("bozo_exception")
        result.rejections.append(Rejection(feed_uri, f"feed is malformed ({type(problem).__name__}: {problem}); "
                                           f"none of its {len(parsed.entries)} entries could be read",
                                           input_hash(data), source.name))
    return result


def _nonempty(text: str) -> str:
    if not text.strip():
        raise BadInput("feed entry holds no article text")
    return text


def ingest_urls(source: Source, opts: Options, fetcher) -> IngestResult:
    """A list of article URLs, each fetched once (a URL already loaded is skipped)."""
    from pipeline.fetch import FetchError, check_url

    result = IngestResult()
    for url in source.urls:
        opts.tick()
        try:
            check_url(url)
        except FetchError as exc:
            result.rejections.append(Rejection(url, str(exc), None, source.name))
            continue
        if url in opts.known.uris:
            result.skipped.append(InputRecord(url, "", source.name))
            continue
        _fetch_article(url, fetcher, source.name, opts, result)
    return result


def ingest_sources(sources: Iterable[Source], opts: Options, fetcher_factory=None) -> IngestResult:
    """Every configured source; a source that fails as a whole is recorded as a rejection, not raised."""
    result = IngestResult()
    fetcher = None
    try:
        for source in sources:
            if source.kind in ("feed", "urls") and fetcher is None and fetcher_factory is not None:
                if source.kind == "urls" or source.feed_is_url or source.fetch_articles:
                    fetcher = fetcher_factory()
            try:
                if source.kind == "folder":
                    if not Path(source.folder).is_dir():
                        raise BadInput(f"source folder {source.folder} does not exist")
                    part = ingest_folder(source.folder, opts.max_bytes, source, opts)
                elif source.kind == "feed":
                    part = ingest_feed(source, opts, fetcher)
                else:
                    part = ingest_urls(source, opts, fetcher)
            except Exception as exc:  # one broken source must not take the others down
                log.error("source %s failed: %s", source.name, exc)
                where = str(source.folder or source.feed or f"urls:{source.name}")
                uri = Path(where).absolute().as_uri() if source.kind == "folder" else where
                reason = f"source {source.name!r} could not be read: {exc}"
                part = IngestResult(rejections=[Rejection(uri, reason, None, source.name)], errors=[reason])
            if part.errors and not (part.documents or part.skipped or part.out_of_window):
                part.failed_sources.append(f"source {source.name!r} yielded nothing: {part.errors[0]}")
            log.info("source %s: %d documents, %d unchanged, %d rejected, %d outside the data interval",
                     source.name, len(part.documents), len(part.skipped), len(part.rejections), part.out_of_window)
            if part.deferred:
                log.warning("source %s: %d files were being written (modified less than PIPELINE_FILE_SETTLE_S=%gs "
                            "ago, or changed while read), e.g. %s; the next run reads them", source.name,
                            len(part.deferred), opts.settle_s, part.deferred[0])
            result.extend(part)
    finally:
        if fetcher is not None:
            fetcher.close()
    return result


# the public interface of this module
__all__ = ["BadInput", "SourceFailed", "IngestResult", "InputRecord", "Known", "Options", "content_hash", "decode", "ingest_feed",
           "ingest_folder", "ingest_sources", "ingest_urls", "parse_date", "parse_html", "parse_jsonl_record",
           "parse_txt", "read_file"]
