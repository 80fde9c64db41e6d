#!/usr/bin/env python3
"""Score the extractor on the dev set the way score.py scores a warehouse.

    .venv/bin/python bench/dev_eval.py [--verbose] [--mentions] [--docs DIR] [--gold FILE]

Runs ingest -> normalise -> extract_mentions -> coreference (pipeline.coref
when present, else exact-slot grouping per document), turns the events into
score.py's prediction dicts and calls its score(). Events built from mentions
of several documents count for each of them, as in the warehouse views.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.extract import extract_mentions  # noqa: E402
from pipeline.ingest import ingest_folder  # noqa: E402
from pipeline.normalise import normalise  # noqa: E402

EVAL = Path("/work/shared/eval")


def load_scorer(path: Path):
    spec = importlib.util.spec_from_file_location("dev_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def group_events(mentions):
    """(event_type, date, status, rate, actors, doc_ids) per event."""
    try:
        from pipeline.coref import resolve_events
    except ImportError:
        resolve_events = None
    out = []
    if resolve_events is not None:
        for e in resolve_events(mentions):
            out.append((e.event_type, e.event_date, e.status, e.rate_pct,
                        [(a.role, a.code) for a in e.actors], {m.doc_id for m in e.mentions}, e.mentions))
        return out
    groups = defaultdict(list)
    for m in mentions:
        key = (m.doc_id, m.event_type, tuple(sorted((a.role, a.code) for a in m.actors)), m.event_date,
               m.rate_pct, m.status)
        groups[key].append(m)
    for (doc_id, etype, actors, edate, rate, status), ms in groups.items():
        out.append((etype, edate, status, rate, list(actors), {doc_id}, ms))
    return out


def to_predictions(events, name_by_doc_id):
    preds = defaultdict(dict)
    for i, (etype, edate, status, rate, actors, doc_ids, _) in enumerate(events):
        p = {"type": etype, "date": edate.isoformat() if edate else None, "status": status,
             "countries": set(), "imposer": set(), "target": set(),
             "rates": {float(rate)} if rate is not None else set()}
        for role, code in actors:
            if code:
                p["countries"].add(code)
                if role in ("imposer", "target"):
                    p[role].add(code)
        for doc_id in doc_ids:
            if doc_id in name_by_doc_id:
                preds[name_by_doc_id[doc_id]][i] = p
    return preds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=Path, default=EVAL / "dev" / "docs")
    ap.add_argument("--gold", type=Path, default=EVAL / "dev" / "gold.jsonl")
    ap.add_argument("--scorer", type=Path, default=EVAL / "score.py")
    ap.add_argument("--verbose", action="store_true", help="list misses, extras and wrong slots")
    ap.add_argument("--mentions", action="store_true", help="print every mention per document")
    args = ap.parse_args(argv)

    scorer = load_scorer(args.scorer)
    gold = scorer.load_gold(args.gold)
    for doc in gold.values():
        for ev in doc.get("events", []):
            ev["type"] = ev["type"].lower()
    docs = [normalise(r) for r in ingest_folder(args.docs).documents]
    name_by_doc_id = {d.doc_id: os.path.basename(d.source_uri.rstrip("/")) for d in docs}
    t0 = time.perf_counter()
    mentions = extract_mentions(docs)
    elapsed = time.perf_counter() - t0
    if args.mentions:
        for m in mentions:
            acts = " ".join(f"{a.role[0]}:{a.code}" for a in m.actors)
            print(f"{name_by_doc_id[m.doc_id]:<22} {m.event_type:<17} {acts:<28} date={m.event_date} "
                  f"rate={m.rate_pct}{m.alt_rates or ''} status={m.status} conf={m.confidence} "
                  f"trig={m.trigger!r} | {m.sentence[:110]!r}")
    events = group_events(mentions)
    preds = to_predictions(events, name_by_doc_id)
    tp, fp, fn, slots = scorer.score(gold, preds, args.verbose)
    print(f"{'type':<18}{'P':>7}{'R':>7}{'F1':>7}{'tp':>5}{'fp':>5}{'fn':>5}")
    for t in scorer.TYPES:
        p, r, f = scorer.prf(tp[t], fp[t], fn[t])
        print(f"{t:<18}{p:7.3f}{r:7.3f}{f:7.3f}{tp[t]:5d}{fp[t]:5d}{fn[t]:5d}")
    TP, FP, FN = (sum(d.values()) for d in (tp, fp, fn))
    p, r, f = scorer.prf(TP, FP, FN)
    print(f"{'all':<18}{p:7.3f}{r:7.3f}{f:7.3f}{TP:5d}{FP:5d}{FN:5d}")
    for slot, (ok, n) in sorted(slots.items()):
        print(f"slot {slot:<13}{ok / n if n else 0.0:7.3f}  ({ok}/{n})")
    print(f"{len(docs)} docs, {len(mentions)} mentions, {len(events)} events, extraction {elapsed:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
