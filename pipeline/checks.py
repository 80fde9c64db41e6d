"""Data tests on the public views: unique ids, non-null keys, relationships, accepted values.

Each test is a query that returns the offending rows; a test passes when it
returns none. Identifiers come only from the declarations below, never from input.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipeline.models import ACTOR_ROLES, EVENT_TYPES, STATUSES


class DataCheckFailed(AssertionError):
    """One or more data tests found offending rows."""


@dataclass(frozen=True)
class Check:
    name: str
    sql: str


def unique(view: str, column: str) -> Check:
    return Check(f"unique {view}.{column}",
                 f"select {column}, count(*) from {view} group by {column} having count(*) > 1")


def not_null(view: str, column: str) -> Check:
    return Check(f"not_null {view}.{column}", f"select * from {view} where {column} is null")


def relationship(view: str, column: str, parent: str, parent_column: str) -> Check:
    return Check(f"relationship {view}.{column} -> {parent}.{parent_column}",
                 f"select c.{column} from {view} c anti join {parent} p on c.{column} = p.{parent_column} "
                 f"where c.{column} is not null")


def accepted_values(view: str, column: str, values: tuple[str, ...]) -> Check:
    listed = ", ".join("'" + v + "'" for v in values)
    return Check(f"accepted_values {view}.{column}",
                 f"select {column} from {view} where {column} is not null and {column} not in ({listed})")


CHECKS: tuple[Check, ...] = (
    unique("documents", "doc_id"), not_null("documents", "doc_id"), not_null("documents", "source_uri"),
    unique("events", "event_id"), not_null("events", "event_id"), not_null("events", "event_type"),
    accepted_values("events", "event_type", EVENT_TYPES), accepted_values("events", "status", STATUSES),
    unique("event_mentions", "mention_id"), not_null("event_mentions", "event_id"),
    not_null("event_mentions", "doc_id"), not_null("event_mentions", "extractor_version"),
    relationship("event_mentions", "event_id", "events", "event_id"),
    relationship("event_mentions", "doc_id", "documents", "doc_id"),
    relationship("event_actors", "event_id", "events", "event_id"),
    accepted_values("event_actors", "role", ACTOR_ROLES), not_null("event_actors", "country_code"),
    relationship("tariffs", "event_id", "events", "event_id"), unique("tariffs", "event_id"),
    Check("every event has a mention",
          "select event_id from events where num_mentions is null or num_mentions = 0"),
    Check("evidence offsets point at the sentence",
          "select m.mention_id from event_mentions m join documents d using (doc_id) "
          "where substr(d.body, m.char_start + 1, m.char_end - m.char_start) <> m.sentence"),
    Check("tariff rates are percentages", "select event_id from tariffs where rate_pct < 0 or rate_pct > 1000"),
)


# The public views the checks read. Each is computed once per run of the checks (a materialised CTE of the
# same name), not once per check: the marts are views over views, and recomputing them per check was most
# of the checks' time.
CHECKED_VIEWS: tuple[str, ...] = ("documents", "events", "event_mentions", "event_actors", "tariffs")


def run_checks(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Name of each check -> number of offending rows, all checks in one query."""
    ctes = ", ".join(f"{view} as materialized (select * from main.{view})" for view in CHECKED_VIEWS)
    counts = " union all ".join(f"select {i} as i, count(*) as n from ({check.sql})"
                                for i, check in enumerate(CHECKS))
    found = dict(con.execute(f"with {ctes} {counts}").fetchall())
    return {check.name: found[i] for i, check in enumerate(CHECKS)}


def assert_all(con: duckdb.DuckDBPyConnection) -> list[str]:
    results = run_checks(con)
    failed = {name: n for name, n in results.items() if n}
    if failed:
        lines = "\n".join(f"  - {name}: {n} offending rows" for name, n in failed.items())
        raise DataCheckFailed(f"{len(failed)} of {len(results)} data checks failed:\n{lines}")
    return sorted(results)
