"""General news-language rules added in 1.2.0, each on small sentences written for the test.

One test (or parametrised group) per error class: company contracts, restated measures, modality
(conditional "would", prospective adjectives, obligations, measures still to take effect), dates
that belong to another event, refused permissions to trade, talks "with" one named party, and
meetings that are only a speaker's audience. Controls check the neighbouring behaviour stays.
"""
from datetime import date

import pytest

from pipeline.extract import EXTRACTOR_VERSION, extract_mentions
from pipeline.models import Document
from pipeline.normalise import split_sentences

THU = date(2025, 8, 7)
OLD = date(1987, 4, 13)  # a Monday


def run(text, published=THU):
    d = Document(doc_id=Document.id_for(text), source_uri="file:///g.txt", text=text, title=None,
                 published=published, sentences=split_sentences(text))
    return extract_mentions([d])


def of_type(ms, etype):
    return [m for m in ms if m.event_type == etype]


def directed(m):
    return (m.event_type, m.codes("imposer"), m.codes("target"), m.status)


def test_version():
    assert EXTRACTOR_VERSION == "1.2.0"


# ---------------------------------------------------------------- company contracts

@pytest.mark.parametrize("text", [
    "Egypt has signed an agreement with French and Italian interests to build a steel mill near Cairo.",
    "Under the contract signed between Brazil's Vale company and a Japanese steel maker, ore will be shipped "
    "from next year.",
    "Malaysia today signed an agreement to supply 40 locomotives to Egypt, its largest export contract for "
    "rail equipment, a ministry spokesman said.",
])
def test_company_contracts_are_not_agreements(text):
    assert of_type(run(text), "agreement") == []


@pytest.mark.parametrize("text,codes", [
    ("Chile and China also formalised a supply deal between Chile's state copper firm and China's Minmetals.",
     ["CHL", "CHN"]),
    ("Pakistan and Sweden have signed a commodity exchange agreement, officials said.", ["PAK", "SWE"]),
    ("Kenya signed a trade agreement with Britain on Wednesday.", ["GBR", "KEN"]),
])
def test_government_agreements_still_count(text, codes):
    (m,) = of_type(run(text), "agreement")
    assert m.codes("participant") == codes


# ---------------------------------------------------------------- restated measures

def test_verb_restating_its_subject_measure_is_not_a_second_measure():
    # the subject's own trigger reports the measure; the verb must not read a second one off the
    # subject's modifiers (here "Cuban" would otherwise become an imposer)
    ms = run("The U.S. embargo, imposed in 1962, prohibited imports of Cuban sugar.")
    assert ms, "the embargo itself is reported"
    assert all(m.codes("imposer") == ["USA"] for m in ms)


# ---------------------------------------------------------------- modality

@pytest.mark.parametrize("text,status", [
    # conditional "would" outside reported speech: only contemplated
    ("The EU tariffs on Chinese steel would be designed to stop a diversion of exports to Europe.", "considered"),
    # reported "would": a decision announced (control)
    ("Japan said it would raise import duties on U.S. beef.", "announced"),
    # "possible"/"threatened" measures
    ("Exporters were worried about possible U.S. duties on Japanese cars.", "considered"),
    ("Canada prepared potential duties on U.S. lumber.", "considered"),
    ("Exporters were hit by threatened Canadian duties on U.S. lumber.", "threatened"),
    # a measure still to take effect has been announced, one that took effect is in force
    ("Australian duties on Chinese steel were likely to take effect next month, officials said.", "announced"),
    ("Australian duties on Chinese steel took effect last month.", "imposed"),
])
def test_modality_of_measures(text, status):
    ms = [m for m in run(text) if m.event_type in ("tariff", "trade_restriction")]
    assert ms and {m.status for m in ms} == {status}


def test_obligation_to_cut_tariffs_is_not_an_act_of_an_earlier_imposer():
    text = ("The United States raised tariffs on Japanese cars.\n\n"
            "Membership of the bloc obliges new members gradually to reduce tariffs on industrial goods.")
    assert [directed(m) for m in run(text)] == [("tariff", ["USA"], ["JPN"], "imposed")]


def test_future_day_of_a_measure_is_not_its_date():
    # published Monday 1987-04-13; April 20 is when the duties would apply, not the day of the act
    ms = run("Canada could raise tariffs on U.S. steel on April 20.", OLD)
    assert [(directed(m), m.event_date) for m in ms] == [(("tariff", ["CAN"], ["USA"], "considered"), None)]


# ---------------------------------------------------------------- arguments

def test_measure_reached_through_plans_for_a_round_of_cuts():
    (m,) = run("Korea announced plans for another round of import tariff cuts on 300 foreign goods.", OLD)
    assert directed(m) == ("tariff", ["KOR"], [], "removed")


def test_talks_with_one_named_party_are_held_by_the_clause_actor():
    ms = run("Thailand announced new rice export rules shortly before trade talks with Tokyo.", OLD)
    (m,) = of_type(ms, "meeting")
    assert m.codes("participant") == ["JPN", "THA"]


@pytest.mark.parametrize("text,expected", [
    ("South Korea does not allow imports of Japanese cars.", [("trade_restriction", ["KOR"], ["JPN"], "imposed")]),
    ("Israel does not permit direct trade with Iraq.", [("trade_restriction", ["ISR"], ["IRQ"], "imposed")]),
    ("The government will not permit imports of Chilean fruit.", []),  # no named imposer
    ("South Korea allows imports of Japanese cars.", []),  # permission granted: no measure
])
def test_refused_permission_to_trade_is_a_restriction(text, expected):
    assert [directed(m) for m in run(text)] == expected


# ---------------------------------------------------------------- dates and meetings

def test_date_in_relative_clause_on_a_person_belongs_to_that_person():
    # Thursday 2025-08-07: "on Monday" dates Garcia's talks, not the signing
    ms = run("Chile and Peru signed a fisheries accord in the presence of Garcia, who had talks with "
             "Pinochet on Monday.")
    (m,) = of_type(ms, "agreement")
    assert m.event_date is None


def test_possessive_talks_date_a_later_signing():
    text = ("Britain's Prime Minister said she had held talks with Soviet Premier Ryzhkov earlier today.\n\n"
            "After her talks with Ryzhkov, Britain and the Soviet Union signed agreements on cultural exchanges.")
    (m,) = of_type(run(text, date(1987, 3, 31)), "agreement")
    assert m.event_date == date(1987, 3, 31)


@pytest.mark.parametrize("text,n", [
    ("The minister told a meeting of French and German businessmen that exports would grow.", 0),
    ("She addressed the conference of Indian and Japanese exporters on Tuesday.", 0),
    ("French and German ministers held a meeting on Tuesday.", 1),  # control
])
def test_a_speakers_audience_is_not_a_meeting(text, n):
    assert len(of_type(run(text), "meeting")) == n
