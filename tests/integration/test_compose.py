"""docker-compose.yml is valid, keeps secrets out of the repo, and matches the local Celery stack.

There is no Docker engine here: Debian's docker-compose (installed by `make system-deps`) validates
and renders the file (`config`), which is as far as a compose file can be checked without one.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.integration.celery_stack import stack_environment

COMPOSE = ROOT / "docker-compose.yml"
AIRFLOW_SERVICES = {"airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
                    "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer",
                    "airflow-worker": "celery worker"}
SECRETS = ("AIRFLOW_ADMIN_PASSWORD", "POSTGRES_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET",
           "AIRFLOW_API_SECRET_KEY", "REDIS_PASSWORD")
# Set only by the script: in compose each service has its own container, so the default ports hold.
SCRIPT_ONLY = {"AIRFLOW__API__HOST", "AIRFLOW__API__PORT", "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT",
               "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"}


def _compose_bin() -> str:
    found = shutil.which("docker-compose")
    if not found:
        pytest.skip("docker-compose is not installed and `make system-deps` could not install it "
                    "(Debian package docker-compose); the compose file was not validated")
    return found


def _compose(env_file: Path, *args: str) -> subprocess.CompletedProcess:
    # A clean environment: only the env file given decides the interpolated values.
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(env_file.parent)}
    return subprocess.run([_compose_bin(), "-f", str(COMPOSE), "--env-file", str(env_file), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def filled_env(tmp_path_factory) -> Path:
    """.env.example with every secret filled in, as a user's .env would be."""
    text = (ROOT / ".env.example").read_text()
    for i, name in enumerate(SECRETS):
        text = re.sub(rf"^{name}=.*$", f"{name}=test-secret-{i}", text, flags=re.M)
    path = tmp_path_factory.mktemp("compose") / "test.env"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def rendered(filled_env) -> dict:
    result = _compose(filled_env, "config")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_config_is_valid(filled_env):
    result = _compose(filled_env, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_no_secret_is_committed(tmp_path):
    example = (ROOT / ".env.example").read_text()
    for name in SECRETS:
        assert re.search(rf"^{name}=$", example, re.M), f"{name} must be empty in .env.example"
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    compose_text = COMPOSE.read_text()
    assert "PASSWORD: airflow" not in compose_text and "_PASSWORD:-" not in compose_text
    # Unfilled, compose refuses to start and says which secret is missing.
    unfilled = tmp_path / "unfilled.env"
    unfilled.write_text(example)
    result = _compose(unfilled, "config", "-q")
    assert result.returncode != 0
    assert "in .env" in result.stderr and any(name in result.stderr for name in SECRETS), result.stderr


def test_services_follow_the_official_topology(rendered):
    services = rendered["services"]
    assert set(services) >= {"postgres", "redis", "airflow-init", *AIRFLOW_SERVICES}
    for name, command in AIRFLOW_SERVICES.items():
        svc = services[name]
        got = svc["command"] if isinstance(svc["command"], str) else " ".join(svc["command"])
        assert got == command, name
        assert "healthcheck" in svc, name
        deps = svc["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["redis"]
    assert services["airflow-apiserver"]["ports"]


def test_image_is_built_from_airflow_3_3_2_with_the_lock_file(rendered):
    import airflow

    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM\s+(\S+)", dockerfile, re.M).group(1)
    assert base == "apache/airflow:3.3.2-python3.11"
    assert base.split(":")[1].startswith(airflow.__version__ + "-"), "image and local stack run one Airflow"
    assert "apache-airflow==3.3.2" in (ROOT / "requirements.lock").read_text()
    assert re.search(r"pip install .*--require-hashes -r requirements\.lock", dockerfile)
    images = {rendered["services"][name]["image"] for name in [*AIRFLOW_SERVICES, "airflow-init"]}
    assert len(images) == 1, "every Airflow service runs the project's one image"
    for name in [*AIRFLOW_SERVICES, "airflow-init"]:
        assert rendered["services"][name]["build"]["dockerfile"] == "Dockerfile"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored


def test_warehouse_seeds_and_sources_are_volumes(rendered):
    for name in AIRFLOW_SERVICES:
        volumes = rendered["services"][name]["volumes"]
        sources = {Path(v.split(":")[0]).relative_to(ROOT).as_posix() for v in volumes if v.startswith(str(ROOT))}
        assert {"warehouse", "seeds", "sources.yml", "dags"} <= sources, (name, volumes)
        env = rendered["services"][name]["environment"]
        assert env["PIPELINE_WAREHOUSE"].startswith("/opt/news-pipeline/warehouse/")
        assert env["PIPELINE_SOURCES"] == "/opt/news-pipeline/sources.yml"


def test_environment_matches_the_local_celery_stack(rendered):
    """The same settings as scripts/celery-stack.sh, up to host names, ports and secrets."""
    local = stack_environment()
    compose = {k: str(v) for k, v in rendered["services"]["airflow-worker"]["environment"].items()
               if k.startswith(("AIRFLOW__", "PIPELINE_"))}
    for name in AIRFLOW_SERVICES:  # every Airflow service gets the same settings
        env = rendered["services"][name]["environment"]
        assert {k: str(v) for k, v in env.items() if k in compose} == compose, name

    assert set(compose) == set(local) - SCRIPT_ONLY
    shared = dict(line.split("=", 1) for line in (ROOT / "scripts" / "airflow-common.env").read_text().splitlines()
                  if line and not line.startswith("#"))
    for key, value in shared.items():
        assert compose[key] == value == local[key], key
    assert compose["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for key, scheme in (("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql+psycopg2://"),
                        ("AIRFLOW__CELERY__RESULT_BACKEND", "db+postgresql+psycopg2://"),
                        ("AIRFLOW__CELERY__BROKER_URL", "redis://")):
        assert compose[key].startswith(scheme) and local[key].startswith(scheme), key
    assert compose["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].endswith(":8080/execution/")
    assert local["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].endswith("/execution/")
    assert compose["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == local["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"]
    assert compose["AIRFLOW__CORE__DAGS_FOLDER"].endswith("/dags") and local["AIRFLOW__CORE__DAGS_FOLDER"] == str(ROOT / "dags")
    for key in ("PIPELINE_SCHEDULE", "PIPELINE_EXTRACT_BATCH_SIZE"):
        assert compose[key] == local[key], key


def test_script_runs_the_same_services():
    result = subprocess.run(["bash", str(ROOT / "scripts" / "celery-stack.sh"), "services"], capture_output=True,
                            text=True, check=True)
    commands = dict(line.split("|", 1) for line in result.stdout.splitlines())
    local = {args.split(" --")[0].strip() for args in commands.values()}
    assert local == set(AIRFLOW_SERVICES.values())
    assert sum(1 for name in commands if name.startswith("worker-")) == 2, "two Celery workers"
    worker_names = {re.search(r"--celery-hostname (\S+)", a).group(1) for a in commands.values() if "celery" in a}
    assert len(worker_names) == 2


def test_the_api_is_published_on_loopback_and_redis_needs_a_password(rendered):
    (port,) = rendered["services"]["airflow-apiserver"]["ports"]
    # docker-compose v1 renders the short form, v2 the long one
    if isinstance(port, str):
        assert port.split("/")[0] == "127.0.0.1:8080:8080", port
    else:
        assert port["host_ip"] == "127.0.0.1" and port["target"] == 8080, port
    redis = rendered["services"]["redis"]
    secret = SECRETS.index("REDIS_PASSWORD")
    assert redis["command"] == ["redis-server", "--requirepass", f"test-secret-{secret}"]
    broker = rendered["services"]["airflow-worker"]["environment"]["AIRFLOW__CELERY__BROKER_URL"]
    assert broker == f"redis://:test-secret-{secret}@redis:6379/0"
