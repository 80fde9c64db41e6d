from datetime import date

from pipeline.coref import block_key, cluster_mentions, resolve_events
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
