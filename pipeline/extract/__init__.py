"""Event extraction: documents in, one ``EventMention`` per reported event out.

The shipped extractor is the trained model in pipeline/model/ (``pipeline.extract.learned``,
trained by ``make train`` from the annotated corpus in training/). The rule-only extractor
(``pipeline.extract.baseline``) stays as the measured baseline; ``PIPELINE_EXTRACTOR=rules``
selects it.

``EXTRACTOR_VERSION`` is a hash of the model files, the data files the extractor reads and the rule
extractor's version, so retraining or editing a gazetteer re-extracts the affected documents on the
next run.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable

from pipeline.models import Document, EventMention

PACKAGE_DIR = Path(__file__).resolve().parent.parent
MODEL_DIR = PACKAGE_DIR / "model"
DATA_DIR = PACKAGE_DIR / "data"
EXTRACTOR_ENV = "PIPELINE_EXTRACTOR"
# The rule extractor's own version (pipeline/extract/baseline.py); kept here so that computing a
# version never imports spaCy.
RULES_VERSION = "rules-1.6.0"


def _tree_hash(digest, root: Path) -> None:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")


def model_version(model_dir: Path = MODEL_DIR, data_dir: Path = DATA_DIR) -> str:
    """``model-<hash>`` of the trained model's files, the extractor's data files and the version of the
    rule extractor whose reading is one of the model's features."""
    digest = hashlib.sha256(RULES_VERSION.encode())
    if model_dir.exists():
        _tree_hash(digest, model_dir)
    _tree_hash(digest, data_dir)
    return "model-" + digest.hexdigest()[:16]


def selected_extractor() -> str:
    choice = os.environ.get(EXTRACTOR_ENV, "model").strip().lower() or "model"
    if choice not in ("model", "rules"):
        raise ValueError(f"{EXTRACTOR_ENV}={choice!r}: use 'model' (the trained extractor) or 'rules' (the baseline)")
    return choice


def _version() -> str:
    if selected_extractor() == "rules":
        digest = hashlib.sha256()
        _tree_hash(digest, DATA_DIR)
        return f"{RULES_VERSION}-{digest.hexdigest()[:8]}"
    return model_version()


EXTRACTOR_VERSION = _version()


def extract_mentions(docs: Iterable[Document], nlp=None) -> list[EventMention]:
    """Every event mention in ``docs``, in document and sentence order. Deterministic.

    ``nlp`` is the spaCy pipeline for the rule baseline; the trained extractor loads its own."""
    if selected_extractor() == "rules":
        from pipeline.extract.baseline import extract_mentions_rules

        return extract_mentions_rules(docs, nlp)
    from pipeline.extract.learned import extract_with_model
    from pipeline.nlp import load_event_model

    return extract_with_model(docs, load_event_model(), EXTRACTOR_VERSION)


def extract_mentions_rules(docs: Iterable[Document], nlp=None) -> list[EventMention]:
    from pipeline.extract.baseline import extract_mentions_rules as rules

    return rules(docs, nlp)
