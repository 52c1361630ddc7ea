"""In-app notifications: a line in a user's bell (and, by the user's choice, an email)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    class Kind(models.TextChoices):
        ASSIGNMENT = "assignment", "Assignments"
        REMINDER = "reminder", "Next-contact reminders"
        MENTION = "mention", "Mentions in comments"
        AUTO_CLOSE = "auto_close", "Opportunities closed for silence"
        DIGEST = "digest", "Morning digest"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)  # a path in the app: /opportunities/...
    reference_type = models.CharField(max_length=60, blank=True)
    reference_name = models.CharField(max_length=140, blank=True)
    read = models.BooleanField(default=False)
    creation = models.DateTimeField(default=timezone.now)
    # The idempotency key: what sends a notification twice (a retried job) adds it once.
    key = models.CharField(max_length=200, blank=True)
    # When its email was handed to the SMTP server (the send job checks it first, decision 10).
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Its email is wanted and not sent yet: the outbox the send job drains (decision 0043). Set
    # by the INSERT that writes it; cleared with emailed_at, or alone when it cannot be sent.
    email_pending = models.BooleanField(default=False)
    # When a drain took its email to send, outside any transaction (decision 0046): another
    # drain leaves it until the drain records it, or until EMAIL_CLAIM_LEASE has passed (that
    # drain's worker died).
    email_claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-creation", "-id"]
        indexes = [
            models.Index(fields=["user", "read", "-creation"], name="notification_inbox"),
            # the outbox, oldest first: the few rows waiting, not the whole table
            models.Index(
                fields=["id"], condition=Q(email_pending=True), name="notification_email_pending"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~Q(key=""), name="notification_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}: {self.subject}"


# What comes by email when the user has not chosen (the profile's "Email me for").
EMAIL_BY_DEFAULT: dict[str, bool] = {
    Notification.Kind.ASSIGNMENT: True,
    Notification.Kind.REMINDER: True,
    Notification.Kind.MENTION: False,
    Notification.Kind.AUTO_CLOSE: False,
    Notification.Kind.DIGEST: False,
}


class NotificationSetting(models.Model):
    """A user's choice for one kind of notification: also by email, or in the bell only. No
    row: ``EMAIL_BY_DEFAULT``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    email = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_setting_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}: {'email' if self.email else 'bell only'}"
