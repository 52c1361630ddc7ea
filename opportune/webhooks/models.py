"""Webhooks: a manager's URL that receives chosen events as signed JSON POSTs, and the outbox of
deliveries to it (Queued -> Sending -> Sent, or Queued again with a backoff, or Failed after the
last attempt). docs/decisions/0024-webhooks.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from opportune.core.crypto import SecretBox

SECRETS = SecretBox(label=b"opportune.webhooks.secret:", key_env="OPPORTUNE_SECRET_KEY_WEBHOOKS")


class Webhook(models.Model):
    name = models.CharField(max_length=140, unique=True)
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list)  # event names (webhooks.registry)
    secret_encrypted = models.TextField(editable=False)
    enabled = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now, editable=False)
    modified = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret(self) -> str:
        return SECRETS.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = SECRETS.encrypt(value)


class WebhookDelivery(models.Model):
    """One event for one webhook: the outbox row, written in the transaction of the change,
    and the log of its attempts."""

    class Status(models.TextChoices):
        QUEUED = "Queued"  # waiting for its (next) attempt, due at ``next_attempt_at``
        SENDING = "Sending"  # claimed by an attempt
        SENT = "Sent"  # the receiver answered 2xx
        FAILED = "Failed"  # given up after the last attempt (retry by hand)

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # the first 2,000 characters
    last_error = models.TextField(blank=True)
    log = models.JSONField(default=list)  # one entry per attempt: at, status, error, ms
    created = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["webhook", "created"], name="webhook_delivery_created"),
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="Queued"), name="webhook_queued"
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="Sending"), name="webhook_sending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook_id} ({self.status})"
