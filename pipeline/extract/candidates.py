"""The typed seam between finding event mentions and filling their slots.

Finding produces ``SentenceCandidate`` records: a sentence of a document, by character
offsets, with the country and body mentions in it and in the sentence before it. Everything
downstream (the learned detector, role and status models, the slot fillers and the
document-level pass) reads only these records, never spaCy tokens.

The text the classifiers see is built here too, in one place, so that training and
inference featurise identically: country mentions are replaced by placeholders naming their
kind (a name, a nationality, an official, a body), so the models learn how news language
states an event rather than which countries tend to appear in it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from pipeline.extract.gazetteer import BODY_CODES, find_countries
from pipeline.models import Document

# Placeholder per gazetteer kind; the candidate of a role question gets the THIS- form.
_PLACEHOLDER = {
    "name": "COUNTRY", "abbrev": "COUNTRY", "historic": "COUNTRY", "capital": "CAPITAL",
    "demonym": "NATIONALITY", "title": "OFFICIAL", "person": "OFFICIAL", "body": "BODY",
}
CONTEXT_SEPARATOR = " SENTENCEBREAK "
ARTICLE_CODES = 2


@dataclass(frozen=True)
class CountrySpan:
    """A country or body mention; offsets index into the document text."""

    start: int
    end: int
    code: str
    kind: str
    in_sentence: bool  # False: it is in the preceding sentence (context)


@dataclass(frozen=True)
class RuleHint:
    """What the rule extractor read off the same sentence: a feature for the classifiers."""

    event_type: str
    status: str | None
    roles: tuple[tuple[str, str], ...]  # (role, code)


@dataclass(frozen=True)
class SentenceCandidate:
    """One sentence that may state events, with everything slot filling needs."""

    doc_id: str
    sentence_index: int
    start: int
    end: int
    context_start: int  # start of the preceding sentence (== start when there is none)
    countries: tuple[CountrySpan, ...]
    published: date | None
    hints: tuple[RuleHint, ...] = ()
    # the article's most-named countries that neither this sentence nor the one before names:
    # "the minister" of the country the article is about
    article_codes: tuple[str, ...] = ()

    def codes(self, in_sentence_only: bool = False) -> list[str]:
        return sorted({c.code for c in self.countries if c.in_sentence or not in_sentence_only})

    def party_codes(self) -> list[str]:
        """Every code a role question is asked about: the nearby mentions, then the article's own."""
        return self.codes() + list(self.article_codes)


def _placeholder(span: CountrySpan) -> str:
    if span.code in BODY_CODES:
        return "BODY"
    return _PLACEHOLDER.get(span.kind, "COUNTRY")


def masked(text: str, offset: int, spans: list[CountrySpan], focus: set[int] | None = None) -> str:
    """``text`` (starting at document offset ``offset``), lower-cased, with each span replaced by its
    placeholder; spans whose index is in ``focus`` get the THIS- form."""
    out, pos = [], 0
    for i, s in enumerate(spans):
        a, b = s.start - offset, s.end - offset
        if a < pos or a < 0 or b > len(text):
            continue
        out.append(text[pos:a].lower())
        word = _placeholder(s)
        out.append(("THIS" + word) if focus and i in focus else word)
        pos = b
    out.append(text[pos:].lower())
    return " ".join("".join(out).split())


def rule_hints(mentions) -> dict[tuple[str, int], list[RuleHint]]:
    """The rule extractor's mentions as hints, keyed by (doc_id, sentence start)."""
    out: dict[tuple[str, int], list[RuleHint]] = {}
    for m in mentions:
        out.setdefault((m.doc_id, m.char_start), []).append(
            RuleHint(m.event_type, m.status, tuple((a.role, a.code) for a in m.actors if a.code)))
    return out


def find_candidates(doc: Document, hints: dict[tuple[str, int], list[RuleHint]] | None = None) -> list[SentenceCandidate]:
    """Every sentence with a country or body mention in it or in the sentence before it, except
    all-capitals wire headlines (the body repeats them and their wording is telegraphic). A sentence
    that names no country often states the event of the one before ("The talks ended late."; "The
    ban takes effect in May."): about one gold event in thirteen has such evidence. ``hints``
    attaches the rule extractor's reading of each sentence."""
    mentions = find_countries(doc.text, doc.published)
    counts = Counter(m.code for m in mentions)
    main = [code for code, n in counts.most_common(ARTICLE_CODES) if n >= 2]
    out = []
    m_idx = 0
    prev_start = None
    for i, s in enumerate(doc.sentences):
        ctx = prev_start if prev_start is not None else s.start
        prev_start = s.start
        text = doc.text[s.start:s.end]
        while m_idx < len(mentions) and mentions[m_idx].end <= ctx:
            m_idx += 1
        spans = []
        j = m_idx
        while j < len(mentions) and mentions[j].start < s.end:
            m = mentions[j]
            if m.end <= s.end:
                spans.append(CountrySpan(m.start, m.end, m.code, m.kind, m.start >= s.start))
            j += 1
        if text.isupper() or not spans:
            continue
        found = tuple((hints or {}).get((doc.doc_id, s.start), ()))
        near = {c.code for c in spans}
        out.append(SentenceCandidate(doc.doc_id, i, s.start, s.end, ctx, tuple(spans), doc.published, found,
                                     tuple(code for code in main if code not in near)))
    return out


def _tag(event_type: str) -> str:
    return event_type.upper().replace("_", "")


def detector_text(doc: Document, cand: SentenceCandidate) -> str:
    spans = [c for c in cand.countries if c.in_sentence]
    rules = " ".join(sorted({f"RULE{_tag(h.event_type)}" for h in cand.hints}))
    return f"{rules} {masked(doc.text[cand.start:cand.end], cand.start, spans)}".strip()


def role_text(doc: Document, cand: SentenceCandidate, event_type: str, code: str) -> str:
    """The role question for one party of one event: the preceding sentence and the sentence, with
    every mention of ``code`` marked."""
    spans = list(cand.countries)
    rules = " ".join(sorted({f"RULE{role.upper()}" for h in cand.hints if h.event_type == event_type
                             for role, c in h.roles if c == code}))
    if code in cand.article_codes:
        sent = masked(doc.text[cand.start:cand.end], cand.start, [c for c in spans if c.in_sentence])
        rank = cand.article_codes.index(code) + 1
        return f"EVENT{_tag(event_type)} ARTICLECOUNTRY{rank} {rules} {CONTEXT_SEPARATOR}{sent}"
    focus = {i for i, c in enumerate(spans) if c.code == code}
    before = [c for c in spans if not c.in_sentence]
    inside = [c for c in spans if c.in_sentence]
    k = len(before)
    ctx = masked(doc.text[cand.context_start:cand.start], cand.context_start, before,
                 {i for i in focus if i < k})
    sent = masked(doc.text[cand.start:cand.end], cand.start, inside, {i - k for i in focus if i >= k})
    return f"EVENT{_tag(event_type)} {rules} {ctx}{CONTEXT_SEPARATOR}{sent}"


def status_text(doc: Document, cand: SentenceCandidate, event_type: str) -> str:
    rules = " ".join(sorted({f"RULE{h.status.upper()}" for h in cand.hints if h.event_type == event_type and h.status}))
    return f"EVENT{_tag(event_type)} {rules} {detector_text(doc, cand)}"
