"""The Events page's reads: parameterised SQL over the public views of the warehouse's read copy.

Every function takes an open (read-only, sandboxed) DuckDB connection and returns plain dicts and
lists that serialise to JSON. Filter values only ever travel as bound parameters; the one piece of
SQL chosen by the caller, the sort column, is looked up in ``SORT_COLUMNS`` and never interpolated
from the request.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

# The date an event is placed at: its own date, else the day it was first reported.
EVENT_DAY = "coalesce(e.event_date, e.first_reported_at::date)"

SORT_COLUMNS = {
    "date": EVENT_DAY,
    "type": "e.event_type",
    "status": "e.status",
    "rate": "e.rate_pct",
    "confidence": "e.confidence",
    "documents": "e.num_documents",
    "mentions": "e.num_mentions",
    "reported": "e.first_reported_at",
}
ORDERS = {"asc": "asc", "desc": "desc"}


@dataclass(frozen=True)
class EventFilter:
    type: str | None = None
    country: str | None = None
    role: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None
    q: str | None = None

    def params(self) -> dict:
        return {
            "type": self.type, "country": self.country, "role": self.role,
            "date_from": self.date_from, "date_to": self.date_to, "status": self.status,
            "q": None if not self.q else "%" + _escape_like(self.q) + "%",
        }


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# One clause per filter; only the clauses of the filters that are set go into the query (a clause
# that is always true still costs a scan of its subquery at 100,000 events). Values stay bound parameters.
_CLAUSES = {
    "type": "e.event_type = $type",
    "status": "e.status = $status",
    "date_from": f"{EVENT_DAY} >= $date_from",
    "date_to": f"{EVENT_DAY} <= $date_to",
    "actor": """e.event_id in (
        select x.event_id from event_actors x
        where ($country::varchar is null or x.country_code = $country)
          and ($role::varchar is null or x.role = $role))""",
    "q": """e.event_id in (
        select m.event_id from event_mentions m where m.sentence ilike $q escape '\\')""",
}


def _where(flt: EventFilter) -> tuple[str, dict]:
    """The ``where`` clause for ``flt`` and the parameters it binds."""
    params = flt.params()
    active = [k for k in ("type", "status", "date_from", "date_to", "q") if params[k] is not None]
    if flt.country is not None or flt.role is not None:
        active.append("actor")
    if not active:
        return "", {}
    used = {k: params[k] for k in active if k != "actor"}
    if "actor" in active:
        used.update(country=params["country"], role=params["role"])
    return "where " + "\n  and ".join(_CLAUSES[k] for k in active), used


def _rows(cur) -> list[dict]:
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def list_events(con, flt: EventFilter, sort: str = "date", order: str = "desc",
                page: int = 1, page_size: int = 25) -> dict:
    """One page of events matching ``flt``, with the total count over all pages.

    The page is chosen from ``events`` alone; actors and evidence are then looked up for its rows
    only, not computed for every event and joined before the ``limit``.
    """
    sort_sql = SORT_COLUMNS[sort]  # KeyError for anything not whitelisted; the app validates first
    order_sql = ORDERS[order]
    where, params = _where(flt)
    rows = _rows(con.execute(f"""
        with ids as materialized (
            select e.event_id, count(*) over () as total_rows
            from events e
            {where}
            order by {sort_sql} {order_sql} nulls last, e.event_id
            limit $limit offset $offset
        ),
        page as materialized (
            select e.*, ids.total_rows from events e join ids using (event_id)
        ),
        actors as (
            select x.event_id, list({{'role': x.role, 'country': x.country_code, 'name': x.actor_name}}
                                    order by x.role, x.country_code) as actors
            from event_actors x where x.event_id in (select event_id from page) group by x.event_id
        ),
        evidence as (
            select m.event_id,
                   arg_min(m.sentence, (coalesce(d.published_date::timestamptz, d.fetched_at), m.doc_id,
                                        m.char_start)) as evidence,
                   arg_min(d.title, (coalesce(d.published_date::timestamptz, d.fetched_at), m.doc_id,
                                     m.char_start)) as title
            from event_mentions m join documents d using (doc_id)
            where m.event_id in (select event_id from page)
            group by m.event_id
        )
        select e.event_id, e.event_type, e.event_date, {EVENT_DAY} as event_day, e.status, e.rate_pct,
               e.alt_rates, e.confidence, e.num_mentions, e.num_documents, e.num_sources,
               e.first_reported_at, coalesce(a.actors, []) as actors, v.evidence, v.title, e.total_rows
        from page e
        left join actors a using (event_id)
        left join evidence v using (event_id)
        order by {sort_sql} {order_sql} nulls last, e.event_id
    """, {**params, "limit": page_size, "offset": (page - 1) * page_size}))
    if rows:
        total = rows[0]["total_rows"]
    else:  # past the last page: the window had no row to report the count on
        total = con.execute(f"select count(*) from events e {where}", params).fetchone()[0]
    for row in rows:
        del row["total_rows"]
    return {"total": total, "page": page, "page_size": page_size, "sort": sort, "order": order, "events": rows}


def _link(url: str | None) -> str | None:
    """Only web links leave the warehouse as links: a stored ``javascript:`` URL must not become one."""
    if url and urlsplit(url).scheme.lower() in ("http", "https"):
        return url
    return None


def _find_all(sentence: str, needle: str | None) -> list[tuple[int, int]]:
    if not needle or not needle.strip():
        return []
    # Whole words only: the actor "US" is not the "us" in "Russia".
    pattern = r"(?<!\w)" + re.escape(needle.strip()) + r"(?!\w)"
    return [(m.start(), m.end()) for m in re.finditer(pattern, sentence, flags=re.IGNORECASE)]


def evidence_spans(sentence: str, trigger: str | None, trigger_at: int | None,
                   actors: list[dict], date_text: str | None) -> list[dict]:
    """Character spans of the trigger, the arguments and the date inside the evidence sentence.

    The trigger's offset is stored; actors and dates are stored as text, so they are found in the
    sentence (every whole-word occurrence, case-insensitive). Overlapping spans are dropped, the
    first kind wins.
    """
    spans: list[dict] = []
    if trigger and trigger_at is not None and sentence[trigger_at:trigger_at + len(trigger)] == trigger:
        spans.append({"start": trigger_at, "end": trigger_at + len(trigger), "kind": "trigger"})
    else:
        spans += [{"start": s, "end": e, "kind": "trigger"} for s, e in _find_all(sentence, trigger)[:1]]
    for actor in actors:
        spans += [{"start": s, "end": e, "kind": actor["role"]} for s, e in _find_all(sentence, actor.get("name"))]
    spans += [{"start": s, "end": e, "kind": "date"} for s, e in _find_all(sentence, date_text)[:1]]
    kept: list[dict] = []
    for span in spans:
        if all(span["end"] <= k["start"] or span["start"] >= k["end"] for k in kept):
            kept.append(span)
    for span in kept:
        span["text"] = sentence[span["start"]:span["end"]]
    return sorted(kept, key=lambda s: s["start"])


def event_detail(con, event_id: str) -> dict | None:
    """The event, every mention with its evidence and spans, its documents, and its story's other events."""
    events = _rows(con.execute(f"""
        select e.event_id, e.event_type, e.event_date, {EVENT_DAY} as event_day, e.status, e.rate_pct,
               e.alt_rates, e.confidence, e.num_mentions, e.num_documents, e.num_sources, e.first_reported_at
        from events e where e.event_id = $id
    """, {"id": event_id}))
    if not events:
        return None
    event = events[0]
    event["actors"] = _rows(con.execute(
        "select role, country_code, actor_name from event_actors where event_id = $id order by role, country_code",
        {"id": event_id}))
    mentions = _rows(con.execute("""
        select m.mention_id, m.doc_id, m.sentence, m.char_start, m.char_end, m.trigger_text,
               s.trigger_start - m.char_start as trigger_at, m.event_date, m.date_text, m.rate_pct,
               m.alt_rates, m.status, m.confidence, m.extractor_version,
               d.title, d.source_name, d.source_uri, d.url, d.published_date, d.story_id
        from event_mentions m
        join stg_mentions s using (mention_id)
        join documents d on d.doc_id = m.doc_id
        where m.event_id = $id
        order by d.published_date nulls last, m.doc_id, m.char_start
    """, {"id": event_id}))
    actors_by_mention: dict[str, list[dict]] = {}
    for mention_id, role, code, name in con.execute("""
        select a.mention_id, a.role, a.country_code, a.actor_name
        from raw_mention_actors a join event_mentions m using (mention_id)
        where m.event_id = $id order by a.role, a.country_code
    """, {"id": event_id}).fetchall():
        actors_by_mention.setdefault(mention_id, []).append({"role": role, "country": code, "name": name})
    for m in mentions:
        m["actors"] = actors_by_mention.get(m["mention_id"], [])
        m["spans"] = evidence_spans(m["sentence"], m["trigger_text"], m["trigger_at"], m["actors"], m["date_text"])
        m["link"] = _link(m.pop("url"))
    event["mentions"] = mentions
    event["story_events"] = _rows(con.execute(f"""
        with docs as materialized (select doc_id, story_id from documents),
        story_docs as (
            select doc_id from docs where story_id in (
                select d.story_id from event_mentions m join docs d using (doc_id) where m.event_id = $id)
        )
        select e.event_id, e.event_type, {EVENT_DAY} as event_day, e.status, e.rate_pct, e.num_documents
        from events e
        where e.event_id <> $id and e.event_id in (
            select m.event_id from event_mentions m where m.doc_id in (select doc_id from story_docs))
        order by event_day nulls last, e.event_id
    """, {"id": event_id}))
    return event


def weekly_counts(con) -> dict:
    """Events per ISO week (Monday) by type, placed at their date or first report."""
    rows = _rows(con.execute(f"""
        select date_trunc('week', {EVENT_DAY})::date as week, e.event_type, count(*) as events
        from events e where {EVENT_DAY} is not null
        group by all order by week, e.event_type
    """))
    return {"rows": rows}


def tariff_rates(con, imposer: str | None, target: str | None) -> dict:
    """Tariff rates of one (imposer, target) pair over time; the busiest pair when none is given."""
    pairs = _rows(con.execute("""
        select imposer, target, count(*) as events
        from tariffs where rate_pct is not null and imposer is not null
        group by all order by events desc, imposer, target nulls last
    """))
    if imposer is None and target is None and pairs:
        imposer, target = pairs[0]["imposer"], pairs[0]["target"]
    points = _rows(con.execute("""
        select t.event_id, coalesce(t.event_date, t.first_reported_at::date) as day, t.rate_pct, t.status,
               t.imposer, t.target
        from tariffs t
        where t.rate_pct is not null
          and ($imposer::varchar is null or t.imposer = $imposer)
          and ($target::varchar is null or t.target = $target)
          and coalesce(t.event_date, t.first_reported_at::date) is not null
        order by day, t.first_reported_at, t.event_id
    """, {"imposer": imposer, "target": target}))
    return {"imposer": imposer, "target": target, "pairs": pairs, "points": points}


def country_pairs(con, limit: int = 10) -> dict:
    """The country pairs that share the most events (unordered: USA-IND and IND-USA are one pair)."""
    rows = _rows(con.execute("""
        with pairs as (
            select distinct a.event_id, a.country_code as a, b.country_code as b
            from event_actors a join event_actors b
              on a.event_id = b.event_id and a.country_code < b.country_code
        )
        select p.a, p.b, count(*) as events,
               count(*) filter (where e.event_type = 'meeting') as meeting,
               count(*) filter (where e.event_type = 'agreement') as agreement,
               count(*) filter (where e.event_type = 'tariff') as tariff,
               count(*) filter (where e.event_type = 'trade_restriction') as trade_restriction
        from pairs p join events e using (event_id)
        group by all order by events desc, p.a, p.b limit $limit
    """, {"limit": limit}))
    return {"rows": rows}


def runs(con, limit: int = 50) -> dict:
    """The latest runs: documents loaded, skipped and rejected, with the reasons of the new rejections.

    A rejected input is recorded once, by the first run that met it, so a run's reasons cover the
    inputs it rejected for the first time; ``num_rejected`` counts every rejection of the run.
    """
    rows = _rows(con.execute("""
        select run_id, started_at, finished_at, num_ingested, num_skipped, num_rejected, num_mentions, num_events
        from raw_runs order by started_at desc, run_id limit $limit
    """, {"limit": limit}))
    for run in rows:
        run["reasons"] = _rows(con.execute("""
            select reason, count(*) as documents from rejected_documents
            where detected_at between $start and coalesce($end, now())
            group by reason order by documents desc, reason
        """, {"start": run["started_at"], "end": run["finished_at"]}))
    rows.reverse()
    return {"rows": rows}
