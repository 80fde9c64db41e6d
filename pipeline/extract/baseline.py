"""The rule-only extractor, kept as the baseline the trained model is measured against.

Select it with ``PIPELINE_EXTRACTOR=rules``. Flow:
1. A regex prefilter over each sentence keeps only those with a trigger
   word; everything else never reaches the statistical model.
2. Candidate sentences go through ``nlp.pipe`` in batches (NER is disabled:
   the gazetteer and regexes find countries, dates and rates).
3. ``rules`` reads events off each parsed sentence.
4. A document-level pass fills what a sentence leaves implicit from cheap
   whole-document context: "the two sides" -> the article's two main
   countries, "the sanctions" -> the imposer named earlier, "the meeting"
   -> the date of the meeting reported earlier.
"""
from __future__ import annotations

import logging
import os
import re
from collections import Counter
from functools import lru_cache
from datetime import date
from typing import Iterable

from pipeline.extract.gazetteer import BODY_CODES, find_countries
from pipeline.extract.rules import DIRECTED, Candidate, agreement_candidate, cues, directed_candidates, \
    meeting_candidates, places, raw_cues
from pipeline.extract import RULES_VERSION
from pipeline.extract.document import expand_partial_parties
from pipeline.models import Actor, Document, EventMention

# Components the rules never read; skipping them is most of the speed-up besides the prefilter.
_DISABLED = ("ner", "ner_fixes")
log = logging.getLogger(__name__)


def limits() -> tuple[int, int]:
    """(longest sentence read, in characters; most triggers read per sentence).

    The rules examine the whole sentence once per trigger, so a sentence's cost grows with length
    times triggers; these bounds keep one hostile or garbled document from costing minutes. News
    sentences are far below both (a few hundred characters, one to three triggers)."""
    return (int(os.environ.get("PIPELINE_MAX_SENTENCE_CHARS", 3000)),
            int(os.environ.get("PIPELINE_MAX_TRIGGERS_PER_SENTENCE", 12)))


@lru_cache(maxsize=1)
def _prefilter() -> list[tuple[re.Pattern, re.Pattern | None]]:
    return [(re.compile(r["trigger"], re.IGNORECASE),
             re.compile(r["requires"], re.IGNORECASE) if r.get("requires") else None)
            for r in raw_cues()["prefilter_rules"]]


def passes_prefilter(text: str) -> bool:
    return any(trig.search(text) and (req is None or req.search(text)) for trig, req in _prefilter())


def candidate_sentences(doc: Document) -> list[int]:
    """Indices of sentences worth parsing: a trigger word, not an all-capitals headline, not over
    the sentence length bound (those are logged)."""
    max_chars, _ = limits()
    out, too_long = [], 0
    for i, s in enumerate(doc.sentences):
        text = doc.text[s.start:s.end]
        if text.isupper():
            continue  # wire headlines: the parser cannot read them and the body repeats them
        if passes_prefilter(text):
            if len(text) > max_chars:
                too_long += 1
                continue
            out.append(i)
    if too_long:
        log.warning("extract: document %s: %d sentences longer than %d characters not read for events "
                    "(PIPELINE_MAX_SENTENCE_CHARS)", doc.doc_id, too_long, max_chars)
    return out


def main_pair(doc: Document) -> list[str]:
    """The article's two most-mentioned countries (bodies count), each named at least twice."""
    counts = Counter(m.code for m in find_countries(doc.text, doc.published))
    top = [code for code, n in counts.most_common() if n >= 2][:2]
    return top if len(top) == 2 else []


def extract_mentions_rules(docs: Iterable[Document], nlp=None, batch_size: int = 64) -> list[EventMention]:
    """Every event mention in ``docs``, in document and sentence order. Deterministic."""
    if nlp is None:
        from pipeline.nlp import load_nlp

        nlp = load_nlp()
    docs = list(docs)
    jobs = []
    for d_idx, doc in enumerate(docs):
        for s_idx in candidate_sentences(doc):
            s = doc.sentences[s_idx]
            sdoc = nlp.make_doc(doc.text[s.start:s.end])
            sdoc.user_data["published"] = doc.published
            jobs.append((sdoc, (d_idx, s_idx)))
    disabled = [name for name in _DISABLED if name in nlp.pipe_names]
    parsed: dict[int, list] = {}
    for sdoc, (d_idx, s_idx) in nlp.pipe(jobs, as_tuples=True, batch_size=batch_size, disable=disabled):
        parsed.setdefault(d_idx, []).append((s_idx, sdoc))
    out: list[EventMention] = []
    for d_idx, doc in enumerate(docs):
        out.extend(_document_mentions(doc, parsed.get(d_idx, [])))
    return out


def _sentence_candidates(sdoc, published: date | None) -> list[Candidate]:
    plc = places(sdoc)
    triggers = list(sdoc.spans.get("triggers", []))
    _, max_triggers = limits()
    if len(triggers) > max_triggers:
        log.warning("extract: sentence %r...: %d triggers, only the first %d read "
                    "(PIPELINE_MAX_TRIGGERS_PER_SENTENCE)", sdoc.text[:60], len(triggers), max_triggers)
        triggers = triggers[:max_triggers]
    tariff_trigs = [t.root for t in triggers if t.label_ == "tariff"]
    cands: list[Candidate] = []
    for span in triggers:
        tok = span[0] if len(span) == 1 else span.root
        if len(span) > 1 and span[-1].pos_ in ("NOUN", "PROPN") and span[0].pos_ != "VERB" and span.label_ in DIRECTED:
            # "export controls", "import taxes": the head noun names the measure even when the
            # parser hangs the compound the wrong way round
            tok = span[-1]
        if span.label_ == "meeting":
            c = meeting_candidates(sdoc, tok, plc, published, sdoc.text)
            if c:
                cands.append(c)
        elif span.label_ == "agreement":
            c = agreement_candidate(sdoc, tok, plc, published, sdoc.text)
            if c:
                cands.append(c)
        else:
            cands.extend(directed_candidates(sdoc, tok, span.label_, plc, published, tariff_trigs))
    return cands


def _document_mentions(doc: Document, parsed: list) -> list[EventMention]:
    pair = main_pair(doc)
    mentions: list[EventMention] = []
    named: set[int] = set()  # ids of mentions whose parties the sentence itself names
    history: list[tuple[Candidate, list[str], list[str]]] = []  # resolved earlier candidates
    for s_idx, sdoc in sorted(parsed, key=lambda x: x[0]):
        sent = doc.sentences[s_idx]
        per_sentence: dict[tuple, EventMention] = {}
        guessed: set[tuple] = set()
        for cand in _sentence_candidates(sdoc, doc.published):
            own_codes = {p[0] for p in cand.participants} | {v[0] for v in cand.extra_venues}
            actors = _resolve_actors(cand, pair, history)
            if actors is None:
                continue
            _resolve_date(cand, sdoc, history, actors)
            history.append((cand, [a.code for a in actors], []))
            mention = EventMention(
                doc_id=doc.doc_id,
                event_type=cand.event_type,
                sentence=doc.text[sent.start:sent.end],
                char_start=sent.start,
                char_end=sent.end,
                trigger=cand.trigger.text,
                trigger_start=sent.start + cand.trigger.idx,
                actors=actors,
                extractor_version=RULES_VERSION,
                event_date=cand.event_date,
                date_text=cand.date_text,
                rate_pct=cand.rate,
                alt_rates=list(cand.alt_rates),
                status=cand.status if cand.event_type in DIRECTED else None,
                confidence=round(cand.confidence, 2),
                published=doc.published,
            )
            key = _sentence_key(mention)
            if cand.needs_pair and (set(pair) & {a.code for a in actors}) - own_codes:
                guessed.add(key)  # parties partly guessed from the article's main pair
            prev = per_sentence.get(key)
            per_sentence[key] = _merge(prev, mention) if prev else mention
        mentions.extend(per_sentence.values())
        named.update(id(m) for k, m in per_sentence.items() if k not in guessed)
    _sanctions_named_tariffs(mentions)
    _report_dates_from_neighbours(doc, mentions)
    expand_partial_parties(mentions, donors=named)
    return mentions


# A sentence that only reports when the act was made public: a reporting verb or an announcing noun.
_REPORT_WORDS = re.compile(r"\b(?:said|says|told|announced|disclosed|unveiled|confirmed|published|issued|"
                           r"notice|notification|statement|announcement|decree|order)\b", re.IGNORECASE)
# "The decision was announced ... on Monday", "In a notice published on Friday, the ministry said":
# a following sentence whose subject is an anaphor of the act or of its author.
_ANAPHORIC_OPENING = re.compile(
    r"^\s*(?:(?:in|on|at|late|early|earlier|later)\b[^,.;]{0,60},\s*)?(?:(?:the|this|that)\s+"
    r"(?:decision|move|measure|step|ministry|government|department|commission|agency|administration|"
    r"announcement|notification|order|decree|ban|tariffs?|dut(?:y|ies)|curbs?|quotas?)\b|(?:it|he|she|they)\b)",
    re.IGNORECASE)
# "He said the ministry sent a proposal ..." after "Wang ... on Saturday told reporters ...".
_PRONOUN_REPORT = re.compile(r"^\s*(?:he|she|they|it)\s+(?:also\s+|further\s+)?(?:said|told|added)\b",
                             re.IGNORECASE)


def _report_dates_from_neighbours(doc: Document, mentions: list[EventMention]) -> None:
    """A tariff or restriction the sentence leaves undated takes the day of the report of it stated in
    a neighbouring sentence: "The Centre has imposed an anti-dumping duty ... The decision was
    announced through a notification late on Monday evening." Conservative: the neighbour reports
    no event of its own and names no other country, it states one resolvable day that is not an
    effective date, it reads as a report ("said", "notice", "announced"), and its subject is an
    anaphor of the act or its author (following sentence, at most one undated, event-free sentence
    in between) or the mention's own sentence continues the neighbour's speaker ("He said ...")."""
    from pipeline.extract.dates import find_dates

    if doc.published is None:
        return
    starts = [s.start for s in doc.sentences]
    by_sentence: dict[int, list[EventMention]] = {}
    for m in mentions:
        idx = max(i for i, st in enumerate(starts) if st <= m.char_start)
        by_sentence.setdefault(idx, []).append(m)

    def text_of(i: int) -> str:
        s = doc.sentences[i]
        return doc.text[s.start:s.end]

    def report_day(i: int, actors: set[str], check_countries: bool):
        if i < 0 or i >= len(doc.sentences) or i in by_sentence:
            return None
        t = text_of(i)
        if not _REPORT_WORDS.search(t):
            return None
        if check_countries and {c.code for c in find_countries(t, doc.published)} - actors:
            return None
        days = [d for d in find_dates(t, doc.published, future=False) if d.value is not None]
        if len(days) != 1 or days[0].effective or days[0].value > doc.published:
            return None
        return days[0]

    def undated_free(i: int) -> bool:
        return 0 <= i < len(doc.sentences) and i not in by_sentence and not find_dates(text_of(i), doc.published)

    for idx, ms in by_sentence.items():
        for m in ms:
            if m.event_type not in DIRECTED or m.event_date is not None or m.status in ("threatened", "considered"):
                continue
            actors = {a.code for a in m.actors}
            found = None
            for j in (idx + 1, idx + 2):
                if j == idx + 2 and not undated_free(idx + 1):
                    break
                if j < len(doc.sentences) and _ANAPHORIC_OPENING.search(text_of(j)):
                    found = report_day(j, actors, True)
                    if found:
                        break
            if found is None and _PRONOUN_REPORT.search(text_of(idx)):
                found = report_day(idx - 1, actors, False)
            if found is not None:
                m.event_date, m.date_text = found.value, found.text


def _sanctions_named_tariffs(mentions: list[EventMention]) -> None:
    """Type follows the text: "sanctions" that the article itself reports as tariffs of the same
    imposer on the same target ("Reagan imposed sanctions on Japan ... The move raised tariffs
    to 100 pct") are tariffs; other sanctions stay trade restrictions (GUIDE.md)."""
    tariffs = {(tuple(m.codes("imposer")), tuple(m.codes("target"))) for m in mentions
               if m.event_type == "tariff" and m.codes("imposer")}
    for m in mentions:
        if m.event_type == "trade_restriction" and m.trigger.lower().startswith("sanction") and \
                (tuple(m.codes("imposer")), tuple(m.codes("target"))) in tariffs:
            m.event_type = "tariff"


def _sentence_key(m: EventMention) -> tuple:
    if m.event_type in DIRECTED:
        return (m.event_type, tuple(m.codes("imposer")), tuple(m.codes("target")), m.status, m.rate_pct)
    return (m.event_type,)


def _merge(a: EventMention, b: EventMention) -> EventMention:
    """Two triggers of one event in one sentence ("visit ... for talks"): keep one, union the parties."""
    codes = {x.code for x in a.actors}
    a.actors = a.actors + [x for x in b.actors if x.code not in codes]
    if a.event_date is None and b.event_date is not None:
        a.event_date, a.date_text = b.event_date, b.date_text
    if a.rate_pct is None and b.rate_pct is not None:
        a.rate_pct, a.alt_rates = b.rate_pct, b.alt_rates
    a.confidence = max(a.confidence, b.confidence)
    return a


def _resolve_actors(cand: Candidate, pair: list[str], history) -> list[Actor] | None:
    if cand.event_type in DIRECTED:
        imposer = cand.imposer
        targets = list(cand.targets)
        if imposer is None:
            # "the sanctions", "the boycott": the measure named earlier in the article
            own_targets = {t[0] for t in targets}
            # "the U.S. faced the same tariff": a measure hitting X is never X's own
            history = [h for h in history if not (h[0].imposer and h[0].imposer[0] in own_targets)]
            prev = [h for h in history if h[0].event_type == cand.event_type and h[0].imposer]
            pronoun = any(ch.dep_ in ("nsubj", "nsubjpass") and ch.lower_ in ("it", "they")
                          for ch in cand.trigger.children)
            if not prev and (cand.trigger.pos_ != "VERB" or pronoun):
                # "The move raised tariffs" after "X imposed sanctions": the measure just reported
                prev = [h for h in history if h[0].event_type in DIRECTED and h[0].imposer]
            named = {sp.label_ for sp in cand.trigger.doc.spans.get("countries", [])}
            if not prev and cand.implicit_actor and pair and targets and targets[0][0] in pair \
                    and len(set(pair) - {targets[0][0]}) == 1 and named <= set(pair):
                # "The ministry said it will drop tariffs on Australian barley" in a China-Australia
                # story: a measure whose target is one main country is the other's (weaker evidence)
                other = [code for code in pair if code != targets[0][0]][0]
                if other not in BODY_CODES or other == "EU":
                    prev = [(Candidate(cand.event_type, cand.trigger, imposer=(other, other)), [other], [])]
                    cand.confidence -= 0.1
            if not prev:
                return None
            imposer = prev[-1][0].imposer
            if not targets and prev[-1][0].targets:
                targets = [prev[-1][0].targets[0]]
            cand.confidence -= 0.1
        if not targets:
            prev = [h for h in history if h[0].event_type == cand.event_type
                    and h[0].imposer and h[0].imposer[0] == imposer[0] and h[0].targets]
            if prev:
                targets = [prev[-1][0].targets[0]]
        if not targets and pair and imposer[0] in pair:
            # A bilateral article's measure without a named target is aimed at the other
            # main country ("the sanctions" in a U.S.-Japan story); weaker evidence.
            other = [code for code in pair if code != imposer[0]][0]
            targets = [(other, other)]
            cand.confidence -= 0.15
        cand.imposer = imposer
        cand.targets = targets
        actors = [Actor("imposer", imposer[0], imposer[1])]
        actors += [Actor("target", t[0], t[1]) for t in targets if t[0] != imposer[0]]
        return actors
    parts = list(cand.participants)
    codes = {p[0] for p in parts}
    if cand.needs_pair:
        venues = {c for c, _ in cand.extra_venues}
        named = codes | venues
        if len(named) >= 2 and not (pair and set(pair) <= named):
            parts += [v for v in cand.extra_venues if v[0] not in codes]
        elif pair and (not codes or codes & set(pair) or venues & set(pair)):
            # venues outside the main pair ("monitored in Nicosia") are dropped so that
            # every mention of the event names the same parties
            parts += [(code, code) for code in pair if code not in codes]
        else:
            parts += [v for v in cand.extra_venues if v[0] not in codes]
    codes = {p[0] for p in parts}
    definite = any(ch.lower_ in ("the", "this", "that") for ch in cand.trigger.children)
    if cand.event_type == "meeting" and definite and codes:
        # "the X meeting will also involve ...": the meeting named earlier, with its parties
        for h, hcodes, _ in reversed(history):
            if h.event_type == "meeting" and set(hcodes) & codes and not set(hcodes) <= codes:
                parts += [(code, code) for code in hcodes if code not in codes]
                break
    codes = {p[0] for p in parts}
    if len(codes) < 2:
        return None
    cand.participants = parts
    return [Actor("participant", code, name) for code, name in parts]


def _resolve_date(cand: Candidate, sdoc, history, actors: list[Actor]) -> None:
    """Dates a sentence gives only by reference to an earlier event ("the meeting came the day ...")."""
    if cand.event_date is not None:
        return
    codes = {a.code for a in actors}
    # "the meeting", "this visit", "after her talks": a meeting the article has already reported
    refs = [t for t in sdoc if t.lemma_ in ("meeting", "session", "talk", "visit", "summit")
            and any(ch.lower_ in ("the", "this", "her", "his", "their") for ch in t.children)
            and t.i != cand.trigger.i]
    anaphoric = cand.event_type == "agreement" and refs
    if cand.event_type == "meeting" and not refs:
        # "finalized during the session": a meeting dated by the signing reported with it
        refs_agree = [t for t in sdoc if t.lemma_ in ("agreement", "protocol", "accord", "pact", "deal")
                      and any(ch.lower_ in ("the", "this") for ch in t.children)]
        if refs_agree:
            for h, hcodes, _ in reversed(history):
                if h.event_type == "agreement" and h.event_date and set(hcodes) & codes:
                    cand.event_date, cand.date_text = h.event_date, h.date_text
                    return
        return
    if not anaphoric:
        return
    for h, hcodes, _ in reversed(history):
        if h.event_type == "meeting" and h.event_date and (cand.event_type in DIRECTED or set(hcodes) & codes):
            cand.event_date, cand.date_text = h.event_date, h.date_text
            return
