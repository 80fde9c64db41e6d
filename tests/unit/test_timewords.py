from datetime import date

import pytest

from pipeline.timewords import compatible, time_span

THURSDAY = date(2025, 8, 7)


@pytest.mark.parametrize("text, span", [
    ("yesterday", (date(2025, 8, 6), date(2025, 8, 6))),
    ("earlier today", (THURSDAY, THURSDAY)),
    ("last week", (date(2025, 7, 28), date(2025, 8, 3))),
    ("next week", (date(2025, 8, 11), date(2025, 8, 17))),
    ("earlier this month", (date(2025, 8, 1), date(2025, 8, 31))),
    ("last month", (date(2025, 7, 1), date(2025, 7, 31))),
    ("last year", (date(2024, 1, 1), date(2024, 12, 31))),
    ("in 2002", (date(2002, 1, 1), date(2002, 12, 31))),
    ("Last April", (date(2025, 4, 1), date(2025, 4, 30))),
    ("last August", (date(2024, 8, 1), date(2024, 8, 31))),
    ("next January", (date(2026, 1, 1), date(2026, 1, 31))),
    ("in May", (date(2025, 5, 1), date(2025, 5, 31))),
])
def test_spans_against_the_publication_date(text, span):
    assert time_span(text, THURSDAY) == span


def test_no_span_without_a_publication_date_or_for_unknown_words():
    assert time_span("last week", None) is None
    assert time_span("recently", THURSDAY) is None
    assert time_span("", THURSDAY) is None


def test_compatibility_of_time_references():
    published = date(1987, 3, 31)
    assert compatible("next week", None, "April 6", date(1987, 4, 6), published)
    assert not compatible("last week", None, "April 6", date(1987, 4, 6), published)
    assert not compatible("on Tuesday", None, "Last April", None, None)
    assert compatible("on Tuesday", None, "Tuesday", None, None)
    assert compatible("recently", None, "April 6", date(1987, 4, 6), published)
    assert compatible(None, None, "last year", None, published)
