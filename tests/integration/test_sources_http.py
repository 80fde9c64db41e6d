"""Feeds and article pages over HTTP, served from tests/fixtures/web on 127.0.0.1 only."""
from __future__ import annotations

import logging
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from pipeline import ingest as ing
from pipeline import stages
from pipeline.fetch import Fetcher, FetchError
from pipeline.settings import Settings
from pipeline.sources import Source
from tests.conftest import query
from tests.fixtures.webserver import FixtureServer

AGENT = "news-event-pipeline-test/1.0 (+https://example.invalid/bot)"


@pytest.fixture(autouse=True)
def allow_loopback(monkeypatch):
    # The fixture server is on 127.0.0.1, which fetching refuses unless it is listed.
    monkeypatch.setenv("PIPELINE_FETCH_ALLOW_ADDRESSES", "127.0.0.1")


@pytest.fixture
def server():
    with FixtureServer() as srv:
        yield srv


def fetcher(**kw) -> Fetcher:
    args = dict(user_agent=AGENT, timeout_s=2.0, retries=2, max_bytes=200_000, backoff_s=0.05,
                allow_addresses="127.0.0.1")
    args.update(kw)
    return Fetcher(**args)


def rejected(result: ing.IngestResult, server: FixtureServer) -> dict[str, str]:
    return {r.source_uri.replace(server.base, ""): r.reason for r in result.rejections}


# ---- the fetcher ---------------------------------------------------------------------------------

def test_fetch_sends_a_clear_user_agent_and_reads_robots_once(server):
    with fetcher() as f:
        page = f.fetch(server.base + "/articles/eu-japan.html")
        f.fetch(server.base + "/articles/canada-mexico.html")
    assert b"EU and Japan" in page.content and page.content_type == "text/html"
    assert {agent for _, agent in server.requests} == {AGENT}
    assert server.hits["/robots.txt"] == 1


def test_robots_txt_is_respected(server):
    with fetcher() as f, pytest.raises(FetchError, match="robots.txt .* disallows fetching /private/secret.html"):
        f.fetch(server.base + "/private/secret.html")
    assert server.hits["/private/secret.html"] == 0


def test_unreadable_robots_txt_means_no_fetching(server):
    server.robots_status = 503
    with fetcher(retries=0) as f, pytest.raises(FetchError, match="robots.txt .* HTTP 503"):
        f.fetch(server.base + "/articles/eu-japan.html")
    assert server.hits["/articles/eu-japan.html"] == 0


def test_missing_robots_txt_allows_fetching(server, tmp_path):
    server.root = Path(__file__).resolve().parent.parent / "fixtures" / "web" / "articles"  # has no robots.txt
    with fetcher() as f:
        assert b"EU and Japan" in f.fetch(server.base + "/eu-japan.html").content


def test_a_redirect_to_a_path_the_targets_robots_txt_disallows_is_not_followed(server):
    with FixtureServer() as other:  # another origin, with its own robots.txt
        target = other.base + "/private/secret.html"
        with fetcher() as f, pytest.raises(FetchError, match="robots.txt .* disallows fetching /private/secret.html"
                                                             ".*redirected from"):
            f.fetch(server.base + "/redirect?to=" + target)
        assert other.hits["/robots.txt"] == 1 and other.hits["/private/secret.html"] == 0
        with fetcher() as f:  # an allowed path on the other origin is followed
            page = f.fetch(server.base + "/redirect?to=" + other.base + "/articles/eu-japan.html")
        assert b"EU and Japan" in page.content and page.final_url.startswith(other.base)


def test_non_public_addresses_are_refused_unless_listed(server):
    with fetcher(allow_addresses="") as f, pytest.raises(FetchError, match="non-public address 127.0.0.1"):
        f.fetch(server.base + "/articles/eu-japan.html")
    assert server.hits["/articles/eu-japan.html"] == 0
    with fetcher() as f, pytest.raises(FetchError, match="non-public address 10.1.2.3"):
        f.fetch(server.base + "/redirect?to=http://10.1.2.3/latest/meta-data/")
    with fetcher() as f, pytest.raises(FetchError, match="non-public address 169.254.169.254"):
        f.fetch("http://169.254.169.254/latest/meta-data/")


def test_redirect_loops_end_at_the_limit(server):
    with fetcher(max_redirects=3) as f, pytest.raises(FetchError, match="redirected more than 3 times"):
        f.fetch(server.base + "/loop")
    assert server.hits["/loop"] == 4


def test_transient_errors_are_retried_a_bounded_number_of_times(server, caplog):
    with caplog.at_level(logging.WARNING, "pipeline.fetch"), fetcher(retries=2) as f:
        page = f.fetch(server.base + "/flaky/eu-japan.html")
    assert b"EU and Japan" in page.content
    assert server.hits["/flaky/eu-japan.html"] == 3  # 503, 503, 200
    assert sum("retry" in r.message for r in caplog.records) == 2
    server.flaky_failures = 10
    with fetcher(retries=1) as f, pytest.raises(FetchError, match="HTTP 503"):
        f.fetch(server.base + "/flaky/canada-mexico.html")
    assert server.hits["/flaky/canada-mexico.html"] == 2


def test_timeouts_are_bounded(server):
    server.slow_s = 2.0
    started = time.monotonic()
    with fetcher(timeout_s=0.3, retries=1) as f, pytest.raises(FetchError, match="timed out .*after 2 attempts"):
        f.fetch(server.base + "/slow/eu-japan.html")
    assert time.monotonic() - started < 2.0


def test_downloads_stop_at_the_size_limit(server):
    with fetcher(max_bytes=100_000) as f, pytest.raises(FetchError, match="more than the 100,000-byte limit"):
        f.fetch(server.base + "/huge")
    with fetcher(max_bytes=500) as f, pytest.raises(FetchError, match="above the 500-byte limit"):
        f.fetch(server.base + "/articles/eu-japan.html")  # refused on its Content-Length alone


@pytest.mark.parametrize("url, message", [
    ("file:///etc/passwd", "not an absolute http"),
    ("../../etc/passwd", "not an absolute http"),
    ("ftp://127.0.0.1/x", "not an absolute http"),
])
def test_only_http_urls_are_fetched(url, message):
    with fetcher() as f, pytest.raises(FetchError, match=message):
        f.fetch(url)


def test_http_errors_and_non_text_answers_are_reasons(server):
    with fetcher() as f:
        with pytest.raises(FetchError, match="HTTP 404"):
            f.fetch(server.base + "/articles/missing.html")
        with pytest.raises(FetchError, match="application/pdf, not a web page"):
            f.fetch(server.base + "/pdf")
    assert server.hits["/articles/missing.html"] == 1  # a 404 is not retried


# ---- feeds and URL lists -------------------------------------------------------------------------

def test_feed_over_http(server):
    source = Source("times", "feed", feed=server.base + "/feed.xml")
    with fetcher() as f:
        result = ing.ingest_feed(source, ing.Options(max_bytes=200_000), f)
    docs = {d.source_uri.replace(server.base, ""): d for d in result.documents}
    assert set(docs) == {"/articles/korea-deal.html", "/articles/eu-japan.html", "/flaky/canada-mexico.html",
                         "/articles/old.html", "/feed.xml#8"}
    # full content in the feed: not fetched; summary only: the article page is fetched and extracted
    assert server.hits["/articles/korea-deal.html"] == 0
    assert docs["/articles/korea-deal.html"].text.startswith("South Korea and the United States")
    assert "\n\n" in docs["/articles/korea-deal.html"].text  # paragraphs kept
    eu = docs["/articles/eu-japan.html"]
    assert eu.title == "EU and Japan sign trade agreement" and eu.published == date(2025, 3, 4)
    assert "Most read" not in eu.text
    assert {d.source_name for d in result.documents} == {"times"}
    reasons = rejected(result, server)
    assert "disallows" in reasons["/private/secret.html"]
    assert "HTTP 404" in reasons["/articles/missing.html"]
    assert "no article body" in reasons["/articles/gallery.html"]
    assert "byte limit" in reasons["/huge"]
    # a link that is not http(s) is never followed; the entry's summary is still read as its text
    assert not any(u.startswith("file:") for u in reasons)
    local = docs["/feed.xml#8"]
    assert local.text == "A link that must never be followed." and local.url is None
    assert server.hits["/private/secret.html"] == 0
    assert not any(path.startswith("/etc") for path, _ in server.requests)


def test_a_feed_entry_whose_guid_is_not_a_url_keeps_its_summary(server):
    source = Source("wire", "feed", feed=server.base + "/guid-feed.xml")
    with fetcher() as f:
        result = ing.ingest_feed(source, ing.Options(max_bytes=200_000), f)
    (doc,) = result.documents
    assert doc.text.startswith("Trade ministers of Canada and Mexico met in Ottawa")
    assert doc.title == "Ministers meet on grain" and doc.url is None
    assert doc.source_uri == server.base + "/guid-feed.xml#wire-brief-20250305-0042"
    assert [r.reason for r in result.rejections] == ["feed entry has no content, no summary and no link"]


def test_feed_entries_outside_the_data_interval_are_left_for_their_own_run(server):
    source = Source("times", "feed", feed=server.base + "/feed.xml")
    opts = ing.Options(since=datetime(2025, 7, 30, tzinfo=timezone.utc), until=datetime(2025, 7, 31, tzinfo=timezone.utc))
    with fetcher() as f:
        result = ing.ingest_feed(source, opts, f)
    assert [d.source_uri.replace(server.base, "") for d in result.documents] == ["/articles/korea-deal.html"]
    assert result.rejections == []
    assert result.out_of_window == 8
    assert server.hits["/articles/eu-japan.html"] == 0  # nothing outside the window is fetched


def test_unreachable_feed_is_one_rejection(server):
    source = Source("gone", "feed", feed=server.base + "/nope.xml")
    with fetcher() as f:
        result = ing.ingest_feed(source, ing.Options(), f)
    assert result.documents == []
    assert [r.reason for r in result.rejections] == [f"feed could not be fetched: {server.base}/nope.xml answered "
                                                     "HTTP 404 Not Found"]


def test_url_list_and_skipping_urls_already_loaded(server):
    urls = (server.base + "/articles/eu-japan.html", server.base + "/articles/canada-mexico.html",
            server.base + "/articles/gallery.html", "file:///etc/passwd")
    source = Source("reading-list", "urls", urls=urls)
    with fetcher() as f:
        first = ing.ingest_urls(source, ing.Options(), f)
    assert len(first.documents) == 2 and len(first.rejections) == 2
    known = ing.Known(uris=frozenset(d.source_uri for d in first.documents))
    before = sum(server.hits.values())
    with fetcher() as f:
        again = ing.ingest_urls(source, ing.Options(known=known), f)
    assert again.documents == [] and len(again.skipped) == 2
    assert sum(server.hits.values()) - before == 2  # only robots.txt and the page that had no body


# ---- through the stages into the warehouse --------------------------------------------------------

def run_stages(source, warehouse: Path, staging: Path, settings: Settings, **kw) -> dict[str, int]:
    from pipeline.extract import EXTRACTOR_VERSION

    stages.ingest(source, staging, 200_000, warehouse=warehouse, settings=settings, **kw)
    batches = stages.normalise(staging, warehouse, EXTRACTOR_VERSION, 50, 5)
    mention_paths = []
    for batch in batches:  # no NLP here: record each batch as extracted with no mentions
        out = Path(batch).with_name(Path(batch).stem + ".mentions.parquet")
        stages.write_mentions(out, [])
        mention_paths.append(str(out))
    return stages.load(staging, warehouse, mention_paths, f"test-{staging.name}", lock_timeout_s=5)


def test_feed_and_urls_land_with_provenance_and_are_not_fetched_again(server, tmp_path, monkeypatch):
    config = tmp_path / "sources.yml"
    config.write_text(f"""
sources:
  - name: times
    feed: {server.base}/feed.xml
  - name: reading-list
    urls: [{server.base}/articles/eu-japan.html, {server.base}/articles/canada-mexico.html]
""")
    monkeypatch.setenv("PIPELINE_USER_AGENT", AGENT)
    monkeypatch.setenv("PIPELINE_FETCH_RETRIES", "2")
    settings = Settings.from_env()
    warehouse = tmp_path / "events.duckdb"
    first = run_stages(config, warehouse, tmp_path / "run1", settings)
    # canada-mexico at two URLs (/flaky/ in the feed, /articles/ in the list) is one document
    # plus the entry whose file: link is never followed, read from its summary
    assert first["ingested"] == 5
    assert first["rejected"] == 4
    rows = query(warehouse, """
        select p.source_uri, p.source_name, p.content_hash, p.fetched_at, p.site_name, d.title
        from document_provenance p join documents d using (doc_id) order by 1, 2""")
    by_uri = {}
    for uri, name, digest, fetched_at, site, title in rows:
        by_uri.setdefault(uri.replace(server.base, ""), []).append((name, digest, site, title))
        assert digest and fetched_at is not None
    assert len(by_uri["/articles/eu-japan.html"]) == 1  # the same URL in two sources is one source row
    assert by_uri["/articles/eu-japan.html"][0][2] == "Example Times"
    assert by_uri["/articles/canada-mexico.html"][0][0] == "reading-list"
    assert by_uri["/flaky/canada-mexico.html"][0][0] == "times"
    assert query(warehouse, "select num_sources from documents where title like 'Canada and Mexico%'") == [(2,)]
    assert query(warehouse, "select count(*) from rejected_documents where source_uri like 'file:%'") == [(0,)]
    assert query(warehouse, "select count(*) from document_provenance where source_uri like '%/feed.xml#8'") == [(1,)]

    before = dict(server.hits)
    second = run_stages(config, warehouse, tmp_path / "run2", settings)
    assert second["ingested"] == 0
    assert second["skipped"] >= 5
    fetched_again = {p for p, n in server.hits.items() if n > before.get(p, 0)}
    # the feed itself is re-read; loaded articles are not fetched again; rejected ones are retried
    assert "/articles/eu-japan.html" not in fetched_again and "/flaky/canada-mexico.html" not in fetched_again
    assert "/feed.xml" in fetched_again
    assert query(warehouse, "select count(*) from rejected_documents") == [(4,)]  # recorded once
