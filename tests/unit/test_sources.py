"""The sources file: parsing, validation, and how CLI and DAG settings pick it."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import sources as src
from pipeline.settings import PROJECT_ROOT, Settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(text)
    return path


def test_all_three_kinds_with_relative_paths(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "urls.txt").write_text("# reading list\nhttps://a.example/1\n\nhttps://a.example/2\n")
    path = write(tmp_path, """
sources:
  - name: local-articles
    folder: articles
    recursive: false
  - name: wire
    feed: feeds/wire.xml
  - name: remote-feed
    feed: https://news.example/rss.xml
    fetch_articles: false
  - name: reading-list
    urls: [https://a.example/1, https://a.example/3]
    urls_file: urls.txt
  - name: switched-off
    folder: elsewhere
    enabled: false
""")
    loaded = src.load_sources(path)
    by_name = {s.name: s for s in loaded.sources}
    assert list(by_name) == ["local-articles", "wire", "remote-feed", "reading-list"]  # disabled is dropped
    assert by_name["local-articles"].folder == (tmp_path / "articles").resolve()
    assert by_name["local-articles"].recursive is False
    assert by_name["wire"].feed == str((tmp_path / "feeds" / "wire.xml").resolve())
    assert not by_name["wire"].feed_is_url
    assert by_name["remote-feed"].feed_is_url and by_name["remote-feed"].fetch_articles is False
    assert by_name["reading-list"].urls == ("https://a.example/1", "https://a.example/3", "https://a.example/2")


@pytest.mark.parametrize("text, message", [
    ("sources: nope", "a 'sources:' list"),
    ("sources:\n  - folder: x", "'name' must be"),
    ("sources:\n  - name: 'a b'\n    folder: x", "'name' must be"),
    ("sources:\n  - name: a\n    folder: x\n  - name: a\n    folder: y", "used twice"),
    ("sources:\n  - name: a", "exactly one of"),
    ("sources:\n  - name: a\n    folder: x\n    feed: y", "exactly one of"),
    ("sources:\n  - name: a\n    folder: x\n    colour: red", "unknown keys ['colour']"),
    ("sources:\n  - name: a\n    feed: ftp://x/feed", "must be http(s)"),
    ("sources:\n  - name: a\n    folder: x\n    enabled: maybe", "true or false"),
    ("sources:\n  - name: a\n    urls_file: missing.txt", "does not exist"),
    ("sources: [unclosed", "not valid YAML"),
])
def test_mistakes_are_explained(tmp_path, text, message):
    with pytest.raises(src.SourcesError) as info:
        src.load_sources(write(tmp_path, text))
    assert message in str(info.value)


def test_missing_sources_file(tmp_path):
    with pytest.raises(src.SourcesError, match="does not exist; set PIPELINE_SOURCES"):
        src.load_sources(tmp_path / "nope.yml")


def test_resolve_accepts_a_folder_a_file_or_sources(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    assert src.resolve(folder) == [src.Source.local_folder(folder)]
    assert src.resolve(folder)[0].name == "local"  # the CLI's --source DIR keeps the old source name
    path = write(tmp_path, "sources:\n  - name: docs\n    folder: docs\n")
    assert [s.name for s in src.resolve(path)] == ["docs"]
    assert src.resolve(src.load_sources(path)) == src.resolve(path)
    with pytest.raises(FileNotFoundError, match="--source DIR"):
        src.resolve(tmp_path / "missing")


def test_the_project_sources_file_is_valid():
    loaded = src.load_sources(PROJECT_ROOT / "sources.yml")
    assert loaded.sources, "sources.yml should enable at least one source"
    for source in loaded.sources:
        if source.kind == "folder":
            assert source.folder.is_dir(), source


def test_settings_pick_the_sources_file(monkeypatch, tmp_path):
    monkeypatch.delenv("PIPELINE_SOURCES", raising=False)
    monkeypatch.delenv("PIPELINE_SOURCE", raising=False)
    assert Settings.from_env().source_spec() == PROJECT_ROOT / "sources.yml"
    monkeypatch.setenv("PIPELINE_SOURCE", str(tmp_path))  # an explicit folder still works as before
    assert Settings.from_env().source_spec() == tmp_path
    monkeypatch.setenv("PIPELINE_SOURCES", str(tmp_path / "mine.yml"))  # and a sources file wins
    assert Settings.from_env().source_spec() == tmp_path / "mine.yml"


def test_fetch_settings_from_env(monkeypatch):
    monkeypatch.setenv("PIPELINE_USER_AGENT", "my-bot/2.0 (+mailto:ops@example.org)")
    monkeypatch.setenv("PIPELINE_FETCH_TIMEOUT_S", "3.5")
    monkeypatch.setenv("PIPELINE_FETCH_RETRIES", "4")
    monkeypatch.setenv("PIPELINE_RESPECT_ROBOTS", "false")
    monkeypatch.setenv("PIPELINE_MIN_ENGLISH_RATIO", "0")
    settings = Settings.from_env()
    assert (settings.user_agent, settings.fetch_timeout_s, settings.fetch_retries) == \
        ("my-bot/2.0 (+mailto:ops@example.org)", 3.5, 4)
    assert settings.respect_robots is False and settings.min_english_ratio == 0
    monkeypatch.delenv("PIPELINE_USER_AGENT")
    assert Settings.from_env().user_agent.startswith("news-event-pipeline/")  # a clear default agent
