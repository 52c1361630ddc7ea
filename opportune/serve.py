"""``python -m opportune.serve``: what ``make run`` runs, the production shape on one machine.

1. migrate the database (the embedded SQLite in $OPPORTUNE_VAR_DIR unless DATABASE_URL says
   otherwise) and load the demo company when it has no users (``--no-demo``: never);
2. collect the static files into $OPPORTUNE_VAR_DIR/static (hashed names, compressed: WhiteNoise
   serves them with a year's cache);
3. print the address and the demo logins, then become gunicorn (``opportune/gunicorn_conf.py``:
   WEB_WORKERS workers, 2 by default) with the Huey consumer beside it, stopped with it.

DEBUG is off; SECRET_KEY, when the environment has none, is made once into
$OPPORTUNE_VAR_DIR/secret_key (opportune/settings.py). ``make dev`` is the auto-reloading
development server instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BANNER = """
  Opportune: {url}/   (API docs: {url}/api/v1/docs, health: {url}/healthz)
  Demo logins, password demo1234: admin (administrator), manager (Sales Manager),
  sales1 and sales2 (Sales User), purchase (Purchase User). Worker log: {var}/huey.log
  gunicorn: {workers} {worker_class} workers; Ctrl-C stops the server and the worker.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m opportune.serve", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--no-demo", action="store_true", help="never load the demo company")
    parser.add_argument(
        "--no-consumer", action="store_true", help="do not start the Huey consumer beside it"
    )
    args = parser.parse_args(argv)

    import environ

    environ.Env.read_env(ROOT / ".env", overwrite=False)
    var = Path(os.environ.get("OPPORTUNE_VAR_DIR", ROOT / "var")).resolve()
    os.environ["OPPORTUNE_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    os.environ["DEBUG"] = "false"
    os.environ["STATIC_MANIFEST"] = "true"  # collected below at every start: always up to date
    os.environ.setdefault("STATIC_ROOT", str(var / "static"))
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{args.port}"
    os.environ.setdefault("SITE_URL", url)
    os.environ["WEB_BIND"] = f"{host}:{args.port}"
    os.environ["WEB_RUN_CONSUMER"] = "false" if args.no_consumer else "true"
    os.environ.setdefault("WEB_ACCESS_LOG", "-")
    # glibc gives each thread that allocates an arena of its own (up to 8 a core), whose freed
    # memory the process keeps: a gthread worker's 4 threads grew it by megabytes; 2 is enough
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")

    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    call_command("migrate", interactive=False)
    if not args.no_demo:
        call_command("load_demo", if_no_users=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()

    workers = os.environ.get("WEB_WORKERS", "2")
    worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")
    sys.stdout.write(BANNER.format(url=url, var=var, workers=workers, worker_class=worker_class))
    sys.stdout.flush()
    command = [sys.executable, "-m", "gunicorn", "-c", "python:opportune.gunicorn_conf"]
    os.chdir(ROOT)
    os.execv(sys.executable, [*command, "opportune.wsgi"])


if __name__ == "__main__":
    main()
