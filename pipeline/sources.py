"""Where articles come from: the sources file read by both the CLI and the DAG.

A sources file is YAML::

    sources:
      - name: seeds              # a local folder of .txt, .jsonl, .json and .html files
        folder: seeds            # relative paths are relative to this file
      - name: example-feed       # an RSS or Atom feed, by URL or file
        feed: https://example.org/rss.xml
      - name: reading-list       # a list of article URLs, inline or in a file (one per line)
        urls: [https://example.org/a.html]
        urls_file: urls.txt
        enabled: false           # kept in the file, not read

Configuration is trusted (an operator writes it); everything read *through*
it (files, feeds, pages) is not.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

KINDS = ("folder", "feed", "urls")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KEYS = {"name", "folder", "feed", "urls", "urls_file", "enabled", "recursive", "use_interval", "fetch_articles"}


class SourcesError(ValueError):
    """The sources file is wrong; the message says where and how to fix it."""


@dataclass(frozen=True)
class Source:
    name: str
    kind: str  # one of KINDS
    folder: Path | None = None  # kind folder
    feed: str | None = None  # kind feed: an http(s) URL or a file path
    urls: tuple[str, ...] = ()  # kind urls
    recursive: bool = True
    use_interval: bool = True  # a scheduled run only takes inputs dated inside its data interval
    fetch_articles: bool = True  # feed entries with only a summary have their article fetched
    enabled: bool = True

    @property
    def feed_is_url(self) -> bool:
        return bool(self.feed) and self.feed.lower().startswith(("http://", "https://"))

    @classmethod
    def local_folder(cls, folder: Path, name: str = "local") -> "Source":
        return cls(name=name, kind="folder", folder=Path(folder))


@dataclass
class SourcesFile:
    path: Path | None
    sources: list[Source] = field(default_factory=list)


def _flag(entry: dict, key: str, default: bool, where: str) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise SourcesError(f"{where}: '{key}' must be true or false, not {value!r}")
    return value


def parse_sources(data: object, base_dir: Path, origin: str = "sources") -> list[Source]:
    """Validate a parsed sources document; relative paths are resolved against ``base_dir``."""
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise SourcesError(f"{origin}: expected a mapping with a 'sources:' list")
    sources: list[Source] = []
    names: set[str] = set()
    for number, entry in enumerate(data["sources"], start=1):
        where = f"{origin}: source #{number}"
        if not isinstance(entry, dict):
            raise SourcesError(f"{where} must be a mapping with 'name' and one of {', '.join(KINDS)}")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise SourcesError(f"{where} has unknown keys {unknown}; allowed: {sorted(_KEYS)}")
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise SourcesError(f"{where}: 'name' must be 1-64 letters, digits, '.', '_' or '-', not {name!r}")
        if name in names:
            raise SourcesError(f"{where}: name {name!r} is used twice")
        names.add(name)
        where = f"{origin}: source {name!r}"
        kinds = [k for k in KINDS if k in entry or (k == "urls" and "urls_file" in entry)]
        if len(kinds) != 1:
            raise SourcesError(f"{where} must have exactly one of 'folder', 'feed' or 'urls'/'urls_file'")
        kind = kinds[0]
        common = dict(name=name, kind=kind, enabled=_flag(entry, "enabled", True, where),
                      recursive=_flag(entry, "recursive", True, where),
                      use_interval=_flag(entry, "use_interval", True, where),
                      fetch_articles=_flag(entry, "fetch_articles", True, where))
        if kind == "folder":
            if not isinstance(entry["folder"], str) or not entry["folder"].strip():
                raise SourcesError(f"{where}: 'folder' must be a path")
            sources.append(Source(folder=(base_dir / entry["folder"]).resolve(), **common))
        elif kind == "feed":
            feed = entry["feed"]
            if not isinstance(feed, str) or not feed.strip():
                raise SourcesError(f"{where}: 'feed' must be a URL or a file path")
            feed = feed.strip()
            if "://" in feed and not feed.lower().startswith(("http://", "https://")):
                raise SourcesError(f"{where}: feed URL {feed!r} must be http(s); give local feeds as a path")
            if "://" not in feed:
                feed = str((base_dir / feed).resolve())
            sources.append(Source(feed=feed, **common))
        else:
            urls = entry.get("urls", [])
            if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                raise SourcesError(f"{where}: 'urls' must be a list of URLs")
            urls = [u.strip() for u in urls if u.strip()]
            if "urls_file" in entry:
                urls_file = base_dir / str(entry["urls_file"])
                if not urls_file.is_file():
                    raise SourcesError(f"{where}: urls_file {urls_file} does not exist")
                for line in urls_file.read_text(encoding="utf-8").splitlines():
                    line = line.strip()
                    if line and not line.startswith("#"):
                        urls.append(line)
            sources.append(Source(urls=tuple(dict.fromkeys(urls)), **common))
    return sources


def load_sources(path: Path) -> SourcesFile:
    """Read and validate a sources file; disabled sources are dropped."""
    path = Path(path)
    if not path.is_file():
        raise SourcesError(f"sources file {path} does not exist; set PIPELINE_SOURCES or pass --sources FILE")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SourcesError(f"{path} is not valid YAML: {exc}") from None
    sources = parse_sources(data, path.resolve().parent, str(path))
    return SourcesFile(path, [s for s in sources if s.enabled])


def resolve(spec: "Path | str | Source | list[Source] | SourcesFile") -> list[Source]:
    """Sources from a folder path (the CLI's ``--source DIR``), a sources file, or already-built sources."""
    if isinstance(spec, SourcesFile):
        return list(spec.sources)
    if isinstance(spec, Source):
        return [spec]
    if isinstance(spec, (list, tuple)):
        return list(spec)
    path = Path(spec)
    if path.suffix.lower() in (".yml", ".yaml"):
        return load_sources(path).sources
    if not path.is_dir():
        raise FileNotFoundError(f"source folder {path} does not exist; pass --source DIR with articles in it")
    return [Source.local_folder(path)]
