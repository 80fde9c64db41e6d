"""Sentence-level event rules over a parsed sentence.

Each rule starts from a trigger span (``doc.spans["triggers"]``), checks the
modality around it (negation, cancellation, hypotheticals, allegations) and
reads its arguments off the dependency parse. Anything the sentence does not
settle (the parties of "the two sides", the imposer of "the sanctions") is
left to the document-level pass in ``__init__``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing spaCy costs seconds, and processes that need only
    # EXTRACTOR_VERSION (ingest, normalise, load) never parse; pipeline.nlp imports it when a model loads
    from spacy.tokens import Doc, Span, Token

from pipeline.extract.dates import find_dates
from pipeline.extract.gazetteer import BODY_CODES, aliases
from pipeline.extract.rates import RateMention, find_rates
from pipeline.models import DIRECTED

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@lru_cache(maxsize=1)
def raw_cues() -> dict:
    """pipeline/data/cues.json as written: word lists, plus the prefilter's regex rules."""
    return json.loads((DATA_DIR / "cues.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def cues() -> dict[str, set[str]]:
    return {k: set(v) for k, v in raw_cues().items() if not k.startswith("_") and k != "prefilter_rules"}


@dataclass
class Candidate:
    """One event read off one sentence, before document-level completion."""

    event_type: str
    trigger: Token
    participants: list[tuple[str, str]] = field(default_factory=list)  # (code, surface)
    imposer: tuple[str, str] | None = None
    targets: list[tuple[str, str]] = field(default_factory=list)
    needs_pair: bool = False  # parties left implicit ("both sides"): fill from the document
    event_date: date | None = None
    date_text: str | None = None
    rate: float | None = None
    alt_rates: list[float] = field(default_factory=list)
    status: str | None = None
    confidence: float = 0.5
    implicit_actor: bool = False  # the actor is "the ministry", "the government", "it": a party left unnamed
    extra_venues: list[tuple[str, str]] = field(default_factory=list)  # venues, used when no pair is known  # "the day X imposed ...": date comes from the event it refers to


# ---------------------------------------------------------------- syntax helpers

_CLAUSE_DEPS = {"advcl", "relcl", "ccomp", "parataxis", "ROOT"}
_MODAL_CONSIDER = {"may", "might", "could"}
_FUTURE_AUX = {"will", "shall", "'ll", "wo"}
_LOCATIVE_PREPS = {"in", "at", "near", "from", "for", "via", "outside"}
# Verbs of requesting: the measure is what someone else wants, not an act.
_REQUEST = {"ask", "urge", "press", "demand", "call", "want", "request", "push", "lobby",
            "authorise", "authorize", "allow", "permit",
            # an obligation to act is not the act: "membership obliges them to reduce tariffs"
            "oblige", "compel"}
# Nouns that hold an event noun without being one: "a round of talks", "two days of negotiations".
_CONTAINER_NOUNS = {"round", "series", "day", "week", "hour", "set", "session", "couple", "week", "month", "year"}
_REPORTING = {"say", "announce", "tell", "add", "state", "confirm", "report", "insist"}
# Nouns whose "on/over/about" phrase names a topic, not a measure: "talks on tariffs", "a hearing on duties".
_TOPIC_NOUNS = {"talk", "hearing", "debate", "discussion", "negotiation", "meeting", "dispute", "row", "report",
                "study", "consultation", "question", "issue", "conference", "summit", "seminar", "inquiry",
                "investigation", "probe", "testimony", "speech", "article", "letter", "story", "fight", "feud",
                "tension", "war", "concern", "fear", "worry", "uncertainty", "impact", "effect", "cost"}
# Verbs of talking about a measure: the subject talks about it, it does not act on it.
_DISCOURSE_VERBS = {"discuss", "debate", "negotiate", "talk", "address", "explain", "criticise", "criticize",
                    "condemn", "blame", "oppose", "protest", "challenge", "complain"}
_MEETING_VERBS = {"meet", "visit", "confer", "hold", "gather", "convene"}
_PLANNED = {"expect", "plan", "hope", "want", "seek", "aim", "intend", "try", "prepare", "wish", "fear",
            "prevent", "likely", "set"}


def governing_verb(tok: Token, max_up: int = 4) -> Token | None:
    """The verb a trigger noun depends on ("imposed ... tariffs" -> imposed)."""
    if tok.pos_ in ("VERB", "AUX"):
        return tok
    for child in tok.children:
        if child.dep_ in ("acl", "relcl") and child.pos_ == "VERB" and child.i > tok.i:
            return child
    # "the removal of sanctions imposed earlier": the participle right after the
    # trigger describes the trigger even when the parser hangs it on "removal".
    if tok.dep_ == "pobj" and tok.head.lower_ == "of":
        for child in tok.head.head.children:
            if child.dep_ == "acl" and child.pos_ == "VERB" and child.i == tok.i + 1:
                return child
    cur = tok
    steps = 0
    while steps < max_up:
        if cur.head.i == cur.i:
            return None
        cur = cur.head
        if cur.pos_ in ("VERB", "AUX"):
            return cur
        # "plans for another round of tariff cuts": prepositions and container nouns link the
        # measure to its verb without adding distance
        if cur.pos_ != "ADP" and cur.lemma_.lower() not in _CONTAINER_NOUNS:
            steps += 1
    return None


def verb_chain(verb: Token | None, limit: int = 4) -> list[Token]:
    """The verb and the verbs it is the complement of ("threatened to stop" -> [stop, threatened])."""
    chain = []
    cur = verb
    while cur is not None and len(chain) < limit:
        chain.append(cur)
        if cur.dep_ in ("xcomp", "conj", "acl", "pcomp", "advcl", "ccomp") and cur.head.i != cur.i:
            nxt = cur.head
            # climb through "by signing" / "to set" (pcomp / prep) and nouns that take a clause ("plan to ban")
            while nxt.pos_ in ("ADP", "NOUN", "ADJ", "PART") and nxt.head.i != nxt.i and nxt.dep_ not in _CLAUSE_DEPS:
                chain.append(nxt)
                nxt = nxt.head
            cur = nxt if all(nxt.i != c.i for c in chain) else None
        else:
            break
    return chain


def clause_root(tok: Token) -> Token:
    cur = tok
    while cur.dep_ not in _CLAUSE_DEPS and cur.head.i != cur.i:
        cur = cur.head
    return cur


def clause_tokens(tok: Token) -> set[int]:
    """Token ids of the trigger's clause, without side clauses that do not contain it."""
    root = clause_root(tok)
    return _without_side_clauses(root, tok)


def _without_side_clauses(root: Token, keep: Token) -> set[int]:
    ids = {t.i for t in root.subtree}
    for t in root.subtree:
        if t.i != root.i and t.dep_ in ("advcl", "relcl", "ccomp", "parataxis", "acl"):
            sub = {x.i for x in t.subtree}
            if keep.i not in sub:
                ids -= sub
    return ids


def party_scope(trig: Token) -> set[int]:
    """Tokens that can name the parties of a meeting/agreement trigger.

    The trigger's own phrase, plus the subject and object of the verb it hangs
    on ("India and Russia held talks", "X signed the pact"), never the other
    prepositional phrases or side clauses of that verb (venues, causes, background).
    """
    ids = _without_side_clauses(trig, trig)
    anchor = trig
    # "a second round of negotiations", "two days of talks": the container noun links to the verb
    while anchor.dep_ == "pobj" and anchor.head.lower_ == "of" and anchor.head.head.pos_ in ("NOUN", "PROPN") \
            and anchor.head.head.lemma_.lower() in _CONTAINER_NOUNS:
        anchor = anchor.head.head
        ids |= {anchor.i} | {t.i for t in anchor.children if t.dep_ in ("amod", "compound", "poss")}
    verbs = []
    purpose = None
    if trig.pos_ == "VERB":
        verbs.append(trig)
    elif anchor.dep_ in ("dobj", "nsubj", "nsubjpass", "attr") and anchor.head.pos_ in ("VERB", "AUX"):
        verbs.append(anchor.head)
    elif anchor.dep_ == "pobj" and anchor.head.lower_ == "for" and anchor.head.head.pos_ == "VERB":
        # "travelled to Washington for talks", "hosted Scholz in Beijing for talks": the
        # traveller/host and where they went are the parties of the purpose
        purpose = anchor.head.head
        verbs.append(purpose)
    verbs += [c for v in list(verbs) for c in v.children if c.dep_ == "conj" and c.pos_ == "VERB"]
    for v in verbs:
        for ch in v.children:
            if ch.dep_ in ("nsubj", "nsubjpass", "dobj", "agent") or (
                    ch.dep_ == "prep" and ch.lower_ in ("with", "between", "by")) or (
                    v is purpose and ch.dep_ == "prep" and ch.lower_ in ("to", "in", "at")):
                ids |= _without_side_clauses(ch, ch)
            if ch.dep_ == "nsubj" and ch.pos_ == "PRON" and v.dep_ == "ccomp" and \
                    v.head.lemma_.lower() in _REPORTING:
                # "Tokyo said it would hold talks with Washington": "it" is the speaker
                ids |= {x.i for s in v.head.children if s.dep_ == "nsubj" for x in s.subtree}
        if v.dep_ in ("acl", "relcl") and v.head.pos_ in ("NOUN", "PROPN"):
            # "the first U.S. official to visit Japan": the official is the visitor
            ids |= {t.i for t in v.head.children if t.dep_ in ("compound", "amod", "poss", "nmod")} | {v.head.i}
            ids |= {x.i for t in v.head.children if t.dep_ in ("compound", "amod", "poss", "nmod") for x in t.subtree}
        if v.dep_ == "xcomp":
            ids |= {x.i for ch in v.head.children if ch.dep_ in ("nsubj", "nsubjpass") for x in ch.subtree}
    return ids


def is_negated(tokens: list[Token]) -> bool:
    neg = cues()["negation_lemmas"]
    for t in tokens:
        if t.lemma_.lower() in ("deny", "refuse", "reject", "fail"):
            return True
        for c in t.children:
            if c.dep_ == "neg" or (c.dep_ == "det" and c.lower_ == "no"):
                return True
            if c.dep_ == "advmod" and c.lower_ == "never":
                return True
    return False


def has_aux(verb: Token | None, words: set[str]) -> bool:
    if verb is None:
        return False
    return any(c.dep_ in ("aux", "auxpass") and c.lower_ in words for c in verb.children)


# ---------------------------------------------------------------- countries

@dataclass(frozen=True)
class Place:
    code: str
    text: str
    root: Token
    kind: str
    locative: bool
    span: Span


def places(doc: Doc) -> list[Place]:
    table = aliases()
    out = []
    for span in doc.spans.get("countries", []):
        root = span.root
        text = span.text[:-2] if span.text.endswith("'s") else span.text
        kind = table.get(text, (None, "name"))[1]
        locative = False
        anchor = root
        while anchor.dep_ == "conj" and anchor.head.i != anchor.i:
            anchor = anchor.head  # "in Tokyo and Seoul": conjuncts share the venue reading
        if anchor.dep_ == "pobj" and anchor.head.lower_ in _LOCATIVE_PREPS:
            prep = anchor.head
            # "officials from India" names a party; "returned from Moscow" a place
            origin = prep.lower_ == "from" and prep.head.pos_ in ("NOUN", "PROPN", "PRON")
            locative = kind in ("capital", "name", "historic", "abbrev") and not _trade_from(anchor) and not origin
        # "ambassador to Moscow", "embassy in Copenhagen": the post belongs to the other country.
        if root.dep_ == "pobj" and root.head.head.lemma_ in ("ambassador", "envoy", "embassy", "consulate"):
            continue
        before = doc[max(0, span.start - 3):span.start]
        if len(before) >= 2 and before[-1].lower_ == "to" and any(
                t.lemma_ in ("ambassador", "envoy") for t in before[:-1]):
            continue
        out.append(Place(span.label_, text, root, kind, locative, span))
    return out


def _trade_from(tok: Token) -> bool:
    """'imports from X': a goods origin, not a venue."""
    prep = tok.head
    return prep.lower_ == "from" and prep.head.lemma_ in cues()["trade_objects"]


def _dedupe(pairs):
    seen, out = set(), []
    for code, text in pairs:
        if code not in seen:
            seen.add(code)
            out.append((code, text))
    return out


# ---------------------------------------------------------------- dates and rates

_MEETING_NOUNS = {"meeting", "session", "summit", "talk", "talks", "conference", "visit", "hearing"}


def pick_date(doc: Doc, anchors: list[Token], published: date | None, future: bool,
              scope: set[int] | None = None, skip_meeting_dates: bool = False):
    """The date expression nearest the event's verb; vague ones ("last week") win as None.
    ``skip_meeting_dates``: a date that modifies a meeting noun ("a Thursday meeting to decide what
    sanctions ...") dates that meeting, never a measure."""
    best = None
    past_read = find_dates(doc.text, published, False)
    future_read = find_dates(doc.text, published, True)
    for dm_past, dm_future in zip(past_read, future_read):
        if dm_past.effective:
            continue
        span = doc.char_span(dm_past.start, dm_past.end, alignment_mode="expand")
        if span is None:
            continue
        if anchors and _in_other_relative_clause(span.root, anchors):
            continue
        if skip_meeting_dates and span.root.dep_ in ("compound", "nmod", "npadvmod", "amod") and \
                span.root.head.lemma_ in _MEETING_NOUNS and all(span.root.head.i != a.i for a in anchors):
            continue
        dm = dm_future if _tense_of(span, future) else dm_past
        dist = min(abs(span.start - a.i) for a in anchors) if anchors else 0
        in_scope = scope is None or span.root.i in scope
        key = (not in_scope, dist)
        if best is None or key < best[0]:
            best = (key, dm)
    if best is None:
        return None, None
    return best[1].value, best[1].text


def _in_other_relative_clause(tok: Token, anchors: list[Token]) -> bool:
    """"... joined by Gorbachev, who had talks with her yesterday": a date inside a relative clause
    on a named person or party that holds none of the event's words dates what that clause
    reports about them, not the event."""
    for a in [tok, *tok.ancestors]:
        if a.dep_ == "relcl":
            if a.head.pos_ != "PROPN":
                return False  # "negotiations that ended earlier today" still date what followed them
            sub = {t.i for t in a.subtree}
            return not any(x.i in sub for x in anchors)
    return False


def _tense_of(span: Span, default: bool) -> bool:
    """Whether the verb a date hangs on is future ("will meet on Friday") or past ("said on Friday").

    A sentence often mixes both ("X will impose ..., the minister said on Friday"); the
    date's own verb decides, the event's tense only when that verb shows none.
    """
    doc = span.doc
    k = span.start - 1
    if k >= 0 and doc[k].lower_ == "on":
        k -= 1
    if k >= 0 and doc[k].tag_ == "VBD" and doc[k].lemma_.lower() in _REPORTING | {"sign", "agree", "meet"}:
        return False  # "said on Monday it would ...": the parser often hangs the day on the reported verb
    v = span.root
    for _ in range(4):
        if v.pos_ in ("VERB", "AUX") or v.head.i == v.i:
            break
        v = v.head
    if v.pos_ not in ("VERB", "AUX"):
        return default
    if has_aux(v, _FUTURE_AUX | {"would", "to"}) or any(
            ch.dep_ == "aux" and ch.lower_ == "to" for ch in v.children):
        return True
    if v.tag_ in ("VBD", "VBN") and not any(ch.dep_ in ("aux", "auxpass") and ch.lower_ in ("is", "are", "be")
                                            for ch in v.children):
        return False
    return default


def rates_for(doc: Doc, trigger: Token, all_triggers: list[Token]) -> tuple[float | None, list[float]]:
    """Percentages nearest this trigger (each percentage goes to its nearest tariff trigger)."""
    found = find_rates(doc.text)
    mine: list[RateMention] = []
    own_verb = governing_verb(trigger)
    c = cues()
    acts = c["tariff_impose"] | c["remove"] | c["announce"] | c["threaten"]
    for r in found:
        span = doc.char_span(r.start, r.end, alignment_mode="expand")
        if span is None:
            continue
        if any(t.lemma_ in ("growth", "rise", "surplus", "share", "interest", "inflation", "stake")
               for t in span.root.ancestors if t.i < span.start and span.start - t.i <= 3):
            continue
        nearest = min(all_triggers, key=lambda t: min(abs(t.i - span.start), abs(t.i - (span.end - 1))))
        if nearest.i == trigger.i and min(abs(trigger.i - span.start), abs(trigger.i - span.end)) <= 12:
            mine.append(r)
        elif own_verb is not None and own_verb.i != trigger.i and span.root.dep_ == "pobj" and \
                span.root.head.lower_ in ("by", "to", "at") and span.root.head.head.i == own_verb.i and \
                own_verb.lemma_.lower() in acts:
            # "the tariffs on cosmetics, bicycles, ... be cut by between five and 50 pct": the rate
            # hangs on the verb acting on this trigger, however long the goods list between them
            mine.append(r)
    if not mine:
        return None, []
    rate = mine[0]
    alts = list(rate.alt)
    if rate.additional:
        # "an additional 25 per cent ... in addition to the 25 per cent": the total is also this action's rate.
        others = [r.value for r in found if r is not rate and not r.additional]
        if others:
            alts.append(rate.value + others[0])
    return rate.value, alts


# ---------------------------------------------------------------- status

def _participle_of(verb: Token | None, trig: Token) -> bool:
    """'sanctions imposed last month': a participle describing the trigger itself."""
    return verb is not None and verb.dep_ in ("acl", "relcl") and verb.i > trig.i and (
        verb.head.i == trig.i or verb.i == trig.i + 1)


def status_of(trigger: Token, verb: Token | None, event_type: str) -> str | None:
    """Stage of a tariff/restriction action, or None when it is no action (request, allegation)."""
    c = cues()
    if _participle_of(verb, trigger):
        chain = [verb]  # "sanctions imposed earlier": the participle is the whole story
    else:
        chain = verb_chain(verb) if verb is not None else []
    if trigger.pos_ == "VERB" and chain and chain[0].i == trigger.i:
        # "stop imports", "suspend exports": the trigger verb is the imposing act itself
        rest = chain[1:]
        rl = [t.lemma_.lower() for t in rest]
        if any(lm in _REQUEST for lm in rl):
            return None
        if any(lm in c["threaten"] for lm in rl):
            return "threatened"
        if any(has_aux(v, _MODAL_CONSIDER) for v in chain) or any(lm in c["consider"] for lm in rl):
            return "considered"
        if any(has_aux(v, {"would"}) for v in chain) and _conditional(chain):
            return "considered"
        if any(lm in c["announce"] for lm in rl) or any(has_aux(v, _FUTURE_AUX | {"would"}) for v in chain):
            return "announced"
        if any(lm in c["remove"] for lm in rl[:1]) and trigger.lemma_ in ("limit", "restrict", "curb"):
            return "removed"
        return "imposed"
    lemmas = [t.lemma_.lower() for t in chain]
    if any(lm in _REQUEST for lm in lemmas[1:]):
        return None
    modal_consider = any(has_aux(v, _MODAL_CONSIDER) for v in chain)
    future = any(has_aux(v, _FUTURE_AUX | {"would"}) for v in chain)
    if any(lm in c["threaten"] for lm in lemmas):
        return "threatened"
    head_lemma = lemmas[0] if lemmas else ""
    exemption = any(t.lower_ in ("duty-free", "free", "preferential", "preference", "preferences", "exemption", "gsp")
                    for t in trigger.head.subtree) if trigger.dep_ != "ROOT" else False
    if head_lemma in c["remove"] or (head_lemma == "raise" and trigger.lemma_ in ("limit", "quota", "ceiling")) \
            or any(t.lemma_ in ("removal", "lifting", "cut", "reduction", "relaxation") and t.i != trigger.i
                   for t in [trigger.head]) or any(ch.lemma_ in ("cut", "reduction") and ch.i != trigger.i
                                                    for ch in trigger.children if ch.dep_ == "compound"):
        if exemption and head_lemma in ("end", "withdraw", "revoke", "suspend", "remove", "deny", "cancel"):
            return "imposed"
        if modal_consider or any(lm in c["consider"] for lm in lemmas[1:]):
            return "considered"
        return "removed"
    if trigger.i + 1 < len(trigger.doc) and trigger.nbor(1).lemma_ in ("cut", "reduction", "cuts"):
        return "removed" if not modal_consider else "considered"
    prospective = _prospective_adjective(trigger)
    if prospective:
        return prospective
    if _open_choice(trigger):
        return "considered"
    if _owned_measure_reference(trigger, lemmas):
        return "imposed"
    if modal_consider or any(lm in c["consider"] for lm in lemmas):
        return "considered"
    if any(has_aux(v, {"would"}) for v in chain) and _conditional(chain):
        return "considered"
    # "setting tariffs at 15%" imposes; only "set to impose" (higher up the chain) announces
    announced = any(lm in c["announce"] and not (k == 0 and lm == "set") for k, lm in enumerate(lemmas))
    if announced and chain and chain[0].lemma_.lower() in c["tariff_impose"] and chain[0].dep_ == "ccomp" and \
            (chain[0].tag_ == "VBD" or has_aux(chain[0], {"has", "have", "had"})) and not future and \
            lemmas[0] not in c["announce"]:
        # "'The Commission has adopted duties,' announced the spokesperson": the report of an act done
        announced = False
    if announced or future or _takes_effect_later(chain):
        return "announced"
    return "imposed"


def _owned_measure_reference(trigger: Token, lemmas: list[str]) -> bool:
    """"will continue its case at the WTO over China's tariffs on wine", "a response to U.S. duties":
    a measure its owner already has, named inside another noun's phrase, is in force; the tense
    and modality of the clause belong to the other noun's action, not to the measure."""
    c = cues()
    if trigger.pos_ not in ("NOUN", "PROPN"):
        return False
    acts = c["tariff_impose"] | c["remove"] | c["threaten"] | c["announce"] | c["consider"]
    # "a petition challenging Korea's ban", "protested Japan's quotas": the object of a verb that
    # neither takes nor changes the measure (only an owner's possessive counts here)
    challenged = trigger.dep_ == "dobj" and trigger.head.pos_ == "VERB" and \
        trigger.head.lemma_.lower() not in acts | _REQUEST | {"have", "keep", "maintain", "retain", "get"} and \
        any(ch.dep_ == "poss" and ch.pos_ == "PROPN" for ch in trigger.children)
    if not challenged and (trigger.dep_ != "pobj" or trigger.head.lower_ not in (
            "over", "against", "to", "from", "amid", "despite", "about")):
        return False
    if any(lm in acts for lm in lemmas):
        return False
    owner = any(ch.dep_ == "poss" or (ch.dep_ in ("compound", "amod", "nmod") and ch.pos_ == "PROPN")
                for ch in trigger.children)
    return owner and not any(ch.dep_ == "amod" and ch.lower_ in _PROSPECTIVE for ch in trigger.children)


# Adjectives that give a measure's stage: "possible U.S. tariff moves", "threatened sanctions".
_PROSPECTIVE = {"possible": "considered", "potential": "considered", "proposed": "considered",
                "contemplated": "considered", "mooted": "considered", "threatened": "threatened",
                "planned": "announced"}


def _prospective_adjective(trigger: Token) -> str | None:
    nouns = [trigger] + ([trigger.head] if trigger.dep_ == "compound" else [])
    for n in nouns:
        for ch in n.children:
            if ch.dep_ == "amod" and ch.lower_ in _PROSPECTIVE:
                return _PROSPECTIVE[ch.lower_]
    return None


def _open_choice(trigger: Token) -> bool:
    """"to decide what sanctions if any should be taken", "which duties to apply": a measure still
    an open question (an interrogative determiner, or "if any" after it) is only considered."""
    if any(ch.dep_ == "det" and ch.lower_ in ("what", "which", "whatever") for ch in trigger.children):
        return True
    nxt = [t.lower_ for t in trigger.doc[trigger.i + 1:trigger.i + 4] if t.lower_ != ","]
    return nxt[:2] == ["if", "any"]


def _conditional(chain: list[Token]) -> bool:
    """"would" outside reported speech is the conditional mood ("the tariffs would be designed to ..."),
    not a reported decision ("said it would raise duties", which is announced)."""
    c = cues()
    reported = _REPORTING | c["announce"] | c["threaten"] | {
        "decide", "agree", "expect", "believe", "caution", "note", "explain", "indicate", "estimate", "predict"}
    return not any(v.dep_ == "ccomp" or any(a.lemma_.lower() in reported for a in [v, *v.ancestors])
                   for v in chain)


def _takes_effect_later(chain: list[Token]) -> bool:
    """"the sanctions were likely to take effect on April 17", "duties are expected to come into force":
    a measure described as still to take effect has been announced, not imposed."""
    cands = chain + [v.head for v in chain if v.pos_ == "AUX"]
    # "were likely to take effect": the verb hangs on the adjective
    cands += [x for v in chain for a in v.children if a.dep_ == "acomp" for x in a.children if x.dep_ == "xcomp"]
    for v in cands:
        if v.lemma_ in ("take", "come") and any(t.lemma_ in ("effect", "force") for t in v.subtree):
            if has_aux(v, _FUTURE_AUX | {"would", "to"}) or any(
                    ch.dep_ in ("advmod", "acomp") and ch.lower_ in ("likely", "due", "set", "expected")
                    for ch in v.children) or v.head.lemma_ in ("likely", "expect", "due", "set", "schedule"):
                return True
    return False


# ---------------------------------------------------------------- per-type rules

def _blocked(tokens: list[Token], drop_cancels: bool = False) -> bool:
    """Negated or cancelled ("did not sign", "talks were called off", "the trip had been dropped")."""
    c = cues()
    if is_negated(tokens):
        return True
    for t in tokens:
        if t.lemma_.lower() in c["cancel_lemmas"] and t.pos_ == "VERB" and (t.lemma_ != "drop" or drop_cancels):
            return True
    return False


def _alleged(tok: Token) -> bool:
    allegation = cues()["allegation_lemmas"]
    return any(a.lemma_.lower() in allegation for a in tok.ancestors) or any(
        t.lower_ in ("unfairly", "allegedly", "illegally") for t in list(tok.head.children) + list(tok.children))


def _participants(doc: Doc, trig: Token, plc: list[Place], scope: set[int]):
    strong = [(p.code, p.text) for p in plc if p.root.i in scope and not p.locative]
    loc = [(p.code, p.text) for p in plc if p.root.i in scope and p.locative]
    return _dedupe(strong), _dedupe(loc)


def _fill_parties(cand: Candidate, strong, loc, sent_text: str, allow_pair: bool) -> bool:
    """Parties named in the sentence, or a request to take the article's two main countries.

    Venues ("in Moscow") count only when nothing else names a second party.
    """
    if len(strong) >= 2:
        cand.participants = strong
        cand.confidence = 0.75
        return True
    if allow_pair:
        cand.participants = strong
        cand.needs_pair = True
        cand.extra_venues = loc
        cand.confidence = 0.5
        return True
    if len(strong) == 1 and any(c != strong[0][0] for c, _ in loc):
        cand.participants = _dedupe(strong + loc)
        cand.confidence = 0.6
        return True
    return False


def _pair_phrase(sent_text: str) -> bool:
    low = sent_text.lower()
    return any(p in low for p in cues()["context_pair_phrases"])


_SPEECH_VERBS = {"tell", "address", "brief", "speak", "lecture", "open", "chair", "attend"}


def _audience(trig: Token) -> bool:
    """"she told a meeting of businessmen", "addressed a conference", "spoke to the meeting": the
    meeting is the audience of one speaker, not talks between parties."""
    if trig.pos_ not in ("NOUN", "PROPN") or trig.lemma_ in ("talk", "negotiation", "consultation", "visit"):
        return False
    head = trig.head
    if not any(ch.dep_ == "det" and ch.lower_ in ("a", "an", "the", "this") for ch in trig.children):
        return False  # "told ministers meeting in Luxembourg" is a misparsed participle
    if trig.dep_ in ("dobj", "dative") and head.lemma_ in _SPEECH_VERBS - {"chair", "attend", "open"}:
        return True
    return trig.dep_ == "pobj" and head.lower_ == "to" and head.head.lemma_ in ("speak", "talk", "say")


_OFFER_WORDS = {"ready", "willing", "prepared", "offer", "propose", "invite", "open"}


def _offered(trig: Token) -> bool:
    """"said it's ready to start talks with Ukraine", "offered to hold talks": an offer of talks is
    neither a meeting held nor one scheduled."""
    for k, a in enumerate(trig.ancestors):
        if k >= 4:
            break
        if a.lemma_.lower() in _OFFER_WORDS and a.i < trig.i and (a.pos_ in ("ADJ", "VERB")):
            return True
    return False


def _held_instance(trig: Token) -> bool:
    """"held their customary, semi-annual grain talks in February": one round of a regular meeting,
    reported as held (simple past, the meeting noun its object) at a stated time, is a specific event."""
    from pipeline.extract.dates import find_dates

    verb = trig.head
    if trig.dep_ != "dobj" or verb.tag_ != "VBD" or verb.lemma_ not in _MEETING_VERBS | {"have", "open", "conclude"}:
        return False
    ids = {t.i for t in verb.subtree} - {t.i for t in trig.subtree}
    for dm in find_dates(trig.doc.text, None):
        span = trig.doc.char_span(dm.start, dm.end, alignment_mode="expand")
        if span is not None and span.root.i in ids and dm.text.lower() not in ("recently", "earlier"):
            return True
    return False


_DELEGATE_NOUNS = {"official", "negotiator", "delegate", "delegation", "minister", "representative", "envoy"}


_GATHERING_NOUNS = _DELEGATE_NOUNS | {"diplomat", "ambassador", "leader", "envoy"}


def _one_side_gathering(trig: Token, plc: list[Place]) -> bool:
    """"Japanese ministers will meet on May 25", "the next meeting of French officials":
    officials of one country gathering among themselves, with no partner named (domestic)."""
    if any(ch.dep_ in ("dobj", "conj") or (ch.dep_ == "prep" and ch.lower_ in ("with", "between"))
           for ch in trig.children):
        return False
    if trig.pos_ == "VERB" and trig.lemma_ == "meet":
        groups = [ch for ch in trig.children if ch.dep_ == "nsubj"]
    elif trig.pos_ == "NOUN" and trig.lemma_ in ("meeting", "session"):
        groups = [g for ch in trig.children if ch.dep_ == "prep" and ch.lower_ == "of"
                  for g in ch.children if g.dep_ == "pobj"]
    else:
        return False
    if len(groups) != 1:
        return False
    g = groups[0]
    if g.lemma_.lower() not in _GATHERING_NOUNS or g.tag_ != "NNS" or any(ch.dep_ == "conj" for ch in g.children):
        return False
    ids = {t.i for t in g.subtree}
    codes = {p.code for p in plc if p.root.i in ids or p.span.start in ids}
    # a multilateral body's own ministers meeting ("EU ministers met in Luxembourg") stays a body meeting
    return len(codes) == 1 and not codes & set(BODY_CODES)


def meeting_candidates(doc: Doc, trig: Token, plc: list[Place], published, sent_text: str) -> Candidate | None:
    c = cues()
    if trig.pos_ == "VERB" and trig.lemma_ in ("review", "discuss", "examine"):
        return None
    low = trig.lower_
    kids = {ch.lower_ for ch in trig.children} | {ch.lemma_ for ch in trig.children}
    if low in ("conference",) and kids & {"news", "press"}:
        return None
    if kids & c["domestic_meeting_words"] or trig.lemma_ in c["domestic_meeting_words"]:
        return None
    if any(ch.lower_ in c["generic_markers"] for ch in list(trig.children) + list(trig.head.children)) \
            and not _held_instance(trig):
        return None
    if _audience(trig):
        return None
    if _offered(trig):
        return None
    if _one_side_gathering(trig, plc):
        return None
    verb = governing_verb(trig)
    chain = [trig] + ([verb] if verb is not None and verb.i != trig.i else [])
    if _blocked(chain, True) or _blocked(verb_chain(verb)[1:] if verb is not None else [], True):
        return None
    scope = party_scope(trig)
    strong, loc = _participants(doc, trig, plc, scope)
    cand = Candidate("meeting", trig)
    explicit_obj = trig.pos_ == "VERB" and any(ch.dep_ == "dobj" or (ch.dep_ == "prep" and ch.lower_ == "with")
                                               for ch in trig.children)
    host = next((a for a in trig.ancestors if a.pos_ == "VERB"), None)
    if len(strong) == 1 and trig.pos_ in ("NOUN", "PROPN") and host is not None and any(
            ch.dep_ == "prep" and ch.lower_ == "with" and any(p.root.i in {t.i for t in ch.subtree} for p in plc)
            for ch in trig.children):
        # "Taiwan announced tariff cuts shortly before trade talks with Washington": talks "with" one
        # named party are held by the actor of the clause they belong to
        strong = _dedupe(strong + [x for x in _subject_codes(host, plc) if x[0] != strong[0][0]])
    if not _fill_parties(cand, strong, loc, sent_text, allow_pair=not explicit_obj or _pair_phrase(sent_text)):
        return None
    scope = clause_tokens(trig)
    future = any(has_aux(v, _FUTURE_AUX) for v in verb_chain(verb)) if verb is not None else False
    future = future or any(t.lemma_ in ("due", "schedule", "expect", "set", "next") for t in (verb.subtree if verb is not None else []))
    cand.event_date, cand.date_text = pick_date(doc, [trig] + ([verb] if verb is not None else []), published, future, scope)
    return cand


def _conclusion_verb(noun: Token) -> Token | None:
    """The verb that reports the text as signed/concluded, if any."""
    c = cues()
    head = noun.head
    if noun.dep_ in ("dobj", "nsubjpass", "conj", "appos") and head.pos_ == "VERB":
        verbs = [head] + [v for v in head.children if v.dep_ == "conj" and v.pos_ == "VERB"]
        if head.dep_ == "conj" and head.head.pos_ == "VERB":
            verbs.append(head.head)
        for v in verbs:
            if v.lemma_.lower() in c["agreement_verbs"]:
                return v
    for t in noun.subtree:
        if t.dep_ in ("acl", "relcl") and t.pos_ == "VERB" and t.lemma_.lower() in c["agreement_acl"]:
            if noun.i in (t.head.i, t.head.head.i, t.head.head.head.i):
                return t
    if noun.dep_ == "pobj" and noun.head.lower_ == "of" and noun.head.head.lemma_.lower() in c["signing_nouns"]:
        return noun.head.head
    if noun.dep_ == "dobj" and head.lemma_ in ("sign", "initial") :
        return head
    if noun.dep_ == "pobj" and head.lower_ in ("on", "upon") and head.head.lemma_.lower() == "agree" \
            and head.head.pos_ == "VERB":
        return head.head  # "agreed on a trade deal"
    return None


# Heads of noun phrases that name a business, not a government or state body.
_BUSINESS_NOUNS = {"company", "companies", "firm", "firms", "corporation", "corp", "ltd", "inc", "plc", "consortium",
                   "maker", "makers", "manufacturer", "manufacturers", "producer", "producers", "bank", "banks",
                   "investor", "investors", "businessmen", "businessman", "enterprise", "enterprises", "interests",
                   "subsidiary", "concern", "airline", "airlines", "co", "group"}
_PAIR_SUBJECT_NOUNS = {"country", "government", "nation", "side", "state", "minister", "ministry"}


def _is_business(tok: Token) -> bool:
    return tok.lower_.rstrip(".") in _BUSINESS_NOUNS


def _commercial_contract(trig: Token, verb: Token) -> bool:
    """A company-to-company (or government-to-company) contract, which GUIDE.md does not count.

    "signed an agreement with British and German interests", "the agreement signed between
    X Ltd and Y trading company", "an agreement to sell 500 cars ..., its first export contract":
    the counterparty the with/between phrase names is a business, or the text itself calls the
    agreement a contract. A deal the governments themselves sign ("the two countries formalised
    a deal between firm A and firm B") still counts.
    """
    if any(ch.dep_ == "nsubj" and any(t.lemma_.lower() in _PAIR_SUBJECT_NOUNS for t in ch.subtree)
           for ch in verb.children):
        return False
    for head in (trig, verb):
        for prep in head.children:
            if prep.dep_ != "prep" or prep.lower_ not in ("with", "between"):
                continue
            objs = [ch for ch in prep.children if ch.dep_ == "pobj"]
            objs += [c for o in list(objs) for c in o.conjuncts]
            if objs and all(_is_business(o) for o in objs):
                return True
    # "..., its first export contract for cars": the text renames the agreement a (sales) contract
    return any(t.dep_ == "appos" and t.lemma_.lower() == "contract" for t in trig.subtree)


def agreement_candidate(doc: Doc, trig: Token, plc: list[Place], published, sent_text: str) -> Candidate | None:
    if trig.pos_ not in ("NOUN", "PROPN"):
        return None
    verb = _conclusion_verb(trig)
    if verb is None:
        return None
    chain = verb_chain(verb)
    lemmas = {t.lemma_.lower() for t in chain[1:]}
    if lemmas & _PLANNED or has_aux(verb, _FUTURE_AUX | {"would", "could", "may", "might", "to"}):
        return None
    if verb.dep_ in ("xcomp",) or any(ch.dep_ == "aux" and ch.lower_ == "to" for ch in verb.children):
        return None
    if _blocked([verb, trig]):
        return None
    if _commercial_contract(trig, verb):
        return None
    scope = party_scope(trig) | party_scope(verb)
    strong, loc = _participants(doc, trig, plc, scope)
    cand = Candidate("agreement", trig, confidence=0.7)
    _fill_parties(cand, strong, loc, sent_text, allow_pair=True)
    if not cand.needs_pair:
        cand.confidence = 0.8
    scope = clause_tokens(trig) | clause_tokens(verb)
    cand.event_date, cand.date_text = pick_date(doc, [verb, trig], published, False, scope)
    return cand


def _subject_codes(verb: Token | None, plc: list[Place], trig: Token | None = None) -> list[tuple[str, str]]:
    """Country of the actor of ``verb``: its subject, a passive agent, or the object of 'force X to'.

    When the trigger itself is the subject ("a boycott of South Africa would
    take effect"), its own phrase names the target, not the imposer.
    """
    if verb is None:
        return []
    own = {t.i for ch in trig.children if ch.dep_ in ("prep", "conj") for t in ch.subtree} if trig is not None else set()
    for v in verb_chain(verb):
        if v.pos_ == "NOUN" and v.i != (trig.i if trig is not None else -1):
            # "China's decision to remove tariffs", "the EU's plan to ban ...": the noun's owner acts
            for ch in v.children:
                if ch.dep_ in ("poss", "compound", "amod", "nmod"):
                    ids = {t.i for t in ch.subtree}
                    found = [(p.code, p.text) for p in plc if p.root.i in ids or p.span.start in ids]
                    if found:
                        return found[:1]
            continue
        subj = [ch for ch in v.children if ch.dep_ in ("nsubj", "agent")]
        if v.dep_ == "xcomp":
            subj += [ch for ch in v.head.children if ch.dep_ == "dobj"]
        for s in subj:
            ids = {t.i for t in s.subtree if t.dep_ not in ("relcl",)} - own
            found = [(p.code, p.text) for p in plc if p.root.i in ids or p.span.start in ids]
            if found:
                return found[:1]
    return []


def _modifier_codes(noun: Token, plc: list[Place]) -> list[tuple[str, str]]:
    """'U.S. tariffs', 'Chinese curbs', 'EC plan to ban', 'Japan's quotas'."""
    targets = [noun]
    if noun.pos_ == "VERB" and noun.dep_ in ("acl", "xcomp") and noun.head.pos_ in ("NOUN", "PROPN"):
        targets.append(noun.head)
    for n in targets:
        for ch in n.children:
            if ch.dep_ in ("compound", "amod", "poss", "nmod"):
                ids = {t.i for t in ch.subtree}
                for p in plc:
                    if p.root.i in ids or p.span.start in ids:
                        return [(p.code, p.text)]
    return []


# Verbs whose subject undergoes a measure: "Japan was subjected to a 24% tariff", "the U.S. faced duties".
_EXPERIENCER = {"face", "hit", "affect", "subject", "suffer", "endure"}
_MEASURE_LEMMAS = {"tariff", "duty", "levy", "surcharge", "surtax", "ban", "embargo", "boycott", "quota", "curb",
                   "restriction", "sanction", "barrier", "limit", "blockade", "control"}
_TARGET_PREPS = {"on", "against", "from", "of", "to", "for"}
_EXPORTISH = {"export", "barrier", "shipment", "sale", "access", "delivery", "supply"}


def _prep_path_ok(country_root: Token, prep: Token) -> bool:
    """Every preposition between the country and ``prep`` may introduce goods or their origin.

    Keeps "curbs on the export of minerals amid tensions with the US" from
    making the US a target.
    """
    cur = country_root
    while cur.i != prep.i:
        if cur.dep_ == "prep" and cur.lower_ not in _TARGET_PREPS:
            return False
        if cur.dep_ in ("relcl", "advcl", "acl", "ccomp") or cur.head.i == cur.i:
            return False
        cur = cur.head
    return True


def _target_codes(trig: Token, verb: Token | None, plc: list[Place], imposer: str | None):
    heads = {trig.i}
    if verb is not None:
        heads.add(verb.i)
        heads |= {ch.i for ch in verb.children if ch.dep_ in ("dobj", "nsubjpass")}
        frame = _framing_noun(verb)
        if frame is not None:
            # "the first step to imposing duties ... on Japanese exports": the parser hangs the
            # target on the noun that frames the subjectless act
            heads.add(frame.i)
    own = _without_side_clauses(trig, trig)
    # "a 34% tariff on Chinese goods and a 20% tariff on the EU": each measure keeps its own target
    for ch in trig.children:
        if ch.dep_ == "conj" and ch.lemma_.lower() in _MEASURE_LEMMAS:
            own -= {t.i for t in ch.subtree}
    if trig.dep_ == "conj" and trig.head.lemma_.lower() in _MEASURE_LEMMAS:
        heads.discard(trig.head.i)
    heads |= {t.i for t in trig.subtree if t.pos_ in ("NOUN", "PROPN") and t.i in own}
    found = []
    doc = trig.doc
    for h in heads:
        if h != trig.i and doc[h].lemma_.lower() in _MEASURE_LEMMAS and trig.dep_ == "conj" and trig.head.i == h:
            continue
        for prep in doc[h].children:
            if prep.dep_ not in ("prep", "dative") or prep.lower_ not in _TARGET_PREPS:
                continue
            objs = {ch.lemma_ for ch in doc[h].children if ch.dep_ == "dobj"} | {doc[h].lemma_}
            objs |= {g.lemma_ for ch in doc[h].children if ch.dep_ == "dobj" for g in ch.children
                     if g.dep_ == "compound"}
            if prep.lower_ == "to" and not (objs & _EXPORTISH or trig.lemma_ in ("barrier",)):
                continue
            if prep.lower_ == "for" and not any(ch.lemma_ in cues()["trade_objects"] for ch in prep.children):
                continue
            ids = {t.i for t in prep.subtree}
            for p in plc:
                if (p.root.i in ids or p.span.start in ids) and p.code != imposer and _prep_path_ok(p.root, prep):
                    found.append((p.code, p.text))
    if trig.pos_ == "VERB":
        # "Poland bans Ukrainian grain imports": the nationality before the goods the verb
        # acts on names the target, as "imports of Ukrainian grain" does
        objs = cues()["trade_objects"]
        for ch in trig.children:
            if ch.dep_ == "dobj" and ch.lemma_.lower() in objs:
                pre = {t.i for left in ch.lefts if left.dep_ in ("amod", "compound", "nmod")
                       for t in left.subtree}
                found += [(p.code, p.text) for p in plc
                          if (p.root.i in pre or p.span.start in pre) and p.code != imposer]
    if verb is not None and verb.lemma_ in _EXPERIENCER:
        for ch in verb.children:
            if ch.dep_ in ("nsubj", "nsubjpass"):
                ids = {t.i for t in ch.subtree}
                found += [(p.code, p.text) for p in plc if p.root.i in ids and p.code != imposer]
    return [f for f in _dedupe(found) if f[0] not in BODY_CODES or f[0] == "EU"]


def _topic_only(trig: Token) -> bool:
    """'talks on tariffs', 'a hearing on China tariffs', 'the impact of the duties': a topic, not a measure."""
    noun = trig.head if trig.dep_ == "compound" else trig
    if noun.dep_ != "pobj":
        return False
    prep = noun.head
    head = prep.head
    if head.pos_ not in ("NOUN", "PROPN"):
        return False
    lemma = head.lemma_.lower()
    if prep.lower_ in ("on", "over", "about", "regarding", "concerning"):
        return lemma in _TOPIC_NOUNS
    return prep.lower_ == "of" and lemma in ("impact", "effect", "cost", "uncertainty")


def _discussed(verb: Token | None, chain: list[Token]) -> bool:
    if verb is None:
        return False
    if verb.lemma_.lower() in _DISCOURSE_VERBS:
        return True
    # "met to discuss", "will hold talks on": the measure is the agenda of a meeting
    return any(t.lemma_.lower() in _MEETING_VERBS for t in chain[1:3]) and verb.lemma_.lower() not in (
        cues()["tariff_impose"] | cues()["remove"] | cues()["threaten"] | cues()["announce"])


def _action_noun(trig: Token, verb: Token | None) -> bool:
    """A measure whose imposer the article gave earlier: 'the sanctions', 'its boycott', or one acted on."""
    if trig.pos_ == "VERB":
        return True
    nouns = [trig] + ([trig.head] if trig.dep_ == "compound" else [])
    if any(ch.dep_ in ("det", "poss") and ch.lower_ in ("the", "this", "these", "its", "their", "such")
           for n in nouns for ch in n.children):
        return True
    c = cues()
    acts = c["tariff_impose"] | c["remove"] | c["threaten"] | c["announce"] | c["consider"]
    if verb is not None and verb.lemma_ in ("take", "come") and any(
            ch.lemma_ in ("effect", "force") for ch in verb.subtree):
        return True  # "a boycott ... would take effect", "quotas came into force"
    return verb is not None and verb.lemma_.lower() in acts


def _trade_compound(trig: Token) -> bool:
    """"export controls", "import curbs", "export licensing": the measure word's own compound names
    the trade it restricts, whichever way the parser hangs the two words."""
    prev = trig.doc[trig.i - 1] if trig.i > 0 else None
    return prev is not None and prev.lower_ in ("export", "import", "exports", "imports", "trade") and (
        prev.head.i in (trig.i, trig.head.i) or trig.head.i == prev.i)


def _quantitative(trig: Token) -> bool:
    """"quantitative limits", "quantitative restrictions": trade-policy language for quotas on goods."""
    return trig.pos_ == "NOUN" and any(ch.dep_ == "amod" and ch.lower_ == "quantitative" for ch in trig.children)


def _has_trade_object(trig: Token, verb: Token | None) -> bool:
    objs = cues()["trade_objects"]
    pool = list(trig.subtree)
    if trig.pos_ == "VERB":
        pool = [t for ch in trig.children if ch.dep_ in ("dobj", "nsubjpass", "prep") for t in ch.subtree]
    # "trade surplus", "export growth": a goods word modifying a non-goods noun names no goods
    own = {trig.i} | {t.i for t in trig.subtree if t.dep_ == "compound" and t.head.i == trig.i}
    pool = [t for t in pool if t.i == trig.i or not (t.dep_ == "compound" and t.head.i not in own
                                    and t.head.lemma_.lower() not in objs)]
    return any(t.lemma_.lower() in objs for t in pool) or any(
        t.lower_ in ("imports", "exports") for t in pool)


def _measure_subject(verb: Token, event_type: str) -> bool:
    """"The sanctions law prohibited imports of ...": the verb restates the measure its subject
    names, and that measure's own trigger (with its own imposer and target) reports the event."""
    trig_ids = {t.i for span in verb.doc.spans.get("triggers", []) if span.label_ == event_type for t in span}
    for ch in verb.children:
        if ch.dep_ in ("nsubj", "nsubjpass"):
            nouns = [ch] + [g for g in ch.children if g.dep_ == "compound"]
            if any(n.i in trig_ids for n in nouns):
                return True
    return False


_PERMITTED_TRADE = {"trade", "import", "export", "shipment", "sale", "purchase"}


def _refused_permission(doc: Doc, trig: Token, plc: list[Place], published) -> list[Candidate]:
    """"Taiwan does not allow direct trade with China", "X will not permit imports of Y coal":
    a refused permission to trade is a restriction, in force unless the verb says otherwise."""
    if trig.pos_ != "VERB" or not any(ch.dep_ == "neg" or (ch.dep_ == "advmod" and ch.lower_ == "never")
                                      for ch in trig.children):
        return []
    objs = [ch for ch in trig.children if ch.dep_ in ("dobj", "nsubjpass")
            and (ch.lemma_.lower() in _PERMITTED_TRADE or ch.lower_ in ("imports", "exports"))]
    if not objs or _alleged(trig) or any(ch.dep_ == "mark" and ch.lower_ in cues()["hypothetical_markers"]
                                         for ch in trig.children):
        return []
    c = cues()
    rest = [t.lemma_.lower() for t in verb_chain(trig)[1:]]
    if any(lm in _REQUEST for lm in rest):
        return []
    if any(lm in c["threaten"] for lm in rest):
        status = "threatened"
    elif has_aux(trig, _MODAL_CONSIDER) or any(lm in c["consider"] for lm in rest):
        status = "considered"
    elif has_aux(trig, _FUTURE_AUX | {"would"}) or any(lm in c["announce"] for lm in rest):
        status = "announced"
    else:
        status = "imposed"
    subj = _subject_codes(trig, plc)
    if not subj:
        return []
    imposer = subj[0]
    ids = {t.i for o in objs for t in o.subtree} & _without_side_clauses(trig, trig)
    targets = _dedupe([(p.code, p.text) for p in plc if p.root.i in ids and p.code != imposer[0]
                       and (p.code not in BODY_CODES or p.code == "EU")])
    when, when_text = pick_date(doc, [trig], published, status == "announced", clause_tokens(trig))
    if when is not None and published is not None and when > published:
        when, when_text = None, None
    base = dict(event_type="trade_restriction", trigger=trig, imposer=imposer, event_date=when,
                date_text=when_text, status=status, confidence=0.7 if targets else 0.6)
    return [Candidate(**base, targets=[t]) for t in targets] or [Candidate(**base)]


_LISTING_VERBS = {"add", "put", "place", "include", "blacklist", "list"}


def _listed(doc: Doc, trig: Token, plc: list[Place], published) -> list[Candidate]:
    """"added two Chinese chip firms to the Entity List", "blacklisted Chinese drone makers": export
    licensing on the listed firms, a restriction aimed at their country. China's "unreliable entity
    list" governs firms' conduct, not goods, and does not count."""
    if any(t.lower_ == "unreliable" for t in doc[max(0, trig.i - 3):trig.i]):
        return []
    verb = trig if trig.pos_ == "VERB" else (
        trig.head.head if trig.dep_ == "pobj" and trig.head.head.pos_ == "VERB" else governing_verb(trig))
    if verb is None or verb.lemma_.lower() not in _LISTING_VERBS:
        return []
    if trig.pos_ != "VERB" and not (trig.dep_ == "pobj" and trig.head.lower_ in ("to", "on") and trig.head.head.i == verb.i):
        return []
    if _blocked([verb]) or _alleged(verb):
        return []
    status = status_of(verb, verb, "trade_restriction") if verb.i == trig.i else status_of(trig, verb, "trade_restriction")
    if trig.pos_ != "VERB":
        status = status_of(verb, verb, "trade_restriction")
    if status is None:
        return []
    subj = _subject_codes(verb, plc)
    imposer = subj[0] if subj else None
    ids = {t.i for ch in verb.children if ch.dep_ in ("dobj", "nsubjpass") for t in ch.subtree}
    targets = _dedupe([(p.code, p.text) for p in plc if p.root.i in ids and p.code != (imposer or ("",))[0]
                       and p.code not in BODY_CODES])
    if imposer is None and not targets:
        return []
    when, when_text = pick_date(doc, [verb, trig], published, status == "announced", clause_tokens(verb))
    if when is not None and published is not None and when > published:
        when, when_text = None, None
    base = dict(event_type="trade_restriction", trigger=trig, imposer=imposer, event_date=when,
                date_text=when_text, status=status, confidence=0.7 if imposer else 0.55)
    return [Candidate(**base, targets=[t]) for t in targets[:1]] or [Candidate(**base)]


def directed_candidates(doc: Doc, trig: Token, event_type: str, plc: list[Place], published,
                        tariff_triggers: list[Token]) -> list[Candidate]:
    c = cues()
    lemma = trig.lemma_.lower()
    if lemma in ("allow", "permit"):
        return _refused_permission(doc, trig, plc, published)
    if lemma in ("list", "blacklist", "blacklisted"):
        return _listed(doc, trig, plc, published)
    if lemma in ("stop", "halt", "suspend", "block", "prohibit") and trig.pos_ == "VERB":
        if not any(ch.dep_ == "dobj" and ch.lemma_ in ("import", "export", "shipment", "sale", "purchase")
                   for ch in trig.children):
            return []
    elif event_type == "trade_restriction" and lemma not in c["inherent_trade_restrictions"] \
            and not _has_trade_object(trig, None) and not _trade_compound(trig) and not _quantitative(trig):
        if not (lemma == "barrier" and any(ch.dep_ == "prep" for ch in trig.children)):
            return []
    if _alleged(trig) or _topic_only(trig):
        return []
    if trig.pos_ == "VERB" and _measure_subject(trig, event_type):
        return []
    verb = governing_verb(trig)
    chain_toks = verb_chain(verb) if verb is not None else []
    if is_negated([trig] + chain_toks[:2]) or _blocked(
            [trig] + [t for k, t in enumerate(chain_toks[:2])
                      if not (k == 0 and t.lemma_.lower() in c["remove"] and t.i != trig.i)]):
        # "scrapped the levy" removes the measure; "scrapped plans to impose a levy" cancels it
        return []
    if any(t.lower_ in cues()["hypothetical_markers"] for t in (verb.children if verb is not None else [])
           if t.dep_ == "mark"):
        return []
    if verb is not None and verb.dep_ == "csubj" and has_aux(verb.head, _MODAL_CONSIDER | {"would"}):
        return []  # "removing the exemption could strain exporters": a possibility nobody takes
    status = status_of(trig, verb, event_type)
    if trig.pos_ == "VERB":
        status = status_of(trig, trig, event_type)
    if status is None:
        return []
    actor_verb = trig if trig.pos_ == "VERB" else verb
    if trig.pos_ != "VERB" and _discussed(verb, chain_toks):
        # "officials will meet to discuss steel tariffs": talk about a measure, not an act;
        # only a measure whose owner the phrase names ("U.S. tariffs") stays
        mods = _modifier_codes(trig, plc)
        if not mods:
            return []
        actor_verb = None
    imposer = None
    acts = c["tariff_impose"] | c["remove"] | c["threaten"] | c["announce"] | c["consider"]
    if _participle_of(verb, trig):
        agents = [ch for ch in verb.children if ch.dep_ == "agent"]
        ids = {t.i for a in agents for t in a.subtree}
        found = [(p.code, p.text) for p in plc if p.root.i in ids]
        if not found and verb.dep_ == "relcl":
            # "export controls that the United States placed on Beijing": an active relative
            # clause's subject is the actor
            subj = {t.i for ch in verb.children if ch.dep_ == "nsubj" for t in ch.subtree}
            found = [(p.code, p.text) for p in plc if p.root.i in subj]
        imposer = found[0] if found else None
    elif actor_verb is not None and actor_verb.lemma_ in _EXPERIENCER:
        pass  # the subject undergoes the measure: a target, never the imposer
    elif actor_verb is not None and (trig.pos_ == "VERB" or any(v.lemma_.lower() in acts for v in chain_toks[:3])):
        subj = _subject_codes(actor_verb, plc, trig)
        imposer = subj[0] if subj else None
    if imposer is None:
        mods = _modifier_codes(trig, plc)
        imposer = mods[0] if mods else None
    targets = _target_codes(trig, verb if trig.pos_ != "VERB" else trig, plc, imposer[0] if imposer else None)
    if lemma in ("stop", "halt", "suspend", "block") and trig.pos_ == "VERB" and not targets and not any(
            ch.dep_ == "dobj" and ch.lemma_ in ("import", "purchase") for ch in trig.children):
        # "suspended oil exports after an earthquake": an interruption, not a measure against anyone;
        # a country stopping its own imports is always a measure
        return []
    if imposer is None and not _action_noun(trig, verb) and not (
            targets and verb is not None and verb.lemma_ in _EXPERIENCER):
        return []
    future = any(has_aux(v, _FUTURE_AUX) for v in chain_toks)
    anchors = [trig] + ([verb] if verb is not None else [])
    when, when_text = pick_date(doc, anchors, published, future, skip_meeting_dates=True)
    if when is not None and published is not None and when > published:
        # a measure is taken or announced by the time it is reported: a later day is the day it
        # takes effect or a deadline ("could raise tariffs ... on April 17"), never the event date
        when, when_text = None, None
    rate, alts = (None, [])
    if event_type == "tariff":
        rate, alts = rates_for(doc, trig, tariff_triggers or [trig])
    conf = 0.55 + (0.15 if imposer else 0) + (0.1 if targets else 0)
    base = dict(event_type=event_type, trigger=trig, imposer=imposer, event_date=when, date_text=when_text,
                rate=rate, alt_rates=alts, status=status, confidence=min(conf, 0.9))
    implicit = imposer is None and actor_verb is not None and (
        _unnamed_government(actor_verb) or _framing_noun(actor_verb) is not None)
    if implicit and _dateline(doc, plc) is not None:
        # "New Delhi: The Union government has banned ...": the dateline names the government
        base["imposer"] = imposer = _dateline(doc, plc)
        implicit = False
    base["implicit_actor"] = implicit
    imposers = [imposer] + _co_imposers(imposer, plc, targets) if imposer else [None]
    out = []
    for imp in imposers:
        base["imposer"] = imp
        if not targets:
            out.append(Candidate(**base))
        else:
            out += [Candidate(**base, targets=[t]) for t in targets if imp is None or t[0] != imp[0]]
    return out


_GOVERNMENT_NOUNS = {"government", "ministry", "administration", "commission", "centre", "center", "cabinet",
                     "authorities", "department", "regulator", "customs", "beijing", "it", "they"}


def _dateline(doc: Doc, plc: list[Place]) -> tuple[str, str] | None:
    """The place of a sentence-initial dateline ("New Delhi:", "JAKARTA, NNA -", "BEIJING (Reuters) -")."""
    for p in plc:
        if p.span.start_char <= 1 and p.kind in ("capital", "name") and p.code not in BODY_CODES:
            rest = doc.text[p.span.end_char:p.span.end_char + 3]
            if rest[:1] in (":", ",", "(", "-", "\u2014", "\u2013") or rest.startswith((" -", " \u2014", " (", " [")):
                return (p.code, p.text)
    return None


def _framing_noun(verb: Token) -> Token | None:
    """"the first step to imposing ...", "a plan to impose ...", "the threat of imposing ...": the noun
    that frames a subjectless imposing verb (gerund or infinitive), or None."""
    if verb.pos_ != "VERB" or any(ch.dep_ in ("nsubj", "nsubjpass") for ch in verb.children):
        return None
    if verb.lemma_.lower() not in cues()["tariff_impose"]:
        return None
    if verb.dep_ == "acl" and verb.head.pos_ == "NOUN":
        return verb.head
    if verb.dep_ == "pcomp" and verb.head.dep_ == "prep" and verb.head.head.pos_ == "NOUN":
        return verb.head.head
    return None


def _unnamed_government(verb: Token) -> bool:
    """"The Ministry of Commerce said it will drop ...", "the government has banned ...": the actor is
    a government the sentence does not name (the article's other main country may supply it)."""
    for v in verb_chain(verb):
        for ch in v.children:
            if ch.dep_ in ("nsubj", "nsubjpass") and ch.lower_ in _GOVERNMENT_NOUNS:
                return True
    return False


def _co_imposers(imposer: tuple[str, str], plc: list[Place], targets) -> list[tuple[str, str]]:
    """"Poland and Hungary have agreed to ban imports ...": every country conjoined with the imposer
    acts too (one measure entry per imposer, GUIDE.md)."""
    mine = [p for p in plc if p.code == imposer[0] and p.text == imposer[1]]
    if not mine:
        return []
    root = mine[0].root
    conj = {c.i for c in root.conjuncts}
    tcodes = {t[0] for t in targets}
    out = [(p.code, p.text) for p in plc if p.root.i in conj and p.code != imposer[0] and p.code not in tcodes
           and (p.code not in BODY_CODES or p.code == "EU") and p.kind not in ("person", "title")]
    return _dedupe(out)
