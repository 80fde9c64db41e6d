"""Train the event model from the annotated corpus, cross-validate it, and ship one model.

    python training/train.py [--pools ../shared/train] [--out pipeline/model] [--jobs 2]

Five folds, split by article with near-duplicate stories kept together (training/corpus.py).
For each fold k, the three classifiers (detect, roles, status; ``pipeline.extract.classifier``, settings in
training/configs/classifiers.cfg) are fitted on the other four folds less a fifth of their articles, on
which the decision thresholds are tuned, and the resulting extractor is scored on fold k with score.py's
matching; the counts are pooled.
Fold 0's model is the shipped one, so fold 0 stays a held-out fold that CI scores
(tests/integration/test_model_quality.py). Seeded and deterministic on the CPU.

Writes training/metrics.json (cross-validated figures, score.py's keys plus corpus counts).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.corpus import DEFAULT_POOLS, FOLDS, Article, hints_of, load_articles, rule_mentions_of  # noqa: E402

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
        cands = {c.sentence_index: c for c in find_candidates(doc, hints_of(art))}
        by_sentence: dict[int, list[dict]] = defaultdict(list)
        for ev, sents in zip(art.gold.get("events", []), art.evidence_sentences):
            if sents:
                by_sentence[sents[0]].append(ev)
        for idx, cand in cands.items():
            evs = by_sentence.get(idx, [])
            types = {e["type"] for e in evs}
            cats = {t: float(t in types) for t in EVENT_SPECS}
            for t in _restated_types(doc, cand, art.gold.get("events", []), types):
                del cats[t]  # unknown, not negative: a repeat of an event whose evidence is elsewhere
            out["detect"].append((detector_text(doc, cand), cats))
            for etype in sorted(types):
                same = [e for e in evs if e["type"] == etype]
                for code in cand.party_codes():
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


def _restated_types(doc, cand, events: list[dict], types: set[str]) -> set[str]:
    """Types of gold events this sentence probably restates: GUIDE gives each event one evidence
    sentence, so another sentence naming the same trigger word and the same parties is no negative."""
    text = doc.text[cand.start:cand.end].lower()
    codes = set(cand.codes())
    out = set()
    for ev in events:
        if ev["type"] in types or not ev.get("trigger"):
            continue
        word = ev["trigger"].lower().split()[0]
        parties = set(ev.get("countries") or []) | {ev.get("imposer"), ev.get("target")}
        parties.discard(None)
        if word in text and parties <= codes:
            out.add(ev["type"])
    return out


def trigger_lexicon(articles: list[Article]) -> dict[str, list[str]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for art in articles:
        for ev in art.gold.get("events", []):
            trig = (ev.get("trigger") or "").strip().lower()
            if trig and len(trig) <= 40:
                counts[ev["type"]][trig] += 1
    return {t: [w for w, _ in c.most_common()] for t, c in sorted(counts.items())}


def _split_dev(articles: list[Article]) -> tuple[list[Article], list[Article]]:
    dev = [a for a in articles if int(hashlib.sha256(a.name.encode()).hexdigest(), 16) % 5 == 0]
    return [a for a in articles if a not in dev], dev


THRESHOLD_GRID = (0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


class _Cached:
    """A trained classifier that remembers each text's cats, so threshold search reruns cheaply."""

    def __init__(self, clf):
        self.clf, self.memo = clf, {}

    def predict(self, texts):
        texts = list(texts)
        todo = list(dict.fromkeys(t for t in texts if t not in self.memo))
        self.memo.update(zip(todo, self.clf.predict(todo)))
        return [self.memo[t] for t in texts]


def tune_settings(model_dir: Path, dev: list[Article], log) -> dict:
    """Decision thresholds that maximise event F1 on the inner development articles (never the test fold)."""
    from training.evaluate import score_articles, summary

    from pipeline.extract.learned import DEFAULT_SETTINGS, EventModel, extract_with_model

    model = EventModel.load(model_dir)
    model.detect, model.roles, model.status = _Cached(model.detect), _Cached(model.roles), _Cached(model.status)
    rules = rule_mentions_of(dev)

    settings = {}

    def f1(key=None):
        model.settings = settings
        m = summary(score_articles(dev, lambda docs: extract_with_model(docs, model, "tuning", rules)))
        return m[key or "f1"]

    def search():
        for etype in EVENT_SPECS:
            best = max(THRESHOLD_GRID, key=lambda t: (settings["detect_threshold"].__setitem__(etype, t)
                                                      or f1(f"f1_{etype}"), -abs(t - 0.5)))
            settings["detect_threshold"][etype] = best
        for key in ("participant_threshold", "imposer_threshold", "target_threshold"):
            best = max(THRESHOLD_GRID, key=lambda t: (settings.__setitem__(key, t) or f1(), -abs(t - 0.5)))
            settings[key] = best
        settings["min_parties"] = max((1, 2), key=lambda n: (settings.__setitem__("min_parties", n) or f1(), -n))

    # Two starting points: the model alone, and the model added to every rule mention; then each
    # type's rule mentions are kept only where they raise that type's F1.
    candidates = []
    for start in ([], list(EVENT_SPECS)):
        settings = json.loads(json.dumps(DEFAULT_SETTINGS))
        settings["rule_union"] = list(start)
        search()
        for etype in EVENT_SPECS:
            before = f1(f"f1_{etype}")
            flipped = [t for t in settings["rule_union"] if t != etype] if etype in settings["rule_union"] \
                else settings["rule_union"] + [etype]
            kept = settings["rule_union"]
            settings["rule_union"] = flipped
            if f1(f"f1_{etype}") <= before:
                settings["rule_union"] = kept
        candidates.append((f1(), json.loads(json.dumps(settings))))
    settings = max(candidates, key=lambda c: c[0])[1]
    log(f"  tuned on {len(dev)} development articles: {json.dumps(settings)} (dev F1 {f1():.3f})")
    return settings


def classifier_settings(path: Path = CONFIGS / "classifiers.cfg") -> dict:
    from spacy.util import load_config

    from pipeline.extract.classifier import Settings

    config = load_config(path)
    return {task: Settings(**dict(config[task])) for task in ("detect", "roles", "status")}


def train_model(train: list[Article], out: Path, log) -> None:
    """The three classifiers and the extractor's data file for one training set, into ``out``."""
    from pipeline.extract.classifier import TextClassifier

    fit, dev = _split_dev(train)
    fit_ex = examples(fit)
    settings = classifier_settings()
    labels = {"detect": list(EVENT_SPECS), "roles": list(ROLE_LABELS), "status": list(STATUSES)}
    out.mkdir(parents=True, exist_ok=True)
    for task in ("detect", "roles", "status"):
        t0 = time.perf_counter()
        rows = fit_ex[task]
        clf = TextClassifier(labels[task], exclusive=task != "detect", settings=settings[task])
        clf.fit([text for text, _ in rows], [cats for _, cats in rows], seed=SEED)
        if (out / task).exists():
            shutil.rmtree(out / task)
        clf.to_disk(out / task)
        log(f"  {task}: {len(rows)} training examples, {time.perf_counter() - t0:.0f}s")
    meta = {"triggers": trigger_lexicon(train), "trained_on": sorted(a.name for a in train)}
    (out / "extractor.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    meta["settings"] = tune_settings(out, dev, log)
    (out / "extractor.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _fold_job(args) -> tuple[int, str]:
    k, articles_pickle, work = args
    with open(articles_pickle, "rb") as fh:
        articles = pickle.load(fh)
    train = [a for a in articles if a.fold != k]
    lines = []
    # one BLAS thread: the solver's sums then run in one order, so the same corpus gives the same weights
    with threadpool_limits(1):
        train_model(train, Path(work) / f"fold{k}" / "model", lines.append)
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
    work.mkdir(parents=True, exist_ok=True)
    with (work / "articles.pkl").open("wb") as fh:
        pickle.dump(articles, fh)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for k, log in pool.map(_fold_job, [(k, str(work / "articles.pkl"), str(work)) for k in range(FOLDS)]):
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
