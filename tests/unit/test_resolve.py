"""The resolve stage as pure functions: records in, records out, no warehouse."""
import random
import subprocess
import sys

import numpy as np

from pipeline.models import StoryUpdate
from pipeline.resolve import LSH_BANDS, LSH_ROWS, assign_stories, merge_stories, resolve_events, signature
from tests.conftest import ROOT
from tests.unit.factories import make_doc, make_mention
from tests.unit.test_bench_scaling import _texts


def _sig(*runs: tuple[int, int]) -> np.ndarray:
    """A 64-value signature from (value, count) runs."""
    return np.concatenate([np.full(n, v, dtype=np.uint64) for v, n in runs])


A = _sig((1, 64))
C = _sig((2, 16), (1, 32), (2, 16))  # half of A's values: not a near-duplicate of A
BRIDGE = _sig((1, 48), (2, 16))  # 0.75 of A's values and 0.75 of C's


def test_a_document_similar_to_two_stories_merges_them_under_the_smallest_id():
    update = merge_stories(["b"], [("b", "a"), ("b", "c")], {"a": A, "b": BRIDGE, "c": C}, {"a": "a", "c": "c"})
    assert update == StoryUpdate(assigned={"b": "a"}, merged={"c": "a"})


def test_a_new_document_with_the_smallest_id_names_the_merged_story():
    update = merge_stories(["0"], [("0", "a"), ("0", "c")], {"0": BRIDGE, "a": A, "c": C}, {"a": "a", "c": "c"})
    assert update == StoryUpdate(assigned={"0": "0"}, merged={"a": "0", "c": "0"})


def test_a_candidate_below_the_threshold_joins_nothing():
    update = merge_stories(["c"], [("c", "a")], {"a": A, "c": C}, {"a": "a"})
    assert update == StoryUpdate(assigned={"c": "c"}, merged={})


def _lsh_candidates(pending: list[str], sigs: dict[str, np.ndarray]) -> list[tuple[str, str]]:
    """The pairs the repository's band query returns, computed in Python."""
    bands = lambda s: {(b, tuple(s[b * LSH_ROWS:(b + 1) * LSH_ROWS])) for b in range(LSH_BANDS)}  # noqa: E731
    return [(p, o) for p in pending for o in sigs if o != p and bands(sigs[p]) & bands(sigs[o])]


def test_merging_batch_by_batch_equals_clustering_the_whole_corpus():
    texts = _texts(30)
    random.Random(2).shuffle(texts)
    sigs: dict[str, np.ndarray] = {}
    story_of: dict[str, str] = {}
    for start in range(0, len(texts), 8):
        pending = [f"d{i:03d}" for i in range(start, min(start + 8, len(texts)))]
        sigs.update({doc_id: signature(texts[int(doc_id[1:])]) for doc_id in pending})
        pairs = _lsh_candidates(pending, sigs)
        involved = {d for pair in pairs for d in pair}
        update = merge_stories(pending, pairs, {d: sigs[d] for d in involved},
                               {d: s for d, s in story_of.items() if d in involved})
        story_of = {d: update.merged.get(s, s) for d, s in story_of.items()} | update.assigned
    assert story_of == assign_stories(sigs)
    assert len(set(story_of.values())) < len(story_of)  # some batches did join earlier stories


def test_resolving_gives_events_with_their_mentions():
    doc_a, doc_b = make_doc("India and Russia met.", "file:///a"), make_doc("Russia and India met.", "file:///b")
    (event,) = resolve_events([make_mention(doc_a), make_mention(doc_b)])
    assert event.block_key == "meeting|participant=IND+RUS"
    assert sorted(m.doc_id for m in event.mentions) == sorted([doc_a.doc_id, doc_b.doc_id])


def test_resolve_needs_no_database_and_storage_needs_no_ingest():
    code = ("import sys, pipeline.resolve\n"
            "assert 'duckdb' not in sys.modules and 'pyarrow' not in sys.modules, 'resolve imported storage'\n"
            "import pipeline.repository, pipeline.warehouse\n"
            "bad = sorted(m for m in sys.modules if m.startswith('pipeline.ingest'))\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
