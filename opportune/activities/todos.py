"""The business rules of activities (to-dos planned on a document): plan, change, finish (with
an outcome, which goes to the document's timeline), cancel and delete them; the state of a
document's next activity (Odoo's: overdue red, today amber, planned green, none grey), computed
in the query that reads the documents; activity types (a master managers keep).

"Today" is the user's own day (their time zone, accounts.time_zones); services take ``now``.
See docs/decisions/0028-activities.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from opportune.accounts.roles import is_sales
from opportune.accounts.time_zones import user_time_zone
from opportune.activities.access import check_reference
from opportune.activities.models import Activity, ActivityType
from opportune.activities.references import reference_url
from opportune.core.documents import delete_document, lock_document, save_document, stamp_new
from opportune.core.errors import ConflictError, FieldErrors, ValidationError
from opportune.core.fields import check_known_fields
from opportune.masters.services import MasterSpec
from opportune.notifications.models import Notification
from opportune.notifications.services import notify

if TYPE_CHECKING:
    from opportune.core.users import User

M = TypeVar("M", bound=Model)

ACTIVITY_TYPE = MasterSpec(ActivityType, "Activity Type", {"icon": None})
CREATABLE = frozenset(
    {
        "activity_type",
        "summary",
        "due_date",
        "allocated_to",
        "reference_type",
        "reference_name",
        "notes",
    }
)
EDITABLE = frozenset({"activity_type", "summary", "due_date", "allocated_to", "notes"})
SUMMARY_MAX = 140
NOTES_MAX = 10_000

# the states of a document's next activity, as the pages colour them
OVERDUE, TODAY, PLANNED, NONE = "overdue", "today", "planned", "none"


def today_for(user: Any, now: datetime | None = None) -> date:
    """The user's today, in their time zone."""
    return timezone.localtime(now or timezone.now(), user_time_zone(user)).date()


def activity_state(due: date | None, today: date) -> str:
    if due is None:
        return NONE
    if due < today:
        return OVERDUE
    return TODAY if due == today else PLANNED


def with_next_activity(rows: QuerySet[M], doctype: str) -> QuerySet[M]:
    """``rows`` (documents of ``doctype``) with ``next_activity_due``: the earliest due date of
    their open activities (None: none), a correlated subquery on the (reference, status, due)
    index, so a list or the board reads it in the query that reads the rows."""
    due = (
        Activity.objects.filter(
            reference_type=doctype, reference_name=OuterRef("pk"), status=Activity.Status.OPEN
        )
        .order_by("due_date")
        .values("due_date")[:1]
    )
    return rows.annotate(next_activity_due=Subquery(due))


# --- writes ------------------------------------------------------------------------------------
def create_activity(*, data: Mapping[str, Any], by: User, now: datetime | None = None) -> Activity:
    """Plan an activity (given to ``by`` unless ``allocated_to`` names another sales user, who
    is told) on a document ``by`` sees, or as a personal to-do without one."""
    check_known_fields(data, CREATABLE)
    now = now or timezone.now()
    reference_type = str(data.get("reference_type") or "")
    reference_name = str(data.get("reference_name") or "")
    check_reference(by, reference_type, reference_name)
    activity = Activity(reference_type=reference_type, reference_name=reference_name)
    stamp_new(activity, by=by, now=now)
    values = {"allocated_to": by.get_username(), **data}
    _apply(activity, values, creating=True)
    with transaction.atomic():
        save_document(activity, by=by)
        _tell_assignee(activity, by=by, now=now)
    return activity


def update_activity(
    activity: Activity, *, data: Mapping[str, Any], version: int | None, by: User
) -> Activity:
    """Change an open activity (its type, summary, due date, assignee, notes); the version
    read is checked (409 when it changed meanwhile)."""
    check_known_fields(data, EDITABLE)
    with transaction.atomic():
        locked = lock_document(Activity, activity.pk, expected_version=version, by=by)
        _require_open(locked)
        before = locked.allocated_to_id
        _apply(locked, data, creating=False)
        save_document(locked, by=by)
        if locked.allocated_to_id != before:
            _tell_assignee(locked, by=by, now=locked.modified)
    return locked


def mark_activity_done(
    activity: Activity,
    *,
    outcome: str = "",
    version: int | None = None,
    by: User,
    now: datetime | None = None,
) -> Activity:
    """Done, with what came of it: the activity goes to its document's timeline."""
    if len(outcome) > NOTES_MAX:
        raise ValidationError.for_field("outcome", f"At most {NOTES_MAX} characters.")
    return _finish(activity, Activity.Status.DONE, outcome.strip(), version, by, now)


def cancel_activity(
    activity: Activity, *, version: int | None = None, by: User, now: datetime | None = None
) -> Activity:
    return _finish(activity, Activity.Status.CANCELLED, "", version, by, now)


def delete_activity(activity: Activity, *, version: int | None, by: User) -> None:
    delete_document(Activity, activity, version=version, by=by)


def _finish(
    activity: Activity,
    status: str,
    outcome: str,
    version: int | None,
    by: User,
    now: datetime | None,
) -> Activity:
    with transaction.atomic():
        locked = lock_document(Activity, activity.pk, expected_version=version, by=by)
        if status not in Activity.TRANSITIONS[locked.status]:
            raise ConflictError(
                f"Activity {locked.name} is {locked.status}; it cannot become {status}.",
                fields={"status": [f"is {locked.status}"]},
            )
        locked.status = status
        locked.outcome = outcome
        locked.completed_on = now or timezone.now()
        save_document(locked, by=by)
    return locked


def _require_open(activity: Activity) -> None:
    if activity.status != Activity.Status.OPEN:
        raise ConflictError(
            f"Activity {activity.name} is {activity.status}; it cannot be changed.",
            fields={"status": [f"is {activity.status}"]},
        )


def _apply(activity: Activity, data: Mapping[str, Any], *, creating: bool) -> None:
    errors = FieldErrors()
    if "activity_type" in data or creating:
        name = str(data.get("activity_type") or "")
        if not name:
            errors.add("activity_type", "Choose the activity's type.")
        elif "\x00" in name or not ActivityType.objects.filter(pk=name).exists():
            errors.add("activity_type", f"There is no activity type {name!r}.")
        else:
            activity.activity_type_id = name
    if "summary" in data or creating:
        summary = str(data.get("summary") or "").strip()
        if not summary:
            errors.add("summary", "Say what is to be done.")
        elif len(summary) > SUMMARY_MAX:
            errors.add("summary", f"At most {SUMMARY_MAX} characters.")
        activity.summary = summary
    if "due_date" in data or creating:
        due = _date(data.get("due_date"))
        if due is None:
            errors.add("due_date", "Give the due date (YYYY-MM-DD).")
        else:
            activity.due_date = due
    if "allocated_to" in data:
        _assign(activity, data["allocated_to"], errors)
    if "notes" in data:
        notes = str(data["notes"] or "")
        if len(notes) > NOTES_MAX:
            errors.add("notes", f"At most {NOTES_MAX} characters.")
        activity.notes = notes
    errors.raise_if_any()


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value if 1900 <= value.year <= 9000 else None
    try:
        parsed = date.fromisoformat(str(value or ""))
    except ValueError:
        return None
    return parsed if 1900 <= parsed.year <= 9000 else None


def _assign(activity: Activity, username: Any, errors: FieldErrors) -> None:
    name = str(username or "")
    user = (
        get_user_model().objects.filter(username=name, is_active=True).first()
        if name and "\x00" not in name
        else None
    )
    if user is None or not is_sales(user):
        errors.add("allocated_to", f"{name!r} is not an active sales user.")
        return
    activity.allocated_to = user


def _tell_assignee(activity: Activity, *, by: User, now: datetime) -> None:
    """An activity planned for someone else is announced in their bell (Assignments)."""
    if activity.allocated_to_id == by.pk:
        return
    on = (
        f" on {activity.reference_type} {activity.reference_name}"
        if activity.reference_name
        else ""
    )
    notify(
        activity.allocated_to,
        kind=Notification.Kind.ASSIGNMENT,
        subject=f"{by.get_username()} planned for you: {activity.summary}{on}",
        body=f"{activity.activity_type_id}, due {activity.due_date.isoformat()}",
        link=activity_link(activity),
        reference_type=activity.reference_type,
        reference_name=activity.reference_name,
        key=f"activity:{activity.pk}:{activity.allocated_to_id}:{activity.version}",
        now=now,
    )


def activity_link(activity: Activity) -> str:
    """The page to open for an activity: its document's, else the user's activities."""
    from_document = reference_url(activity.reference_type, activity.reference_name)
    return from_document or reverse("activities:activity_list")


# --- the quick plan of the board ("a call in 3 days") -----------------------------------------
QUICK_PLANS = (("Call", 0), ("Call", 1), ("Call", 3), ("Meeting", 7), ("Email", 1))


def quick_due_date(days: int, *, by: User, now: datetime | None = None) -> date:
    return today_for(by, now) + timedelta(days=days)
