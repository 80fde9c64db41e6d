"""Extraction quality on the shared dev set: a reported figure with a floor, not a ratchet.

Builds a warehouse with the exact command the scorer documents and reads score.py's JSON
summary. The dev set is where the rule baseline was once written, so it is not what the
trained model is judged on (tests/integration/test_model_quality.py holds the cross-validated
and held-out floors). Its floors sit just below what the shipped model reaches on it, so a change
that breaks extraction outright fails here; README "Extraction quality" gives the figures.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import EVAL_DIR, ROOT

DEV_FLOOR = 0.78
# Per-type F1 and slot accuracy of the shipped model on the dev set (0.813 overall), minus slack. The
# dev set holds about ten events of each directed type, so one event moves a type's F1 or a slot's
# accuracy by up to a tenth (retraining on a larger corpus moved the dev date accuracy from 0.82 to
# 0.64 and status from 0.63 to 0.47 while both rose cross-validated): these floors catch a broken
# extractor, not a small change.
TARGETS = {
    "f1_meeting": 0.78, "f1_agreement": 0.78, "f1_tariff": 0.70, "f1_trade_restriction": 0.60,
    "acc_date": 0.55, "acc_rate": 0.70, "acc_status": 0.40,
}


@pytest.fixture(scope="module")
def dev_scores(tmp_path_factory):
    if not (EVAL_DIR / "score.py").exists():
        pytest.skip(f"shared eval set not found at {EVAL_DIR}; it ships beside the repository")
    warehouse = tmp_path_factory.mktemp("eval") / "dev.duckdb"
    subprocess.run([sys.executable, "-m", "pipeline", "run", "--quiet", "--source", str(EVAL_DIR / "dev" / "docs"),
                    "--warehouse", str(warehouse)], cwd=ROOT, check=True, timeout=600)
    out = subprocess.run([sys.executable, str(EVAL_DIR / "score.py"), str(warehouse),
                          str(EVAL_DIR / "dev" / "gold.jsonl")], cwd=ROOT, check=True, capture_output=True,
                         text=True, timeout=120).stdout
    print(out)
    return json.loads(out.strip().splitlines()[-1])


def test_every_dev_document_is_in_the_warehouse(dev_scores):
    assert dev_scores["docs_in_warehouse"] == dev_scores["docs"]


def test_overall_f1_stays_above_the_floor(dev_scores):
    assert dev_scores["f1"] >= DEV_FLOOR, f"dev F1 fell to {dev_scores['f1']}"


@pytest.mark.parametrize("measure", sorted(TARGETS))
def test_per_type_and_slot_targets_hold(dev_scores, measure):
    assert dev_scores[measure] is not None
    assert dev_scores[measure] >= TARGETS[measure], f"{measure} fell to {dev_scores[measure]}"
