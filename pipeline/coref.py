"""Event coreference: mentions that report the same real-world event become one event.

Two mentions corefer when they have the same type and the same actors
(participants, or imposer and target), their dates are equal or within
``DATE_WINDOW`` when both are known, their rates agree (equal, one in the
other's alternatives, or one unknown) and their statuses agree (equal or one
unknown). Announcing a measure and imposing it are different actions, so a
status disagreement keeps events apart.

Blocking by (type, actors) and a date-ordered sweep inside each block keep the
cost at O(n log n). Event ids are hashes of each cluster's best-supported
slots, so they depend only on the set of mentions, not on the order in which
runs delivered them: one run over two articles and two runs over one article
each give the same ids.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable

from pipeline.models import Actor, EventMention, content_hash

DATE_WINDOW = timedelta(days=1)
DIRECTED = ("tariff", "trade_restriction")


def block_key(mention: EventMention) -> str:
    """Mentions in different blocks never corefer; the warehouse stores this key to recompute a block."""
    if mention.event_type in DIRECTED:
        roles = ("imposer", "target")
    else:
        roles = ("participant",)
    return "|".join([mention.event_type] + [f"{role}={'+'.join(mention.codes(role))}" for role in roles])


@dataclass
class Event:
    event_id: str
    event_type: str
    block_key: str
    event_date: date | None
    status: str | None
    rate_pct: float | None
    alt_rates: list[float]
    confidence: float
    actors: list[Actor]
    mentions: list[EventMention] = field(repr=False)


def _rates(mention: EventMention) -> set[float]:
    rates = set(mention.alt_rates or [])
    if mention.rate_pct is not None:
        rates.add(mention.rate_pct)
    return rates


class _Cluster:
    def __init__(self, mention: EventMention):
        self.mentions = [mention]
        self.dates = {mention.event_date} - {None}
        self.statuses = {mention.status} - {None}
        self.primary_rates = {mention.rate_pct} - {None}
        self.all_rates = _rates(mention)

    def accepts(self, mention: EventMention) -> bool:
        if mention.event_date is not None and self.dates:
            if all(abs(mention.event_date - d) > DATE_WINDOW for d in self.dates):
                return False
        if mention.status is not None and self.statuses and mention.status not in self.statuses:
            return False
        if mention.rate_pct is not None and self.primary_rates:
            if mention.rate_pct not in self.all_rates and not (self.primary_rates & _rates(mention)):
                return False
        return True

    def add(self, mention: EventMention) -> None:
        self.mentions.append(mention)
        if mention.event_date is not None:
            self.dates.add(mention.event_date)
        if mention.status is not None:
            self.statuses.add(mention.status)
        if mention.rate_pct is not None:
            self.primary_rates.add(mention.rate_pct)
        self.all_rates |= _rates(mention)


def _cluster_block(mentions: list[EventMention]) -> list[list[EventMention]]:
    """Dated mentions in a date sweep, then undated ones join the best compatible cluster."""
    ordered = sorted(mentions, key=lambda m: (m.event_date is None, m.event_date or date.min, m.mention_id))
    clusters: list[_Cluster] = []
    recent: list[_Cluster] = []  # dated clusters whose latest date is within the window of the sweep
    for mention in ordered:
        if mention.event_date is not None:
            recent = [c for c in recent if mention.event_date - max(c.dates) <= DATE_WINDOW]
            candidates = [c for c in recent if c.accepts(mention)]
        else:
            candidates = [c for c in clusters if c.accepts(mention)]
        if not candidates:
            cluster = _Cluster(mention)
            clusters.append(cluster)
            if mention.event_date is not None:
                recent.append(cluster)
            continue
        # An undated mention is most plausibly the event its own article dates, then the best-reported one.
        best = max(candidates, key=lambda c: (any(m.doc_id == mention.doc_id for m in c.mentions),
                                              len(c.mentions), -len(c.dates),
                                              min(m.mention_id for m in c.mentions)))
        best.add(mention)
    return [c.mentions for c in clusters]


def cluster_mentions(mentions: Iterable[EventMention]) -> list[list[EventMention]]:
    blocks: dict[str, list[EventMention]] = defaultdict(list)
    for mention in mentions:
        blocks[block_key(mention)].append(mention)
    clusters: list[list[EventMention]] = []
    for key in sorted(blocks):
        clusters.extend(_cluster_block(blocks[key]))
    return clusters


def _best(values: Iterable[tuple[object, float]]):
    """The value with the most confidence-weighted support; ties go to the smallest value."""
    support: dict[object, float] = defaultdict(float)
    for value, weight in values:
        if value is not None:
            support[value] += weight
    if not support:
        return None
    return min(support, key=lambda v: (-round(support[v], 6), repr(v)))


def build_event(cluster: list[EventMention]) -> Event:
    first = cluster[0]
    weighted = [(m, max(m.confidence, 1e-3)) for m in cluster]
    event_date = _best((m.event_date, w) for m, w in weighted)
    status = _best((m.status, w) for m, w in weighted)
    rate = _best((m.rate_pct, w) for m, w in weighted)
    alt = sorted({r for m in cluster for r in _rates(m)} - {rate})
    # Independent reports raise belief that the event happened, with diminishing returns.
    disbelief = 1.0
    for m in cluster:
        disbelief *= 1.0 - min(max(m.confidence, 0.0), 0.99)
    confidence = round(1.0 - disbelief, 4)
    actors = sorted({(a.role, a.code) for m in cluster for a in m.actors if a.code})
    names: dict[tuple, str] = {}
    for m in sorted(cluster, key=lambda m: m.mention_id):
        for a in m.actors:
            names.setdefault((a.role, a.code), a.name)
    actor_key = ",".join(f"{role}:{code}" for role, code in actors)
    event_id = content_hash("event", first.event_type, actor_key, event_date, status, rate)
    return Event(
        event_id=event_id,
        event_type=first.event_type,
        block_key=block_key(first),
        event_date=event_date,
        status=status,
        rate_pct=rate,
        alt_rates=alt,
        confidence=confidence,
        actors=[Actor(role, code, names[(role, code)]) for role, code in actors],
        mentions=sorted(cluster, key=lambda m: m.mention_id),
    )


def resolve_events(mentions: Iterable[EventMention]) -> list[Event]:
    events = [build_event(c) for c in cluster_mentions(mentions)]
    seen: dict[str, int] = defaultdict(int)
    for event in sorted(events, key=lambda e: (e.event_id, e.mentions[0].mention_id)):
        # Two clusters can only share a key when an undated cluster could not pick between dated
        # ones; a suffix keeps them apart without depending on run order.
        seen[event.event_id] += 1
        if seen[event.event_id] > 1:
            event.event_id = content_hash(event.event_id, seen[event.event_id])
    return events
