"""gunicorn's settings for Opportune: ``gunicorn -c python:opportune.gunicorn_conf opportune.wsgi``.

``make run`` (``python -m opportune.serve``) serves with exactly this file, and so can a
production node (docs/deploy.md). Every value comes from the environment:

    WEB_BIND            address to listen on (127.0.0.1:8000)
    WEB_WORKERS         worker processes (2: one a core on the 2-core reference machine)
    WEB_WORKER_CLASS    gthread (default) or sync (docs/decisions/0021-production-shape.md)
    WEB_THREADS         threads per gthread worker (4)
    WEB_PRELOAD         import the app once in the master, before forking (true): the workers
                        share those pages, which is most of their memory
    WEB_TIMEOUT         seconds before a silent worker is killed and replaced (60)
    WEB_KEEPALIVE       seconds an idle keep-alive connection is kept (75: longer than a proxy's
                        idle upstream connections, or a POST sent as gunicorn closes one is lost)
    WEB_MAX_REQUESTS    recycle a worker after this many requests, with a 10 % jitter (0: never)
    WEB_ACCESS_LOG      "-" for stdout, a file, or empty for none (default none)
    WEB_RUN_CONSUMER    true: start the Huey consumer (manage.py run_huey) beside the web
                        workers and stop it with them (what ``make run`` does on one machine);
                        its output goes to $OPPORTUNE_VAR_DIR/huey.log
    WORKER_NICE         the consumer's CPU niceness beside the web workers (10): on one machine a
                        user's request is served before a background e-mail or report; the
                        consumer still gets what the web leaves, and all of an idle machine

This module does not import Django: the master stays small unless WEB_PRELOAD imports the app.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "")
    return default if value == "" else value.lower() in ("1", "true", "yes", "on")


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")
threads = int(os.environ.get("WEB_THREADS", "4")) if worker_class == "gthread" else 1
preload_app = _bool("WEB_PRELOAD", True)
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 10
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
errorlog = "-"
# gunicorn 27 opens a control socket at one fixed path per user: two servers on one machine
# (make run beside the load test, two checkouts) would share it.
control_socket_disable = True
proc_name = "opportune-web"

_consumer: subprocess.Popen[bytes] | None = None


def _consumer_start() -> None:  # pragma: no cover - runs in the child before exec
    """The consumer yields the CPU to the web workers (WORKER_NICE), and gets SIGTERM if the
    master dies without its on_exit (SIGKILL, a crash)."""
    os.nice(int(os.environ.get("WORKER_NICE", "10")))
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def on_starting(server: Any) -> None:
    """Start the Huey consumer beside the web workers (WEB_RUN_CONSUMER)."""
    global _consumer
    if not _bool("WEB_RUN_CONSUMER", False):
        return
    var = Path(os.environ.get("OPPORTUNE_VAR_DIR", _ROOT / "var"))
    var.mkdir(parents=True, exist_ok=True)
    with open(var / "huey.log", "ab") as log:
        _consumer = subprocess.Popen(
            [sys.executable, "-m", "django", "run_huey"],
            cwd=_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_consumer_start,
        )
    server.log.info("Huey consumer started (pid %s), its log: %s", _consumer.pid, var / "huey.log")


def when_ready(server: Any) -> None:
    """With the app preloaded: load the URL map too (every view module, its reverse tables)
    and the base template before forking, and freeze what the master made so the workers'
    garbage collection does not copy it."""
    if preload_app:
        from django.db import connections
        from django.template.loader import get_template
        from django.urls import get_resolver
        from huey.contrib.djhuey import HUEY

        get_resolver().url_patterns  # noqa: B018 - imports every view module
        _populate(get_resolver())  # the reverse tables every page's links read: built once
        get_template("base.html")  # every page extends it: compiled once, shared
        connections.close_all()  # no connection of the master's is inherited by a worker
        HUEY.storage.close()  # the queue's too (SQLite: made again in each worker)
        gc.collect()
        gc.freeze()


def _populate(resolver: Any) -> None:
    """Build a URL resolver's reverse tables and its namespaces' (Django builds each on its
    first ``reverse()``: 2 MB a worker would build for itself; built before forking, shared)."""
    resolver._populate()
    for _prefix, namespace in list(resolver.namespace_dict.values()):
        _populate(namespace)


def on_exit(server: Any) -> None:
    """Stop the consumer with the server: SIGTERM (a job it was running stays leased in the
    durable ledger and runs again), SIGKILL if it is still there 10 s later."""
    if _consumer is None or _consumer.poll() is not None:
        return
    _consumer.terminate()
    try:
        _consumer.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _consumer.kill()
        _consumer.wait()
    server.log.info("Huey consumer stopped")
