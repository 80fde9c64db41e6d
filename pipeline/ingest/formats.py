"""One article per input format: ``.txt`` with a date header, JSON records, HTML pages."""
from __future__ import annotations

import email.utils
import json
import re
from datetime import date, datetime

from pipeline.models import RawDocument, Rejection
from pipeline.ingest.records import BadInput, IngestResult, InputRecord, Options, input_hash
from pipeline.ingest.decoding import WORD, check_language

_DATE_HEADER = re.compile(r"^date(?:[ \t]*:[ \t]*|[ \t]+)(\S.*?)\s*$", re.IGNORECASE)
MIN_HTML_WORDS = 20  # fewer words after boilerplate removal means the page has no article body
_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%Y/%m/%d")


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


def record_date(value: object) -> date | None:
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
        published=record_date(published),
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
    if len(WORD.findall(text)) < MIN_HTML_WORDS:
        raise BadInput(f"page has no article body: only {len(WORD.findall(text))} words of text remain after "
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


_BLOCK_END = re.compile(r"(?i)</(?:p|div|h[1-6]|li|blockquote|section|article)\s*>|<br\s*/?>")


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment from a feed (already sanitised by feedparser), one paragraph per block."""
    if "<" not in fragment:
        return fragment
    import lxml.html

    try:
        return lxml.html.fromstring(f"<div>{_BLOCK_END.sub(chr(10) * 2, fragment)}</div>").text_content()
    except Exception:  # lxml rejects some broken markup; the tags' text is still the text
        return re.sub(r"<[^>]+>", " ", fragment)


def finish_document(raw: RawDocument, record: InputRecord, opts: Options, result: IngestResult) -> None:
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


def read_record(raw_text: str, uri: str, parse, opts: Options, source_name: str, result: IngestResult) -> None:
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
    finish_document(raw, record, opts, result)
