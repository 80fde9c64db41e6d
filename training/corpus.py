"""The annotated corpus: gold rows joined to their pool texts, parsed as the pipeline parses them.

Articles are read exactly as ingestion reads a ``.txt`` document file (``parse_txt`` then
``normalise``), so character offsets, sentences and publication dates are the pipeline's own.
A gold row whose text hash no longer matches the pool is an error, not a silent skip.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.ingest import parse_txt  # noqa: E402
from pipeline.models import Document  # noqa: E402
from pipeline.normalise import clean_text, normalise  # noqa: E402
from pipeline.resolve import assign_stories, signature  # noqa: E402

CORPUS_DIR = ROOT / "training" / "corpus"
DOUBLE_DIR = ROOT / "training" / "double"
SELECTION = ROOT / "training" / "selection.jsonl"
DEFAULT_POOLS = ROOT.parent / "shared" / "train"
FOLDS = 5


@dataclass
class Article:
    name: str
    doc: Document
    gold: dict
    pool: str = ""
    fold: int = 0
    evidence_sentences: list[list[int]] = field(default_factory=list)  # per gold event
    rule_mentions: list = field(default_factory=list)  # the rule extractor's reading of the article


def read_jsonl(paths) -> list[dict]:
    rows = []
    for path in paths:
        with Path(path).open(encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


def pool_texts(pools: Path = DEFAULT_POOLS) -> dict[str, str]:
    texts = {}
    for pool in ("reuters21578", "modern"):
        path = pools / pool / "pool.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"text pool {path} is missing; the corpus references its articles by name "
                                    "and hash, so the shared pools must sit beside the repository")
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                texts[row["doc"]] = row["text"]
    return texts


def gold_rows(directory: Path = CORPUS_DIR) -> list[dict]:
    rows = read_jsonl(sorted(directory.glob("*.jsonl")))
    seen = set()
    for row in rows:
        if row["doc"] in seen:
            raise ValueError(f"{row['doc']} is annotated twice in {directory}; keep one adjudicated row")
        seen.add(row["doc"])
    return rows


def evidence_sentences(doc: Document, evidence: str, trigger: str | None = None) -> list[int]:
    """Indices of the sentences the evidence string overlaps (first occurrence in the normalised text),
    the sentence holding the trigger first."""
    evidence = clean_text(evidence).strip() or evidence
    at = doc.text.find(evidence)
    if at < 0:
        # normalisation may have changed whitespace: match on a whitespace-collapsed form
        squeeze = " ".join(evidence.split())
        flat, index = [], []
        for i, ch in enumerate(doc.text):
            if ch.isspace():
                if flat and flat[-1] == " ":
                    continue
                flat.append(" ")
            else:
                flat.append(ch)
            index.append(i)
        at_flat = "".join(flat).find(squeeze)
        if at_flat < 0:
            return []
        at, end = index[at_flat], index[at_flat + len(squeeze) - 1] + 1
    else:
        end = at + len(evidence)
    hit = [i for i, s in enumerate(doc.sentences) if s.start < end and s.end > at]
    if trigger and len(hit) > 1:
        t_at = doc.text.find(clean_text(trigger).strip(), at, end)
        if t_at >= 0:
            hit.sort(key=lambda i: not (doc.sentences[i].start <= t_at < doc.sentences[i].end))
    return hit


def load_articles(pools: Path = DEFAULT_POOLS, directory: Path = CORPUS_DIR) -> list[Article]:
    texts = pool_texts(pools)
    selection = {r["doc"]: r for r in read_jsonl([SELECTION])} if SELECTION.exists() else {}
    articles = []
    for row in gold_rows(directory):
        text = texts.get(row["doc"])
        if text is None:
            raise KeyError(f"{row['doc']} is not in the text pools under {pools}")
        sha = row.get("sha256") or selection.get(row["doc"], {}).get("sha256")
        if sha and sha != hashlib.sha256(text.encode("utf-8")).hexdigest():
            raise ValueError(f"{row['doc']}: the pool text changed since it was annotated (sha256 differs)")
        doc = normalise(parse_txt(text, row["doc"]))
        art = Article(row["doc"], doc, row, selection.get(row["doc"], {}).get("pool", ""))
        art.evidence_sentences = [evidence_sentences(doc, ev.get("evidence", ""), ev.get("trigger"))
                                  for ev in row.get("events", [])]
        articles.append(art)
    assign_folds(articles)
    add_rule_hints(articles)
    return articles


def add_rule_hints(articles: list[Article]) -> None:
    """Run the rule extractor once over the corpus: its mentions are features of the trained model."""
    from pipeline.extract.baseline import extract_mentions_rules

    by_doc: dict[str, list] = {}
    for m in extract_mentions_rules([a.doc for a in articles]):
        by_doc.setdefault(m.doc_id, []).append(m)
    for a in articles:
        a.rule_mentions = by_doc.get(a.doc.doc_id, [])


def rule_mentions_of(articles: list[Article]) -> list:
    return [m for a in articles for m in a.rule_mentions]


def hints_of(art: Article) -> dict:
    from pipeline.extract.candidates import rule_hints

    return rule_hints(art.rule_mentions)


def assign_folds(articles: list[Article], folds: int = FOLDS) -> None:
    """Split by article, with near-duplicate stories (MinHash clusters) kept in one fold. Deterministic:
    a story's fold is a hash of its id, so adding articles never moves existing ones."""
    sigs = {a.doc.doc_id: signature(a.doc.text) for a in articles}
    story = assign_stories(sigs)
    for a in articles:
        sid = story.get(a.doc.doc_id, a.doc.doc_id)
        a.fold = int(hashlib.sha256(sid.encode()).hexdigest(), 16) % folds
