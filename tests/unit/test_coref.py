from datetime import date

from pipeline.resolve import block_key, cluster_mentions, resolve_events
from tests.unit.factories import make_doc, make_mention

DOC_A = make_doc("India and Russia met on Wednesday.", "file:///a.txt")
DOC_B = make_doc("Indian and Russian officials held talks on Wednesday.", "file:///b.txt")


def test_same_meeting_in_two_documents_is_one_event():
    events = resolve_events([make_mention(DOC_A), make_mention(DOC_B)])
    assert len(events) == 1
    assert {m.doc_id for m in events[0].mentions} == {DOC_A.doc_id, DOC_B.doc_id}


def test_meetings_on_different_dates_stay_apart():
    events = resolve_events([make_mention(DOC_A, event_date=date(2025, 8, 6)),
                             make_mention(DOC_B, event_date=date(2025, 9, 10))])
    assert sorted(e.event_date for e in events) == [date(2025, 8, 6), date(2025, 9, 10)]


def test_adjacent_days_merge_within_window():
    events = resolve_events([make_mention(DOC_A, event_date=date(2025, 8, 6)),
                             make_mention(DOC_B, event_date=date(2025, 8, 7))])
    assert len(events) == 1


def test_undated_mention_joins_dated_event_of_its_own_article():
    dated = make_mention(DOC_A, event_date=date(2025, 8, 6))
    undated = make_mention(DOC_A, event_date=None, trigger_start=10)
    events = resolve_events([dated, undated])
    assert len(events) == 1 and events[0].event_date == date(2025, 8, 6)


def test_different_parties_are_different_blocks():
    a = make_mention(DOC_A, codes=("IND", "RUS"))
    b = make_mention(DOC_B, codes=("IND", "USA"))
    assert block_key(a) != block_key(b)
    assert len(resolve_events([a, b])) == 2


def test_additional_tariff_and_earlier_tariff_stay_distinct():
    doc = make_doc("The US imposed an additional 25 per cent tariff, on top of 25 per cent announced earlier.")
    imposed = make_mention(doc, "tariff", imposer="USA", target="IND", rate=25.0, alt=(50.0,), status="imposed",
                           event_date=date(2025, 8, 6))
    announced = make_mention(doc, "tariff", imposer="USA", target="IND", rate=25.0, status="announced",
                             event_date=None, trigger_start=60)
    assert len(resolve_events([imposed, announced])) == 2


def test_total_rate_reported_elsewhere_merges_through_alt_rates():
    doc = make_doc("A steep US tariff of 50 per cent.")
    additional = make_mention(DOC_A, "tariff", imposer="USA", target="IND", rate=25.0, alt=(50.0,),
                              status="imposed", event_date=date(2025, 8, 6))
    total = make_mention(doc, "tariff", imposer="USA", target="IND", rate=50.0, status="imposed", event_date=None)
    events = resolve_events([additional, total])
    assert len(events) == 1
    assert events[0].event_date == date(2025, 8, 6)


def test_conflicting_rates_stay_apart():
    a = make_mention(DOC_A, "tariff", imposer="USA", target="JPN", rate=100.0, status="imposed", event_date=None)
    b = make_mention(DOC_B, "tariff", imposer="USA", target="JPN", rate=10.0, status="imposed", event_date=None)
    assert len(resolve_events([a, b])) == 2


def test_event_ids_do_not_depend_on_mention_order():
    mentions = [make_mention(DOC_A), make_mention(DOC_B), make_mention(DOC_B, event_date=date(2025, 1, 2))]
    forward = sorted(e.event_id for e in resolve_events(mentions))
    backward = sorted(e.event_id for e in resolve_events(list(reversed(mentions))))
    assert forward == backward and len(forward) == 2


def test_best_supported_slot_wins_and_confidence_grows_with_reports():
    low = make_mention(DOC_A, event_date=date(2025, 8, 6), confidence=0.4)
    high = make_mention(DOC_B, event_date=date(2025, 8, 7), confidence=0.9)
    (event,) = resolve_events([low, high])
    assert event.event_date == date(2025, 8, 7)
    assert event.confidence > 0.9


def test_clustering_empty_input():
    assert cluster_mentions([]) == []


def test_undated_reports_published_far_apart_are_different_events():
    march = make_doc("Japan and the U.S. held trade talks.", "file:///march.txt", published=date(1987, 3, 2))
    june = make_doc("U.S. and Japanese officials held talks.", "file:///june.txt", published=date(1987, 6, 20))
    events = resolve_events([make_mention(march, codes=("JPN", "USA"), event_date=None),
                             make_mention(june, codes=("JPN", "USA"), event_date=None)])
    assert len(events) == 2


def test_undated_report_does_not_take_the_date_of_a_much_older_event():
    old = make_doc("Japan and the U.S. met on Monday.", "file:///old.txt", published=date(1987, 3, 20))
    later = make_doc("Japan and the U.S. held talks.", "file:///later.txt", published=date(1987, 4, 6))
    events = resolve_events([make_mention(old, codes=("JPN", "USA"), event_date=date(1987, 3, 16)),
                             make_mention(later, codes=("JPN", "USA"), event_date=None)])
    assert sorted((e.event_date is None) for e in events) == [False, True]


def test_undated_reports_without_publication_dates_stay_apart_across_articles():
    a = make_doc("Argentina and Venezuela signed a deal.", "file:///a.txt", published=None)
    b = make_doc("Venezuela and Argentina signed an accord.", "file:///b.txt", published=None)
    events = resolve_events([make_mention(a, "agreement", codes=("ARG", "VEN"), event_date=None),
                             make_mention(b, "agreement", codes=("ARG", "VEN"), event_date=None)])
    assert len(events) == 2


def test_two_dates_in_one_article_are_two_events():
    doc = make_doc("Thatcher held talks with Ryzhkov yesterday and with Gorbachev today.")
    events = resolve_events([make_mention(doc, codes=("GBR", "SUN"), event_date=date(2025, 8, 6)),
                             make_mention(doc, codes=("GBR", "SUN"), event_date=date(2025, 8, 7), trigger_start=40)])
    assert len(events) == 2


def test_different_time_words_in_one_undated_article_are_different_events():
    doc = make_doc("Argentina and Venezuela signed the deal on Tuesday; last April they signed an agreement.",
                   published=None)
    tuesday = make_mention(doc, "agreement", codes=("ARG", "VEN"), event_date=None)
    tuesday.date_text = "on Tuesday"
    april = make_mention(doc, "agreement", codes=("ARG", "VEN"), event_date=None, trigger_start=50)
    april.date_text = "Last April"
    again = make_mention(doc, "agreement", codes=("ARG", "VEN"), event_date=None, trigger_start=70)
    again.date_text = "Tuesday"
    events = resolve_events([tuesday, april, again])
    assert sorted(len(e.mentions) for e in events) == [1, 2]


def test_an_undated_mention_with_other_time_words_does_not_join_the_dated_event():
    doc = make_doc("Goyal met Reynolds on Wednesday; negotiations concluded last month.")
    wednesday = make_mention(doc, codes=("GBR", "IND"), event_date=date(2025, 6, 18))
    wednesday.date_text = "on Wednesday"
    last_month = make_mention(doc, codes=("GBR", "IND"), event_date=None, trigger_start=40)
    last_month.date_text = "last month"
    plain = make_mention(doc, codes=("GBR", "IND"), event_date=None, trigger_start=60)
    events = resolve_events([wednesday, last_month, plain])
    assert sorted(len(e.mentions) for e in events) == [1, 2]
