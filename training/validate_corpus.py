"""Check annotation files against GUIDE.md's format and the pool texts they describe.

    python training/validate_corpus.py training/corpus/*.jsonl [--pools ../shared/train]

Every problem is printed as `file:line doc: what is wrong`, and the exit code is 1 when
there is any. Checks: known pool article and matching text hash (when given), event
types and their slots, ISO 3166-1 alpha-3 or closed-list body codes, sorted party lists,
date format, statuses, and that `evidence` (and `trigger`, inside the evidence) are exact
substrings of the article text.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

import pycountry

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.extract.gazetteer import BODY_CODES, HISTORIC_CODES  # noqa: E402
from pipeline.models import EVENT_TYPES, STATUSES  # noqa: E402
from training.corpus import DEFAULT_POOLS, pool_texts  # noqa: E402

TYPES = set(EVENT_TYPES)
CODES = {c.alpha_3 for c in pycountry.countries} | set(BODY_CODES) | set(HISTORIC_CODES)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def event_problems(ev: dict, text: str) -> list[str]:
    out = []
    etype = ev.get("type")
    if etype not in TYPES:
        return [f"type {etype!r} is not one of {sorted(TYPES)}"]
    if etype in ("meeting", "agreement"):
        countries = ev.get("countries")
        if not isinstance(countries, list) or not countries:
            out.append("meeting/agreement needs a non-empty `countries` list")
        else:
            bad = [c for c in countries if c not in CODES]
            if bad:
                out.append(f"unknown codes {bad}")
            if countries != sorted(set(countries)):
                out.append("`countries` must be sorted and without repeats")
    else:
        if ev.get("imposer") not in CODES:
            out.append(f"imposer {ev.get('imposer')!r} is not a known code")
        if ev.get("target") is not None and ev.get("target") not in CODES:
            out.append(f"target {ev.get('target')!r} is not a known code")
        if ev.get("status") not in STATUSES:
            out.append(f"status {ev.get('status')!r} is not one of {sorted(STATUSES)}")
        if etype == "tariff":
            rate = ev.get("rate_pct")
            if rate is not None and not isinstance(rate, (int, float)):
                out.append("rate_pct must be a number or null")
            if any(not isinstance(r, (int, float)) for r in ev.get("alt_rates") or []):
                out.append("alt_rates must be numbers")
    date = ev.get("date")
    if date is not None and not (isinstance(date, str) and DATE.match(date)):
        out.append(f"date {date!r} is not YYYY-MM-DD or null")
    evidence = ev.get("evidence")
    if not isinstance(evidence, str) or not evidence or evidence not in text:
        out.append("evidence is not an exact substring of the article (copy it with its line breaks)")
    trigger = ev.get("trigger")
    if trigger is not None and isinstance(evidence, str) and trigger not in evidence:
        out.append(f"trigger {trigger!r} is not inside the evidence")
    return out


def validate(paths: list[Path], texts: dict[str, str]) -> list[str]:
    problems = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path}:{n}"
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    problems.append(f"{where}: not JSON ({exc})")
                    continue
                doc = row.get("doc")
                text = texts.get(doc)
                if text is None:
                    problems.append(f"{where} {doc}: not a pool article")
                    continue
                sha = row.get("sha256")
                if sha is not None and sha != hashlib.sha256(text.encode("utf-8")).hexdigest():
                    problems.append(f"{where} {doc}: sha256 does not match the pool text")
                if not isinstance(row.get("events"), list):
                    problems.append(f"{where} {doc}: `events` must be a list")
                    continue
                for i, ev in enumerate(row["events"]):
                    problems += [f"{where} {doc} event {i}: {p}" for p in event_problems(ev, text)]
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--pools", type=Path, default=DEFAULT_POOLS)
    args = ap.parse_args(argv)
    problems = validate(args.files, pool_texts(args.pools))
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
