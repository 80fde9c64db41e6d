"""The speed-ups `make bench` led to give the same answers as the straightforward versions.

No timings here: only equivalence (issue 7 keeps timed assertions out of the tests).
"""
import random
from datetime import date, timedelta

import numpy as np
from datasketch import MinHash, MinHashLSH

from pipeline import stages
from pipeline import warehouse as wh
from pipeline.resolve import resolve_events, stories
from pipeline.models import Actor, EventMention
from tests.unit.factories import make_doc

WORDS = ("trade tariff talks minister India Russia China export import duty agreement signed summit "
         "officials said on Wednesday steel aluminium rare earth sanctions bilateral cooperation").split()


def _texts(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    base = [" ".join(rng.choice(WORDS) for _ in range(60)) for _ in range(n)]
    out = []
    for i, text in enumerate(base):
        out.append(text)
        if i % 3 == 0:  # a republished copy with a light edit: same story
            words = text.split()
            words[rng.randrange(len(words))] = "reportedly"
            out.append(" ".join(words))
    return out


def test_lsh_banding_is_what_datasketch_chooses():
    lsh = MinHashLSH(threshold=stories.THRESHOLD, num_perm=stories.NUM_PERM)
    assert (lsh.b, lsh.r) == (stories.LSH_BANDS, stories.LSH_ROWS)


def test_numpy_signature_equals_datasketch_minhash():
    for text in _texts(6) + ["", "one", "Ünïcödé — quotes \"and\" 25 per cent, twice twice twice twice twice"]:
        words = stories._WORD.findall(text.lower())
        shingles = {" ".join(words[i:i + stories.SHINGLE]) for i in range(max(1, len(words) - stories.SHINGLE + 1))}
        reference = MinHash(num_perm=stories.NUM_PERM, seed=1, scheme=stories.SCHEME)
        reference.update_batch([s.encode("utf-8") for s in shingles])
        assert (stories.signature(text) == reference.hashvalues.astype(np.uint64)).all()


def test_incremental_stories_equal_a_full_recomputation(warehouse_path):
    docs = [make_doc(t, f"file:///{i}.txt") for i, t in enumerate(_texts(24))]
    rng = random.Random(5)
    rng.shuffle(docs)
    with wh.connect(warehouse_path) as con:
        wh.migrate(con)
        # Several loads, so that later documents join stories that earlier loads made.
        for start in range(0, len(docs), 7):
            batch = docs[start:start + 7]
            stages.load_records(con, batch, [], [d.doc_id for d in batch], "test")
        stored = dict(con.execute("select doc_id, story_id from raw_document_stories").fetchall())
        signatures = {d: np.asarray(s, dtype=np.uint64) for d, s in
                      con.execute("select doc_id, signature from raw_document_signatures").fetchall()}
    assert stored == stories.assign_stories(signatures)
    assert len(set(stored.values())) < len(stored)  # the corpus does hold near-duplicates


def _mentions(n: int, seed: int = 9) -> list[EventMention]:
    rng = random.Random(seed)
    pairs = [("IND", "RUS"), ("USA", "CHN"), ("CHN", "EU")]
    out = []
    for i in range(n):
        etype = rng.choice(["meeting", "tariff"])
        a, b = rng.choice(pairs)
        actors = ([Actor("participant", a, a), Actor("participant", b, b)] if etype == "meeting"
                  else [Actor("imposer", a, a), Actor("target", b, b)])
        out.append(EventMention(
            doc_id=f"d{rng.randrange(n // 3)}", event_type=etype, sentence="s", char_start=0, char_end=1,
            trigger="t", trigger_start=i, actors=actors, extractor_version="t",
            event_date=date(2025, 1, 1) + timedelta(days=rng.randrange(20)) if rng.random() < 0.7 else None,
            rate_pct=float(rng.choice([10, 25, 50])) if etype == "tariff" and rng.random() < 0.5 else None,
            status=rng.choice([None, "imposed", "announced"]) if etype == "tariff" else None,
            confidence=0.5))
    return out


def test_coreference_does_not_depend_on_input_order():
    mentions = _mentions(600)
    shuffled = list(mentions)
    random.Random(1).shuffle(shuffled)
    key = lambda events: sorted((e.event_id, tuple(m.mention_id for m in e.mentions)) for e in events)  # noqa: E731
    assert key(resolve_events(mentions)) == key(resolve_events(shuffled))
