"""Assignments (ERPNext's ToDo): a document given to a user to work on. Generic over document
types (``reference_type`` / ``reference_name``), so it sits below the apps whose documents it
points at. The rules that assign automatically come with the assignment engine (issue 9)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Assignment(models.Model):
    class Status(models.TextChoices):
        OPEN = "Open"
        CLOSED = "Closed"
        CANCELLED = "Cancelled"

    reference_type = models.CharField(max_length=60)  # a doctype: "Opportunity", "Lead"
    reference_name = models.CharField(max_length=140)
    allocated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignment_rule = models.CharField(max_length=140, null=True, blank=True)
    reason = models.TextField(blank=True)  # why this user
    creation = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-creation", "-id"]
        indexes = [
            models.Index(
                fields=["reference_type", "allocated_to", "status"], name="assignment_user_open"
            ),
            models.Index(fields=["reference_type", "reference_name"], name="assignment_document"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reference_type", "reference_name", "allocated_to"],
                condition=Q(status="Open"),
                name="assignment_one_open_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference_type} {self.reference_name} -> {self.allocated_to_id}"
