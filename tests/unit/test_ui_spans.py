"""Where the Events page marks the trigger, the countries and the date inside an evidence sentence."""
from pipeline.ui.queries import evidence_spans

SENTENCE = "US President Trump imposed a 25 per cent tariff on Indian goods over Russian oil on Wednesday."


def kinds(spans):
    return [(s["kind"], s["text"]) for s in spans]


def test_trigger_actors_and_date_are_marked_in_order():
    spans = evidence_spans(SENTENCE, "tariff", SENTENCE.index("tariff"),
                           [{"role": "imposer", "name": "US"}, {"role": "target", "name": "Indian"}], "Wednesday")
    assert kinds(spans) == [("imposer", "US"), ("trigger", "tariff"), ("target", "Indian"), ("date", "Wednesday")]
    for s in spans:
        assert SENTENCE[s["start"]:s["end"]] == s["text"]


def test_an_actor_is_matched_as_a_whole_word_only():
    spans = evidence_spans("Russia and the US met.", None, None, [{"role": "participant", "name": "us"}], None)
    assert kinds(spans) == [("participant", "US")]


def test_a_stale_trigger_offset_falls_back_to_the_trigger_text():
    spans = evidence_spans(SENTENCE, "imposed", 0, [], None)
    assert kinds(spans) == [("trigger", "imposed")] and spans[0]["start"] == SENTENCE.index("imposed")


def test_overlapping_spans_keep_the_first_kind_and_empty_names_mark_nothing():
    spans = evidence_spans("Chinese curbs on exports.", "Chinese curbs", 0,
                           [{"role": "imposer", "name": "Chinese"}, {"role": "target", "name": " "},
                            {"role": "target", "name": None}], None)
    assert kinds(spans) == [("trigger", "Chinese curbs")]
