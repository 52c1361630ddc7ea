"""``make run``'s production shape, started for real: ``python -m opportune.serve`` (what the
Makefile runs) in a subprocess on a free port, on an embedded SQLite of its own. It checks that
gunicorn serves the login page with DEBUG off, a static file under its hashed name with a year's
cache, the project's own 404 page, that the Huey consumer started beside it runs a job, and that
stopping the server stops the consumer. Not timed; about 20-40 s (collectstatic's compression
runs once into var/tests-static, kept between runs)."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from opportune.notifications.models import Notification
from opportune.testing import free_port, make_user

ROOT = Path(__file__).resolve().parents[3]
# Variables of the test run that the server must not inherit: it reads its own.
NOT_INHERITED = (
    *("DATABASE_URL", "REDIS_URL", "HUEY_", "DEBUG", "SECRET_KEY", "OPPORTUNE_"),
    *("STATIC_", "WEB_", "SITE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "EMAIL_URL"),
)


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def wait_for(check, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def answers(url: str) -> bool:
    try:
        return fetch(url)[0] == 200
    except OSError:
        return False


@pytest.mark.django_db(transaction=True)
def test_make_run_serves_through_gunicorn_with_the_worker_beside_it(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("make run's default is the embedded SQLite: checked in the SQLite run")
    # The server's database: the migrated test database with one user (so no demo is loaded)
    # and a notification to e-mail, copied into a file (a fresh migrate takes 30 s and more).
    user = make_user("prodrun")
    notification = Notification.objects.create(
        user=user,
        kind=Notification.Kind.MENTION,
        subject="Production-shaped run check",
        email_pending=True,
    )
    database = tmp_path / "opportune.sqlite3"
    with sqlite3.connect(database) as copy:
        connection.ensure_connection()
        connection.connection.backup(copy)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)}
    env.update(
        OPPORTUNE_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{database}",
        STATIC_ROOT=str(ROOT / "var" / "tests-static"),
        OPPORTUNE_TESTING="false",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "opportune.serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: answers(f"{base}/accounts/login/"), timeout=90, what="the server")
        text = log.read_text()
        assert "gunicorn" in text and f"{base}/" in text and "demo1234" in text

        # the login page, DEBUG off, static files under hashed names
        status, _headers, page = fetch(f"{base}/accounts/login/")
        assert status == 200
        stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet, "the page does not link a hashed stylesheet"
        status, headers, css = fetch(base + stylesheet.group(1))
        assert status == 200 and css.strip()
        assert "max-age=315360000" in headers["Cache-Control"]
        assert "immutable" in headers["Cache-Control"]

        # the project's 404, not Django's debug page
        status, _headers, page = fetch(f"{base}/no/such/page/")
        assert status == 404
        assert "There is nothing at <code>/no/such/page/</code>" in page
        assert "URLconf" not in page and "DEBUG = True" not in page

        # the consumer beside it runs a durable job: the e-mail outbox's drain
        # (EMAIL_URL consolemail://: printed into var/huey.log, and marked sent)
        enqueue = (
            "from opportune.core.jobs import enqueue_job;"
            "from opportune.notifications.outbox import SEND_EMAILS_JOB;"
            "enqueue_job(SEND_EMAILS_JOB)"
        )
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", enqueue],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr

        def emailed():
            with sqlite3.connect(database, timeout=10) as db:
                row = db.execute(
                    "SELECT emailed_at FROM notifications_notification WHERE id = ?",
                    [notification.pk],
                ).fetchone()
            return row and row[0]

        wait_for(emailed, timeout=30, what="the consumer to send the e-mail")
        assert "Production-shaped run check" in (tmp_path / "huey.log").read_text()
    except BaseException:
        print(log.read_text()[-5000:])
        raise
    finally:
        consumer = re.search(r"Huey consumer started \(pid (\d+)\)", log.read_text())
        stat = Path(f"/proc/{consumer.group(1)}/stat") if consumer else None
        nice = int(stat.read_text().rsplit(")", 1)[1].split()[16]) if stat else None
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    # stopping the server stopped the consumer
    assert consumer, "no consumer was started"
    assert nice == min(os.nice(0) + 10, 19), "the consumer yields the CPU to the web (WORKER_NICE)"
    assert not Path(f"/proc/{consumer.group(1)}").exists() or _zombie(int(consumer.group(1)))


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True
