"""The trained extractor's seam and model: candidates by character offsets, featurisation shared by
training and run time, the shipped model's behaviour on plain sentences written for these tests,
and a version that follows the model files."""
from __future__ import annotations

import shutil
from datetime import date

import pytest

from pipeline.extract import MODEL_DIR, model_version
from pipeline.extract.candidates import detector_text, find_candidates, masked, role_text
from pipeline.extract.learned import EventModel, extract_with_model
from pipeline.models import ACTOR_ROLES, DIRECTED, EVENT_TYPES, Document
from pipeline.normalise import split_sentences

WED = date(2024, 5, 8)


def doc(text, published=WED):
    return Document(doc_id=Document.id_for(text), source_uri="file:///m.txt", text=text, title=None,
                    published=published, sentences=split_sentences(text))


@pytest.fixture(scope="module")
def model():
    return EventModel.load(MODEL_DIR)


def run(model, text, published=WED):
    return extract_with_model([doc(text, published)], model, "test")


def test_event_types_come_from_the_data_file():
    assert EVENT_TYPES == ("meeting", "agreement", "tariff", "trade_restriction")
    assert set(ACTOR_ROLES) == {"participant", "imposer", "target"}
    assert DIRECTED == ("tariff", "trade_restriction")


def test_candidates_carry_document_offsets_and_context():
    text = ("Canada's trade minister arrived on Monday.\n\nShe held talks with Mexican officials.\n\n"
            "The talks ended late.\n\nThe weather was mild.")
    d = doc(text)
    cands = find_candidates(d)
    # a sentence naming no country is a candidate after one that does ("the talks" of that sentence's
    # parties), and no candidate after one that names none either
    assert [c.sentence_index for c in cands] == [0, 1, 2]
    assert cands[2].codes() == ["MEX"] and cands[2].codes(in_sentence_only=True) == []
    second = cands[1]
    assert d.text[second.start:second.end] == "She held talks with Mexican officials."
    inside = [c for c in second.countries if c.in_sentence]
    before = [c for c in second.countries if not c.in_sentence]
    assert [(c.code, d.text[c.start:c.end]) for c in inside] == [("MEX", "Mexican")]
    assert [c.code for c in before] == ["CAN"]
    assert second.codes() == ["CAN", "MEX"] and second.codes(in_sentence_only=True) == ["MEX"]


def test_the_articles_main_countries_are_asked_about_when_the_sentence_leaves_them_unnamed():
    text = ("Brazil's coffee exports rose in March.\n\nBrazil's minister said prices would recover.\n\n"
            "The weather was dry.\n\nThe minister later met Colombian officials in Bogota.")
    d = doc(text)
    last = find_candidates(d)[-1]
    assert d.text[last.start:last.end].startswith("The minister later met")
    assert last.codes() == ["COL"] and last.article_codes == ("BRA",)
    assert last.party_codes() == ["COL", "BRA"]
    asked = role_text(d, last, "meeting", "BRA")
    assert asked.startswith("EVENTMEETING ARTICLECOUNTRY1") and "THIS" not in asked


def test_headlines_in_capitals_are_not_candidates():
    d = doc("JAPAN TO CUT TARIFFS\n\nJapan will cut its tariffs on beef, officials said.")
    assert [d.text[c.start:c.end] for c in find_candidates(d)] == ["Japan will cut its tariffs on beef, officials said."]


def test_masking_replaces_mentions_by_kind_and_marks_the_focus():
    text = "Brazilian officials met Argentina's minister in Geneva"
    d = doc(text)
    (cand,) = find_candidates(d)
    assert detector_text(d, cand) == "NATIONALITY officials met COUNTRY's minister in geneva"
    asked = role_text(d, cand, "meeting", "ARG")
    assert asked.startswith("EVENTMEETING")
    assert "NATIONALITY officials met THISCOUNTRY's minister" in asked
    spans = list(cand.countries)
    assert masked(text, 0, spans, focus={0}).startswith("THISNATIONALITY officials")


def test_a_plain_tariff_sentence_gives_a_directed_tariff(model):
    ms = run(model, "The United States imposed a 25 percent tariff on steel imports from Japan on Tuesday.")
    tariffs = [m for m in ms if m.event_type == "tariff"]
    assert tariffs, [(m.event_type, m.actors) for m in ms]
    t = tariffs[0]
    assert t.codes("imposer") == ["USA"]
    assert t.rate_pct == 25
    assert t.event_date == date(2024, 5, 7)
    assert t.sentence.startswith("The United States imposed")


def test_a_plain_meeting_sentence_gives_both_parties(model):
    ms = run(model, "Indian Prime Minister Narendra Modi held talks with Japanese leaders in Tokyo on Monday.")
    meetings = [m for m in ms if m.event_type == "meeting"]
    assert meetings and {"IND", "JPN"} <= set(meetings[0].codes("participant"))


def test_sentences_without_events_give_nothing(model):
    text = ("The weather in France was mild this spring.\n\n"
            "German football fans travelled to the final in large numbers.")
    assert run(model, text) == []


def test_missing_model_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="make train"):
        EventModel.load(tmp_path)


def test_version_follows_the_model_files(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(MODEL_DIR, copy)
    before = model_version(copy)
    assert before == model_version(MODEL_DIR)
    meta = copy / "extractor.json"
    meta.write_text(meta.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert model_version(copy) != before


def test_trigger_is_the_earliest_lexicon_word_and_the_longest_there():
    from pipeline.extract.learned import _trigger

    words = ["talks", "trade talks", "met", "meeting"]
    assert _trigger("Officials met for Trade Talks on Monday", words) == ("met", 10)
    assert _trigger("Trade talks resumed after the meeting", words) == ("Trade talks", 0)
    # whole words only: "metal" holds no "met"
    assert _trigger("  Metal prices rose before the talks", words) == ("talks", 31)
    # no lexicon word: the sentence's first word stands in
    assert _trigger("  Prices rose", words) == ("Prices", 2)
    assert _trigger("Prices rose", []) == ("Prices", 0)
