"""Airflow `hostname_callable` for several Celery workers on one machine.

Airflow records the hostname of the worker that ran each task instance. Workers on
one host all share that host's name, so scripts/celery-stack.sh gives each worker
PIPELINE_WORKER_NAME and points AIRFLOW__CORE__HOSTNAME_CALLABLE here; the UI and
the REST API then show which worker ran which task. Logs stay readable because the
whole local stack shares one log folder.
"""
from __future__ import annotations

import os
import socket


def get_hostname() -> str:
    return os.environ.get("PIPELINE_WORKER_NAME") or socket.getfqdn()
