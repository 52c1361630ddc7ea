"""A web worker loads only what serving needs: the heavy libraries wait for their one use
(WeasyPrint for a quotation's PDF, openpyxl for a spreadsheet, icalendar for a feed). Checked in a
fresh interpreter: importing the WSGI application and resolving its URL map (every view module)
must leave them out of sys.modules. docs/performance.md, "Small processes"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("weasyprint", "openpyxl", "icalendar", "pydyf", "fontTools", "PIL")

PROBE = f"""
import json, sys
import opportune.wsgi
from django.urls import get_resolver
get_resolver().url_patterns
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def test_the_wsgi_application_does_not_import_heavy_libraries():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)  # this checkout, not whichever the virtualenv points at
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
