"""The layering of DESIGN.md, checked by import-linter (contract in pyproject.toml), and the
types, checked by mypy (pyproject.toml's [tool.mypy])."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.template import Engine

ROOT = Path(__file__).resolve().parents[3]


def test_apps_are_layered():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the types do not depend on the database: checked once, in the SQLite run",
)
def test_types_check():
    """mypy with django-stubs: strict on core, every app's services and access.py, the rest
    checked loosely. About a minute without its cache (.mypy_cache/), seconds with it."""
    mypy = Path(sys.executable).with_name("mypy")
    result = subprocess.run([str(mypy)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- templates follow the same layers --------------------------------------------------------------
# The rank of each app (DESIGN.md); apps of one rank are siblings and may not use each other.
APP_RANKS = {
    "core": 0,
    "accounts": 1,
    "masters": 2,
    "notifications": 3,
    "webhooks": 3,
    "activities": 4,
    "automation": 5,
    "comms": 6,
    "crm": 7,
    "selling": 8,
    "buying": 8,
    "reports": 9,
    "erpnext": 9,
}
TEMPLATE_TAG = re.compile(r"{%\s*(load|include|extends)\s+([^%]+?)\s*%}")


def _template_app(path: Path) -> str:
    """The app a template belongs to: ``opportune/<app>/templates/...`` or, for the project's
    folder, ``opportune/templates/<app>/...``; the project's own (base.html, partials) are core's."""
    parts = path.relative_to(ROOT / "opportune").parts
    if parts[0] == "templates":
        return parts[1] if len(parts) > 2 and parts[1] in APP_RANKS else "core"
    return parts[0]


def _library_apps() -> dict[str, str]:
    """Each template tag library's name -> the app that defines it ("" for Django's own)."""
    return {
        name: module.split(".")[1] if module.startswith("opportune.") else ""
        for name, module in Engine.get_default().libraries.items()
    }


def _used_apps(tag: str, args: str, libraries: dict[str, str]) -> set[str]:
    if tag == "load":
        names = args.split(" from ")[-1].split() if " from " in args else args.split()
        return {libraries.get(name, "") for name in names}
    target = args.split()[0].strip("\"'")
    first = target.split("/")[0]
    return {first if first in APP_RANKS else "core"} if "/" in target else {"core"}


def test_templates_use_no_higher_app():
    """A template loads tag libraries and includes or extends templates of its own app or of
    apps below it only: a crm page shows buying's documents through core.slots, never by
    loading buying's tags (a dependency import-linter cannot see)."""
    libraries = _library_apps()
    problems = []
    for path in sorted((ROOT / "opportune").rglob("templates/**/*.html")):
        owner = _template_app(path)
        for tag, args in TEMPLATE_TAG.findall(path.read_text()):
            for used in _used_apps(tag, args, libraries) - {"", owner}:
                if used in APP_RANKS and APP_RANKS[used] >= APP_RANKS[owner]:
                    problems.append(f"{path.relative_to(ROOT)}: {tag} {args} ({used})")
    assert problems == []
