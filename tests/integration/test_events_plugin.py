"""The Events page plugin (pipeline/ui): its JSON API over a warehouse the pipeline built, Airflow's
own JWT checks in front of it, and the plugin's registration with Airflow.

The warehouse is built by three real runs (seeds, the bad-inputs folder, one hostile article); the
tokens are signed by Airflow's auth manager exactly as the api-server signs them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from datetime import date

import pytest

from tests.conftest import ROOT, SEEDS, query

HOSTILE = {"id": "h1", "url": "javascript:alert(1)", "title": "<img src=x onerror=alert(1)>",
           "published": "2025-09-01",
           "text": "Canada imposed a 25 per cent tariff on Chinese steel on Monday, the finance ministry said."}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from pipeline import digest
    from pipeline.cli import run_pipeline
    from pipeline.settings import Settings

    base = tmp_path_factory.mktemp("events-plugin")
    path = base / "events.duckdb"
    settings = Settings.from_env()
    run_pipeline(SEEDS, path, settings, run_id="run-seeds")
    bad = base / "bad_inputs"
    shutil.copytree(ROOT / "tests" / "fixtures" / "bad_inputs", bad)
    run_pipeline(bad, path, settings, run_id="run-bad-inputs")
    hostile = base / "hostile"
    hostile.mkdir()
    (hostile / "articles.jsonl").write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    run_pipeline(hostile, path, settings, run_id="run-hostile")
    digest.write_digest(path)
    return path


@pytest.fixture(scope="module")
def auth_manager(airflow_db):
    from airflow.api_fastapi.app import create_auth_manager

    manager = create_auth_manager()
    manager.init()
    return manager


@pytest.fixture(scope="module")
def token(auth_manager):
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return auth_manager.generate_jwt(SimpleAuthManagerUser(username="admin", role="admin"))


@pytest.fixture(scope="module")
def anonymous(warehouse, auth_manager):
    from fastapi.testclient import TestClient

    from pipeline.ui.app import create_app

    with TestClient(create_app(warehouse)) as client:
        yield client


@pytest.fixture(scope="module")
def client(warehouse, token):
    from fastapi.testclient import TestClient

    from pipeline.ui.app import create_app

    with TestClient(create_app(warehouse), headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def events(client, **params) -> dict:
    resp = client.get("/api/events", params={"page_size": 200, **params})
    assert resp.status_code == 200, resp.text
    return resp.json()


# ---- access ---------------------------------------------------------------------------------------

PATHS = ["/", "/static/events.js", "/api/events", "/api/events/x", "/api/charts/weekly",
         "/api/charts/tariff_rates", "/api/charts/pairs", "/api/charts/runs", "/api/digest", "/digest/latest",
         "/dbt-docs/"]


@pytest.mark.parametrize("path", PATHS)
def test_anonymous_requests_are_refused(anonymous, path):
    resp = anonymous.get(path)
    assert resp.status_code == 401 and resp.json() == {"detail": "Not authenticated"}


def test_a_token_airflow_did_not_sign_is_refused(anonymous, token):
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-api-server-secret-" * 3, algorithm="HS512")
    resp = anonymous.get("/api/events", headers={"Authorization": f"Bearer {forged}"})
    assert resp.status_code == 403
    assert anonymous.get("/api/events", cookies={"_token": "garbage"}).status_code == 403


def test_an_expired_token_is_refused(anonymous, auth_manager):
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    expired = auth_manager.generate_jwt(SimpleAuthManagerUser(username="admin", role="admin"),
                                        expiration_time_in_seconds=-3600)
    assert anonymous.get("/api/events", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_the_ui_session_cookie_signs_in_like_the_bearer_header(anonymous, token):
    resp = anonymous.get("/api/events", cookies={"_token": token})
    assert resp.status_code == 200 and resp.json()["total"] > 0
    page = anonymous.get("/", cookies={"_token": token})
    assert page.status_code == 200 and '<script src="static/events.js">' in page.text


def test_the_page_loads_nothing_from_outside(client):
    page = client.get("/").text
    assert "http://" not in page and "https://" not in page and "//" not in page.replace("<!--", "")
    script = client.get("/static/events.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in script.text and "fetch(url" in script.text
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/app.py").status_code == 404


# ---- list and filters -----------------------------------------------------------------------------

def test_the_list_holds_every_event_of_the_warehouse(client, warehouse):
    body = events(client)
    (total,) = query(warehouse, "select count(*) from events")[0]
    assert body["total"] == total == len(body["events"]) and total >= 8
    row = body["events"][0]
    assert {"event_id", "event_type", "event_day", "actors", "evidence", "num_documents"} <= set(row)
    assert all(e["evidence"] for e in body["events"])


def test_type_filter(client, warehouse):
    everything = events(client)["total"]
    tariffs = events(client, type="tariff")
    (expected,) = query(warehouse, "select count(*) from tariffs")[0]
    assert 0 < tariffs["total"] == expected < everything
    assert {e["event_type"] for e in tariffs["events"]} == {"tariff"}
    assert client.get("/api/events", params={"type": "riot"}).status_code == 422


def test_country_and_role_filters(client, warehouse):
    usa = events(client, country="usa")
    imposed_by_usa = events(client, country="USA", role="imposer")
    expected = {r[0] for r in query(warehouse, "select event_id from event_actors where country_code = 'USA' and role = 'imposer'")}
    assert {e["event_id"] for e in imposed_by_usa["events"]} == expected
    assert 0 < imposed_by_usa["total"] < usa["total"]
    assert all(any(a["role"] == "imposer" and a["country"] == "USA" for a in e["actors"])
               for e in imposed_by_usa["events"])
    any_target = events(client, role="target")
    assert all(any(a["role"] == "target" for a in e["actors"]) for e in any_target["events"])
    assert any_target["total"] < events(client)["total"]
    assert client.get("/api/events", params={"country": "US'A"}).status_code == 422


def test_date_and_status_filters(client, warehouse):
    everything = events(client)
    days = sorted(e["event_day"] for e in everything["events"] if e["event_day"])
    cut = days[len(days) // 2]
    late = events(client, date_from=cut)
    early = events(client, date_to=cut)
    assert all(e["event_day"] >= cut for e in late["events"])
    assert all(e["event_day"] <= cut for e in early["events"])
    assert 0 < late["total"] < everything["total"] and 0 < early["total"] < everything["total"]
    window = events(client, date_from=cut, date_to=cut)
    assert {e["event_id"] for e in window["events"]} == \
        {e["event_id"] for e in late["events"]} & {e["event_id"] for e in early["events"]}
    imposed = events(client, status="imposed")
    (expected,) = query(warehouse, "select count(*) from events where status = 'imposed'")[0]
    assert imposed["total"] == expected > 0 and {e["status"] for e in imposed["events"]} == {"imposed"}
    assert client.get("/api/events", params={"date_from": "last tuesday"}).status_code == 422


def test_evidence_search(client, warehouse):
    found = events(client, q="RARE EARTH")
    expected = {r[0] for r in query(warehouse,
                                     "select distinct event_id from event_mentions where sentence ilike '%rare earth%'")}
    assert {e["event_id"] for e in found["events"]} == expected and expected
    # the search text is data, never SQL or a LIKE pattern
    assert events(client, q="' or 1=1 --")["total"] == 0
    (with_underscore,) = query(warehouse, "select count(distinct event_id) from event_mentions where contains(sentence, '_')")[0]
    assert events(client, q="_")["total"] == with_underscore < events(client)["total"]


def test_sorting_and_paging(client):
    by_rate = [e["rate_pct"] for e in events(client, sort="rate", order="asc")["events"]]
    rates = [r for r in by_rate if r is not None]
    assert rates == sorted(rates) and len(set(rates)) > 1
    assert by_rate[:len(rates)] == rates  # unknown rates last
    desc = [e["rate_pct"] for e in events(client, sort="rate", order="desc")["events"] if e["rate_pct"] is not None]
    assert desc == sorted(rates, reverse=True)
    full = [e["event_id"] for e in events(client, sort="confidence")["events"]]
    pages = []
    for page in range(1, len(full) // 3 + 2):
        body = client.get("/api/events", params={"sort": "confidence", "page": page, "page_size": 3}).json()
        assert body["total"] == len(full)
        pages += [e["event_id"] for e in body["events"]]
    assert pages == full


@pytest.mark.parametrize("params", [
    {"sort": "rate; drop table raw_runs"}, {"sort": "e.event_id"}, {"sort": "1"},
    {"order": "desc; select 1"}, {"order": "desc nulls first"}, {"page": 0}, {"page_size": 100000},
])
def test_sort_and_paging_accept_only_their_whitelist(client, warehouse, params):
    assert client.get("/api/events", params=params).status_code == 422
    assert query(warehouse, "select count(*) from raw_runs")[0][0] == 3


# ---- detail ---------------------------------------------------------------------------------------

def test_event_detail_has_every_mention_with_its_evidence(client, warehouse):
    (event_id, n_mentions), = query(warehouse, """
        select event_id, num_mentions from events order by num_mentions desc, event_id limit 1""")
    body = client.get(f"/api/events/{event_id}").json()
    assert body["event_id"] == event_id and len(body["mentions"]) == n_mentions >= 2
    sentences = {r[0] for r in query(warehouse, "select sentence from event_mentions where event_id = ?", [event_id])}
    assert {m["sentence"] for m in body["mentions"]} == sentences
    for m in body["mentions"]:
        assert m["source_uri"] and m["published_date"] and m["doc_id"]
        kinds = [s["kind"] for s in m["spans"]]
        assert "trigger" in kinds
        for span in m["spans"]:
            assert m["sentence"][span["start"]:span["end"]] == span["text"] != ""
        trigger = next(s for s in m["spans"] if s["kind"] == "trigger")
        assert trigger["text"] == m["trigger_text"]
    assert body["actors"] and all(a["country_code"] for a in body["actors"])


def test_event_detail_lists_the_other_events_of_its_story(client, warehouse):
    # an event of the story with the most events, so that it has other events to list
    (event_id,), = query(warehouse, """
        with per_story as (
            select d.story_id, count(distinct m.event_id) as n
            from event_mentions m join documents d using (doc_id) group by d.story_id
        )
        select min(m.event_id) from event_mentions m join documents d using (doc_id)
        where d.story_id = (select story_id from per_story order by n desc, story_id limit 1)""")
    body = client.get(f"/api/events/{event_id}").json()
    story = {e["event_id"] for e in body["story_events"]}
    expected = {r[0] for r in query(warehouse, """
        select distinct m.event_id from event_mentions m join documents d using (doc_id)
        where d.story_id in (select d2.story_id from event_mentions m2 join documents d2 using (doc_id)
                             where m2.event_id = ?)""", [event_id])} - {event_id}
    assert story == expected and event_id not in story and len(story) >= 2


def test_event_detail_of_a_hostile_document_links_nothing(client, warehouse):
    found = events(client, q="Chinese steel")
    assert found["total"] == 1
    body = client.get(f"/api/events/{found['events'][0]['event_id']}").json()
    assert body["mentions"]
    for mention in body["mentions"]:
        assert mention["title"] == HOSTILE["title"]  # served as data; the page renders it as text
        assert mention["link"] is None and "url" not in mention
    seeds_event = events(client, q="rare earth")["events"][0]["event_id"]
    assert all(m["link"] is None for m in client.get(f"/api/events/{seeds_event}").json()["mentions"])


def test_unknown_event_is_404(client):
    resp = client.get("/api/events/no-such-event")
    assert resp.status_code == 404 and "no-such-event" in resp.json()["detail"]


# ---- charts ---------------------------------------------------------------------------------------

def test_weekly_chart_counts_every_dated_event(client, warehouse):
    rows = client.get("/api/charts/weekly").json()["rows"]
    (dated,) = query(warehouse, "select count(*) from events where coalesce(event_date, first_reported_at::date) is not null")[0]
    assert sum(r["events"] for r in rows) == dated > 0
    assert all(date.fromisoformat(r["week"]).weekday() == 0 for r in rows)
    assert len({r["week"] for r in rows}) >= 2


def test_tariff_rate_chart_follows_one_pair_in_time(client, warehouse):
    body = client.get("/api/charts/tariff_rates").json()
    assert (body["imposer"], body["target"]) == (body["pairs"][0]["imposer"], body["pairs"][0]["target"])
    usa_ind = client.get("/api/charts/tariff_rates", params={"imposer": "USA", "target": "IND"}).json()
    points = usa_ind["points"]
    assert points and all((p["imposer"], p["target"]) == ("USA", "IND") for p in points)
    assert [p["day"] for p in points] == sorted(p["day"] for p in points)
    (expected,) = query(warehouse, """select count(*) from tariffs where imposer = 'USA' and target = 'IND'
                                      and rate_pct is not null""")[0]
    assert len(points) == expected
    other = client.get("/api/charts/tariff_rates", params={"imposer": "CAN", "target": "CHN"}).json()["points"]
    assert [p["rate_pct"] for p in other] == [25.0]


def test_pairs_chart_counts_shared_events(client, warehouse):
    rows = client.get("/api/charts/pairs", params={"limit": 3}).json()["rows"]
    assert len(rows) == 3 and [r["events"] for r in rows] == sorted((r["events"] for r in rows), reverse=True)
    top = rows[0]
    (expected,) = query(warehouse, """select count(distinct a.event_id) from event_actors a join event_actors b
        on a.event_id = b.event_id where a.country_code = ? and b.country_code = ?""", [top["a"], top["b"]])[0]
    assert top["events"] == expected == sum(top[t] for t in ("meeting", "agreement", "tariff", "trade_restriction"))
    assert all(r["a"] < r["b"] for r in rows)


def test_runs_chart_shows_loaded_and_rejected_documents_with_reasons(client, warehouse):
    rows = client.get("/api/charts/runs").json()["rows"]
    assert [r["run_id"] for r in rows] == ["run-seeds", "run-bad-inputs", "run-hostile"]
    seeds, bad, hostile = rows
    assert seeds["num_ingested"] == 2 and seeds["num_rejected"] == 0 and seeds["reasons"] == []
    assert bad["num_rejected"] > 0 and bad["reasons"]
    (rejected,) = query(warehouse, "select count(*) from rejected_documents")[0]
    assert sum(r["documents"] for r in bad["reasons"]) == rejected
    assert any("empty" in r["reason"] for r in bad["reasons"])
    assert hostile["num_ingested"] == 1 and hostile["reasons"] == []


def test_latest_digest_is_linked_and_served(client, warehouse):
    info = client.get("/api/digest").json()
    (page,) = (warehouse.parent / "reports").glob("digest-*.html")
    assert info == {"name": page.name, "href": "digest/latest"}
    resp = client.get("/digest/latest")
    assert resp.status_code == 200 and "News events digest" in resp.text


def test_the_dbt_docs_are_served_once_generated(client, warehouse):
    from pipeline import transform

    transform.docs_path(warehouse).unlink(missing_ok=True)
    missing = client.get("/dbt-docs/")
    assert missing.status_code == 404 and "make docs" in missing.json()["detail"]
    transform.docs(warehouse)
    resp = client.get("/dbt-docs/")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    # the page embeds the manifest: models with their lineage, and the singular tests
    for name in ("model.news_events.event_mentions", "model.news_events.int_mentions",
                 "test.news_events.evidence_offsets_point_at_the_sentence"):
        assert name in resp.text


def test_no_warehouse_yet_says_how_to_build_one(tmp_path, token):
    from fastapi.testclient import TestClient

    from pipeline.ui.app import create_app

    with TestClient(create_app(tmp_path / "events.duckdb"), headers={"Authorization": f"Bearer {token}"}) as c:
        resp = c.get("/api/events")
        assert resp.status_code == 503 and "news_events DAG" in resp.json()["detail"]
        assert c.get("/api/digest").json() == {"name": None, "href": None}


def test_the_api_reads_the_read_copy(client, warehouse, tmp_path, token):
    """A reader never opens the writer's file once a read copy was published."""
    from fastapi.testclient import TestClient

    from pipeline.ui.app import create_app
    from pipeline.warehouse import read_copy_path

    only_copy = tmp_path / "events.duckdb"
    shutil.copy(read_copy_path(warehouse), read_copy_path(only_copy))
    with TestClient(create_app(only_copy), headers={"Authorization": f"Bearer {token}"}) as c:
        assert c.get("/api/events").json()["total"] == events(client)["total"]
    assert not only_copy.exists()


# ---- registration ---------------------------------------------------------------------------------

def test_the_plugin_is_an_airflow_plugins_entry_point():
    from airflow.plugins_manager import AirflowPlugin

    from pipeline.ui.app import app
    from pipeline.ui.plugin import EventsPlugin

    entry = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["airflow.plugins"]
    assert entry == {"news_events": "pipeline.ui.plugin:EventsPlugin"}
    assert issubclass(EventsPlugin, AirflowPlugin)
    assert EventsPlugin.fastapi_apps == [{"app": app, "url_prefix": "/events", "name": "Events"}]
    (view,) = EventsPlugin.external_views
    assert view["name"] == "Events" and view["href"] == "events/" and view["url_route"] == "events"


def test_airflow_discovers_the_plugin_from_the_package_metadata(tmp_path):
    """`airflow plugins` finds it through the entry point, in metadata built from this pyproject.toml."""
    from tests.integration.celery_stack import checkout_pythonpath

    env = {**os.environ, "PYTHONPATH": checkout_pythonpath(tmp_path / "meta"),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__PLUGINS_FOLDER": str(tmp_path / "no-plugins")}
    out = subprocess.run([sys.executable, "-m", "airflow", "plugins", "-o", "json"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "already registered" not in out.stdout + out.stderr
    plugins = json.loads(out.stdout[out.stdout.index("["):])
    (ours,) = [p for p in plugins if p["name"] == "news_events"]
    assert "pipeline.ui.plugin:EventsPlugin" in ours["source"]
    assert ours["fastapi_apps"] == [{"app": "fastapi.applications.FastAPI", "url_prefix": "/events", "name": "Events"}]
    assert [v["href"] for v in ours["external_views"]] == ["events/"]


def test_a_read_copy_over_the_memory_limit_is_read_from_the_file(client, monkeypatch):
    from pipeline.ui import app as ui_app

    monkeypatch.setenv("PIPELINE_UI_SNAPSHOT_MAX_MB", "0")
    monkeypatch.setattr(ui_app, "_read_copies", ui_app._ReadCopies())  # nothing cached from other tests
    monkeypatch.setattr(ui_app, "_snapshot", lambda path: pytest.fail("snapshot taken over the limit"))
    page = client.get("/api/events", params={"page_size": 5})
    assert page.status_code == 200 and page.json()["total"] > 0
