"""The local CeleryExecutor stack (scripts/celery-stack.sh) as a once-per-session test resource.

test_celery_e2e.py and test_ui_browser.py both use it: the stack is started once, a news_events run
is triggered once through the REST API, and everything is stopped by PID when the session ends.
Each module declares a session fixture that enters celery_stack_session(); the first one starts
the stack and stops it at the end of the session, later ones get the running stack.

PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) must be running. Without them these tests
fail with the reason; set PIPELINE_SKIP_CELERY_STACK=1 to skip them instead (never in CI).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import ROOT, SEEDS

SCRIPT = ROOT / "scripts" / "celery-stack.sh"
DAG_ID = "news_events"
START_TIMEOUT_S = 300
RUN_TIMEOUT_S = 300


@dataclass
class Stack:
    dir: Path
    port: int
    warehouse: Path
    source: Path
    env: dict[str, str]
    password: str
    pids: dict[str, int] = field(default_factory=dict)
    run_id: str | None = None
    start_seconds: float | None = None
    run_seconds: float | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @contextmanager
    def client(self):
        """An HTTP client for the REST API, signed in as the admin (POST /auth/token)."""
        import httpx

        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            token = client.post("/auth/token", json={"username": "admin", "password": self.password})
            token.raise_for_status()
            client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            yield client

    def logs_tail(self, lines: int = 25) -> str:
        out = []
        for log in sorted((self.dir / "logs").glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(out)


_stack: Stack | None = None
_stack_error: str | None = None
_run_error: str | None = None


def checkout_pythonpath(meta_dir: Path) -> str:
    """A PYTHONPATH under which Airflow runs this checkout: its package, and its metadata first.

    The metadata carries the entry points (the ``airflow.plugins`` one among them). Built here because
    .venv may hold an editable install of another checkout of the project, whose package and entry
    points Airflow would otherwise load.
    """
    from setuptools import build_meta

    meta_dir.mkdir(parents=True, exist_ok=True)
    egg_info = ROOT / "news_event_pipeline.egg-info"
    had_egg_info = egg_info.exists()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        build_meta.prepare_metadata_for_build_wheel(str(meta_dir))
    finally:
        os.chdir(cwd)
        if not had_egg_info:  # a second copy of the metadata on the path would load the plugin twice
            shutil.rmtree(egg_info, ignore_errors=True)
    rest = os.environ.get("PYTHONPATH")
    return os.pathsep.join([str(meta_dir), str(ROOT)] + ([rest] if rest else []))


def _services_unavailable() -> str | None:
    for name, port in (("PostgreSQL", 5432), ("Redis", 6379)):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=3).close()
        except OSError as exc:
            return f"{name} is not reachable on 127.0.0.1:{port} ({exc})"
    return None


def _free_port_block(size: int = 3) -> int:
    """A port p with p .. p+size-1 all free (api-server, scheduler health, triggerer logs)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + size >= 65535:
            continue
        ok = True
        for p in range(base, base + size):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no block of free ports found")


_SLOTS = 5  # Redis databases 11-15


def _claim_slot():
    """The first free slot (0-4) and its lock file, held until the stack stops: two test sessions on
    one machine, e.g. two checkouts, then never share a metadata database or a Celery broker."""
    import fcntl

    for slot in range(_SLOTS):
        fh = open(Path(tempfile.gettempdir()) / f"news-events-celery-stack-slot-{slot}.lock", "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        return slot, fh
    raise RuntimeError(f"all {_SLOTS} Celery test-stack slots are taken by other test sessions on this machine")


def _run_script(stack_env: dict[str, str], command: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), command], env=stack_env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def stack_environment(stack_env: dict[str, str] | None = None) -> dict[str, str]:
    """The AIRFLOW__*/PIPELINE_* settings the script runs Airflow with (`celery-stack.sh env`)."""
    defaults = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIPELINE_", "STACK_"))}
    result = _run_script(stack_env or defaults,
                         "env", timeout=60)
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie.

    A process killed by `stop` whose parent has gone is re-parented to PID 1; in a container
    PID 1 may never reap it, and a zombie still answers kill(pid, 0).
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _stop(stack: Stack) -> list[str]:
    """Stop by PID through the script; return the names of processes that survived (then killed)."""
    result = _run_script(stack.env, "stop", timeout=120)
    survivors = []
    for name, pid in stack.pids.items():
        deadline = time.monotonic() + 10  # a process SIGKILLed by the script takes a moment to go
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not _running(pid):
            continue
        survivors.append(f"{name} (pid {pid}; stop printed: {result.stdout[-300:]!r})")
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if result.returncode != 0:
        survivors.append(f"`celery-stack.sh stop` exited {result.returncode}: {result.stderr[-500:]}")
    return survivors


@contextmanager
def celery_stack_session(tmp_path_factory) -> Iterator[Stack]:
    """Start the stack once per session; the caller that started it stops it (by PID) on exit."""
    global _stack, _stack_error
    if _stack is not None:
        yield _stack
        return
    if _stack_error is not None:
        pytest.fail(_stack_error)
    reason = _services_unavailable()
    if reason:
        message = (f"the Celery stack needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379: {reason}. "
                   "Start them (see README, Deployment) or set PIPELINE_SKIP_CELERY_STACK=1 to skip these tests.")
        if os.environ.get("PIPELINE_SKIP_CELERY_STACK") == "1":
            pytest.skip(message)
        _stack_error = message
        pytest.fail(message)

    # Short path: AIRFLOW_HOME, logs and PID files of this run only.
    stack_dir = Path(tempfile.mkdtemp(prefix="celery-stack-"))
    data = tmp_path_factory.mktemp("celery-warehouse")
    source = data / "articles"  # a copy: test_ui_browser.py takes it away to make a task fail
    shutil.copytree(SEEDS, source)
    port = _free_port_block()
    slot, slot_lock = _claim_slot()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW") and not k.startswith("PIPELINE_")}
    env.update({
        # Checkouts testing at once on one machine share PostgreSQL and Redis: each session holds a
        # slot with its own metadata database and Redis database (or TEST_STACK_DB/TEST_STACK_REDIS_DB).
        "STACK_DIR": str(stack_dir), "STACK_PORT": str(port),
        "STACK_DB": os.environ.get("TEST_STACK_DB", "news_events_airflow_test" + (f"_{slot}" if slot else "")),
        "STACK_FRESH": "1", "STACK_REDIS_DB": os.environ.get("TEST_STACK_REDIS_DB", str(11 + slot)),
        "STACK_WORKERS": "2",
        "AIRFLOW_ADMIN_USERNAME": "admin",
        "PIPELINE_SOURCE": str(source), "PIPELINE_WAREHOUSE": str(data / "events.duckdb"),
        "PIPELINE_EXTRACT_BATCH_SIZE": "1",  # two seed articles -> two mapped extract tasks
        "PIPELINE_SCHEDULE": "none",  # unpausing must not add a scheduled run next to ours
        "PYTHONPATH": checkout_pythonpath(stack_dir / "meta"),  # this checkout's code and Events plugin
    })
    started = time.monotonic()
    try:
        result = _run_script(env, "start", timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        result = None
    stack = Stack(dir=stack_dir, port=port, warehouse=data / "events.duckdb", source=source, env=env, password="")
    stack.pids = {p.stem: int(p.read_text()) for p in (stack_dir / "pids").glob("*.pid")} \
        if (stack_dir / "pids").exists() else {}

    try:
        if result is None or result.returncode != 0:
            output = "timed out" if result is None else f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
            _stack_error = f"scripts/celery-stack.sh start failed ({output})\n{stack.logs_tail()}"
            pytest.fail(_stack_error)
        secrets = (stack_dir / "secrets.env").read_text()
        stack.password = re.search(r"^STACK_ADMIN_PASSWORD=(.+)$", secrets, re.M).group(1)
        stack.start_seconds = time.monotonic() - started
        _stack = stack
        yield stack
    finally:
        _stack = None
        survivors = _stop(stack)
        shutil.rmtree(stack_dir, ignore_errors=True)
        slot_lock.close()
    assert not survivors, f"still running after `celery-stack.sh stop`, killed: {survivors}"


def trigger_run(stack: Stack) -> str:
    """Unpause news_events and trigger one run through the REST API; wait until it finishes."""
    global _run_error
    if stack.run_id is not None:
        return stack.run_id
    if _run_error is not None:
        pytest.fail(_run_error)
    with stack.client() as api:
        deadline = time.monotonic() + 180
        while True:  # the dag-processor parses dags/ shortly after start
            dag = api.get(f"/api/v2/dags/{DAG_ID}")
            if dag.status_code == 200:
                break
            if time.monotonic() > deadline:
                errors = api.get("/api/v2/importErrors").json()
                _run_error = f"news_events never appeared in the API: {dag.status_code} {dag.text}; {errors}"
                pytest.fail(_run_error)
            time.sleep(2)
        assert dag.json()["is_paused"] is True, "DAGs start paused"
        api.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
        started = time.monotonic()
        created = api.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None})
        assert created.status_code == 200, created.text
        run_id = created.json()["dag_run_id"]
        state = None
        while time.monotonic() - started < RUN_TIMEOUT_S:
            state = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"]
            if state in ("success", "failed"):
                break
            time.sleep(2)
        stack.run_seconds = time.monotonic() - started
        if state != "success":
            tis = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
            summary = [(t["task_id"], t["map_index"], t["state"], t["hostname"]) for t in tis]
            _run_error = (f"run {run_id} ended {state!r} after {stack.run_seconds:.0f}s; tasks: {summary}\n"
                          f"{stack.logs_tail()}")
            pytest.fail(_run_error)
    stack.run_id = run_id
    return run_id
