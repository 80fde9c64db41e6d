"""Choose the articles of the annotated training corpus from the shared text pools.

    python training/select_corpus.py [--pools ../shared/train] [--out training/selection.jsonl]

Seeded and deterministic. About 70% of the articles are chosen by relevance (pool topics
plus a keyword screen for the four event types) and about 30% uniformly at random, so the
corpus also carries the event-free articles a real news stream is made of. Two thirds come
from the Reuters-21578 pool, one third from the modern pool. Modern articles longer than
``MAX_MODERN_WORDS`` are skipped so that one annotator can read every article in full.

Selection ran in seven rounds: the first 600 articles (batches 0-7, 64 of them doubly
annotated), then 590 more drawn the same way from the articles not yet chosen (batches 8-15),
to reach the corpus's event count, then up to 210 more (batches 16-18) for a third annotation
round, then 600 more (batches 19-26, 40 of them doubly annotated) for a fourth, whose
Reuters relevance screen is widened (see ``_round``) because the strict one has no articles
left, then 600 more (batches 27-34) whose relevant share is screened for trade-measure language
(``TRADE_SCREEN``), the type the model learns worst, then 400 more (batches 35-39, 30 of them
doubly annotated) drawn as round 4 was, then 800 more (batches 40-49, 40 of them doubly
annotated) whose modern relevance screen, with the pool's relevant topics used up, takes any
topic (``_round``). Training reads the batches that have an annotation file in
``training/corpus/``. Earlier rows never change when a round is added. Each row names a pool
article by ``doc`` plus the SHA-256 of its text, the batch that annotates it and whether a
second annotator labels it independently (``double``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from pathlib import Path

SEED = 20261201
REUTERS_RELEVANT, REUTERS_RANDOM = 280, 120
MODERN_RELEVANT, MODERN_RANDOM = 140, 60
DOUBLE = 64
BATCHES = 8
# The second round: (reuters relevant, reuters random, modern relevant, modern random).
ROUND2 = (320, 100, 120, 50)
ROUND3 = (115, 35, 45, 15)
ROUND3_BATCHES = 3
ROUND4 = (300, 100, 130, 70)
ROUND4_DOUBLE = 40
# The fifth round looks for trade measures, the type the model learns worst.
ROUND5 = (300, 100, 130, 70)
# The sixth round: drawn as round 4 (widened Reuters screen) from what is left, four batches.
ROUND6 = (185, 80, 90, 45)
ROUND6_BATCHES = 5
ROUND6_DOUBLE = 30
# The seventh: the widened screen again, and for the modern pool, whose relevant topics are used up,
# any topic with event language at least twice.
ROUND7 = (380, 150, 180, 90)
ROUND7_DOUBLE = 40
ROUND7_BATCHES = 10
TRADE_SCREEN = re.compile(
    r"\b(tariff|dut(y|ies)|quota|embargo|ban(s|ned)?|sanction|curb|restrict|levy|levies|export control|"
    r"blacklist|boycott|import licen)",
    re.IGNORECASE,
)
MAX_MODERN_WORDS = 900

REUTERS_TOPICS = {
    "trade", "ship", "grain", "crude", "sugar", "wheat", "corn", "oilseed", "coffee", "veg-oil",
    "cocoa", "rice", "iron-steel", "cotton", "rubber", "tin", "soybean", "livestock", "carcass",
    "barley", "palm-oil", "meal-feed", "alum", "copper", "lumber", "tea", "nat-gas", "bop",
}
MODERN_TOPICS = {
    "trade", "foreign_policy", "economy_and_jobs", "world", "economic_policy", "china", "russia",
    "europe", "north_korea", "mexico", "asia", "agriculture", "energy", "middle_east",
}
# A screen for event language, not a classifier: relevant articles must mention at least
# one of these stems so that the relevance share is not spent on market reports.
SCREEN = re.compile(
    r"\b(tariff|dut(y|ies)|quota|embargo|ban(s|ned)?|sanction|curb|restrict|levy|levies|"
    r"talks|meet(s|ing)?|met|summit|visit|negotiat|agreement|accord|pact|protocol|treaty|"
    r"memorandum|signed|deal)\b",
    re.IGNORECASE,
)


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def screen_hits(text: str) -> int:
    return len(SCREEN.findall(text))


def pick(rows: list[dict], relevant: int, rand: int, is_relevant, rng: random.Random) -> list[tuple[dict, str]]:
    pool_rel = [r for r in rows if is_relevant(r)]
    rng.shuffle(pool_rel)
    chosen = pool_rel[:relevant]
    taken = {r["doc"] for r in chosen}
    rest = [r for r in rows if r["doc"] not in taken]
    chosen_rand = rng.sample(rest, rand)
    return [(r, "relevant") for r in chosen] + [(r, "random") for r in chosen_rand]


def select(pools: Path) -> list[dict]:
    rng = random.Random(SEED)
    reuters = load(pools / "reuters21578" / "pool.jsonl")
    modern = [r for r in load(pools / "modern" / "pool.jsonl") if len(r["text"].split()) <= MAX_MODERN_WORDS]
    first = _round(reuters, modern, (REUTERS_RELEVANT, REUTERS_RANDOM, MODERN_RELEVANT, MODERN_RANDOM), 0, rng)
    # The second annotator of a doubly annotated article is always from another batch.
    for row in rng.sample(first, DOUBLE):
        row["double"] = (row["batch"] + 1 + rng.randrange(BATCHES - 1)) % BATCHES
    taken = {r["doc"] for r in first}
    second = _round([r for r in reuters if r["doc"] not in taken], [r for r in modern if r["doc"] not in taken],
                    ROUND2, BATCHES, rng)
    taken |= {r["doc"] for r in second}
    third = _round([r for r in reuters if r["doc"] not in taken], [r for r in modern if r["doc"] not in taken],
                   ROUND3, 2 * BATCHES, rng, batches=ROUND3_BATCHES)
    taken |= {r["doc"] for r in third}
    first4 = 2 * BATCHES + ROUND3_BATCHES
    fourth = _round([r for r in reuters if r["doc"] not in taken], [r for r in modern if r["doc"] not in taken],
                    ROUND4, first4, rng, widened=True)
    for row in rng.sample(fourth, ROUND4_DOUBLE):
        row["double"] = first4 + (row["batch"] - first4 + 1 + rng.randrange(BATCHES - 1)) % BATCHES
    taken |= {r["doc"] for r in fourth}
    fifth = _round([r for r in reuters if r["doc"] not in taken], [r for r in modern if r["doc"] not in taken],
                   ROUND5, first4 + BATCHES, rng, screen=TRADE_SCREEN)
    taken |= {r["doc"] for r in fifth}
    first6 = first4 + 2 * BATCHES
    sixth = _round([r for r in reuters if r["doc"] not in taken], [r for r in modern if r["doc"] not in taken],
                   ROUND6, first6, rng, batches=ROUND6_BATCHES, widened=True)
    for row in rng.sample(sixth, ROUND6_DOUBLE):
        row["double"] = first6 + (row["batch"] - first6 + 1 + rng.randrange(ROUND6_BATCHES - 1)) % ROUND6_BATCHES
    taken |= {r["doc"] for r in sixth}
    first7 = first6 + ROUND6_BATCHES
    seventh = _round([r for r in reuters if r["doc"] not in taken], [r for r in modern if r["doc"] not in taken],
                     ROUND7, first7, rng, batches=ROUND7_BATCHES, widened=True, modern_any_topic=True)
    for row in rng.sample(seventh, ROUND7_DOUBLE):
        row["double"] = first7 + (row["batch"] - first7 + 1 + rng.randrange(ROUND7_BATCHES - 1)) % ROUND7_BATCHES
    return first + second + third + fourth + fifth + sixth + seventh


def _round(reuters: list[dict], modern: list[dict], counts: tuple[int, int, int, int], first_batch: int,
           rng: random.Random, batches: int = BATCHES, widened: bool = False,
           screen: re.Pattern | None = None, modern_any_topic: bool = False) -> list[dict]:

    def reuters_relevant(r):
        if screen is not None:  # any topic, with trade-measure language at least twice
            return len(screen.findall(r["text"])) >= 2
        hits = screen_hits(r["text"])
        if widened:  # the strict screen is used up by round 4: any topic with dense event language
            return hits >= 3 or (bool(REUTERS_TOPICS & set(r["topics"])) and hits >= 1)
        return bool(REUTERS_TOPICS & set(r["topics"])) and hits >= 2

    def modern_relevant(r):
        if screen is not None:
            return len(screen.findall(r["text"])) >= 2
        if modern_any_topic:
            return screen_hits(r["text"]) >= 2
        return r.get("topic") in MODERN_TOPICS and screen_hits(r["text"]) >= 3

    picked = [("reuters", r, how) for r, how in pick(reuters, counts[0], counts[1], reuters_relevant, rng)]
    picked += [("modern", r, how) for r, how in pick(modern, counts[2], counts[3], modern_relevant, rng)]
    rng.shuffle(picked)
    out = []
    for i, (pool, r, how) in enumerate(picked):
        out.append({
            "doc": r["doc"],
            "pool": pool,
            "published": r["published"],
            "sha256": hashlib.sha256(r["text"].encode("utf-8")).hexdigest(),
            "selected_by": how,
            "batch": first_batch + i % batches,
            "double": None,
        })
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pools", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "train")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "selection.jsonl")
    args = ap.parse_args(argv)
    rows = select(args.pools)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} articles, {sum(r['double'] is not None for r in rows)} doubly annotated -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
