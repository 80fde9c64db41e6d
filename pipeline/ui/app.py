"""The Events page and its JSON API, a FastAPI app the Airflow api-server mounts at ``/events``.

Airflow does not protect plugin apps: every route here depends on ``signed_in_user``, which
validates the caller's Airflow JWT the way the REST API does (``Authorization: Bearer`` first,
else the ``_token`` cookie the UI sets), so an anonymous request gets 401 and a bad token 403.

Reads go to the warehouse's read copy (``reader_path``), opened read-only and sandboxed per
request, so the page never waits for a running load and sees the last completed one. On the
ducklake backend each request reads the lake's current snapshot through a cursor on one
read-only, sandboxed lake connection per process.
"""
from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path
from typing import Annotated, Iterator, Literal

import duckdb
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pipeline.ui import queries

STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"events.js": "text/javascript", "events.css": "text/css"}
_bearer = HTTPBearer(auto_error=False)

EventType = Literal["meeting", "agreement", "tariff", "trade_restriction"]
Role = Literal["participant", "imposer", "target"]
SortKey = Literal[tuple(queries.SORT_COLUMNS)]  # type: ignore[valid-type]
Country = Annotated[str | None, Query(pattern=r"^[A-Za-z]{2,5}$")]


async def signed_in_user(request: Request,
                         bearer: HTTPAuthorizationCredentials | None = Depends(_bearer)):
    """The Airflow user behind the request, by the REST API's own rules (``get_user``)."""
    # Imported here: plugins are loaded by every Airflow component, the security module only matters
    # in the api-server.
    from airflow.api_fastapi.core_api.security import get_user

    return await get_user(request, None, bearer)


def warehouse_path(request: Request) -> Path:
    """The warehouse the app was made for, else ``PIPELINE_WAREHOUSE`` as it is now (or the lake)."""
    from pipeline.lake import Lake

    if request.app.state.warehouse is not None:
        held = request.app.state.warehouse
        return held if isinstance(held, Lake) else Path(held)
    from pipeline.settings import Settings

    return Settings.from_env().warehouse


class _ReadCopies:
    """One in-memory snapshot per read copy, rebuilt when a load publishes a new one.

    At 100,000 events the ``events`` mart (an aggregate over every mention) costs 100-150 ms each
    time a query names it, and a page load names it in four requests; opening the file costs
    30-50 ms more per request. The read copy only changes when a load publishes it, so it is
    copied into memory once per publish (1-2 s at 100,000 events, memory about the file's size)
    with ``events`` and the other marts the page reads computed into tables; each request then
    gets a cursor on the snapshot. The copy on disk keeps its views, so a backup taken from it
    restores to a warehouse whose marts still follow its loads.
    """

    def __init__(self) -> None:
        self._open: dict[Path, tuple[tuple[int, int, int], duckdb.DuckDBPyConnection, dict]] = {}
        self._lock = threading.Lock()

    def cursor(self, path: Path) -> tuple[duckdb.DuckDBPyConnection, dict] | None:
        """A cursor on the snapshot of ``path``, and the snapshot's memo of chart answers."""
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        if st.st_size > _snapshot_limit():
            return None  # too large to hold in memory: requests open the file, as without a read copy
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            held = self._open.get(path)
            if held is None or held[0] != key:
                # A request still on the previous snapshot keeps it alive until its cursor closes.
                self._open[path] = held = (key, _snapshot(path), {})
            return held[1].cursor(), held[2]


def _snapshot_limit() -> int:
    """Bytes of read copy the api-server may hold in memory (PIPELINE_UI_SNAPSHOT_MAX_MB, 1024)."""
    return int(float(os.environ.get("PIPELINE_UI_SNAPSHOT_MAX_MB", 1024)) * 1024 * 1024)


def _snapshot(path: Path) -> duckdb.DuckDBPyConnection:
    from pipeline import warehouse as wh

    con = duckdb.connect(":memory:")
    try:
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"attach {literal} as snapshot (read_only)")
        con.execute("copy from database snapshot to memory")
        con.execute("detach snapshot")
        # The same sandbox as wh.connect(sandboxed=True), set once the file is read (lock_configuration last).
        for name, value in wh.SANDBOX_CONFIG.items():
            con.execute(f"set {name} = {'true' if value else 'false'}")
    except BaseException:
        con.close()
        raise
    return con


_read_copies = _ReadCopies()


class _LakeReaders:
    """One read-only, sandboxed connection per lake and run snapshot; a cursor per request.

    Attaching a lake (catalog connection, extensions) costs far more than a query, so the
    connection is kept until a later run commits; each request asks the catalog for the last
    run's snapshot and reopens only when it moved. Chart answers are memoised per snapshot id,
    as they are per read copy.
    """

    def __init__(self) -> None:
        self._open: dict = {}
        self._memos: dict = {}
        self._lock = threading.Lock()

    def cursor(self, lake) -> tuple[duckdb.DuckDBPyConnection, dict]:
        from contextlib import ExitStack

        from pipeline import lake as lakes
        from pipeline import warehouse as wh

        snapshot = lakes.last_run_snapshot(lake)  # one catalog query; the connection reads that snapshot
        with self._lock:
            held = self._open.get(lake)
            if held is None or held[0] != snapshot:
                # A request still on the previous snapshot keeps its connection alive until its cursor closes.
                stack = ExitStack()
                con = stack.enter_context(wh.connect(lake, read_only=True, lock_timeout_s=5, sandboxed=True,
                                                     as_of=snapshot if snapshot is not None else lakes.LATEST))
                self._open[lake] = held = (snapshot, con, stack)
            cursor = held[1].cursor()
        cursor.execute(f"use {lake.name}")
        with self._lock:
            memo = self._memos.get(lake)
            if memo is None or memo[0] != snapshot:
                self._memos[lake] = memo = (snapshot, {})
        return cursor, memo[1]


_lake_readers = _LakeReaders()


def connection(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only, sandboxed connection to the read copy for the length of one request."""
    from pipeline import warehouse as wh

    warehouse = warehouse_path(request)
    if wh.is_lake(warehouse):
        try:
            cursor, request.state.memo = _lake_readers.cursor(warehouse)
        except FileNotFoundError:
            raise HTTPException(503, f"no warehouse at {warehouse} yet: run the news_events DAG "
                                     "(or `python -m pipeline run`) to build it") from None
        try:
            yield cursor
        finally:
            cursor.close()
        return
    path = wh.reader_path(warehouse)
    if not path.exists():
        raise HTTPException(503, f"no warehouse at {path} yet: run the news_events DAG "
                                 "(or `python -m pipeline run`) to build it")
    opened = _read_copies.cursor(path) if path == wh.read_copy_path(warehouse) else None
    request.state.memo = None
    if opened is not None:
        cursor, request.state.memo = opened
        try:
            yield cursor
        finally:
            cursor.close()
        return
    with wh.connect(path, read_only=True, lock_timeout_s=5, sandboxed=True) as con:
        yield con


def _memo(request: Request, key: tuple, compute):
    """A chart's answer, computed once per snapshot: charts take no filters, and the snapshot is
    replaced, memo and all, when a load publishes. Keys are bounded by the routes' validation."""
    memo = getattr(request.state, "memo", None)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


Con = Annotated[duckdb.DuckDBPyConnection, Depends(connection)]
Warehouse = Annotated[Path, Depends(warehouse_path)]


def create_app(warehouse: Path | None = None) -> FastAPI:
    """The app; ``warehouse`` defaults to ``PIPELINE_WAREHOUSE``, read at each request."""
    app = FastAPI(title="Events", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(signed_in_user)])
    app.state.warehouse = warehouse
    api = APIRouter(prefix="/api")

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"),
                            headers={"Cache-Control": "no-store"})

    @app.get("/static/{name}")
    def static(name: str) -> FileResponse:
        if name not in STATIC_FILES:
            raise HTTPException(404, "no such file")
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name])

    @app.get("/digest/latest", response_class=HTMLResponse)
    def latest_digest(warehouse: Warehouse) -> FileResponse:
        path = _latest_digest(warehouse)
        if path is None:
            raise HTTPException(404, "no digest yet: unpause the events_digest DAG; it writes one after each load")
        return FileResponse(path, media_type="text/html")

    @app.get("/dbt-docs/", response_class=HTMLResponse)
    def dbt_docs(warehouse: Warehouse) -> FileResponse:
        """The dbt project's lineage and column docs (``python -m pipeline docs`` / ``make docs``)."""
        from pipeline import transform

        path = transform.docs_path(warehouse)
        if not path.exists():
            raise HTTPException(404, "no dbt docs yet: run `make docs` (python -m pipeline docs) on this warehouse")
        return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-store"})

    @api.get("/digest")
    def digest_info(warehouse: Warehouse) -> dict:
        path = _latest_digest(warehouse)
        return {"name": path.name if path else None, "href": "digest/latest" if path else None}

    @api.get("/events")
    def events(
        con: Con,
        type: EventType | None = None,
        country: Country = None,
        role: Role | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        status: Annotated[str | None, Query(max_length=40)] = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        sort: SortKey = "date",
        order: Literal["asc", "desc"] = "desc",
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=200)] = 25,
    ) -> dict:
        flt = queries.EventFilter(type=type, country=country.upper() if country else None, role=role,
                                  date_from=date_from, date_to=date_to, status=status or None, q=q or None)
        return queries.list_events(con, flt, sort=sort, order=order, page=page, page_size=page_size)

    @api.get("/events/{event_id}")
    def event(con: Con, event_id: Annotated[str, PathParam(max_length=100)]) -> dict:
        found = queries.event_detail(con, event_id)
        if found is None:
            raise HTTPException(404, f"no event {event_id}")
        return found

    @api.get("/charts/weekly")
    def weekly(request: Request, con: Con) -> dict:
        return _memo(request, ("weekly",), lambda: queries.weekly_counts(con))

    @api.get("/charts/tariff_rates")
    def tariff_rates(request: Request, con: Con, imposer: Country = None, target: Country = None) -> dict:
        imposer, target = imposer.upper() if imposer else None, target.upper() if target else None
        return _memo(request, ("tariff_rates", imposer, target), lambda: queries.tariff_rates(con, imposer, target))

    @api.get("/charts/pairs")
    def pairs(request: Request, con: Con, limit: Annotated[int, Query(ge=1, le=50)] = 10) -> dict:
        return _memo(request, ("pairs", limit), lambda: queries.country_pairs(con, limit))

    @api.get("/charts/runs")
    def runs(request: Request, con: Con, limit: Annotated[int, Query(ge=1, le=200)] = 30) -> dict:
        return _memo(request, ("runs", limit), lambda: queries.runs(con, limit))

    app.include_router(api)
    return app


def _latest_digest(warehouse: Path) -> Path | None:
    from pipeline.digest import reports_dir

    found = sorted(reports_dir(warehouse).glob("digest-*.html"))
    return found[-1] if found else None


app = create_app()
