"""The Airflow UI as a person uses it: headless Chromium logs in and reads the news_events DAG.

Runs against the Celery stack of test_celery_e2e.py (the same session-wide stack, started here if
this module runs alone) after a news_events run has succeeded. Chromium is Debian's
/usr/bin/chromium (`make system-deps`), driven by Playwright; screenshots go to artifacts/ui/.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.celery_stack import DAG_ID, celery_stack_session, trigger_run

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("PIPELINE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "artifacts" / "ui"
EXPECTED_TASKS = {"ingest", "normalise", "extract", "load", "check"}


@pytest.fixture(scope="session")
def celery_stack(tmp_path_factory):
    with celery_stack_session(tmp_path_factory) as stack:
        yield stack


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium "
                    "(or set PIPELINE_CHROMIUM to another Chromium binary)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def page(browser, celery_stack):
    """A signed-in page, after a successful news_events run exists."""
    run_id = trigger_run(celery_stack)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(celery_stack.base_url + "/", wait_until="networkidle")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(celery_stack.password)
    page.screenshot(path=str(ARTIFACTS / "01-login.png"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)
    page.run_id = run_id
    yield page
    context.close()


def test_login_lands_on_the_home_page(page):
    page.get_by_role("link", name="Dags").first.wait_for()
    assert "Sign into Airflow" not in page.inner_text("body")


def test_dag_page_graph_shows_the_tasks_and_a_successful_latest_run(page, celery_stack):
    page.goto(f"{celery_stack.base_url}/dags/{DAG_ID}", wait_until="networkidle")
    page.get_by_label("Show Graph (Press g)").click()
    page.locator(".react-flow__node").first.wait_for()
    page.wait_for_function(f"document.querySelectorAll('.react-flow__node').length >= {len(EXPECTED_TASKS)}")
    nodes = {n.get_attribute("data-id") for n in page.locator(".react-flow__node").all()}
    assert nodes == EXPECTED_TASKS
    labels = page.locator(".react-flow__node").all_inner_texts()
    assert any(label.startswith("extract [") for label in labels), labels  # shown as a mapped task
    edges = page.locator(".react-flow__edge").count()
    assert edges >= 5, f"graph has {edges} edges"

    latest = page.get_by_role("heading", name="Latest Run").locator("xpath=..")
    badge = latest.get_by_test_id("state-badge")
    badge.wait_for()
    assert badge.get_attribute("aria-label") == "success"
    assert latest.locator("a").get_attribute("href").endswith(f"/runs/{page.run_id}")
    body = page.inner_text("body")
    assert "news-pipeline" in body  # owner
    for tag in ("news", "events", "duckdb", "spacy"):
        assert tag in body
    page.screenshot(path=str(ARTIFACTS / "02-dag-graph.png"))


def test_run_page_lists_every_task_instance_as_succeeded(page, celery_stack):
    page.goto(f"{celery_stack.base_url}/dags/{DAG_ID}/runs/{page.run_id}", wait_until="networkidle")
    page.get_by_label("Show Grid (Press g)").click()  # the grid leaves the task table the full width
    rows = page.locator("table tbody tr")
    rows.first.wait_for()
    page.get_by_text("6 Task Instances").wait_for()  # ingest, normalise, 2 x extract, load, check
    texts = rows.all_inner_texts()
    assert len(texts) == 6, texts
    assert all("Success" in t for t in texts), texts
    assert sorted(t.split()[0] for t in texts) == ["check", "extract", "extract", "ingest", "load", "normalise"]
    page.screenshot(path=str(ARTIFACTS / "03-run-task-instances.png"), full_page=True)


def test_dag_docs_are_shown(page, celery_stack):
    page.goto(f"{celery_stack.base_url}/dags/{DAG_ID}", wait_until="networkidle")
    page.get_by_label("Dag Docs").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Querying while it runs").wait_for()
    assert "duckdb_writer" in dialog.inner_text()
    page.screenshot(path=str(ARTIFACTS / "04-dag-docs.png"))
    page.keyboard.press("Escape")


def test_events_page_needs_a_signed_in_user(celery_stack):
    import httpx

    for path in ("/events/", "/events/api/events", "/events/api/charts/weekly"):
        assert httpx.get(celery_stack.base_url + path, timeout=30).status_code == 401, path


def test_events_page_lists_filters_and_explains_events(page, celery_stack):
    """The Events entry of the Browse menu opens the plugin's page inside the UI, over the run's warehouse."""
    with celery_stack.client() as api:
        everything = api.get("/events/api/events").json()
        tariffs = api.get("/events/api/events", params={"type": "tariff"}).json()
    assert 0 < tariffs["total"] < everything["total"]
    page.goto(celery_stack.base_url + "/", wait_until="networkidle")
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="Events").click()
    page.wait_for_url("**/plugin/events")
    frame = page.frame_locator("iframe")
    rows = frame.locator("#events tbody tr")
    rows.first.wait_for()
    assert rows.count() == everything["total"]
    page.screenshot(path=str(ARTIFACTS / "06-events-list.png"), full_page=True)

    frame.locator("select[name=type]").select_option("tariff")
    frame.get_by_role("button", name="Apply").click()
    frame.get_by_text(f"page 1 of 1 · {tariffs['total']} events").wait_for()
    assert rows.count() == tariffs["total"]
    assert set(frame.locator("#events tbody tr td:nth-child(2)").all_inner_texts()) == {"tariff"}

    rows.first.click()
    mention = frame.locator("#detail .mention").first
    mention.wait_for()
    trigger = mention.locator("mark.k-trigger")
    assert trigger.count() >= 1 and trigger.first.is_visible()
    first = tariffs["events"][0]
    assert trigger.first.inner_text().lower() in first["evidence"].lower()
    assert frame.locator("#detail h2").inner_text().startswith("tariff")
    page.screenshot(path=str(ARTIFACTS / "07-events-detail.png"), full_page=True)

    for chart in ("weekly", "rates", "pairs", "runs"):
        assert frame.locator(f"#chart-{chart} svg .mark").count() > 0, chart
    frame.locator("#charts").screenshot(path=str(ARTIFACTS / "08-events-charts.png"))


def test_failed_task_log_says_what_went_wrong(page, celery_stack):
    """Last: it leaves a failing run behind. The source folder disappears, so ingest fails."""
    import time

    celery_stack.source.rename(celery_stack.source.with_name("articles.gone"))
    with celery_stack.client() as api:
        run_id = api.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None}).json()["dag_run_id"]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            ti = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/ingest").json()
            if ti["state"] in ("up_for_retry", "failed"):
                break
            time.sleep(1)
        assert ti["state"] in ("up_for_retry", "failed"), ti
    page.goto(f"{celery_stack.base_url}/dags/{DAG_ID}/runs/{run_id}/tasks/ingest", wait_until="networkidle")
    page.get_by_label("Show Grid (Press g)").click()  # a wide log panel
    page.get_by_text("Post Execute").first.click()  # callbacks log in the collapsed "Post Execute" group
    message = page.get_by_text("news_events task ingest failed (attempt 1 of 3)")
    message.wait_for()
    text = message.inner_text()
    assert "source folder" in text and "does not exist" in text, text
    assert page.get_by_text("What to check: Check that PIPELINE_SOURCES").count() == 1
    assert page.get_by_text("Airflow will retry it.").count() == 1
    page.screenshot(path=str(ARTIFACTS / "05-failed-task-log.png"))
