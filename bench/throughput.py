#!/usr/bin/env python3
"""Throughput on realistic news, in CPU seconds (issue 13; `make bench` runs it after bench.py).

    .venv/bin/python bench/throughput.py [--docs N] [--quick] [--seed S] [--scale] [--json FILE]

1. Corpora, each written as `.txt` files with a first line `date YYYY-MM-DD` (what
   `pipeline.ingest.formats.parse_txt` reads): a seeded sample of N articles (default
   2,000; `--quick` 200) of ../shared/train/reuters21578/pool.jsonl, the same number of
   ../shared/train/modern/pool.jsonl, and bench.py's dev-style corpus (`build_corpus`).
2. Per corpus, each run in a fresh child process: the pipeline (`run_pipeline`, default
   workers) into a fresh warehouse; a second run over the unchanged input into the same
   warehouse; the pipeline with PIPELINE_EXTRACT_WORKERS=1, which also counts the
   prefilter's candidate sentences and times each spaCy component; the naive baseline
   (full en_core_web_sm `nlp.pipe`); the blank tokenizer alone (`spacy.blank("en")`).
3. CPU seconds are getrusage self + children (the extract workers), which other load on
   the machine distorts far less than wall time; both are reported. "Realistic" is the
   two pools together, summed (words and seconds of the separate runs).
4. `--scale`: 10 successive batches of 500 realistic articles into one warehouse (load
   time and warehouse size per batch), and the pipeline's parent RSS at `--rss-docs`
   articles (default 20,000; slow).
5. `--backends` (`make bench` passes it; `--only-backends` runs it alone): the same 10 batches of
   unseen realistic articles into a fresh DuckDB file and into a fresh DuckLake (catalog in a new
   database on the local PostgreSQL, BENCH_POSTGRES), each in a child process; the load time per
   batch as each warehouse grows, and how far the last batch's load is from the first's (the
   DuckLake load should stay within 20%: no read copy to write).
No thresholds are asserted; the targets are printed next to the figures.
"""
from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

POOLS = Path(os.environ.get("BENCH_TRAIN_POOLS", ROOT.parent / "shared" / "train"))
REALISTIC = ("reuters21578", "modern")
STAGES = ("ingest", "normalise", "extract", "load", "check")
TARGETS = {"vs_tokenizer": 0.60, "vs_naive_realistic": 8.0, "vs_naive_dev": 3.0, "second_run_pct": 2.0}


@functools.lru_cache(maxsize=1)
def _devbench():
    """bench/bench.py as a module (bench/ is not a package; bench.py is not restructured for this)."""
    spec = importlib.util.spec_from_file_location("bench_dev", HERE / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- corpora --------------------------------------------------------------------------------------

def sample_pool(pool: Path, n: int, out_dir: Path, seed: int = 7, skip: set[str] = frozenset()) -> dict:
    """Write a seeded sample of ``n`` articles of a JSONL pool to ``out_dir`` as `.txt` with a date header."""
    dev = _devbench()
    records = []
    with pool.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("text", "").strip() and rec["doc"] not in skip:
                records.append(rec)
    rng = random.Random(seed)
    chosen = rng.sample(records, min(n, len(records)))
    out_dir.mkdir(parents=True, exist_ok=True)
    words = 0
    for i, rec in enumerate(chosen):
        text = rec["text"]
        first = text.partition("\n")[0]
        if not dev._DATE.match(first):
            text = f"date {rec['published']}\n\n{text}" if rec.get("published") else text
        (out_dir / f"{i:05d}-{Path(rec['doc']).stem}.txt").write_text(text.rstrip("\n") + "\n", encoding="utf-8")
        words += len(dev._WORDS.findall(dev._body(text)))
    return {"articles": len(chosen), "words": words, "docs": [r["doc"] for r in chosen]}


# ---- child measurements ---------------------------------------------------------------------------

def _cpu_s() -> float:
    return _devbench()._cpu_s()  # self plus the extract workers, as bench.py measures it


class ComponentClock:
    """Exclusive CPU time per spaCy component: time is charged to whichever component is pulling a doc.

    A component's ``pipe`` pulls docs from the one before it; the charge moves to that one while it
    works, so every CPU second is counted once (the tokenizer, called by ``make_doc`` or at the head of
    ``nlp.pipe``, is its own entry)."""

    def __init__(self, clock=time.process_time):
        self.clock = clock
        self.stack: list[str] = []
        self.totals: dict[str, float] = {}
        self.last = clock()

    def _switch(self) -> None:
        now = self.clock()
        owner = self.stack[-1] if self.stack else "(rest, outside spaCy components)"
        self.totals[owner] = self.totals.get(owner, 0.0) + now - self.last
        self.last = now

    def enter(self, name: str) -> None:
        self._switch()
        self.stack.append(name)

    def leave(self) -> None:
        self._switch()
        self.stack.pop()

    def call(self, name: str, fn, *args, **kwargs):
        self.enter(name)
        try:
            return fn(*args, **kwargs)
        finally:
            self.leave()

    def pipe(self, name: str, proc, stream, **kwargs):
        def upstream():
            it = iter(stream)
            while True:
                self.leave()  # the upstream component (or the tokenizer) does its own accounting
                try:
                    doc = next(it)
                except StopIteration:
                    return
                finally:
                    self.enter(name)
                yield doc

        self.enter(name)
        try:
            inner = proc.pipe(upstream(), **kwargs) if hasattr(proc, "pipe") else (proc(d) for d in upstream())
            while True:
                try:
                    doc = next(inner)
                except StopIteration:
                    return
                self.leave()
                yield doc
                self.enter(name)
        finally:
            self.leave()


class _Timed:
    def __init__(self, clock: ComponentClock, name: str, proc):
        self._clock, self._name, self._proc = clock, name, proc

    def __call__(self, doc):
        return self._clock.call(self._name, self._proc, doc)

    def pipe(self, stream, **kwargs):
        return self._clock.pipe(self._name, self._proc, stream, **kwargs)

    def __getattr__(self, attr):
        return getattr(self._proc, attr)


def instrument(nlp, clock: ComponentClock, prefix: str = "") -> None:
    """Charge each of ``nlp``'s components (and its tokenizer) to ``clock``; idempotent."""
    if getattr(nlp, "_bench_clock", None) is clock:
        return
    nlp._components = [(name, _Timed(clock, prefix + name, proc)) for name, proc in nlp._components]
    tokenizer = nlp.tokenizer

    class _Tok:
        def __call__(self, text):
            return clock.call(prefix + "tokenizer", tokenizer, text)

        def __getattr__(self, attr):
            return getattr(tokenizer, attr)

    nlp.tokenizer = _Tok()
    nlp._bench_clock = clock


def child_pipeline(corpus: Path, warehouse: Path, detail: bool) -> dict:
    """``run_pipeline`` as the CLI runs it, with wall and CPU per stage through thin wrappers.

    ``detail`` (one extract worker, so that extraction runs in this process) also counts the
    sentences each prefilter passes and charges CPU to each spaCy component."""
    import pipeline.extract  # noqa: F401
    import pipeline.ingest  # noqa: F401
    import pipeline.normalise  # noqa: F401
    import pipeline.repository  # noqa: F401
    import pipeline.resolve  # noqa: F401
    import pipeline.transform  # noqa: F401
    import pipeline.warehouse  # noqa: F401
    from pipeline import nlp as nlp_module
    from pipeline import stages
    from pipeline.cli import run_pipeline
    from pipeline.extract import baseline, learned
    from pipeline.settings import Settings

    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            c0, t0 = _cpu_s(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                wall[name] = wall.get(name, 0.0) + time.perf_counter() - t0
                cpu[name] = cpu.get(name, 0.0) + _cpu_s() - c0
        return wrapper

    for name in ("ingest", "normalise", "load", "check"):
        setattr(stages, name, timed(name, getattr(stages, name)))
    stages.extract_batches = timed("extract", stages.extract_batches)
    counts = {"documents": 0, "sentences": 0, "parser_candidates": 0, "model_candidates": 0}
    clock = ComponentClock() if detail else None
    if detail:
        rules_candidates, model_candidates = baseline.candidate_sentences, learned.find_candidates

        def counted_rules(doc):
            out = rules_candidates(doc)
            counts["documents"] += 1
            counts["sentences"] += len(doc.sentences)
            counts["parser_candidates"] += len(out)
            return out

        def counted_model(doc, hints=None):
            out = model_candidates(doc, hints)
            counts["model_candidates"] += len(out)
            return out

        baseline.candidate_sentences = counted_rules
        learned.find_candidates = counted_model
        load_nlp, load_event_model = nlp_module.load_nlp, nlp_module.load_event_model

        def timed_nlp(*args, **kwargs):
            nlp = load_nlp(*args, **kwargs)
            instrument(nlp, clock, "en_core_web_sm/")
            return nlp

        def timed_model():
            model = load_event_model()
            for part in ("detect", "roles", "status"):
                instrument(getattr(model, part), clock, f"event model {part}/")
            return model

        nlp_module.load_nlp, nlp_module.load_event_model = timed_nlp, timed_model
    settings = Settings.from_env()
    c0, t0 = _cpu_s(), time.perf_counter()
    summary = run_pipeline(corpus, warehouse, settings)
    total_wall, total_cpu = time.perf_counter() - t0, _cpu_s() - c0
    return {"wall_s": total_wall, "cpu_s": total_cpu, "stages_wall_s": wall, "stages_cpu_s": cpu,
            "summary": summary, "workers": settings.extract_workers,
            "parent_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
            "counts": counts if detail else None,
            "components_cpu_s": dict(clock.totals) if detail else None,
            "extractor_version": pipeline.extract.EXTRACTOR_VERSION}


def child_spacy(corpus: Path, blank: bool) -> dict:
    """``nlp.pipe`` over the article bodies: the full en_core_web_sm (naive) or the blank tokenizer alone."""
    import spacy

    from pipeline.nlp import resolve_model_name

    texts = _devbench().corpus_texts(corpus)
    t0 = time.perf_counter()
    nlp = spacy.blank("en") if blank else spacy.load(resolve_model_name(os.environ.get("BENCH_NAIVE_MODEL")))
    load_s = time.perf_counter() - t0
    c0, t0 = _cpu_s(), time.perf_counter()
    tokens = sum(len(doc) for doc in nlp.pipe(texts))
    return {"wall_s": time.perf_counter() - t0, "cpu_s": _cpu_s() - c0, "model_load_s": load_s,
            "components": nlp.pipe_names, "tokens": tokens,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}


def _warehouse_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file()) / 2**20


def child_scale(corpora: list[Path], warehouse: Path) -> dict:
    """Successive runs into one warehouse: load wall/CPU and warehouse size after each."""
    from pipeline import stages
    from pipeline.cli import run_pipeline
    from pipeline.settings import Settings

    from pipeline import warehouse as wh

    rows = []
    settings = Settings.from_env()
    # PIPELINE_WAREHOUSE_BACKEND=ducklake (the backends section) loads the lake its settings name
    target = settings.warehouse if wh.is_lake(settings.warehouse) else warehouse
    with wh.connect(target) as con:  # the schema first: batch 1 times a load, not the warehouse's creation
        wh.migrate(con)
    load = stages.load
    for corpus in corpora:
        cur: dict[str, float] = {}

        def timed_load(*args, **kwargs):
            c0, t0 = _cpu_s(), time.perf_counter()
            try:
                return load(*args, **kwargs)
            finally:
                cur["load_wall_s"], cur["load_cpu_s"] = time.perf_counter() - t0, _cpu_s() - c0

        stages.load = timed_load
        c0, t0 = _cpu_s(), time.perf_counter()
        summary = run_pipeline(corpus, target, settings)
        rows.append({**cur, "wall_s": time.perf_counter() - t0, "cpu_s": _cpu_s() - c0,
                     "warehouse_mb": _warehouse_size_mb(target), "ingested": summary.get("ingested")})
    return {"batches": rows}


# ---- both backends: load time per batch as the warehouse grows ------------------------------------

FLAT_PCT = 20.0  # the DuckLake load must stay within this from the first batch to the last


def flatness(rows: list[dict], key: str = "load_wall_s") -> dict:
    """How much the load time moved from the first batch to the last, and between the medians of
    the first and the last three (less sensitive to one noisy batch)."""
    values = [r[key] for r in rows]
    if len(values) < 2 or not values[0]:
        return {"first_s": values[0] if values else None, "last_s": values[-1] if values else None,
                "change_pct": float("nan"), "change_pct_median3": float("nan"), "flat": False}

    def median(xs):
        xs = sorted(xs)
        mid = len(xs) // 2
        return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2

    change = 100 * (values[-1] / values[0] - 1)
    head, tail = median(values[:3]), median(values[-3:])
    return {"first_s": values[0], "last_s": values[-1], "change_pct": change,
            "change_pct_median3": 100 * (tail / head - 1) if head else float("nan"),
            "flat": abs(change) <= FLAT_PCT}


def backends_table(result: dict, out=sys.stdout) -> None:
    w = out.write
    names = [b for b in ("duckdb", "ducklake") if b in result]
    rows = {b: result[b]["batches"] for b in names}
    w(f"{'batch':>6}{'articles':>10}" + "".join(f"{b + ' load s':>17}{b + ' MB':>14}" for b in names) + "\n")
    for i in range(max(len(r) for r in rows.values())):
        first = rows[names[0]][i]
        w(f"{i + 1:>6}{first.get('ingested') or 0:>10}")
        for b in names:
            r = rows[b][i] if i < len(rows[b]) else {}
            w(f"{r.get('load_wall_s', float('nan')):>17.2f}{r.get('warehouse_mb', float('nan')):>14.1f}")
        w("\n")
    for b in names:
        f = result[b]
        mark = "flat" if f["flat"] else "NOT flat"
        w(f"{b}: load {f['first_s']:.2f} s in batch 1, {f['last_s']:.2f} s in batch {len(rows[b])} "
          f"({f['change_pct']:+.0f}%; medians of the first and last 3: {f['change_pct_median3']:+.0f}%)"
          + (f", {mark} (target for ducklake: within {FLAT_PCT:.0f}%)" if b == "ducklake" else "") + "\n")


def _warehouse_size_mb(target) -> float:
    from pipeline.lake import Lake

    if not isinstance(target, Lake):
        return _warehouse_mb(Path(target))
    import psycopg2

    data = sum(p.stat().st_size for p in Path(target.data_path).rglob("*") if p.is_file())
    con = psycopg2.connect(target.catalog)
    try:
        with con.cursor() as cur:
            cur.execute("select pg_database_size(current_database())")
            catalog = cur.fetchone()[0]
    finally:
        con.close()
    return (data + catalog) / 2**20


def backends(args, work: Path, result: dict, save, used: set[str] = frozenset()) -> None:
    """The same batches of unseen realistic articles into a fresh DuckDB file and a fresh DuckLake
    (catalog in a new PostgreSQL database, dropped afterwards), each in a child process."""
    import psycopg2

    corpora = unseen_batches(work, "backends", args.backend_batches, args.backend_batch_docs, args.seed + 200, used)
    server = os.environ.get("BENCH_POSTGRES", "host=127.0.0.1 user=postgres")
    dbname = f"bench_lake_{os.getpid()}"
    lake_env = {"PIPELINE_WAREHOUSE_BACKEND": "ducklake", "PIPELINE_DUCKLAKE_CATALOG": f"{server} dbname={dbname}",
                "PIPELINE_DUCKLAKE_DATA_PATH": str(work / "lake")}
    try:
        for backend, env in (("duckdb", {"PIPELINE_WAREHOUSE_BACKEND": "duckdb"}), ("ducklake", lake_env)):
            print(f"backends: {args.backend_batches} batches of {2 * (args.backend_batch_docs // 2)} articles into {backend} ...", flush=True)
            rows = run_child("scale", env=env, corpus=corpora, warehouse=work / "backends.duckdb")["batches"]
            result[backend] = {"batches": rows, **flatness(rows)}
            save()
    finally:
        admin = psycopg2.connect(f"{server} dbname=postgres")
        admin.autocommit = True
        try:
            admin.cursor().execute(f'drop database if exists "{dbname}" with (force)')
        finally:
            admin.close()
    backends_table(result)


def run_child(kind: str, env: dict | None = None, **kwargs) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    for key, value in kwargs.items():
        if isinstance(value, bool):
            cmd += [f"--{key.replace('_', '-')}"] if value else []
        elif isinstance(value, list):
            cmd += [f"--{key.replace('_', '-')}", *map(str, value)]
        else:
            cmd += [f"--{key.replace('_', '-')}", str(value)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"throughput child {kind!r} failed with exit code {proc.returncode}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - t0
    return result


# ---- arithmetic (unit-tested on fake timings) -----------------------------------------------------

def _div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def rates(words: int, run: dict) -> dict:
    """Words per CPU second and per wall second of one run."""
    return {"wall_s": run["wall_s"], "cpu_s": run["cpu_s"],
            "words_per_cpu_s": _div(words, run["cpu_s"]), "words_per_wall_s": _div(words, run["wall_s"])}


def combine(parts: list[dict]) -> dict:
    """Several corpora's runs as one: words and seconds summed (so throughput is a words-weighted mean)."""
    out = {"articles": sum(p["articles"] for p in parts), "words": sum(p["words"] for p in parts), "runs": {}}
    for name in parts[0]["runs"]:
        runs = [p["runs"][name] for p in parts]
        summed = {"wall_s": sum(r["wall_s"] for r in runs), "cpu_s": sum(r["cpu_s"] for r in runs)}
        for key in ("stages_cpu_s", "components_cpu_s", "counts"):
            if all(r.get(key) for r in runs):
                summed[key] = {}
                for r in runs:
                    for k, v in r[key].items():
                        summed[key][k] = summed[key].get(k, 0) + v
        out["runs"][name] = summed
    return out


def figures(corpus: dict) -> dict:
    """Every figure of one corpus from its runs: throughput, ratios, pass rates, re-run cost, stage shares."""
    words, runs = corpus["words"], corpus["runs"]
    fig = {"articles": corpus["articles"], "words": words, "runs": {k: rates(words, r) for k, r in runs.items()}}
    pipe, tok, naive = runs["pipeline"], runs["tokenizer"], runs["naive"]
    fig["vs_tokenizer_cpu"] = _div(tok["cpu_s"], pipe["cpu_s"])  # = pipeline words/CPU s over tokenizer's
    fig["vs_tokenizer_wall"] = _div(tok["wall_s"], pipe["wall_s"])
    fig["vs_naive_cpu"] = _div(naive["cpu_s"], pipe["cpu_s"])
    fig["vs_naive_wall"] = _div(naive["wall_s"], pipe["wall_s"])
    one = runs.get("pipeline_1worker", {})
    if one:
        fig["vs_naive_cpu_1worker"] = _div(naive["cpu_s"], one["cpu_s"])
    counts = one.get("counts")
    if counts:
        fig["sentences"] = counts["sentences"]
        fig["parser_pass_rate"] = _div(counts["parser_candidates"], counts["sentences"])
        fig["model_pass_rate"] = _div(counts["model_candidates"], counts["sentences"])
    if "second" in runs:
        fig["second_run_cpu_pct"] = 100.0 * _div(runs["second"]["cpu_s"], pipe["cpu_s"])
        fig["second_run_wall_pct"] = 100.0 * _div(runs["second"]["wall_s"], pipe["wall_s"])
    for name in ("pipeline", "pipeline_1worker"):
        st = runs.get(name, {}).get("stages_cpu_s")
        if st:
            fig[f"{name}_stage_cpu_share"] = {k: _div(v, runs[name]["cpu_s"]) for k, v in st.items()}
    comps = one.get("components_cpu_s")
    if comps:
        fig["component_cpu_share"] = {k: _div(v, one["cpu_s"]) for k, v in comps.items()}
    return fig


def _mark(value: float, target: float, at_least: bool = True) -> str:
    if value != value:  # nan
        return "n/a"
    return "meets" if (value >= target if at_least else value <= target) else "MISSES"


def table(results: dict, out=sys.stdout) -> None:
    w = out.write
    order = [k for k in ("reuters21578", "modern", "realistic", "dev-style") if k in results]
    w(f"\n{'corpus':14}{'articles':>9}{'words':>10}  {'run':18}{'wall s':>8}{'CPU s':>8}"
      f"{'words/CPU s':>12}{'words/wall s':>13}\n")
    for key in order:
        f = results[key]
        for i, (name, r) in enumerate(f["runs"].items()):
            head = f"{key:14}{f['articles']:>9,}{f['words']:>10,}" if i == 0 else " " * 33
            w(f"{head}  {name:18}{r['wall_s']:>8.1f}{r['cpu_s']:>8.1f}{r['words_per_cpu_s']:>12,.0f}"
              f"{r['words_per_wall_s']:>13,.0f}\n")
    w(f"\n{'figure':44}" + "".join(f"{k:>14}" for k in order) + "   target\n")

    def row(label, key, fmt, target=""):
        w(f"{label:44}" + "".join(f"{format(results[k].get(key, float('nan')), fmt):>14}" for k in order)
          + f"   {target}\n")

    row("pipeline / tokenizer-only, CPU", "vs_tokenizer_cpu", ".2f", ">= 0.60")
    row("pipeline / tokenizer-only, wall", "vs_tokenizer_wall", ".2f", "(2 workers)")
    row("pipeline vs naive, CPU (x)", "vs_naive_cpu", ".2f", ">= 8 realistic, >= 3 dev-style")
    row("pipeline vs naive, wall (x)", "vs_naive_wall", ".2f", "(2 workers)")
    row("pipeline 1 worker vs naive, CPU (x)", "vs_naive_cpu_1worker", ".2f")
    row("sentences to the parser (rule prefilter)", "parser_pass_rate", ".1%")
    row("sentences to the event model (countries)", "model_pass_rate", ".1%")
    row("second run CPU, % of first", "second_run_cpu_pct", ".2f", "<= 2%")
    row("second run wall, % of first", "second_run_wall_pct", ".2f")
    for key in order:
        f = results[key]
        share = f.get("pipeline_1worker_stage_cpu_share") or {}
        if share:
            w(f"stage CPU share, 1 worker, {key}: " + ", ".join(f"{s} {100 * share.get(s, 0):.1f}%" for s in STAGES)
              + "\n")
        comps = f.get("component_cpu_share") or {}
        if comps:
            top = sorted(comps.items(), key=lambda kv: -kv[1])
            w(f"component CPU share, 1 worker, {key}: " + ", ".join(f"{k} {100 * v:.1f}%" for k, v in top if v >= 0.005)
              + "\n")


def machine() -> dict:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                                    text=True, cwd=ROOT).stdout.strip())
    except OSError:
        commit, dirty = None, None
    return {"cores": os.cpu_count(), "ram_gb": round(ram, 1), "python": platform.python_version(),
            "platform": platform.platform(), "load_average_at_start": load,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "git_commit": commit,
            "git_dirty": dirty}


def _settle(folder: Path) -> None:
    _devbench().settle(folder)


# ---- main -----------------------------------------------------------------------------------------

def measure(corpus: Path, work: Path, info: dict) -> dict:
    warehouse = work / f"{corpus.name}.duckdb"
    runs = {}
    print(f"  {corpus.name}: pipeline ...", flush=True)
    runs["pipeline"] = run_child("pipeline", corpus=corpus, warehouse=warehouse)
    print(f"  {corpus.name}: second run ...", flush=True)
    runs["second"] = run_child("pipeline", corpus=corpus, warehouse=warehouse)
    print(f"  {corpus.name}: pipeline, 1 extract worker, counting and component clocks ...", flush=True)
    runs["pipeline_1worker"] = run_child("pipeline", env={"PIPELINE_EXTRACT_WORKERS": "1"}, corpus=corpus,
                                         warehouse=work / f"{corpus.name}-1w.duckdb", detail=True)
    print(f"  {corpus.name}: naive en_core_web_sm ...", flush=True)
    runs["naive"] = run_child("naive", corpus=corpus)
    print(f"  {corpus.name}: blank tokenizer ...", flush=True)
    runs["tokenizer"] = run_child("tokenizer", corpus=corpus)
    return {"articles": info["articles"], "words": info["words"], "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2000, help="articles per corpus (default 2000)")
    parser.add_argument("--quick", action="store_true", help="200 articles per corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", action="store_true", help="also 10 batches of 500 and RSS at --rss-docs")
    parser.add_argument("--scale-batches", type=int, default=10)
    parser.add_argument("--scale-batch-docs", type=int, default=500)
    parser.add_argument("--rss-docs", type=int, default=20_000,
                        help="articles for the large RSS run (with --scale; 0 skips it; 20,000 takes ~6 CPU min)")
    parser.add_argument("--backends", action="store_true",
                        help="also the load time per batch on both backends (DuckDB file, DuckLake on the local "
                             "PostgreSQL) over --backend-batches batches")
    parser.add_argument("--only-backends", action="store_true",
                        help="only the backends section, merged into the existing --json file")
    parser.add_argument("--backend-batches", type=int, default=10)
    parser.add_argument("--backend-batch-docs", type=int, default=None,
                        help="articles per batch (default 500; --quick 100)")
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    parser.add_argument("--keep", type=Path, help="work here and keep the corpora and warehouses")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--detail", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        corpus = args.corpus[0] if args.corpus else None
        if args.child == "pipeline":
            result = child_pipeline(corpus, args.warehouse, args.detail)
        elif args.child in ("naive", "tokenizer"):
            result = child_spacy(corpus, blank=args.child == "tokenizer")
        elif args.child == "scale":
            result = child_scale(args.corpus, args.warehouse)
        else:
            raise SystemExit(f"unknown child {args.child}")
        print(json.dumps(result, default=str))
        return 0

    if args.backend_batch_docs is None:
        args.backend_batch_docs = 100 if args.quick else 500
    if args.only_backends:
        return main_backends(args)
    n = 200 if args.quick else args.docs
    info = machine()
    work = args.keep or Path(tempfile.mkdtemp(prefix="throughput-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    raw: dict[str, dict] = {}
    out: dict = {"machine": info, "articles_per_corpus": n, "seed": args.seed, "targets": TARGETS}
    try:
        built = {}
        for name in REALISTIC:
            built[name] = sample_pool(POOLS / name / "pool.jsonl", n, work / name, args.seed)
        built["dev-style"] = _devbench().build_corpus(n, work / "dev-style", args.seed)
        _settle(work)
        for name, b in built.items():
            print(f"corpus {name}: {b['articles']:,} articles, {b['words']:,} words", flush=True)
        for name in (*REALISTIC, "dev-style"):
            raw[name] = measure(work / name, work, built[name])
        raw["realistic"] = combine([raw[k] for k in REALISTIC])
        results = {k: figures(v) for k, v in raw.items()}
        out["corpora"] = results
        out["raw_runs"] = raw
        for key in ("reuters21578", "modern", "dev-style"):
            p = raw[key]["runs"]["pipeline"]
            results[key]["pipeline_parent_peak_rss_mb"] = p["parent_peak_rss_mb"]
            results[key]["pipeline_worker_peak_rss_mb"] = p["worker_peak_rss_mb"]
        table(results)
        for key in ("reuters21578", "modern", "dev-style"):
            print(f"parent peak RSS at N={n:,} ({key}): {results[key]['pipeline_parent_peak_rss_mb']:.0f} MB "
                  f"(largest extract worker {results[key]['pipeline_worker_peak_rss_mb']:.0f} MB)")
        def save() -> None:
            args.json.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")

        save()  # before the slow --scale part, so that an interrupted scale run keeps the main figures
        if args.scale:
            out["scale"] = {}
            scale(args, work, built, out["scale"], save)
        if args.backends:
            out["backends"] = {"batch_docs": args.backend_batch_docs, "machine": info}
            backends(args, work, out["backends"], save, used={d for name in REALISTIC for d in built[name]["docs"]})
        print(f"\nwrote {args.json}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def main_backends(args) -> int:
    """``--only-backends``: the backends section alone, written into the existing results file."""
    work = args.keep or Path(tempfile.mkdtemp(prefix="throughput-backends-"))
    work.mkdir(parents=True, exist_ok=True)
    out = json.loads(args.json.read_text(encoding="utf-8")) if args.json.exists() else {}
    out["backends"] = result = {"batch_docs": args.backend_batch_docs, "machine": machine()}

    def save() -> None:
        args.json.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")

    try:
        backends(args, work, result, save)
        print(f"\nwrote {args.json}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def unseen_batches(work: Path, prefix: str, batches: int, batch_docs: int, seed: int, used) -> list[Path]:
    """``batches`` folders of ``batch_docs`` articles, half from each realistic pool, none of them in
    ``used`` or in an earlier batch; settled, so that ingest reads them at once."""
    used = set(used)
    corpora = []
    for i in range(batches):
        batch = work / f"{prefix}-{i:02d}"
        for name in REALISTIC:
            got = sample_pool(POOLS / name / "pool.jsonl", batch_docs // 2, batch / name, seed + i, skip=used)
            used.update(got["docs"])
        corpora.append(batch)
    _settle(work)
    return corpora


def scale(args, work: Path, built: dict, result: dict, save) -> None:
    """Batches of unseen realistic articles (half of each pool) into one warehouse, then RSS at --rss-docs."""
    used = {d for name in REALISTIC for d in built[name]["docs"]}
    half = args.scale_batch_docs // 2
    corpora = unseen_batches(work, "scale", args.scale_batches, args.scale_batch_docs, args.seed + 100, used)
    print(f"scaling: {args.scale_batches} batches of {2 * half} articles into one warehouse ...", flush=True)
    rows = run_child("scale", corpus=corpora, warehouse=work / "scale.duckdb")["batches"]
    print(f"{'batch':>6}{'articles':>10}{'load wall s':>13}{'load CPU s':>12}{'run CPU s':>11}{'warehouse MB':>14}")
    for i, r in enumerate(rows):
        print(f"{i + 1:>6}{r['ingested']:>10}{r['load_wall_s']:>13.2f}{r['load_cpu_s']:>12.2f}{r['cpu_s']:>11.1f}"
              f"{r['warehouse_mb']:>14.1f}")
    result["batches"] = rows
    save()
    if args.rss_docs:
        big = work / "rss"
        per = {}
        for name in REALISTIC:
            pool_n = sum(1 for _ in (POOLS / name / "pool.jsonl").open(encoding="utf-8"))
            per[name] = min(pool_n, args.rss_docs // 2) if name == "modern" else None
        per["reuters21578"] = args.rss_docs - per["modern"]
        words = 0
        for name in REALISTIC:
            words += sample_pool(POOLS / name / "pool.jsonl", per[name], big / name, args.seed + 999)["words"]
        flat = big / "all"
        flat.mkdir()
        for name in REALISTIC:
            for p in (big / name).glob("*.txt"):
                p.rename(flat / f"{name}-{p.name}")
        _settle(flat)
        print(f"RSS: pipeline over {args.rss_docs:,} realistic articles ({words:,} words) ...", flush=True)
        r = run_child("pipeline", corpus=flat, warehouse=work / "rss.duckdb")
        result["rss"] = {"articles": args.rss_docs, "words": words, "wall_s": r["wall_s"], "cpu_s": r["cpu_s"],
                         "parent_peak_rss_mb": r["parent_peak_rss_mb"], "worker_peak_rss_mb": r["worker_peak_rss_mb"]}
        print(f"parent peak RSS at N={args.rss_docs:,}: {r['parent_peak_rss_mb']:.0f} MB "
              f"(largest extract worker {r['worker_peak_rss_mb']:.0f} MB; {r['cpu_s']:.0f} CPU s, {r['wall_s']:.0f} s)")
        save()


if __name__ == "__main__":
    raise SystemExit(main())
