"""Through which door a change came: a page, the API, a job, an import or a command.

Every history record (django-simple-history, ``core.models.AuditedHistory``) stores the door
current when it was written. Adapters set it: ``core.middleware.AuditDoorMiddleware`` for
requests (``/api/`` is "api", anything else "page"), a Huey hook for jobs ("job"),
``AuditedCommand`` for management commands ("command", or "import" for loaders). Outside all
of them (the shell, tests calling services) the door is "system".

This module imports no model, so ``manage.py`` and settings may use it before Django is set up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand

if TYPE_CHECKING:
    from opportune.core.users import AnyUser

PAGE = "page"
API = "api"
JOB = "job"
IMPORT = "import"
COMMAND = "command"
SYSTEM = "system"
DOORS = (PAGE, API, JOB, IMPORT, COMMAND, SYSTEM)

_door: ContextVar[str] = ContextVar("audit_door", default=SYSTEM)


def current_door() -> str:
    """The door of the change being made now (a history field's default)."""
    return _door.get()


def enter_door(name: str) -> Token[str]:
    """Set the door until ``leave_door(token)``: for hooks that cannot wrap a block."""
    if name not in DOORS:
        raise ValueError(f"Unknown door {name!r}; one of {', '.join(DOORS)}.")
    return _door.set(name)


def leave_door(token: Token[str]) -> None:
    _door.reset(token)


@contextmanager
def door(name: str) -> Iterator[None]:
    """Changes made inside the block are recorded as coming through ``name``."""
    token = enter_door(name)
    try:
        yield
    finally:
        leave_door(token)


class AuditedCommand(BaseCommand):
    """A management command whose changes are recorded as coming through ``door`` ("command";
    a loader or an import says "import")."""

    door = COMMAND

    def execute(self, *args: Any, **options: Any) -> str | None:
        with door(self.door):
            return super().execute(*args, **options)


# --- who may read the audit trail --------------------------------------------------------------
# Roles live above core (accounts); the accounts app registers the rule at start-up.
def _superusers_only(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False))


_auditor_rule: Callable[[Any], bool] = _superusers_only


def register_auditor_rule(rule: Callable[[Any], bool]) -> None:
    global _auditor_rule
    _auditor_rule = rule


def can_audit(user: AnyUser) -> bool:
    """May ``user`` read the audit log and the deleted documents, and restore them?"""
    return _auditor_rule(user)


# --- migrations --------------------------------------------------------------------------------
BASELINE = "Recorded when the audit trail began"


def baseline_history(app_label: str, *model_names: str) -> Callable[[Any, Any], None]:
    """A migration step giving each existing row of these models a first history record (the
    values it had when its history began), so that its first change shows old and new."""

    def run(apps: Any, schema_editor: Any) -> None:
        from django.utils import timezone

        now = timezone.now()
        for model_name in model_names:
            model = apps.get_model(app_label, model_name)
            history = apps.get_model(app_label, f"Historical{model_name}")
            tracked = [
                f.attname
                for f in history._meta.concrete_fields
                if not f.name.startswith("history_")
            ]
            rows = [
                history(
                    history_date=now,
                    history_type="+",
                    history_door=SYSTEM,
                    history_change_reason=BASELINE,
                    **{name: getattr(obj, name) for name in tracked},
                )
                for obj in model._default_manager.all()
            ]
            history._default_manager.bulk_create(rows, batch_size=500)

    return run
