"""A dated HTML digest of the events whose reports were loaded since the previous digest.

The ``events_digest`` DAG runs it after every load of the warehouse (it is scheduled on the
warehouse Asset). The digest is one self-contained file under ``warehouse/reports/``: counts by
type, a bar chart drawn as inline SVG (no scripts, no external assets) and the evidence of the
most-reported events. A small state file remembers up to which load time the last digest went,
so each load's events appear in exactly one digest.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipeline.models import EVENT_TYPES

STATE_FILE = ".digest-state.json"
TOP_EVIDENCE = 10


@dataclass(frozen=True)
class DigestEvent:
    event_id: str
    event_type: str
    event_date: object
    status: str | None
    rate_pct: float | None
    actors: str
    num_documents: int
    sentence: str
    title: str | None


def reports_dir(warehouse) -> Path:
    """Beside the warehouse file, or beside a lake's data folder."""
    from pipeline.lake import Lake

    return (Path(warehouse.data_path) if isinstance(warehouse, Lake) else Path(warehouse)).parent / "reports"


def new_events(con, since: datetime | None) -> tuple[list[DigestEvent], datetime | None]:
    """Events with a report in a document loaded after ``since``, and the latest such load time."""
    rows = con.execute("""
        with new_docs as (
            select doc_id, title, loaded_at from documents where ? is null or loaded_at > ?
        ),
        touched as (
            select m.event_id, min(m.sentence) as sentence, min(d.title) as title, max(d.loaded_at) as loaded_at
            from event_mentions m join new_docs d using (doc_id)
            group by m.event_id
        ),
        actors as (
            select event_id, string_agg(role || ' ' || country_code, ', ' order by role, country_code) as actors
            from event_actors group by event_id
        )
        select e.event_id, e.event_type, e.event_date, e.status, e.rate_pct, coalesce(a.actors, ''),
               e.num_documents, t.sentence, t.title, t.loaded_at
        from events e join touched t using (event_id) left join actors a using (event_id)
        order by e.num_documents desc, e.event_date desc nulls last, e.event_id
    """, [since, since]).fetchall()
    latest = max((r[9] for r in rows), default=None)
    return [DigestEvent(*r[:9]) for r in rows], latest


def _bar_chart(counts: dict[str, int]) -> str:
    width, bar_h, gap, label_w = 420, 22, 8, 130
    top = max(counts.values(), default=0) or 1
    bars = []
    for i, (name, n) in enumerate(counts.items()):
        y = i * (bar_h + gap)
        w = round((width - label_w - 40) * n / top)
        bars.append(f'<text x="0" y="{y + 16}" font-size="13">{html.escape(name)}</text>'
                    f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#3b6ea8"><title>{n}</title></rect>'
                    f'<text x="{label_w + w + 6}" y="{y + 16}" font-size="13">{n}</text>')
    height = len(counts) * (bar_h + gap)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="events by type">{"".join(bars)}</svg>')


def render(events: list[DigestEvent], since: datetime | None, until: datetime | None) -> str:
    counts = {t: sum(e.event_type == t for e in events) for t in EVENT_TYPES}
    rows = "".join(
        f"<tr><td>{html.escape(str(e.event_date or ''))}</td><td>{html.escape(e.event_type)}</td>"
        f"<td>{html.escape(e.actors)}</td><td>{'' if e.rate_pct is None else f'{e.rate_pct:g}%'}</td>"
        f"<td>{html.escape(e.status or '')}</td><td>{e.num_documents}</td>"
        f"<td><q>{html.escape(e.sentence)}</q><br><small>{html.escape(e.title or '')}</small></td></tr>"
        for e in events[:TOP_EVIDENCE])
    window = f"loaded {'after ' + since.isoformat() if since else 'ever'} up to {until.isoformat() if until else '-'}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>News events digest</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}td,th{{text-align:left;vertical-align:top;padding:.3em .6em}}
tr:nth-child(even){{background:#f3f5f8}}</style></head><body>
<h1>News events digest</h1>
<p>{len(events)} events with reports {html.escape(window)}.</p>
<table><tr>{"".join(f"<th>{html.escape(t)}</th>" for t in counts)}</tr>
<tr>{"".join(f"<td>{n}</td>" for n in counts.values())}</tr></table>
<h2>Events by type</h2>
{_bar_chart(counts)}
<h2>Most reported</h2>
<table><tr><th>date</th><th>type</th><th>actors</th><th>rate</th><th>status</th><th>documents</th><th>evidence</th></tr>
{rows}</table>
</body></html>
"""


def write_digest(warehouse: Path, out_dir: Path | None = None, now: datetime | None = None) -> Path | None:
    """Write the digest of events loaded since the previous one; None when nothing new was loaded."""
    from pipeline import warehouse as wh

    out_dir = Path(out_dir) if out_dir else reports_dir(warehouse)
    state_path = out_dir / STATE_FILE
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    since = datetime.fromisoformat(state["until"]) if state.get("until") else None
    with wh.connect(wh.reader_path(warehouse), read_only=True, sandboxed=True) as con:
        events, until = new_events(con, since)
    if not events:
        return None
    now = now or datetime.now(timezone.utc)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"digest-{now:%Y%m%dT%H%M%SZ}.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render(events, since, until), encoding="utf-8")
    tmp.replace(path)
    # The state moves only after the digest is in place: a failed write is redone by the next run.
    state_tmp = state_path.with_suffix(".tmp")
    state_tmp.write_text(json.dumps({"until": until.isoformat(), "last_digest": path.name}))
    state_tmp.replace(state_path)
    return path
