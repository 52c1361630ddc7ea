"""A user's calendar: events (made by hand, or kept by a document such as an opportunity's next
contact) with their reminder, and the secret token of the user's iCalendar feed."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

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
