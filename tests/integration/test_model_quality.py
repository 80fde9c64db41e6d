"""Quality floors of the trained extractor on text it was not trained on.

- training/metrics.json, written by `make train`, holds the 5-fold cross-validated figures of the
  committed model's training recipe; they may not fall below the floors.
- Corpus fold 0 is held out: the shipped model (fold 0's) never trained on it. The test scores the
  shipped model on it now, with score.py's matching, so a model or code change that costs quality
  on unseen articles fails here.
"""
from __future__ import annotations

import json

import pytest

from tests.conftest import EVAL_DIR, ROOT

METRICS = ROOT / "training" / "metrics.json"
POOLS = ROOT.parent / "shared" / "train"
# Reached levels minus a small slack (README, "Extraction quality"); raise them when the model improves.
# The corpus grew from 1,999 to 3,799 articles: on the same 1,999 the cross-validated F1 rose (0.567 to
# 0.578), but the added rounds are harder for trade restrictions, so the pooled figures start lower.
CV_FLOORS = {"f1": 0.55, "f1_meeting": 0.58, "f1_agreement": 0.51, "f1_tariff": 0.58, "f1_trade_restriction": 0.34}
HELDOUT_FLOOR = 0.56
KEYS = ("f1", "precision", "recall", "f1_meeting", "f1_agreement", "f1_tariff", "f1_trade_restriction",
        "acc_date", "acc_rate", "acc_status", "articles", "events", "double_annotated", "agreement_f1")


@pytest.fixture(scope="module")
def metrics():
    return json.loads(METRICS.read_text(encoding="utf-8"))


def test_metrics_describe_the_corpus_and_carry_every_key(metrics):
    missing = [k for k in KEYS if k not in metrics]
    assert not missing, f"training/metrics.json lacks {missing}; rerun `make train`"
    assert metrics["articles"] >= 600 and metrics["events"] >= 1200
    assert metrics["double_annotated"] >= 60
    assert metrics["agreement_f1"] >= 0.85


@pytest.mark.parametrize("measure", sorted(CV_FLOORS))
def test_cross_validated_quality_holds(metrics, measure):
    assert metrics[measure] >= CV_FLOORS[measure], f"cross-validated {measure} fell to {metrics[measure]}"


@pytest.fixture(scope="module")
def corpus():
    if not (POOLS / "reuters21578" / "pool.jsonl").exists() or not (EVAL_DIR / "score.py").exists():
        pytest.skip(f"the shared text pools ({POOLS}) or the scorer are missing; they ship beside the repository")
    from training.corpus import load_articles

    return load_articles(POOLS)


def test_shipped_model_never_saw_the_held_out_fold(corpus):
    from pipeline.extract import MODEL_DIR

    trained_on = set(json.loads((MODEL_DIR / "extractor.json").read_text(encoding="utf-8"))["trained_on"])
    held_out = {a.name for a in corpus if a.fold == 0}
    assert held_out and not (held_out & trained_on)
    assert trained_on <= {a.name for a in corpus}


@pytest.mark.slow
def test_held_out_fold_quality_holds(corpus):
    from pipeline.extract import MODEL_DIR
    from training.corpus import rule_mentions_of
    from training.evaluate import model_extractor, score_articles, summary

    fold0 = [a for a in corpus if a.fold == 0]
    scores = summary(score_articles(fold0, model_extractor(MODEL_DIR, rule_mentions_of(fold0))))
    print(scores)
    assert scores["f1"] >= HELDOUT_FLOOR, f"held-out fold F1 fell to {scores['f1']}"
    assert scores["tp"] > 0 and scores["fp"] + scores["tp"] > 0
