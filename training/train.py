"""Train the event model from the annotated corpus, cross-validate it, and ship one model.

    python training/train.py [--pools ../shared/train] [--out pipeline/model] [--jobs 2]

Five folds, split by article with near-duplicate stories kept together (training/corpus.py).
For each fold k, the three classifiers (detect, roles, status) are trained with ``spacy train``
on the other four folds (a tenth of those articles serve as spaCy's development set) and the
resulting extractor is scored on fold k with score.py's matching; the counts are pooled.
Fold 0's model is the shipped one, so fold 0 stays a held-out fold that CI scores
(tests/integration/test_model_quality.py). Seeded and deterministic on the CPU.

Writes training/metrics.json (cross-validated figures, score.py's keys plus corpus counts).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.corpus import DEFAULT_POOLS, FOLDS, Article, load_articles  # noqa: E402

from pipeline.extract.candidates import detector_text, find_candidates, role_text, status_text  # noqa: E402
from pipeline.extract.learned import NONE_ROLE  # noqa: E402
from pipeline.models import DIRECTED, EVENT_SPECS, STATUSES  # noqa: E402

CONFIGS = ROOT / "training" / "configs"
MODEL_DIR = ROOT / "pipeline" / "model"
METRICS = ROOT / "training" / "metrics.json"
SEED = 0
ROLE_LABELS = tuple(dict.fromkeys([r for spec in EVENT_SPECS.values() for r in spec["roles"]] + [NONE_ROLE]))


def examples(articles: list[Article]) -> dict[str, list[tuple[str, dict[str, float]]]]:
    """(text, cats) per task, featurised exactly as the extractor featurises at run time."""
    out: dict[str, list] = {"detect": [], "roles": [], "status": []}
    for art in articles:
        doc = art.doc
        cands = {c.sentence_index: c for c in find_candidates(doc)}
        by_sentence: dict[int, list[dict]] = defaultdict(list)
        for ev, sents in zip(art.gold.get("events", []), art.evidence_sentences):
            if sents:
                by_sentence[sents[0]].append(ev)
        for idx, cand in cands.items():
            evs = by_sentence.get(idx, [])
            types = {e["type"] for e in evs}
            out["detect"].append((detector_text(doc, cand), {t: float(t in types) for t in EVENT_SPECS}))
            for etype in sorted(types):
                same = [e for e in evs if e["type"] == etype]
                for code in cand.codes():
                    if EVENT_SPECS[etype]["directed"]:
                        role = ("imposer" if any(e.get("imposer") == code for e in same)
                                else "target" if any(e.get("target") == code for e in same) else NONE_ROLE)
                    else:
                        role = "participant" if any(code in (e.get("countries") or []) for e in same) else NONE_ROLE
                    out["roles"].append((role_text(doc, cand, etype, code), {r: float(r == role) for r in ROLE_LABELS}))
                if etype in DIRECTED:
                    for e in same:
                        if e.get("status") in STATUSES:
                            out["status"].append((status_text(doc, cand, etype),
                                                  {s: float(s == e["status"]) for s in STATUSES}))
    return out


def trigger_lexicon(articles: list[Article]) -> dict[str, list[str]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for art in articles:
        for ev in art.gold.get("events", []):
            trig = (ev.get("trigger") or "").strip().lower()
            if trig and len(trig) <= 40:
                counts[ev["type"]][trig] += 1
    return {t: [w for w, _ in c.most_common()] for t, c in sorted(counts.items())}


def _docbin(rows, path: Path) -> None:
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    db = DocBin()
    for text, cats in rows:
        d = nlp.make_doc(text)
        d.cats = cats
        db.add(d)
    db.to_disk(path)


def _split_dev(articles: list[Article]) -> tuple[list[Article], list[Article]]:
    dev = [a for a in articles if int(hashlib.sha256(a.name.encode()).hexdigest(), 16) % 10 == 0]
    return [a for a in articles if a not in dev], dev


def train_model(train: list[Article], out: Path, work: Path, log) -> None:
    """The three classifiers and the extractor's data file for one training set, into ``out``."""
    fit, dev = _split_dev(train)
    fit_ex, dev_ex = examples(fit), examples(dev)
    out.mkdir(parents=True, exist_ok=True)
    for task, cfg in (("detect", "detect.cfg"), ("roles", "classify.cfg"), ("status", "classify.cfg")):
        tdir = work / task
        tdir.mkdir(parents=True, exist_ok=True)
        _docbin(fit_ex[task], tdir / "train.spacy")
        _docbin(dev_ex[task] or fit_ex[task][:50], tdir / "dev.spacy")
        cmd = [sys.executable, "-m", "spacy", "train", str(CONFIGS / cfg), "--output", str(tdir / "out"),
               "--paths.train", str(tdir / "train.spacy"), "--paths.dev", str(tdir / "dev.spacy"),
               "--system.seed", str(SEED)]
        t0 = time.perf_counter()
        env = {**os.environ, "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        res = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if res.returncode != 0:
            raise RuntimeError(f"spacy train failed for {task}:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
        log(f"  {task}: {len(fit_ex[task])} train / {len(dev_ex[task])} dev examples, {time.perf_counter() - t0:.0f}s")
        if (out / task).exists():
            shutil.rmtree(out / task)
        shutil.copytree(tdir / "out" / "model-best", out / task)
    meta = {"triggers": trigger_lexicon(train), "trained_on": sorted(a.name for a in train)}
    (out / "extractor.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _fold_job(args) -> tuple[int, str]:
    k, pools, work = args
    articles = load_articles(Path(pools))
    train = [a for a in articles if a.fold != k]
    lines = []
    train_model(train, Path(work) / f"fold{k}" / "model", Path(work) / f"fold{k}" / "work", lines.append)
    return k, "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pools", type=Path, default=DEFAULT_POOLS)
    ap.add_argument("--out", type=Path, default=MODEL_DIR)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None, help="keep fold models here (default: a temp folder)")
    args = ap.parse_args(argv)
    from training.evaluate import pooled_scores, summary

    t0 = time.perf_counter()
    articles = load_articles(args.pools)
    print(f"{len(articles)} articles, {sum(len(a.gold.get('events', [])) for a in articles)} events; "
          f"fold sizes {sorted(Counter(a.fold for a in articles).items())}")
    work = args.work or Path(tempfile.mkdtemp(prefix="event-model-"))
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for k, log in pool.map(_fold_job, [(k, str(args.pools), str(work)) for k in range(FOLDS)]):
            print(f"fold {k} trained\n{log}")
    per_fold = {k: [a for a in articles if a.fold == k] for k in range(FOLDS)}
    counts = pooled_scores({work / f"fold{k}" / "model": per_fold[k] for k in range(FOLDS)})
    metrics = summary(counts)
    metrics.update(corpus_figures(articles))
    held = pooled_scores({work / "fold0" / "model": per_fold[0]})
    metrics["heldout_fold0_f1"] = summary(held)["f1"]
    if args.out.exists():
        shutil.rmtree(args.out)
    shutil.copytree(work / "fold0" / "model", args.out)
    METRICS.write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(metrics))
    print(f"model -> {args.out}, metrics -> {METRICS}, {time.perf_counter() - t0:.0f}s")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def corpus_figures(articles: list[Article]) -> dict:
    from training.evaluate import agreement

    figures = {"articles": len(articles), "events": sum(len(a.gold.get("events", [])) for a in articles)}
    figures.update(agreement())
    return figures


if __name__ == "__main__":
    sys.exit(main())
