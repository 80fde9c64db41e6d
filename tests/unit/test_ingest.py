"""Ingest: every input becomes a document or a rejection with a reason a person understands."""
from __future__ import annotations

import os
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline import ingest as ing
from pipeline.sources import Source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BAD = FIXTURES / "bad_inputs"
LIMIT = 20_000  # tests/fixtures/bad_inputs/oversized.txt is above it, every other file below


def _name(uri: str) -> str:
    return uri.rsplit("/", 1)[-1].replace("%20", " ")


@pytest.fixture(scope="module")
def corpus() -> ing.IngestResult:
    return ing.ingest_folder(BAD, opts=ing.Options(max_bytes=LIMIT))


def reasons(result: ing.IngestResult) -> dict[str, str]:
    return {_name(r.source_uri): r.reason for r in result.rejections}


# ---- the bad-input corpus ------------------------------------------------------------------------

def test_every_file_of_the_corpus_is_a_document_or_a_rejection(corpus):
    files = {p.name for p in BAD.iterdir() if p.is_file()}
    seen = {_name(d.source_uri).split("#")[0] for d in corpus.documents}
    seen |= {_name(r.source_uri).split("#")[0] for r in corpus.rejections}
    assert seen == files
    assert len(corpus.inputs) == len(corpus.documents)


@pytest.mark.parametrize("name, words", [
    ("empty.txt", "file is empty"),
    ("blank-lines.txt", "file is empty"),
    ("binary.txt", "looks binary (a PNG image)"),
    ("random-bytes.txt", "looks binary"),
    ("oversized.txt", "above the 20,000-byte limit (PIPELINE_MAX_DOCUMENT_BYTES)"),
    ("bad-date.txt", "malformed date header"),
    ("articles.jsonl#L3", "not valid JSON"),
    ("articles.jsonl#L6", "not an object"),
    ("articles.jsonl#L7", "no 'text'"),
    ("truncated.json", "not valid JSON"),
    ("no-body.html", "no article body"),
    ("german-article.txt", "does not look like English"),
    ("escape-attempt.json", "outside the source folder"),
    ("notes.docx", "unsupported file type .docx"),
])
def test_rejection_reasons_are_readable(corpus, name, words):
    assert words in reasons(corpus)[name]


def test_rejections_carry_a_content_hash_when_the_bytes_were_read(corpus):
    by_name = {_name(r.source_uri): r for r in corpus.rejections}
    assert by_name["binary.txt"].content_hash == ing.input_hash((BAD / "binary.txt").read_bytes())
    assert by_name["oversized.txt"].content_hash  # hashed while streaming, never loaded whole
    assert all(r.source_name == "local" for r in corpus.rejections)


def test_good_jsonl_lines_around_a_truncated_one_are_ingested(corpus):
    lines = sorted(_name(d.source_uri) for d in corpus.documents if "articles.jsonl" in d.source_uri)
    assert lines == ["articles.jsonl#L1", "articles.jsonl#L2", "articles.jsonl#L5"]


def test_windows_1252_and_latin_1_text_is_decoded_not_rejected(corpus):
    docs = {_name(d.source_uri): d for d in corpus.documents}
    assert "\u20ac2 billion" in docs["windows-1252.txt"].text
    assert "\u201cWe want a fair deal,\u201d" in docs["windows-1252.txt"].text
    assert "S\u00e3o Paulo" in docs["latin-1.txt"].text
    assert docs["latin-1.txt"].published == date(2025, 6, 2)


def test_duplicate_under_another_name_is_read_twice_with_the_same_text(corpus):
    docs = {_name(d.source_uri): d for d in corpus.documents}
    assert docs["good-article.txt"].text == docs["copy of good-article.txt"].text
    assert docs["good-article.txt"].source_uri != docs["copy of good-article.txt"].source_uri


def test_news_please_json_and_html_keep_title_date_and_url(corpus):
    docs = {_name(d.source_uri): d for d in corpus.documents}
    np = docs["news-please.json"]
    assert (np.title, np.published, np.url) == ("Switzerland faces 39% US tariff", date(2025, 7, 31),
                                                "https://news.example/swiss-tariff")
    html = docs["eu-japan.html"]
    assert html.title == "EU and Japan sign trade agreement"
    assert html.published == date(2025, 3, 4)
    assert html.text.startswith("The European Union and Japan signed")
    assert "Most read" not in html.text and "Copyright" not in html.text
    site = {_name(i.source_uri): i.site_name for i in corpus.inputs}
    assert site["eu-japan.html"] == "Example Times"


def test_local_source_uris_end_in_the_file_name(corpus):
    # the eval scorer basenames documents.source_uri to match file names
    for doc in corpus.documents:
        if "#" not in doc.source_uri:
            assert doc.source_uri.startswith("file://")
            assert (BAD / _name(doc.source_uri)).is_file()


# ---- parsing pieces ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("2025-08-07", date(2025, 8, 7)),
    ("2025-08-07T10:00:00Z", date(2025, 8, 7)),
    ("2025-07-31 08:30:00", date(2025, 7, 31)),
    ("Thu, 07 Aug 2025 10:00:00 GMT", date(2025, 8, 7)),
    ("7 August 2025", date(2025, 8, 7)),
    ("Aug 7, 2025", date(2025, 8, 7)),
])
def test_parse_date_formats(value, expected):
    assert ing.parse_date(value) == expected


@pytest.mark.parametrize("value", ["2025-02-30", "07/08/2025", "yesterday", "2025-13-01"])
def test_parse_date_refuses_invalid_or_ambiguous(value):
    with pytest.raises(ing.BadInput, match="YYYY-MM-DD"):
        ing.parse_date(value)


def test_a_first_line_starting_with_date_but_no_digits_is_text():
    doc = ing.parse_txt("Date palms grow well in the Gulf\n\nExporters said.", "file:///x.txt")
    assert doc.published is None
    assert doc.text.startswith("Date palms")


def test_date_header_with_colon():
    assert ing.parse_txt("Date: 2025-01-02\nText here.", "file:///x.txt").published == date(2025, 1, 2)


def test_english_ratio_separates_english_from_other_languages():
    english = (BAD / "good-article.txt").read_text()
    german = (BAD / "german-article.txt").read_text()
    assert ing.english_ratio(english)[0] > 0.2
    assert ing.english_ratio(german)[0] < 0.1
    short = "Zölle steigen."  # too short to judge: not rejected
    assert ing.check_language(short, ing.Options()) == "en"
    assert ing.check_language(german, ing.Options(min_english_ratio=0)) == "en"  # the check can be switched off


def test_english_eval_and_seed_documents_pass_the_language_check():
    root = FIXTURES.parent.parent
    paths = list((root / "seeds").glob("*.txt")) + list((root.parent / "shared" / "eval" / "dev" / "docs").glob("*.txt"))
    assert paths
    for path in paths:
        ing.check_language(path.read_text(encoding="utf-8", errors="replace"), ing.Options())


# ---- folders: paths, hidden files, the data interval and unchanged inputs -------------------------

def test_symlink_out_of_the_folder_is_refused(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("The secret is a trade agreement between two countries signed on Monday in Geneva.")
    (folder / "link.txt").symlink_to(secret)
    (folder / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    result = ing.ingest_folder(folder)
    assert result.documents == []
    found = {_name(r.source_uri): r.reason for r in result.rejections}
    assert "outside the source folder" in found["link.txt"]
    assert "outside the source folder" in found["dangling.txt"] or "broken link" in found["dangling.txt"]


def test_hidden_files_and_folders_are_not_inputs(tmp_path):
    shutil.copy(BAD / "good-article.txt", tmp_path / "a.txt")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main")
    result = ing.ingest_folder(tmp_path)
    assert [_name(d.source_uri) for d in result.documents] == ["a.txt"]
    assert result.rejections == []


def test_data_interval_takes_only_files_modified_inside_it(tmp_path):
    start = datetime(2025, 3, 1, 10, tzinfo=timezone.utc)
    for name, offset in [("before.txt", -1), ("inside.txt", 0.5), ("after.txt", 2)]:
        path = tmp_path / name
        path.write_text(f"date 2025-03-01\n\nArticle {name}: Canada and Mexico met in Ottawa to discuss steel tariffs.")
        when = (start + timedelta(hours=offset)).timestamp()
        os.utime(path, (when, when))
    opts = ing.Options(since=start, until=start + timedelta(hours=1))
    result = ing.ingest_folder(tmp_path, opts=opts)
    assert [_name(d.source_uri) for d in result.documents] == ["inside.txt"]
    assert result.out_of_window == 2
    # a source can opt out of the window
    everything = ing.ingest_folder(tmp_path, source=Source("all", "folder", folder=tmp_path, use_interval=False),
                                   opts=opts)
    assert len(everything.documents) == 3


def test_unchanged_inputs_are_skipped_and_changed_ones_read(tmp_path):
    shutil.copy(BAD / "good-article.txt", tmp_path / "a.txt")
    shutil.copy(BAD / "articles.jsonl", tmp_path / "b.jsonl")
    first = ing.ingest_folder(tmp_path)
    known = ing.Known(inputs=frozenset((i.source_uri, i.content_hash) for i in first.inputs))
    again = ing.ingest_folder(tmp_path, opts=ing.Options(known=known))
    assert again.documents == []
    assert len(again.skipped) == len(first.inputs) == 4
    # bad lines are re-checked every run (their rejections are recorded once in the warehouse)
    assert len(again.rejections) == len(first.rejections) == 3
    (tmp_path / "a.txt").write_text((BAD / "good-article.txt").read_text() + "\nA late correction was added.\n")
    changed = ing.ingest_folder(tmp_path, opts=ing.Options(known=known))
    assert [_name(d.source_uri) for d in changed.documents] == ["a.txt"]


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ing.ingest_folder(tmp_path / "nope")


def test_a_broken_source_does_not_stop_the_others(tmp_path):
    shutil.copy(BAD / "good-article.txt", tmp_path / "a.txt")
    sources = [Source("gone", "folder", folder=tmp_path / "gone"), Source("ok", "folder", folder=tmp_path)]
    result = ing.ingest_sources(sources, ing.Options())
    assert [d.source_name for d in result.documents] == ["ok"]
    assert len(result.rejections) == 1
    assert "source 'gone' could not be read" in result.rejections[0].reason
