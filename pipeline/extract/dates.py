"""Resolve the date expressions of news text against the publication date.

A small rule-based resolver: news dates events with weekdays, today/yesterday
and "Month day"; dateparser would work but costs milliseconds per call.
Expressions that name no day ("last week", "next month") resolve to None
on purpose: GUIDE.md wants a null date rather than a guessed one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"), start=1)}
MONTHS.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
               "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12})

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_PATTERN = re.compile(
    r"(?P<iso>\b\d{4}-\d{2}-\d{2}\b)"
    rf"|(?P<md>\b(?P<md_m>{_MONTH})\s+(?P<md_d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<md_y>\d{{4}})\b)?)"
    rf"|(?P<dm>\b(?P<dm_d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<dm_m>{_MONTH})(?:,?\s+(?P<dm_y>\d{{4}})\b)?)"
    rf"|(?P<wd>\b(?:(?P<wd_mod>last|next|this|on|since|until|by)\s+)?(?P<wd_d>{_WEEKDAY})\b)"
    r"|(?P<rel>\b(?:earlier |later )?(?:today|tonight|yesterday|tomorrow)\b)"
    r"|(?P<vague>\b(?:last|next|this|earlier this|later this|early this|late this|earlier last|"
    r"previous|coming|past|the same)\s+(?:week|month|year|weekend|quarter|spring|summer|autumn|fall|winter)\b"
    rf"|\b(?:last|next|this|early|late|earlier|in)\s+{_MONTH}(?![\s\d]*\d)"
    r"|\bthe day before\b|\brecently\b|\bearlier\b)",
    re.IGNORECASE,
)
# Words right before a date that make it the day a measure takes effect or
# expires, which GUIDE.md says is never the event date.
_EFFECTIVE_BEFORE = re.compile(
    r"(?:effect(?:ive)?|starting|start|from|as of|until|till|through|by|deadline|expire[sd]?|"
    r"beginning|begin|end of|before|after|since|due|on or after)\s+(?:on\s+)?(?:the\s+)?$",
    re.IGNORECASE)
_FUTURE_CUES = re.compile(
    r"\b(?:will|shall|'ll|is due|are due|due to|is to|are to|scheduled|expected to|set to|plans? to|"
    r"next|is set|are set|would)\b", re.IGNORECASE)


_RANGE_GAP = re.compile(r"^\s*(?:-|\u2013|\u2014|to|through|till|until)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    value: date | None  # None: names no day ("last week")
    effective: bool  # the day something takes effect, not the day of the act


def _year_near(month: int, day: int, published: date) -> date | None:
    """The date with that month/day closest to the publication date."""
    best = None
    for year in (published.year - 1, published.year, published.year + 1):
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if best is None or abs((d - published).days) < abs((best - published).days):
            best = d
    return best


def resolve_weekday(name: str, published: date, future: bool) -> date:
    """Nearest such weekday before (past) or after (future) publication.

    The publication weekday itself is the publication day: wires write "said
    on Monday" in Monday's copy.
    """
    target = WEEKDAYS.index(name.lower())
    delta = (published.weekday() - target) % 7
    if future:
        delta = -((target - published.weekday()) % 7)
    return published - timedelta(days=delta)


def find_dates(text: str, published: date | None, future: bool | None = None) -> list[DateMention]:
    """Date expressions in ``text``; ``future`` forces the weekday direction, else it is read from the text."""
    out = []
    for m in _PATTERN.finditer(text):
        value: date | None = None
        effective = bool(_EFFECTIVE_BEFORE.search(text[max(0, m.start() - 30):m.start()]))
        if m.group("iso"):
            try:
                value = date.fromisoformat(m.group("iso"))
            except ValueError:
                value = None
        elif m.group("md") or m.group("dm"):
            g = "md" if m.group("md") else "dm"
            month = MONTHS[m.group(f"{g}_m").lower().rstrip(".")]
            day = int(m.group(f"{g}_d"))
            year = m.group(f"{g}_y")
            if year:
                try:
                    value = date(int(year), month, day)
                except ValueError:
                    value = None
            elif published:
                value = _year_near(month, day, published)
            # "May 5" style false hits on the modal "may" are excluded by case.
            if m.group(f"{g}_m").lower() == "may" and not m.group(f"{g}_m")[0].isupper():
                continue
        elif m.group("wd"):
            mod = (m.group("wd_mod") or "").lower()
            if mod in ("since", "until", "by"):
                effective = True
            if published:
                if mod == "next":
                    fut = True
                elif mod == "last":
                    fut = False
                elif future is not None:
                    fut = future
                else:
                    fut = bool(_FUTURE_CUES.search(text))
                value = resolve_weekday(m.group("wd_d"), published, fut)
        elif m.group("rel"):
            word = m.group("rel").lower().split()[-1]
            if published:
                value = published + timedelta(days={"yesterday": -1, "tomorrow": 1}.get(word, 0))
        # "vague" leaves value None.
        if out and out[-1].value is not None and _RANGE_GAP.match(text[out[-1].end:m.start()]):
            # "the April 29-May 2 visit": the end of a range is never the day of the act or the
            # first day of a meeting
            effective = True
        out.append(DateMention(m.start(), m.end(), m.group(0), value, effective))
    return out
