"""Bounds on what one sentence may cost the rule reader: over-long sentences are skipped and
logged, and only the first triggers of a trigger-stuffed sentence are read."""
from __future__ import annotations

import logging
from datetime import date

from pipeline.extract.baseline import candidate_sentences, extract_mentions_rules
from pipeline.models import Document
from pipeline.normalise import split_sentences

SENTENCE = "India imposed a 20 percent tariff on steel imports from China on Monday."


def doc(text):
    return Document(doc_id=Document.id_for(text), source_uri="file:///l.txt", text=text, title=None,
                    published=date(2025, 3, 5), sentences=split_sentences(text))


def test_a_sentence_over_the_length_bound_is_not_read_and_is_logged(monkeypatch, caplog):
    d = doc(SENTENCE)
    assert candidate_sentences(d) == [0]
    monkeypatch.setenv("PIPELINE_MAX_SENTENCE_CHARS", str(len(SENTENCE) - 1))
    with caplog.at_level(logging.WARNING):
        assert candidate_sentences(d) == []
    assert "1 sentences longer than" in caplog.text and "PIPELINE_MAX_SENTENCE_CHARS" in caplog.text


def test_only_the_first_triggers_of_a_sentence_are_read(nlp, monkeypatch, caplog):
    text = ("India imposed a 20 percent tariff on steel from China, Japan imposed a quota on rice from "
            "Thailand, and Brazil banned beef imports from Argentina on Monday.")
    full = extract_mentions_rules([doc(text)], nlp)
    assert len(full) >= 2
    monkeypatch.setenv("PIPELINE_MAX_TRIGGERS_PER_SENTENCE", "1")
    with caplog.at_level(logging.WARNING):
        capped = extract_mentions_rules([doc(text)], nlp)
    assert len(capped) < len(full)
    assert "only the first 1 read" in caplog.text
