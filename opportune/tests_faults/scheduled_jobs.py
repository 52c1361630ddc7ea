"""A periodic job for the schedule's two-worker test (test_schedule_two_workers.py), declared
only in the consumers that test starts (``FAULTS_SCHEDULE=1``, see consumer.py): every minute,
one note named after its slot."""

from __future__ import annotations

from opportune.core.models import Comment
from opportune.core.schedule import scheduled
from opportune.testing import NOTE_DOCTYPE

EVERY_MINUTE = "tests.every_minute"


def marker(scheduled_for: str) -> str:
    return f"every minute {scheduled_for}"


@scheduled(EVERY_MINUTE, cron="* * * * *")
def every_minute(*, scheduled_for: str) -> None:
    note = marker(scheduled_for)
    Comment.objects.create(reference_doctype=NOTE_DOCTYPE, reference_name=note, content=note)
