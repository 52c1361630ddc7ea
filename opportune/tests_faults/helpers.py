"""Real processes for the fault tests: a Huey consumer, gunicorn, a PostgreSQL cluster and a
Redis server of the test's own, each on a free port, each killed when its ``with`` block ends
(whatever happened in it), so that a test leaves nothing running behind it."""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest

from opportune.testing import free_port

ROOT = Path(__file__).resolve().parents[2]  # the repository: manage.py is there
PYTHON = sys.executable
T = TypeVar("T")

# Variables of the test run that must not leak into a child: each child gets its own.
_CHILD_OWN = ("DATABASE_URL", "REDIS_URL", "HUEY_NAME", "HUEY_SQLITE_PATH", "HUEY_IMMEDIATE")


def wait_for(check: Callable[[], T], *, timeout: float, what: str, every: float = 0.1) -> T:
    """Poll ``check()`` until it answers something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def missing_for_ci(reason: str) -> None:
    """Skip with the reason printed, except under CI (CI=true), where it fails."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    print(f"\nSKIP: {reason}")
    pytest.skip(reason)


# --- child processes --------------------------------------------------------------------------
class Process:
    """A child in its own process group (so killing it kills what it started), its output in a
    log file."""

    def __init__(self, args: list[str], *, env: dict[str, str], log: Path):
        self.args, self.log = args, log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(
                args,
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
        self.popen.wait(timeout=15)

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if it is still there 10 s later."""
        if not self.alive():
            return
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextmanager
def running(process: Process) -> Iterator[Process]:
    """Stop ``process`` when the block ends; when it ends by a failure, print the process's log
    (pytest shows it with the failure)."""
    try:
        yield process
    except BaseException:
        print(f"\n--- {' '.join(process.args[:4])} (pid {process.pid}): {process.log}")
        print(process.tail())
        raise
    finally:
        process.stop()


def database_url(settings_dict: dict[str, Any]) -> str:
    """The DATABASE_URL of a Django connection's database (the test database, once set up)."""
    name = settings_dict["NAME"]
    if settings_dict["ENGINE"].endswith("sqlite3"):
        assert Path(name).is_absolute(), f"the test database is not a file: {name}"
        return f"sqlite:///{name}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{name}"


def child_env(var_dir: Path, **values: str) -> dict[str, str]:
    """The environment of a child: this one, minus what each child sets for itself, with its
    own var directory and the queue for real (not in-process)."""
    env = {k: v for k, v in os.environ.items() if k not in _CHILD_OWN}
    var_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        DJANGO_SETTINGS_MODULE="opportune.settings",
        OPPORTUNE_VAR_DIR=str(var_dir),
        HUEY_SQLITE_PATH=str(var_dir / "huey.sqlite3"),
        HUEY_IMMEDIATE="false",
        PYTHONUNBUFFERED="1",
    )
    env.update(values)
    return env


def consumer(env: dict[str, str], log: Path) -> Process:
    """``run_huey`` (with the test jobs), polling the queue often so the tests run quickly."""
    args = ["-m", "opportune.tests_faults.consumer", "--workers", "2"]
    return Process([PYTHON, *args, "--delay", "0.1", "--max-delay", "0.5"], env=env, log=log)


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


# --- HTTP -------------------------------------------------------------------------------------
def http(
    method: str, url: str, *, body: Any = None, token: str = "", timeout: float = 15
) -> tuple[int, dict[str, str], Any]:
    """(status, headers, JSON or text); status 0 when no HTTP answer came at all."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, dict(error.headers), error.read()
    except (OSError, urllib.error.URLError) as error:  # refused, reset, timed out
        return 0, {}, f"{type(error).__name__}: {error}"
    if headers.get("Content-Type", "").startswith("application/json"):
        return status, headers, json.loads(raw)
    return status, headers, raw.decode(errors="replace")


def gunicorn(env: dict[str, str], port: int, log: Path) -> Process:
    args = ["-m", "gunicorn", "opportune.wsgi", "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", "2", "--threads", "4", "--timeout", "30", "--graceful-timeout", "5"]
    return Process([PYTHON, *args], env=env, log=log)


def children(pid: int) -> set[int]:
    """The pids of a process's children (gunicorn's workers)."""
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in found.read_text().split()} if found.exists() else set()


# --- a PostgreSQL cluster of the test's own ---------------------------------------------------
def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    return Path(found[-1]) if found else None


class PostgresCluster:
    """initdb into a temporary directory as the ``postgres`` OS user (we are root), a server on
    its own port and socket directory: stopped and removed at the end of ``own_postgres``."""

    def __init__(self, bin_dir: Path, port: int):
        self.bin, self.port = bin_dir, port
        self.root = Path(tempfile.mkdtemp(prefix="opportune-faults-pg-"))
        shutil.chown(self.root, "postgres", "postgres")
        self.data, self.log = self.root / "data", self.root / "server.log"

    def _as_postgres(self, program: str, *args: str, timeout: float = 60) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin / program), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, f"{program} {args}:\n{result.stdout}{result.stderr}"

    def init(self) -> None:
        self._as_postgres(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip

    def start(self, *settings: str) -> None:
        """Start the server (``settings``: more ``-c name=value`` for this run only)."""
        options = " ".join(
            [f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", *settings]
        )
        self._as_postgres(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "-o", options,
            "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def remove(self) -> None:
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            with suppress(AssertionError, subprocess.TimeoutExpired):
                self.stop("immediate")
        if pid_file.exists():  # pg_ctl could not stop it: the postmaster's pid is line one
            with suppress(ValueError, ProcessLookupError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


# For setting up (migrating) only: nothing waits for the disk. The server is then restarted with
# PostgreSQL's durable defaults before the test's load.
NOT_DURABLE = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")


@contextmanager
def own_postgres() -> Iterator[PostgresCluster]:
    bin_dir = postgres_bin()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        missing_for_ci("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) are missing.")
    if os.geteuid() != 0 or not shutil.which("runuser"):
        missing_for_ci("starting a PostgreSQL cluster as the postgres user needs root and runuser.")
    assert bin_dir is not None
    cluster = PostgresCluster(bin_dir, free_port())
    try:
        cluster.init()
        cluster.start(*NOT_DURABLE)
        yield cluster
    finally:
        cluster.remove()


# --- a Redis server of the test's own ---------------------------------------------------------
class RedisServer:
    def __init__(self, port: int, log: Path):
        self.port, self.log = port, log
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no"]
        self.process = Process(args, env=dict(os.environ), log=self.log)
        wait_for(self.answers, timeout=15, what=f"redis-server on port {self.port}")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()


@contextmanager
def own_redis(log: Path) -> Iterator[RedisServer]:
    if not shutil.which("redis-server"):
        missing_for_ci("redis-server is missing (Debian's redis-server package).")
    server = RedisServer(free_port(), log)
    try:
        server.start()
        yield server
    finally:
        server.kill()
