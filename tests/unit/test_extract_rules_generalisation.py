"""The rule-only baseline's general news-language rules (added in its 1.2.0), each on small sentences written for the test.

One test (or parametrised group) per error class: company contracts, restated measures, modality
(conditional "would", prospective adjectives, obligations, measures still to take effect), dates
that belong to another event, refused permissions to trade, talks "with" one named party, and
meetings that are only a speaker's audience. Controls check the neighbouring behaviour stays.
"""
from datetime import date

import pytest

from pipeline.extract.baseline import RULES_VERSION, extract_mentions_rules as extract_mentions
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
    assert RULES_VERSION == "rules-1.6.0"


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


# ================================================================ 1.3.0: modern news language
# Sentences written for these tests; each group is one error class with a control.

MON = date(2024, 12, 4)  # a Wednesday


def test_export_controls_placed_by_relative_clause_subject():
    ms = of_type(run("Beijing's step answers export controls that Washington imposed on China on Monday.", MON),
                 "trade_restriction")
    assert [directed(m) for m in ms] == [("trade_restriction", ["USA"], ["CHN"], "imposed")]
    assert ms[0].event_date == date(2024, 12, 2)


@pytest.mark.parametrize("text", [
    "Seoul said on Friday it would impose export licensing requirements on some drones.",
    "Tokyo tightened export controls on chip equipment bound for China.",
])
def test_export_control_compounds_are_restrictions(text):
    assert of_type(run(text), "trade_restriction")


@pytest.mark.parametrize("text,status", [
    ("Canada adopted anti-dumping duties on Chinese steel wire.", "imposed"),
    ("Brazil implemented tariffs of 12 percent on Argentine wine.", "imposed"),
    # "setting tariffs at 39%" imposes; a decision reported with "will" announces (control)
    ("Trump's proclamation last week setting tariffs on Swiss watches at 39% angered Bern.", "imposed"),
    ("Canada said it will impose 25% tariffs on U.S. steel.", "announced"),
])
def test_modern_imposing_verbs(text, status):
    (m,) = of_type(run(text), "tariff")
    assert m.status == status


def test_quoted_act_reported_with_announced_is_imposed():
    (m,) = of_type(run('"The European Commission has adopted countervailing duties on Chinese e-bikes," announced a '
                       'spokesman.'), "tariff")
    assert m.status == "imposed"
    (m,) = of_type(run("Korea announced it would raise duties on Chinese steel."), "tariff")
    assert m.status == "announced"  # control


def test_owned_measure_in_another_nouns_phrase_is_in_force():
    (m,) = of_type(run("Canberra said it will press its WTO case over China's tariffs on Australian lobster."),
                   "tariff")
    assert directed(m) == ("tariff", ["CHN"], ["AUS"], "imposed")


def test_conjoined_imposers_get_one_entry_each():
    ms = of_type(run("Slovakia and Romania have decided to ban imports of wheat from Ukraine."), "trade_restriction")
    assert sorted(m.codes("imposer")[0] for m in ms) == ["ROU", "SVK"]
    assert all(m.codes("target") == ["UKR"] for m in ms)


def test_experiencer_subject_is_target_not_imposer():
    ms = run("India imposed tariffs on Chinese steel. Days later, China faced a further 20% duty on aluminium.")
    assert all("CHN" not in m.codes("imposer") for m in of_type(ms, "tariff"))


def test_pronoun_subject_takes_the_measure_reported_before():
    ms = run("Beijing imposed levies on Australian barley. It also stopped imports of Australian coal.")
    (r,) = of_type(ms, "trade_restriction")
    assert directed(r) == ("trade_restriction", ["CHN"], ["AUS"], "imposed")


def test_unnamed_ministry_in_bilateral_story_is_the_other_main_country():
    text = ("The ministry said it will drop duties on Australian wine. China and Australia have argued over "
            "trade for years, and Australia welcomed the step. China said trade would recover.")
    (m,) = [m for m in of_type(run(text), "tariff") if m.status == "removed"]
    assert directed(m) == ("tariff", ["CHN"], ["AUS"], "removed")
    # control: the sentence names another country, so the guess is not made
    text2 = ("The US is weighing fresh duties on Australian wine. China and Australia have argued over trade "
             "for years, and Australia welcomed the step. China said trade would recover.")
    assert all(m.codes("imposer") != ["CHN"] for m in of_type(run(text2), "tariff"))


def test_dateline_names_the_unnamed_government():
    (m,) = of_type(run("Jakarta: The government has banned the export of bauxite ore."), "trade_restriction")
    assert m.codes("imposer") == ["IDN"]


@pytest.mark.parametrize("text,ok", [
    ("The Commerce Department added 14 Chinese firms to the Entity List on Monday.", True),
    ("Washington blacklisted three Chinese drone makers.", True),
    ("Beijing added eight U.S. defence firms to its unreliable entity list.", False),
])
def test_entity_list_additions(text, ok):
    ms = of_type(run(text, MON), "trade_restriction")
    if ok:
        (m,) = ms
        assert m.codes("target") == ["CHN"] and m.codes("imposer") == ["USA"]
    else:
        assert ms == []


def test_fta_abbreviation_is_an_agreement():
    (m,) = of_type(run("Australia and the UAE announced the conclusion of the FTA on May 6.", date(2025, 6, 1)),
                   "agreement")
    assert m.codes("participant") == ["ARE", "AUS"] and m.event_date == date(2025, 5, 6)


def test_continent_adjective_is_not_the_eu():
    ms = of_type(run("Chile and Serbia signed a free trade agreement, Chile's first with a southern European "
                     "country."), "agreement")
    assert ms and all("EU" not in m.codes("participant") for m in ms)


def test_title_after_a_country_belongs_to_that_country():
    from pipeline.extract.gazetteer import find_countries
    codes = [m.code for m in find_countries("UK Secretary of State Peter Kyle met Indian officials.")]
    assert codes == ["GBR", "IND"]
    assert [m.code for m in find_countries("The Secretary of State flew to Tokyo.")] == ["USA", "JPN"]


def test_offered_talks_are_not_meetings():
    assert of_type(run("Warsaw said it is ready to start talks with Ukraine on the grain dispute."), "meeting") == []
    assert of_type(run("Poland held talks with Ukraine on Tuesday."), "meeting")  # control


def test_gerund_subject_of_a_modal_is_hypothetical():
    assert of_type(run("Removing the U.S. de minimis tariff exemption could hurt Chinese online sellers."),
                   "tariff") == []


def test_rate_on_the_verb_of_a_long_goods_list():
    (m,) = of_type(run("The ministry proposed that the tariffs on such goods as shoes, radios, apples, bicycles, "
                       "garments, cosmetics and soybeans be cut by between five and 40 pct, Taiwan said."), "tariff")
    assert m.rate_pct == 40 and 5 in m.alt_rates


# ---------------------------------------------------------------- 1.4.0: status of owned / undecided measures

@pytest.mark.parametrize("text,imposer,target", [
    ("The dairy lobby said it would file a petition challenging Canada's ban of French cheese.", "CAN", "FRA"),
    ("Exporters will challenge Chile's quota on Peruvian fishmeal, the association said.", "CHL", "PER"),
])
def test_measure_owned_by_its_imposer_as_object_is_in_force(text, imposer, target):
    (m,) = of_type(run(text), "trade_restriction")
    assert directed(m) == ("trade_restriction", [imposer], [target], "imposed")


@pytest.mark.parametrize("text", [
    "Norway's cabinet met to decide what sanctions if any should be taken against Iceland.",
    "Officials in Canada are still weighing which sanctions Canada will apply to Iran.",
    "Canada has yet to decide on sanctions, if any, against Iran, the trade minister said.",
])
def test_measure_still_an_open_question_is_considered(text):
    ms = of_type(run(text), "trade_restriction")
    assert ms and all(m.status == "considered" for m in ms)


def test_measure_imposer_announcing_it_keeps_announced():
    (m,) = of_type(run("Canada said it would extend its ban on Iranian oil imports."), "trade_restriction")
    assert m.status == "announced"


# ---------------------------------------------------------------- 1.4.0: day of the report in a neighbouring sentence

def test_following_sentence_reporting_the_decision_dates_it():
    text = ("Brazil has imposed an import duty on Argentine wheat for two years.\n\n"
            "The decision was announced in a notice late on Tuesday by the finance ministry.")
    (m,) = of_type(run(text), "tariff")
    assert m.event_date == date(2025, 8, 5)


def test_following_sentence_with_the_author_as_subject_dates_it():
    text = ("Peru's trade ministry said it will lift duties on Chilean copper.\n\n"
            "In a statement issued on Monday, the ministry said they were no longer needed.")
    (m,) = of_type(run(text, published=date(2025, 8, 4)), "tariff")  # a Monday: the same day
    assert m.status == "removed" and m.event_date == date(2025, 8, 4)


def test_preceding_speaker_dates_what_he_said():
    text = ("An official of Kenya's trade ministry on Saturday told reporters the list was long. "
            "He said Kenya would cut tariffs on Ugandan sugar by 10 pct.")
    (m,) = of_type(run(text, published=OLD), "tariff")
    assert m.event_date == date(1987, 4, 11)


@pytest.mark.parametrize("text", [
    # the neighbour names another country: not the same actor
    "Brazil has imposed an import duty on Argentine wheat.\n\nThe decision was welcomed by Chile on Tuesday, officials said.",
    # the neighbour is no report of the act
    "Brazil has imposed an import duty on Argentine wheat.\n\nThe harvest began on Tuesday.",
    # the neighbour's day is when the measure takes effect
    "Brazil has imposed an import duty on Argentine wheat.\n\nThe ministry said the duty applies from Tuesday.",
    # no anaphoric link: a new subject
    "Brazil has imposed an import duty on Argentine wheat.\n\nFarmers said on Tuesday that prices fell.",
])
def test_neighbour_dates_need_a_report_by_the_same_actor(text):
    ms = of_type(run(text), "tariff")
    assert ms and all(m.event_date is None for m in ms)


def test_threatened_measure_does_not_take_a_neighbour_report_date():
    text = ("Brazil threatened to impose duties on Argentine wheat.\n\n"
            "The ministry said on Tuesday that talks were continuing.")
    ms = of_type(run(text), "tariff")
    assert ms and all(m.event_date is None for m in ms)


# ---------------------------------------------------------------- 1.4.0: subjectless measures framed by a noun

def test_framed_subjectless_measure_takes_the_main_countrys_imposer():
    text = ("Canada has given Brazil a month to open its market, Canadian officials said. Canada will decide "
            "then. The move would be the first step to imposing higher duties, or quantitative limits, on "
            "Brazilian exports.")
    ms = [m for m in run(text, published=OLD) if m.event_type in ("tariff", "trade_restriction")]
    assert sorted(directed(m) for m in ms) == [("tariff", ["CAN"], ["BRA"], "considered"),
                                                ("trade_restriction", ["CAN"], ["BRA"], "considered")]


def test_quantitative_limits_are_a_restriction():
    (m,) = of_type(run("Canada imposed quantitative limits on Brazilian shoes on Monday."), "trade_restriction")
    assert directed(m) == ("trade_restriction", ["CAN"], ["BRA"], "imposed")


def test_framed_measure_with_a_third_country_stays_unresolved():
    text = ("Canada and Brazil met on Monday. Canada said Brazil must open its market. "
            "It would be the first step to imposing duties on Mexican exports.")
    assert [m for m in run(text) if m.event_type == "tariff" and m.codes("imposer") == ["CAN"]
            and m.codes("target") == ["MEX"] and m.sentence.startswith("It would")] == []


# ---------------------------------------------------------------- 1.4.0: one held round of a regular meeting

def test_held_round_of_a_regular_meeting_counts():
    text = "Officials from Chile and Peru held their customary, semi-annual fishing talks in March."
    (m,) = of_type(run(text), "meeting")
    assert m.codes("participant") == ["CHL", "PER"]


@pytest.mark.parametrize("text", [
    "Chile and Peru hold annual fishing talks.",
    "Officials from Chile and Peru hold regular talks on fishing quotas every spring.",
])
def test_regular_meetings_in_general_still_do_not_count(text):
    assert of_type(run(text), "meeting") == []


# ---------------------------------------------------------------- 1.4.0: a meeting's day is not a measure's

def test_date_of_a_meeting_noun_does_not_date_the_measure():
    text = "Norway's cabinet prepared for a Tuesday meeting to decide what sanctions if any to take against Iceland."
    ms = of_type(run(text), "trade_restriction")
    assert ms and all(m.event_date is None for m in ms)


def test_measure_keeps_its_own_day_next_to_a_meeting():
    text = "Norway imposed sanctions on Iceland on Tuesday, a day before the Wednesday meeting."
    (m,) = of_type(run(text), "trade_restriction")
    assert m.event_date == date(2025, 8, 5)


# ---------------------------------------------------------------- reviews and discussions are not meetings

@pytest.mark.parametrize("text", [
    "Japanese officials reviewed the figures on Tuesday.",  # one country
    "Analysts discussed U.S. and Japanese trade figures.",  # not officials of the two countries
    "U.S. and Japanese officials will discuss the figures.",  # planned, no meeting stated
    "U.S. and Japanese officials did not discuss the pact on Tuesday.",  # negated
])
def test_review_verbs_without_two_delegations_are_no_meeting(text):
    assert of_type(run(text), "meeting") == []


# ---------------------------------------------------------------- 1.5.0: nationality before the goods a ban acts on

@pytest.mark.parametrize("text,imposers,target", [
    ("Japan curbed Chinese steel imports on Tuesday.", ["JPN"], "CHN"),
    ("Poland and Hungary banned Ukrainian grain imports on Tuesday.", ["HUN", "POL"], "UKR"),
])
def test_nationality_of_banned_goods_is_target(text, imposers, target):
    ms = of_type(run(text, OLD), "trade_restriction")
    assert sorted(m.codes("imposer")[0] for m in ms) == imposers
    assert all(m.codes("target") == [target] for m in ms)


def test_goods_without_nationality_leave_target_empty():
    (m,) = of_type(run("Japan banned beef imports on Tuesday.", OLD), "trade_restriction")
    assert m.codes("target") == []


# ---------------------------------------------------------------- 1.5.0: one country's officials gathering

@pytest.mark.parametrize("text", [
    "Japan and Canada are at odds over trade. Japanese farm ministers will meet on May 25 to review "
    "relations between the two sides.",
    "Japan and Canada are at odds over trade. The dispute will come up at the next meeting of Japanese "
    "farm ministers on April 27 in Osaka.",
])
def test_one_country_officials_gathering_is_no_meeting(text):
    assert of_type(run(text, OLD), "meeting") == []


@pytest.mark.parametrize("text", [
    "Japan and Canada are at odds over trade. Japanese farm ministers will meet Canadian officials on May 25.",
    "Japan and Canada are at odds over trade. Canadian and Japanese ministers will meet on May 25.",
])
def test_gathering_with_a_partner_is_still_a_meeting(text):
    (m,) = of_type(run(text, OLD), "meeting")
    assert m.codes("participant") == ["CAN", "JPN"]
