"""Document-level passes over one article's mentions, shared by the trained and the rule extractor."""
from __future__ import annotations

from datetime import date

from pipeline.models import EventMention


def _dates_compatible(a: date | None, b: date | None) -> bool:
    return a is None or b is None or abs((a - b).days) <= 1


def expand_partial_parties(mentions: list[EventMention], donors: set[int] | None = None) -> None:
    """One document's meeting/agreement mentions naming a strict subset of another's parties
    ("India and Japan ... at the meeting" after "India, Japan and Australia met") describe the
    same event partially: give them the full party list so coreference, which blocks on exact
    actor sets, can merge them. Only when the superset is unambiguous (one largest compatible
    party set) and the dates are compatible. ``donors`` (ids of mentions), when given, limits the
    supersets to mentions whose parties their own sentence names, so that a guess (the article's
    main pair) never spreads. In place; returns nothing."""
    for etype in ("meeting", "agreement"):
        group = [m for m in mentions if m.event_type == etype]
        if len(group) < 2:
            continue
        sets = [frozenset(m.codes("participant")) for m in group]
        updates = {}
        for i, m in enumerate(group):
            supers = {sets[j] for j, o in enumerate(group)
                      if sets[i] < sets[j] and _dates_compatible(m.event_date, o.event_date)
                      and (donors is None or id(o) in donors)}
            maximal = [s for s in supers if not any(s < t for t in supers)]
            if len(maximal) != 1:
                continue
            full = maximal[0]
            donor = next(o for j, o in enumerate(group) if sets[j] == full and (donors is None or id(o) in donors))
            extra, have = [], set(sets[i])
            for a in donor.actors:
                if a.role == "participant" and a.code not in have:
                    have.add(a.code)
                    extra.append(a)
            updates[i] = extra
        for i, extra in updates.items():
            group[i].actors = group[i].actors + extra
