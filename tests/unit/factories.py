"""Small builders for documents and mentions used across unit tests."""
from __future__ import annotations

from datetime import date

from pipeline.models import Actor, Document, EventMention, Sentence


def make_doc(text: str = "India and Russia met on Wednesday.", uri: str = "file:///a.txt",
             published: date | None = date(2025, 8, 7)) -> Document:
    return Document(doc_id=Document.id_for(text), source_uri=uri, text=text, title=None, published=published,
                    sentences=[Sentence(0, len(text))])


def make_mention(doc: Document, event_type: str = "meeting", codes=("IND", "RUS"), event_date=date(2025, 8, 6),
                 rate=None, alt=(), status=None, confidence=0.8, trigger_start=0, imposer=None,
                 target=None) -> EventMention:
    if event_type in ("tariff", "trade_restriction"):
        actors = [Actor("imposer", imposer, imposer or "")]
        if target:
            actors.append(Actor("target", target, target))
    else:
        actors = [Actor("participant", c, c) for c in codes]
    return EventMention(doc_id=doc.doc_id, event_type=event_type, sentence=doc.text, char_start=0,
                        char_end=len(doc.text), trigger="met", trigger_start=trigger_start, actors=actors,
                        extractor_version="test", event_date=event_date, rate_pct=rate, alt_rates=list(alt),
                        status=status, confidence=confidence,
                        published=doc.published)
