"""The span of days a vague time expression can mean, given the publication date.

"Last week" names no day, so an event carries no date; it still rules out
every day outside that week. Coreference uses these spans to keep apart
events an article places at different times ("signed last April" and
"signed on Tuesday") and to keep together those it places at compatible
times ("will visit next week" and "the trip is set for April 6").
"""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_UNIT = re.compile(r"^(?:(earlier|later|early|late)\s+)?(last|next|this|past|coming|previous)\s+(week|month|year)$")
_MONTH = re.compile(r"^(?:(last|next|this|early|late|earlier|in)\s+)?([a-z]+)\.?$")
_YEAR = re.compile(r"^(?:in\s+)?(\d{4})$")
_DAY_WORDS = {"today": 0, "tonight": 0, "earlier today": 0, "later today": 0, "yesterday": -1, "tomorrow": 1}


def normalise(text: str | None) -> str:
    words = (text or "").lower().replace(",", " ").split()
    while words and words[0] in ("on", "the", "at"):
        words = words[1:]
    return " ".join(words)


def _month_span(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def time_span(text: str | None, published: date | None) -> tuple[date, date] | None:
    """First and last day the expression can mean, or None when it cannot be placed."""
    words = normalise(text)
    if not words or published is None:
        return None
    if words in _DAY_WORDS:
        day = published + timedelta(days=_DAY_WORDS[words])
        return day, day
    if match := _YEAR.match(words):
        year = int(match.group(1))
        return date(year, 1, 1), date(year, 12, 31)
    if match := _UNIT.match(words):
        _, which, unit = match.groups()
        step = {"last": -1, "past": -1, "previous": -1, "next": 1, "coming": 1, "this": 0}[which]
        if unit == "week":
            monday = published - timedelta(days=published.weekday()) + timedelta(weeks=step)
            return monday, monday + timedelta(days=6)
        if unit == "month":
            month_index = published.year * 12 + published.month - 1 + step
            return _month_span(month_index // 12, month_index % 12 + 1)
        return date(published.year + step, 1, 1), date(published.year + step, 12, 31)
    if (match := _MONTH.match(words)) and match.group(2) in _MONTHS:
        which, month = match.group(1), _MONTHS[match.group(2)]
        year = published.year
        if which == "last" and month >= published.month:
            year -= 1
        if which == "next" and month <= published.month:
            year += 1
        return _month_span(year, month)
    return None


def compatible(a_text: str | None, a_date: date | None, b_text: str | None, b_date: date | None,
               published: date | None) -> bool:
    """Whether two time references in one article can denote the same time."""
    a = (a_date, a_date) if a_date else time_span(a_text, published)
    b = (b_date, b_date) if b_date else time_span(b_text, published)
    if a is not None and b is not None:
        return a[0] <= b[1] and b[0] <= a[1]
    if a_date or b_date:
        # A resolved date against words that cannot be placed: nothing rules it out.
        return True
    return normalise(a_text) == normalise(b_text) if a_text and b_text else True
