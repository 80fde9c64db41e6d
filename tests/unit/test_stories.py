from pipeline.resolve import assign_stories, signature

WIRE = ("India and Russia on Wednesday signed a protocol to boost industrial cooperation across aluminium, "
        "fertilisers, railways and mining technologies, officials said after the eleventh session of the "
        "working group on modernisation and industrial cooperation held in New Delhi this week.")
REPUBLISHED = WIRE.replace("officials said", "officials told reporters")
UNRELATED = ("The central bank left interest rates unchanged on Thursday, citing slowing inflation and "
             "a weaker labour market, and said it would keep watching data before its next meeting in June.")


def test_near_duplicates_share_a_story_and_unrelated_text_does_not():
    stories = assign_stories({"b": signature(REPUBLISHED), "a": signature(WIRE), "c": signature(UNRELATED)})
    assert stories["a"] == stories["b"] == "a"
    assert stories["c"] == "c"


def test_signature_is_deterministic():
    assert (signature(WIRE) == signature(WIRE)).all()


def test_story_ids_do_not_depend_on_arrival_order():
    first = assign_stories({"x": signature(WIRE), "y": signature(REPUBLISHED)})
    second = assign_stories({"y": signature(REPUBLISHED), "x": signature(WIRE)})
    assert first == second
