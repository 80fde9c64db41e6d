"""End-to-end behaviour of the rule-only baseline extractor on small news-like inputs."""
from datetime import date

import pytest

from pipeline.extract.baseline import RULES_VERSION, extract_mentions_rules as extract_mentions
from pipeline.models import Document
from pipeline.normalise import split_sentences

THU = date(2025, 8, 7)


def doc(text, published=THU):
    return Document(doc_id=Document.id_for(text), source_uri="file:///t.txt", text=text, title=None,
                    published=published, sentences=split_sentences(text))


def run(text, published=THU):
    return extract_mentions([doc(text, published)])


def slots(m):
    return (m.event_type, sorted((a.role, a.code) for a in m.actors), m.event_date, m.rate_pct,
            sorted(m.alt_rates), m.status)


def test_seed_tariff_sentence():
    text = ("Representatives from India and Russia on Wednesday (August 6) held discussions on cooperation.\n\n"
            "The meeting came the day US President Trump imposed an additional 25 per cent ad valorem tariff on "
            "Indian goods, in addition to the 25 per cent reciprocal tariffs that he had announced.")
    got = [slots(m) for m in run(text)]
    # "the day" Trump imposed it is dated by no expression of its own sentence
    assert ("tariff", [("imposer", "USA"), ("target", "IND")], None, 25.0, [50.0], "imposed") in got
    assert ("tariff", [("imposer", "USA"), ("target", "IND")], None, 25.0, [], "announced") in got
    assert ("meeting", [("participant", "IND"), ("participant", "RUS")], date(2025, 8, 6), None, [], None) in got


def test_agreement_signed_on_weekday():
    (m,) = run("India and Russia on Wednesday signed a new protocol to boost industrial cooperation.")
    assert slots(m) == ("agreement", [("participant", "IND"), ("participant", "RUS")], date(2025, 8, 6),
                        None, [], None)
    assert m.extractor_version == RULES_VERSION


def test_evidence_offsets_index_the_document():
    text = "Markets were calm.\n\nJordan and Sudan signed a barter trade agreement, officials said."
    d = doc(text)
    (m,) = extract_mentions([d])
    assert d.text[m.char_start:m.char_end] == m.sentence
    assert d.text[m.trigger_start:].startswith(m.trigger)
    assert 0.0 <= m.confidence <= 1.0


@pytest.mark.parametrize("text", [
    "India and Russia did not sign the protocol on Wednesday.",
    "Egypt and the Soviet Union are expected to sign an agreement in Moscow next week.",
    "The talks between France and Germany were cancelled.",
])
def test_negated_planned_or_cancelled_events_are_dropped(text):
    assert run(text) == []


def test_hypothetical_retaliation_is_not_a_measure():
    assert run("If they were to retaliate, Japan could hit American goods.") == []


def test_demonym_target_and_pct_rate():
    (m,) = run("Earlier today, Reagan imposed 100 pct tariffs on a range of Japanese goods.", date(1987, 4, 17))
    assert slots(m) == ("tariff", [("imposer", "USA"), ("target", "JPN")], date(1987, 4, 17), 100.0, [], "imposed")


def test_one_measure_several_targets_gives_one_mention_each():
    ms = run("President Reagan formally ended preferential duty-free trade treatment for exports from "
             "Nicaragua, Romania and Paraguay.", date(1987, 3, 6))
    assert sorted(m.codes("target")[0] for m in ms) == ["NIC", "PRY", "ROU"]
    assert {m.status for m in ms} == {"imposed"}


@pytest.mark.parametrize("text,status", [
    ("Canada has threatened to stop imports of Danish pigmeat.", "threatened"),
    ("Three U.S. Senators said they will propose a temporary ban on imports of Japanese products.", "considered"),
    ("Japan has agreed to drop barriers to American-caught herring.", "removed"),
    ("South Korea will cut import taxes on 50 goods from the United States, the ministry said today.", "removed"),
])
def test_status_from_modality(text, status):
    ms = run(text, date(1987, 6, 1))
    assert ms and {m.status for m in ms} == {status}


def test_interruption_without_target_is_not_a_restriction():
    assert run("Ecuador suspended oil exports for five months after an earthquake.") == []


def test_effective_date_is_never_the_event_date():
    text = ("South Korea will cut import taxes on 50 goods, the Finance Ministry said today.\n\n"
            "The tariff cuts of between five and 30 pct will take effect on July 1.")
    ms = run(text, date(1987, 6, 1))
    assert [m.event_date for m in ms] == [date(1987, 6, 1), None]
    assert (ms[1].rate_pct, ms[1].alt_rates) == (30.0, [5.0])
    assert ms[1].codes("imposer") == ["KOR"]  # carried over from the earlier mention


def test_domestic_meeting_is_dropped():
    assert run("Economy Minister Youssri Mustapha met President Hosni Mubarak and Egyptian officials.") == []


def test_no_triggers_no_mentions_and_empty_input():
    assert run("Japan's trade surplus is likely to remain high, the central bank said.") == []
    assert extract_mentions([]) == []


def _meeting(d, codes, when, start=0, etype="meeting"):
    from pipeline.models import Actor, EventMention
    return EventMention(doc_id=d.doc_id, event_type=etype, sentence=d.text, char_start=0, char_end=len(d.text),
                        trigger="met", trigger_start=start, actors=[Actor("participant", c, c) for c in codes],
                        extractor_version="t", event_date=when)


def test_partial_parties_expand_to_the_superset_and_corefer():
    from pipeline.resolve import block_key, resolve_events
    from pipeline.extract.document import expand_partial_parties

    d = doc("x")
    full = _meeting(d, ["IND", "JPN", "AUS"], date(2025, 8, 4), 0)
    part = _meeting(d, ["IND", "JPN"], None, 10)
    other_day = _meeting(d, ["IND", "AUS"], date(2025, 7, 1), 20)  # incompatible date: left alone
    deal = _meeting(d, ["IND", "JPN"], None, 30, etype="agreement")  # other type: left alone
    ms = [full, part, other_day, deal]
    expand_partial_parties(ms)
    assert part.codes("participant") == ["AUS", "IND", "JPN"]
    assert block_key(part) == block_key(full)
    assert other_day.codes("participant") == ["AUS", "IND"]
    assert deal.codes("participant") == ["IND", "JPN"]
    assert len([e for e in resolve_events(ms) if e.event_type == "meeting"]) == 2


def test_partial_parties_ambiguous_superset_is_left_alone():
    from pipeline.extract.document import expand_partial_parties

    d = doc("x")
    a = _meeting(d, ["IND", "JPN", "AUS"], None, 0, etype="agreement")
    b = _meeting(d, ["IND", "JPN", "USA"], None, 10, etype="agreement")
    part = _meeting(d, ["IND", "JPN"], None, 20, etype="agreement")
    expand_partial_parties([a, b, part])
    assert part.codes("participant") == ["IND", "JPN"]


def test_partial_meeting_mention_in_a_document_joins_the_full_one():
    text = ("Trade ministers of India, Japan and Australia met in Tokyo on Monday.\n\n"
            "At the meeting, India and Japan agreed to cooperate on supply chains.")
    ms = [m for m in run(text) if m.event_type == "meeting"]
    assert ms and all(m.codes("participant") == ["AUS", "IND", "JPN"] for m in ms)
