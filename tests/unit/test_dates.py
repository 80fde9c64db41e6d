from datetime import date

from pipeline.extract.dates import find_dates, resolve_weekday

THU = date(2025, 8, 7)  # a Thursday


def values(text, published=THU, future=None):
    return [(d.text, d.value, d.effective) for d in find_dates(text, published, future)]


def test_past_weekday_is_the_nearest_before_publication():
    assert resolve_weekday("Wednesday", THU, future=False) == date(2025, 8, 6)
    assert resolve_weekday("Friday", THU, future=False) == date(2025, 8, 1)


def test_future_weekday_is_the_nearest_after_publication_across_a_month_boundary():
    assert resolve_weekday("Monday", date(2025, 7, 30), future=True) == date(2025, 8, 4)


def test_future_cue_in_sentence_turns_weekday_forward():
    (text, value, _), = values("Talks are due to begin in Moscow on Wednesday.", date(1987, 3, 16))
    assert value == date(1987, 3, 18)


def test_today_yesterday_and_month_day():
    got = values("He said yesterday that the deal signed on August 6 takes effect today.")
    assert [v for _, v, _ in got] == [date(2025, 8, 6), date(2025, 8, 6), THU]


def test_month_day_year_is_taken_near_publication_across_new_year():
    (_, value, _), = values("signed on December 30", date(2026, 1, 2))
    assert value == date(2025, 12, 30)


def test_vague_expressions_name_no_day():
    assert [v for _, v, _ in values("announced last week and due next month")] == [None, None]


def test_effective_dates_are_flagged():
    (_, value, effective), = values("The cuts will take effect on July 1.")
    assert value == date(2025, 7, 1) and effective


def test_no_publication_date_leaves_relative_dates_unresolved():
    (_, value, _), = values("signed the deal on Tuesday", published=None)
    assert value is None


def test_modal_may_is_not_a_month():
    assert values("The United States may lift 84 mln dlrs in sanctions") == []


def test_range_end_is_never_the_event_day():
    from datetime import date as _d

    from pipeline.extract.dates import find_dates
    ds = find_dates("paving the way for the April 29-May 2 visit of the prime minister", _d(1987, 4, 24))
    assert [(d.text, d.effective) for d in ds] == [("April 29", False), ("May 2", True)]
    ds = find_dates("talks on Monday and Tuesday", _d(1987, 4, 24))
    assert not any(d.effective for d in ds)
