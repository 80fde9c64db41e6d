"""Event coreference: mentions that report the same real-world event become one event.

Two mentions corefer when they have the same type and the same actors
(participants, or imposer and target), their dates are equal or within
``DATE_WINDOW`` when both are known, their rates agree (equal, one in the
other's alternatives, or one unknown) and their statuses agree (equal or one
unknown). Announcing a measure and imposing it are different actions, so a
status disagreement keeps events apart.

Two further rules keep distinct events apart. Within one article, two
different dates are two events (an article that reports talks "yesterday"
and "today" reports two rounds). Across articles, a report without a date
joins an event only when the articles were published within
``REPORT_WINDOW`` of each other: the same pair of countries meets, and
imposes measures, many times over the years.

Blocking by (type, actors) and a date-ordered sweep inside each block keep the
cost at O(n log n). Event ids are hashes of each cluster's best-supported
slots, so they depend only on the set of mentions, not on the order in which
runs delivered them: one run over two articles and two runs over one article
each give the same ids.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Iterable

from pipeline import timewords
from pipeline.models import EVENT_SPECS, Actor, Event, EventMention, content_hash

DATE_WINDOW = timedelta(days=1)
REPORT_WINDOW = timedelta(days=3)


def block_key(mention: EventMention) -> str:
    """Mentions in different blocks never corefer; the warehouse stores this key to recompute a block."""
    roles = EVENT_SPECS[mention.event_type]["roles"]
    return "|".join([mention.event_type] + [f"{role}={'+'.join(mention.codes(role))}" for role in roles])


def _rates(mention: EventMention) -> set[float]:
    rates = set(mention.alt_rates or [])
    if mention.rate_pct is not None:
        rates.add(mention.rate_pct)
    return rates


class _Cluster:
    """A growing cluster; keeps the few aggregates the sweep asks about so no question rescans its mentions."""

    __slots__ = ("mentions", "dates", "statuses", "primary_rates", "all_rates", "doc_ids", "min_id", "max_date",
                 "doc_dates", "doc_times", "published")

    def __init__(self, mention: EventMention, mention_id: str):
        self.mentions = [mention]
        self.dates = {mention.event_date} - {None}
        self.statuses = {mention.status} - {None}
        self.primary_rates = {mention.rate_pct} - {None}
        self.all_rates = _rates(mention)
        self.doc_ids = {mention.doc_id}
        self.min_id = mention_id
        self.max_date = mention.event_date
        self.doc_dates: dict[str, set[date]] = defaultdict(set)
        if mention.event_date is not None:
            self.doc_dates[mention.doc_id].add(mention.event_date)
        self.published = {mention.published} - {None}
        self.doc_times: dict[str, list[EventMention]] = defaultdict(list)
        if mention.date_text or mention.event_date:
            self.doc_times[mention.doc_id].append(mention)

    def accepts(self, mention: EventMention) -> bool:
        if mention.event_date is not None and self.dates:
            if all(abs(mention.event_date - d) > DATE_WINDOW for d in self.dates):
                return False
            same_doc_dates = self.doc_dates.get(mention.doc_id)
            if same_doc_dates and mention.event_date not in same_doc_dates:
                return False
        # Time words that name no day still tell events apart within an article ("signed the deal on
        # Tuesday" vs "signed an agreement last April"), also when no publication date resolves them.
        if mention.date_text or mention.event_date:
            for other in self.doc_times.get(mention.doc_id, ()):
                if not timewords.compatible(mention.date_text, mention.event_date, other.date_text,
                                            other.event_date, mention.published):
                    return False
        if mention.doc_id not in self.doc_ids and (mention.event_date is None or not self.dates):
            if mention.published is None or all(abs(mention.published - p) > REPORT_WINDOW
                                                for p in self.published):
                return False
        if mention.status is not None and self.statuses and mention.status not in self.statuses:
            return False
        if mention.rate_pct is not None and self.primary_rates:
            if mention.rate_pct not in self.all_rates and not (self.primary_rates & _rates(mention)):
                return False
        return True

    def add(self, mention: EventMention, mention_id: str) -> None:
        self.mentions.append(mention)
        self.doc_ids.add(mention.doc_id)
        if mention_id < self.min_id:
            self.min_id = mention_id
        if mention.published is not None:
            self.published.add(mention.published)
        if mention.date_text or mention.event_date:
            self.doc_times[mention.doc_id].append(mention)
        if mention.event_date is not None:
            self.dates.add(mention.event_date)
            self.doc_dates[mention.doc_id].add(mention.event_date)
            if self.max_date is None or mention.event_date > self.max_date:
                self.max_date = mention.event_date
        if mention.status is not None:
            self.statuses.add(mention.status)
        if mention.rate_pct is not None:
            self.primary_rates.add(mention.rate_pct)
        self.all_rates |= _rates(mention)


def _mention_ids(mentions: Iterable[EventMention]) -> dict[int, str]:
    """``mention_id`` is a hash computed on each access; compute it once per mention per call."""
    return {id(m): m.mention_id for m in mentions}


def _rank(cluster: _Cluster) -> tuple:
    """How well-reported a cluster is; an undated mention joins the best-ranked compatible one."""
    return (len(cluster.mentions), -len(cluster.dates), cluster.min_id)


def _cluster_block(mentions: list[EventMention], ids: dict[int, str] | None = None) -> list[list[EventMention]]:
    """Dated mentions in a date sweep, then undated ones join the best compatible cluster."""
    ids = ids if ids is not None else _mention_ids(mentions)
    ordered = sorted(mentions, key=lambda m: (m.event_date is None, m.event_date or date.min, ids[id(m)]))
    clusters: list[_Cluster] = []
    recent: list[_Cluster] = []  # dated clusters whose latest date is within the window of the sweep
    undated: list[EventMention] = []
    for mention in ordered:
        if mention.event_date is None:
            undated.append(mention)  # sorted last, so the dated sweep is complete here
            continue
        mid = ids[id(mention)]
        recent = [c for c in recent if mention.event_date - c.max_date <= DATE_WINDOW]
        candidates = [c for c in recent if c.accepts(mention)]
        if not candidates:
            cluster = _Cluster(mention, mid)
            clusters.append(cluster)
            recent.append(cluster)
            continue
        best = max(candidates, key=lambda c: (mention.doc_id in c.doc_ids, *_rank(c)))
        best.add(mention, mid)
    if undated:
        _join_undated(undated, clusters, ids)
    return [c.mentions for c in clusters]


def _join_undated(undated: list[EventMention], clusters: list[_Cluster], ids: dict[int, str]) -> None:
    """An undated mention is most plausibly the event its own article dates, then the best-reported one.

    Equivalent to taking the best of every compatible cluster by (same document, rank), without
    scanning them all: a cluster of another article can only accept an undated mention when one of
    its articles was published within ``REPORT_WINDOW``, so clusters are indexed by their articles
    and by their publication dates, and only those are asked.
    """
    by_doc: dict[str, list[_Cluster]] = defaultdict(list)
    by_published: dict[date, list[_Cluster]] = defaultdict(list)
    for c in clusters:
        for doc_id in c.doc_ids:
            by_doc[doc_id].append(c)
        for published in c.published:
            by_published[published].append(c)
    window = range(-REPORT_WINDOW.days, REPORT_WINDOW.days + 1)

    def index(cluster: _Cluster, mention: EventMention, new: bool) -> None:
        if new or mention.doc_id not in cluster.doc_ids:
            by_doc[mention.doc_id].append(cluster)
        if mention.published is not None and (new or mention.published not in cluster.published):
            by_published[mention.published].append(cluster)

    for mention in undated:
        mid = ids[id(mention)]
        best = max((c for c in by_doc.get(mention.doc_id, ()) if c.accepts(mention)), key=_rank, default=None)
        if best is None and mention.published is not None:
            nearby = {id(c): c for k in window
                      for c in by_published.get(mention.published + timedelta(days=k), ())}
            best = max((c for c in nearby.values() if c.accepts(mention)), key=_rank, default=None)
        if best is not None:
            index(best, mention, new=False)
            best.add(mention, mid)
            continue
        cluster = _Cluster(mention, mid)
        clusters.append(cluster)
        index(cluster, mention, new=True)


def _keyed_clusters(mentions: list[EventMention], ids: dict[int, str]) -> list[tuple[str, list[EventMention]]]:
    blocks: dict[str, list[EventMention]] = defaultdict(list)
    for mention in mentions:
        blocks[block_key(mention)].append(mention)
    return [(key, cluster) for key in sorted(blocks) for cluster in _cluster_block(blocks[key], ids)]


def cluster_mentions(mentions: Iterable[EventMention], ids: dict[int, str] | None = None) -> list[list[EventMention]]:
    mentions = list(mentions)
    ids = ids if ids is not None else _mention_ids(mentions)
    return [cluster for _, cluster in _keyed_clusters(mentions, ids)]


def _best(values: Iterable[tuple[object, float]]):
    """The value with the most confidence-weighted support; ties go to the smallest value."""
    support: dict[object, float] = defaultdict(float)
    for value, weight in values:
        if value is not None:
            support[value] += weight
    if not support:
        return None
    return min(support, key=lambda v: (-round(support[v], 6), repr(v)))


def build_event(cluster: list[EventMention], ids: dict[int, str] | None = None, key: str | None = None) -> Event:
    ids = ids if ids is not None else _mention_ids(cluster)
    by_id = sorted(cluster, key=lambda m: ids[id(m)])
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
    for m in by_id:
        for a in m.actors:
            names.setdefault((a.role, a.code), a.name)
    actor_key = ",".join(f"{role}:{code}" for role, code in actors)
    event_id = content_hash("event", first.event_type, actor_key, event_date, status, rate)
    return Event(
        event_id=event_id,
        event_type=first.event_type,
        block_key=key if key is not None else block_key(first),
        event_date=event_date,
        status=status,
        rate_pct=rate,
        alt_rates=alt,
        confidence=confidence,
        actors=[Actor(role, code, names[(role, code)]) for role, code in actors],
        mentions=by_id,
    )


def resolve_events(mentions: Iterable[EventMention]) -> list[Event]:
    mentions = list(mentions)
    ids = _mention_ids(mentions)
    events = [build_event(c, ids, key) for key, c in _keyed_clusters(mentions, ids)]
    seen: dict[str, int] = defaultdict(int)
    for event in sorted(events, key=lambda e: (e.event_id, ids[id(e.mentions[0])])):
        # Two clusters can only share a key when an undated cluster could not pick between dated
        # ones; a suffix keeps them apart without depending on run order.
        seen[event.event_id] += 1
        if seen[event.event_id] > 1:
            event.event_id = content_hash(event.event_id, seen[event.event_id])
    return events
