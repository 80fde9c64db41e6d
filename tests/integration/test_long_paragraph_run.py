"""A paragraph longer than spaCy's max_length (1,000,000 characters), inside the 2 MB file limit,
does not fail `python -m pipeline run`: the article beside it loads, and so does the long one."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.conftest import ROOT, query

ARTICLE = ROOT / "tests" / "fixtures" / "bad_inputs" / "good-article.txt"


def test_a_run_over_a_paragraph_past_spacys_max_length_loads_every_article(tmp_path):
    source = tmp_path / "articles"
    source.mkdir()
    shutil.copy(ARTICLE, source / "normal.txt")
    sentences, length, i = [], 0, 0
    while length < 1_200_000:
        sentences.append(f"Delegates in round {i} said the weather in the old harbour town stayed mild.")
        length += len(sentences[-1]) + 1
        i += 1
    (source / "long.txt").write_text("date 2025-03-04\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
    assert (source / "long.txt").stat().st_size < 2_000_000
    warehouse = tmp_path / "events.duckdb"
    # the rule extractor needs no trained model, and what is tested here is normalisation
    env = {**os.environ, "PIPELINE_EXTRACTOR": "rules"}
    result = subprocess.run([sys.executable, "-m", "pipeline", "run", "--source", str(source),
                             "--warehouse", str(warehouse), "--quiet"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("2 documents ingested"), result.stdout
    docs = dict(query(warehouse, "select source_uri, num_sentences from documents"))
    assert docs[(source / "normal.txt").absolute().as_uri()] > 0
    assert docs[(source / "long.txt").absolute().as_uri()] == len(sentences)
    assert query(warehouse, "select count(*) from rejected_documents") == [(0,)]
    assert query(warehouse, "select count(*) from events where event_type = 'tariff'")[0][0] > 0
