"""The trained event extractor: sentence candidates in, ``EventMention`` records out.

Three linear text classifiers (``pipeline.extract.classifier``), trained by ``make train`` from the
annotated corpus (training/), read the candidates of ``pipeline.extract.candidates``:

- ``detect`` (multi-label): which event types a sentence states;
- ``roles``: for one event type and one marked country, its role (a type's roles from
  pipeline/data/event_types.json, or ``none``);
- ``status``: the stage of a tariff or trade restriction.

Rules stay where they are exact: countries (gazetteer), rates and date resolution. The
document-level pass turns the classified candidates into mentions and reads nothing else.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from pipeline.extract.candidates import SentenceCandidate, detector_text, find_candidates, role_text, rule_hints, \
    status_text
from pipeline.extract.classifier import TextClassifier
from pipeline.extract.dates import find_dates
from pipeline.extract.document import expand_partial_parties
from pipeline.extract.rates import find_rates
from pipeline.models import DIRECTED, EVENT_SPECS, Actor, Document, EventMention

NONE_ROLE = "none"
DEFAULT_SETTINGS = {
    "detect_threshold": {"meeting": 0.5, "agreement": 0.5, "tariff": 0.5, "trade_restriction": 0.5},
    "participant_threshold": 0.5,
    "imposer_threshold": 0.3,
    "target_threshold": 0.5,
    "min_parties": 1,
    # types for which the rule extractor's own mentions are added to the model's (chosen on
    # development articles: where the rules find events the model misses)
    "rule_union": [],
}


@dataclass
class EventModel:
    """The three trained classifiers plus the data the slot fillers use (trigger lexicon, thresholds)."""

    detect: TextClassifier
    roles: TextClassifier
    status: TextClassifier
    triggers: dict[str, list[str]]
    settings: dict

    @classmethod
    def load(cls, path: Path) -> "EventModel":
        missing = [p for p in ("detect", "roles", "status", "extractor.json") if not (path / p).exists()]
        if missing:
            raise FileNotFoundError(
                f"trained event model at {path} lacks {', '.join(missing)}; rebuild it with `make train` "
                "or restore pipeline/model/ from git")
        meta = json.loads((path / "extractor.json").read_text(encoding="utf-8"))
        settings = {**DEFAULT_SETTINGS, **meta.get("settings", {})}
        return cls(TextClassifier.load(path / "detect"), TextClassifier.load(path / "roles"),
                   TextClassifier.load(path / "status"), meta.get("triggers", {}), settings)


@lru_cache(maxsize=32)
def _trigger_regex(words: tuple[str, ...]) -> re.Pattern | None:
    """One alternation for a type's lexicon, longest words first: at each position the regex takes the
    first alternative that matches, so its leftmost match is the earliest and, there, the longest trigger
    (one pattern per type instead of a search per word and sentence, which overflowed re's cache)."""
    alternatives = sorted({w for w in words if w}, key=lambda w: (-len(w), w))
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, alternatives)) + r")(?!\w)")


def _trigger(sentence: str, words: list[str] | tuple[str, ...]) -> tuple[str, int]:
    """The first lexicon trigger of the type in the sentence (evidence highlighting); else the sentence."""
    regex = _trigger_regex(tuple(words))
    m = regex.search(sentence.lower()) if regex is not None else None
    if m is None:
        stripped = sentence.lstrip()
        return stripped.split(" ", 1)[0] or sentence, len(sentence) - len(stripped)
    return sentence[m.start():m.end()], m.start()


def _date(sentence: str, published, event_type: str):
    """The day of the act: the first date in the sentence that is not an effective date."""
    future = None
    if event_type in DIRECTED:
        future = False  # a measure's date is when it was taken or announced, never ahead
    for d in find_dates(sentence, published, future=future):
        if d.value is not None and not d.effective:
            if event_type in DIRECTED and published is not None and d.value > published:
                continue
            return d.value, d.text
    return None, None


def _rate(sentence: str) -> tuple[float | None, list[float]]:
    rates = find_rates(sentence)
    if not rates:
        return None, []
    first = rates[0]
    alts = list(first.alt) + ([first.previous] if first.previous is not None else [])
    alts += [r.value for r in rates[1:]]
    return first.value, sorted({a for a in alts if a != first.value})


def extract_with_model(docs: Iterable[Document], model: EventModel, version: str,
                       rule_mentions: list[EventMention] | None = None) -> list[EventMention]:
    """``rule_mentions``: the rule extractor's mentions of ``docs`` (features, and for some types extra
    mentions); computed here when not given."""
    docs = list(docs)
    if rule_mentions is None:
        from pipeline.extract.baseline import extract_mentions_rules

        rule_mentions = extract_mentions_rules(docs)
    hints = rule_hints(rule_mentions)
    cands: list[tuple[Document, SentenceCandidate]] = [(d, c) for d in docs for c in find_candidates(d, hints)]
    detected = model.detect.predict([detector_text(d, c) for d, c in cands])
    thresholds = model.settings["detect_threshold"]
    events = []  # (doc, cand, type, p)
    for (d, c), cats in zip(cands, detected):
        for etype in EVENT_SPECS:
            p = cats.get(etype, 0.0)
            if p >= thresholds.get(etype, 0.5):
                events.append((d, c, etype, p))
    questions = [(i, code) for i, (d, c, etype, _) in enumerate(events) for code in c.party_codes()]
    role_cats = model.roles.predict([role_text(events[i][0], events[i][1], events[i][2], code)
                                    for i, code in questions])
    roles: dict[int, dict[str, dict[str, float]]] = {}
    for (i, code), cats in zip(questions, role_cats):
        roles.setdefault(i, {})[code] = cats
    directed = [i for i, e in enumerate(events) if e[2] in DIRECTED]
    status_cats = model.status.predict([status_text(events[i][0], events[i][1], events[i][2]) for i in directed])
    statuses = {i: max(cats, key=cats.get) for i, cats in zip(directed, status_cats)}

    per_doc: dict[str, list[EventMention]] = {d.doc_id: [] for d in docs}
    last_imposer: dict[str, tuple[str, str]] = {}
    for i, (d, c, etype, p) in enumerate(events):
        per_doc[d.doc_id].extend(_mentions(d, c, etype, p, roles.get(i, {}), statuses.get(i), model, version,
                                           last_imposer))
    union = set(model.settings["rule_union"])
    for m in rule_mentions:
        if m.event_type in union and m.doc_id in per_doc:
            per_doc[m.doc_id].append(replace(m, extractor_version=version, actors=list(m.actors)))
    out: list[EventMention] = []
    least = model.settings["min_parties"]
    for mentions in per_doc.values():
        # "Mexico's president ... the meeting" after "Mexico and the US met": one event, so that
        # coreference, which blocks on exact party sets, merges the partial report
        expand_partial_parties(mentions)
        out.extend(m for m in mentions if m.event_type in DIRECTED or len(m.codes("participant")) >= least)
    return out


def _name(doc: Document, cand: SentenceCandidate, code: str) -> str:
    for s in cand.countries:
        if s.code == code:
            return doc.text[s.start:s.end]
    return code


def _mentions(doc: Document, cand: SentenceCandidate, etype: str, p: float, roles: dict[str, dict[str, float]],
              status: str | None, model: EventModel, version: str,
              last_imposer: dict[str, tuple[str, str]]) -> list[EventMention]:
    """The document-level pass for one detected (sentence, type): parties from the role model, slots
    from the rule fillers. ``last_imposer`` carries the imposer of the document's previous measure,
    for "the curbs" whose author the sentence leaves implicit."""
    sentence = doc.text[cand.start:cand.end]
    s = model.settings
    actor_sets: list[list[Actor]] = []
    if EVENT_SPECS[etype]["directed"]:
        imposers = sorted(((cats.get("imposer", 0.0), code) for code, cats in roles.items()), reverse=True)
        if imposers and imposers[0][0] >= s["imposer_threshold"]:
            imposer = imposers[0][1]
            last_imposer[doc.doc_id] = (imposer, _name(doc, cand, imposer))
        elif doc.doc_id in last_imposer:
            imposer = last_imposer[doc.doc_id][0]
        else:
            return []
        targets = [code for code, cats in sorted(roles.items())
                   if code != imposer and cats.get("target", 0.0) >= s["target_threshold"]]
        base = [Actor("imposer", imposer, _name(doc, cand, imposer))]
        actor_sets = [base + [Actor("target", t, _name(doc, cand, t))] for t in targets] or [base]
    else:
        parts = [code for code, cats in sorted(roles.items()) if cats.get("participant", 0.0) >= s["participant_threshold"]]
        if not parts:
            return []
        actor_sets = [[Actor("participant", code, _name(doc, cand, code)) for code in parts]]
    trigger, t_at = _trigger(sentence, model.triggers.get(etype, []))
    event_date, date_text = _date(sentence, doc.published, etype)
    rate, alts = _rate(sentence) if etype == "tariff" else (None, [])
    return [EventMention(
        doc_id=doc.doc_id, event_type=etype, sentence=sentence, char_start=cand.start, char_end=cand.end,
        trigger=trigger, trigger_start=cand.start + t_at, actors=actors, extractor_version=version,
        event_date=event_date, date_text=date_text, rate_pct=rate, alt_rates=alts,
        status=status if etype in DIRECTED else None, confidence=round(p, 2), published=doc.published,
    ) for actors in actor_sets]
