"""Read articles from the configured sources: folders, RSS/Atom feeds and URL lists.

Every input ends up as a ``RawDocument``, a ``Rejection`` with a reason a
person understands, or (when it was already loaded unchanged) a skipped
``InputRecord``; one bad input never stops the others.

Folders hold ``.txt`` (optional first line ``date YYYY-MM-DD``), ``.jsonl``
(one article per line), ``.json`` (news-please style: ``title``, ``maintext``,
``date_publish``, ``url``, ...) and ``.html`` (main text through trafilatura).

The package splits that work by what each part owns, with its own per-item failures:
``records`` (results and options), ``decoding`` (bytes to text, the language check),
``formats`` (one article per format), ``folders`` (the walk and one file) and ``feeds``
(feeds and URL lists). This module runs the configured sources.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

from pipeline.ingest.decoding import check_language, decode, decode_with_encoding, english_ratio
from pipeline.ingest.feeds import ingest_feed, ingest_urls
from pipeline.ingest.folders import SUPPORTED_SUFFIXES, VANISHED, ingest_folder, read_file
from pipeline.ingest.formats import parse_date, parse_html, parse_jsonl_record, parse_record, parse_txt, site_name
from pipeline.ingest.records import BadInput, IngestResult, InputRecord, Known, Options, SourceFailed, input_hash
from pipeline.models import Rejection, content_hash
from pipeline.sources import Source

log = logging.getLogger(__name__)



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


__all__ = ["BadInput", "IngestResult", "InputRecord", "Known", "Options", "SUPPORTED_SUFFIXES", "SourceFailed",
           "VANISHED", "check_language", "content_hash", "decode", "decode_with_encoding", "english_ratio",
           "ingest_feed", "ingest_folder", "ingest_sources", "ingest_urls", "input_hash", "parse_date", "parse_html",
           "parse_jsonl_record", "parse_record", "parse_txt", "read_file", "site_name"]
