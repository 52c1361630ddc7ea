"""A user's calendar: events (made by hand, or kept by a document such as an opportunity's next
contact) with their reminder, and the secret token of the user's iCalendar feed; activities (the
to-dos planned on a document: a call, a meeting, ...) and their types
(docs/decisions/0028-activities.md)."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from opportune.core.models import Document, audited_history

NEXT_CONTACT = "next_contact"  # the source of an event kept by a document's next contact


def new_uid() -> str:
    return f"{uuid.uuid4()}@opportune"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class Event(models.Model):
    """ERPNext's Event: ``subject``, ``starts_on``, ``ends_on``, ``owner`` and the document it is
    about (``reference_doctype``, ``reference_name``); ``source`` says what keeps it ("" for an
    event made by hand)."""

    subject = models.CharField(max_length=140)
    description = models.TextField(blank=True)
    starts_on = models.DateTimeField()
    ends_on = models.DateTimeField(null=True, blank=True)
    all_day = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    reference_doctype = models.CharField(max_length=60, blank=True)
    reference_name = models.CharField(max_length=140, blank=True)
    source = models.CharField(max_length=30, blank=True)
    # The reminder: due at remind_at, claimed (reminded_at set) by one conditional UPDATE.
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    uid = models.CharField(max_length=100, unique=True, default=new_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)  # RFC 5545: bumped when it moves
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now, editable=False)
    modified = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on", "pk"]
        indexes = [
            models.Index(fields=["owner", "starts_on"], name="event_owner_starts"),
            models.Index(
                fields=["remind_at"],
                condition=Q(reminded_at__isnull=True, remind_at__isnull=False),
                name="event_due_reminder",
            ),
            models.Index(fields=["reference_doctype", "reference_name"], name="event_reference"),
            models.Index(fields=["starts_on"], name="event_starts"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reference_doctype", "reference_name", "source"],
                condition=Q(source=NEXT_CONTACT),
                name="event_one_next_contact",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="event_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.starts_on:%Y-%m-%d %H:%M})"

    @property
    def is_kept_by_document(self) -> bool:
        """Kept by its document (moved or removed there, not on the calendar)."""
        return bool(self.source)


class CalendarFeedToken(models.Model):
    """The secret in the URL of a user's iCalendar feed. Kept as it is (not hashed): the user can
    read their feed's address again, as with any calendar's private address. Regenerating
    replaces it, so the old address answers 404."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_token"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class ActivityType(models.Model):
    """A kind of activity (Call, Meeting, Email, Task, seeded; managers add more) and the icon
    its activities are shown with."""

    name = models.CharField(max_length=140, primary_key=True)
    icon = models.CharField(
        max_length=40, blank=True, help_text="A symbol shown before the summary"
    )
    history = audited_history()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Activity(Document):
    """A to-do planned on a document (``reference_type`` / ``reference_name``: a lead, customer
    or opportunity), due on a day, given to a user; Open until done (with its outcome, which
    goes to the document's timeline) or cancelled."""

    naming_series = "ACT-.YYYY.-"
    doctype = "Activity"

    class Status(models.TextChoices):
        OPEN = "Open"
        DONE = "Done"
        CANCELLED = "Cancelled"

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.OPEN: frozenset({Status.DONE, Status.CANCELLED}),
        Status.DONE: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    activity_type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(max_length=140)
    due_date = models.DateField()
    allocated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activities"
    )
    reference_type = models.CharField(max_length=60, blank=True)
    reference_name = models.CharField(max_length=140, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(blank=True)
    completed_on = models.DateTimeField(null=True, blank=True)  # when done or cancelled

    history = audited_history()

    class Meta:
        ordering = ["due_date", "name"]
        verbose_name_plural = "activities"
        indexes = [
            # the next activity of a document (board cards, list rows, its page)
            models.Index(
                fields=["reference_type", "reference_name", "status", "due_date"],
                name="activity_reference_due",
            ),
            # a user's activities (home page, digest, the API's allocated_to filter)
            models.Index(fields=["allocated_to", "status", "due_date"], name="activity_user_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["Open", "Done", "Cancelled"]), name="activity_status_valid"
            ),
        ]
