"""Extraction quality, side by side: the dev set, the annotated corpus, the rule-only baseline.

    python training/evaluate.py [--cv] [--verbose]

Prints, for each extractor (the trained model and the rule-only baseline), per-type P/R/F1 and
slot accuracy on
- the shared dev set (reported only; rules were once written while reading it);
- the corpus's held-out fold 0, which the shipped model never trained on;
- 5-fold cross-validation on the corpus (``--cv`` retrains the five folds, as ``make train``
  does; without it the figures of training/metrics.json are shown).

Scoring is score.py's own matching (its ``score`` function), over events built by the
pipeline's coreference, so an article's repeated mentions count once as in the warehouse.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.corpus import DOUBLE_DIR, Article, CORPUS_DIR, read_jsonl  # noqa: E402

EVAL_DIR = Path(os.environ.get("EVAL_DIR", ROOT.parent / "shared" / "eval"))
METRICS = ROOT / "training" / "metrics.json"
TYPES = ("meeting", "agreement", "tariff", "trade_restriction")


@lru_cache(maxsize=1)
def scorer():
    path = EVAL_DIR / "score.py"
    spec = importlib.util.spec_from_file_location("shared_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def predictions(mentions, name_by_doc_id):
    """score.py's prediction dicts per document, from events the pipeline's coreference builds."""
    from pipeline.resolve import resolve_events

    preds = defaultdict(dict)
    for i, e in enumerate(resolve_events(mentions)):
        p = {"type": e.event_type, "date": e.event_date.isoformat() if e.event_date else None,
             "status": e.status, "countries": set(), "imposer": set(), "target": set(),
             "rates": {float(e.rate_pct)} if e.rate_pct is not None else set()}
        for a in e.actors:
            if a.code:
                p["countries"].add(a.code)
                if a.role in ("imposer", "target"):
                    p[a.role].add(a.code)
        for doc_id in {m.doc_id for m in e.mentions}:
            if doc_id in name_by_doc_id:
                preds[name_by_doc_id[doc_id]][i] = p
    return preds


def score_articles(articles: list[Article], extract, verbose: bool = False):
    """(tp, fp, fn, slots) of ``extract`` (documents -> mentions) on ``articles``."""
    S = scorer()
    gold = {}
    for a in articles:
        row = json.loads(json.dumps(a.gold))
        for ev in row.get("events", []):
            ev["type"] = ev["type"].lower()
        gold[a.name] = row
    mentions = extract([a.doc for a in articles]) if articles else []
    preds = predictions(mentions, {a.doc.doc_id: a.name for a in articles})
    return S.score(gold, preds, verbose)


def model_extractor(model_dir: Path, rule_mentions: list | None = None):
    """Documents -> mentions with the model in ``model_dir``; ``rule_mentions`` spares re-running the rules."""
    from pipeline.extract import model_version
    from pipeline.extract.learned import EventModel, extract_with_model

    model = EventModel.load(model_dir)
    version = model_version(model_dir)
    return lambda docs: extract_with_model(docs, model, version, rule_mentions)


def rule_extractor():
    from pipeline.extract import extract_mentions_rules

    return extract_mentions_rules


def add_counts(total, part):
    for t, a in zip(total[:3], part[:3]):
        for k, v in a.items():
            t[k] += v
    for k, (ok, n) in part[3].items():
        total[3][k][0] += ok
        total[3][k][1] += n
    return total


def empty_counts():
    return (defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(lambda: [0, 0]))


def pooled_scores(models: dict[Path, list[Article]], verbose: bool = False):
    total = empty_counts()
    from training.corpus import rule_mentions_of

    for model_dir, arts in models.items():
        add_counts(total, score_articles(arts, model_extractor(model_dir, rule_mentions_of(arts)), verbose))
    return total


def summary(counts) -> dict:
    S = scorer()
    tp, fp, fn, slots = counts
    TP, FP, FN = (sum(d.values()) for d in (tp, fp, fn))
    p, r, f = S.prf(TP, FP, FN)
    out = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
           "tp": TP, "fp": FP, "fn": FN}
    for t in TYPES:
        pt, rt, ft = S.prf(tp[t], fp[t], fn[t])
        out[f"f1_{t}"] = round(ft, 4)
        out[f"p_{t}"] = round(pt, 4)
        out[f"r_{t}"] = round(rt, 4)
    for s in ("date", "rate", "status"):
        ok, n = slots.get(s, (0, 0))
        out[f"acc_{s}"] = round(ok / n, 4) if n else None
    return out


def agreement() -> dict:
    """Event F1 of the second annotator against the first, by score.py's matching, before adjudication.

    training/double/batch-*.jsonl hold the independent second annotations; first.jsonl keeps the
    first annotator's rows of the same articles as they were before the corpus was adjudicated."""
    S = scorer()
    second = {r["doc"]: r for r in read_jsonl(sorted(DOUBLE_DIR.glob("batch-*.jsonl")))} if DOUBLE_DIR.exists() else {}
    first_path = DOUBLE_DIR / "first.jsonl"
    first_rows = read_jsonl([first_path]) if first_path.exists() else []
    first = {r["doc"]: r for r in first_rows if r["doc"] in second}
    if not first:
        return {"double_annotated": 0, "agreement_f1": None}
    sys.path.insert(0, str(EVAL_DIR))
    import agree  # the shared agreement script: B plays predictions

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as tmp:
        tmp.write("".join(json.dumps(second[d], ensure_ascii=False) + "\n" for d in first))
        tmp.flush()
        preds = agree.as_preds(tmp.name)
    gold = {d: json.loads(json.dumps(r)) for d, r in first.items()}
    tp, fp, fn, _ = S.score(gold, preds)
    p, r, f = S.prf(*(sum(x.values()) for x in (tp, fp, fn)))
    return {"double_annotated": len(first), "agreement_f1": round(f, 4)}


def table(title: str, m: dict) -> str:
    lines = [title, f"  {'type':<18}{'P':>7}{'R':>7}{'F1':>7}"]
    for t in TYPES:
        lines.append(f"  {t:<18}{m.get(f'p_{t}', float('nan')):7.3f}{m.get(f'r_{t}', float('nan')):7.3f}"
                     f"{m[f'f1_{t}']:7.3f}")
    lines.append(f"  {'all':<18}{m['precision']:7.3f}{m['recall']:7.3f}{m['f1']:7.3f}")
    lines.append("  slots: " + ", ".join(f"{s} {m[f'acc_{s}']}" for s in ("date", "rate", "status")))
    return "\n".join(lines)


def dev_articles() -> list[Article]:
    from pipeline.ingest import parse_txt
    from pipeline.normalise import normalise

    S = scorer()
    gold = S.load_gold(EVAL_DIR / "dev" / "gold.jsonl")
    out = []
    for name, row in sorted(gold.items()):
        text = (EVAL_DIR / "dev" / "docs" / name).read_text(encoding="utf-8")
        out.append(Article(name, normalise(parse_txt(text, name)), row))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cv", action="store_true", help="retrain the five folds instead of reading metrics.json")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    from pipeline.extract import MODEL_DIR
    from training.corpus import load_articles

    corpus = load_articles()
    dev = dev_articles()
    fold0 = [a for a in corpus if a.fold == 0]
    model = model_extractor(MODEL_DIR)
    rules = rule_extractor()
    rows = [
        ("(a) dev set, trained model", summary(score_articles(dev, model, args.verbose))),
        ("(a) dev set, rule-only baseline", summary(score_articles(dev, rules))),
        (f"held-out fold 0 ({len(fold0)} articles), trained model", summary(score_articles(fold0, model))),
    ]
    if args.cv:
        from training.train import main as train_main

        train_main(["--out", str(ROOT / ".venv" / "cv-model")])
    if METRICS.exists():
        rows.append(("(b) 5-fold cross-validation on the corpus, trained model (training/metrics.json)",
                     json.loads(METRICS.read_text())))
    rows.append((f"(c) whole corpus ({len(corpus)} articles), rule-only baseline",
                 summary(score_articles(corpus, rules))))
    for title, m in rows:
        print(table(title, m))
        print()
    print(json.dumps({title: {k: m[k] for k in ("f1", "precision", "recall")} for title, m in rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
