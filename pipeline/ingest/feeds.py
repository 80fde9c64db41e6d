"""RSS/Atom feeds and URL lists: entries, their dates, and the articles they link to."""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from pathlib import Path

from pipeline.models import RawDocument, Rejection
from pipeline.sources import Source
from pipeline.ingest.records import BadInput, IngestResult, InputRecord, Options, input_hash
from pipeline.ingest.decoding import decode
from pipeline.ingest.formats import finish_document, html_to_text, read_record, parse_html, parse_txt, site_name
from pipeline.ingest.folders import stream_hash

log = logging.getLogger(__name__)


def _entry_time(entry) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


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
    finish_document(raw, record, opts, result)


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
                                                   f"{opts.max_bytes:,}-byte limit", stream_hash(path), source.name))
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
            read_record(content, uri, lambda content=content, uri=uri, title=title, published=published: RawDocument(
                source_uri=uri, text=_nonempty(html_to_text(content)), source_name=source.name, title=title,
                published=published, url=link or None, fetched_at=datetime.now(timezone.utc)),
                opts, source.name, result)
        elif link and source.fetch_articles and fetcher is not None:
            _fetch_article(link, fetcher, source.name, opts, result, title, published)
        elif entry.get("summary"):
            summary = entry["summary"]
            read_record(summary, uri, lambda summary=summary, uri=uri, title=title, published=published: RawDocument(
                source_uri=uri, text=_nonempty(html_to_text(summary)), source_name=source.name, title=title,
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
