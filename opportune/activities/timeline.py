"""Done activities on their document's timeline, with their outcome (registered for each doctype
activities may be planned on, activities.references)."""

from __future__ import annotations

from collections.abc import Iterable

from opportune.activities.models import Activity
from opportune.core.timeline import TimelineEntry


def done_activity_entries(doctype: str, name: str) -> Iterable[TimelineEntry]:
    rows = (
        Activity.objects.filter(
            reference_type=doctype, reference_name=name, status=Activity.Status.DONE
        )
        .select_related("activity_type", "modified_by", "allocated_to")
        .order_by("-completed_on")
    )
    for activity in rows:
        summary = (
            f"{activity.activity_type.icon} {activity.activity_type_id} done: {activity.summary}"
        )
        if activity.outcome:
            summary += f" — {activity.outcome}"
        by = activity.modified_by or activity.allocated_to
        yield TimelineEntry(
            kind="activity",
            at=activity.completed_on or activity.modified,
            user=by.username if by else None,
            summary=summary.strip(),
            data={
                "activity": activity.name,
                "activity_type": activity.activity_type_id,
                "outcome": activity.outcome,
                "due_date": activity.due_date.isoformat(),
            },
        )
