"""Assignments (ERPNext's ToDo): a document given to a user to work on. Generic over document
types (``reference_type`` / ``reference_name``), so it sits below the apps whose documents it
points at. Assignment rules (ERPNext's Assignment Rule) give new and changed documents to a user
by round robin, load balancing or a field of the document (docs/decisions/0012-assignment-rules.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from opportune.core.models import KeptInserts


class Assignment(KeptInserts):
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
            # a user's open assignments of a doctype: a sales rep's record rule ("assigned to
            # me", a subquery in every report), load balancing's counts, the assignee's lists
            models.Index(
                fields=["reference_type", "allocated_to"],
                include=["reference_name"],
                condition=Q(status="Open"),
                name="assignment_open_by_user",
            ),
            models.Index(fields=["reference_type", "reference_name"], name="assignment_document"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reference_type", "reference_name", "allocated_to"],
                condition=Q(status="Open"),
                name="assignment_one_open_per_user",
            ),
            # a document holds at most one open assignment made by a rule, however many saves
            # of it run the rules at the same moment (manual assignments may join it)
            models.UniqueConstraint(
                fields=["reference_type", "reference_name"],
                condition=Q(status="Open", assignment_rule__isnull=False),
                name="assignment_one_open_rule_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference_type} {self.reference_name} -> {self.allocated_to_id}"


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class AssignmentRule(models.Model):
    """ERPNext's Assignment Rule: which documents it takes (``assign_condition``, data in the
    shape of API.md, never code), on which days, and how it picks the user."""

    class Rule(models.TextChoices):
        ROUND_ROBIN = "Round Robin"
        LOAD_BALANCING = "Load Balancing"
        BASED_ON_FIELD = "Based on Field"

    name = models.CharField(max_length=140, primary_key=True)
    document_type = models.CharField(max_length=60)  # a registered doctype: Opportunity, Lead
    priority = models.IntegerField(default=0)  # higher first
    disabled = models.BooleanField(default=False)
    description = models.TextField(default="Automatic Assignment")
    assign_condition = models.JSONField(null=True, blank=True)
    unassign_condition = models.JSONField(null=True, blank=True)
    close_condition = models.JSONField(null=True, blank=True)
    assignment_days = models.JSONField(default=list, blank=True)  # weekday names; empty: every day
    rule = models.CharField(max_length=20, choices=Rule.choices, default=Rule.ROUND_ROBIN)
    field = models.CharField(max_length=60, blank=True)  # Based on Field: a user field
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Round robin's cursor: the turns handed out (turn n goes to the user at (n - 1) modulo the
    # list, the inactive skipped). PostgreSQL hands turns out of the rule's own sequence, which
    # never waits, and brings this column up to the last committed turn with ``last_user``
    # (docs/decisions/0035-round-robin-without-a-held-lock.md).
    turns = models.PositiveBigIntegerField(default=0)
    creation = models.DateTimeField(default=timezone.now)
    modified = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-priority", "name"]
        indexes = [
            models.Index(fields=["document_type", "disabled", "-priority"], name="rule_by_type")
        ]

    def __str__(self) -> str:
        return self.name


class AssignmentRuleUser(models.Model):
    """One user of a rule, at its place in the order (round robin goes down the list)."""

    assignment_rule = models.ForeignKey(
        AssignmentRule, on_delete=models.CASCADE, related_name="user_rows"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    idx = models.PositiveIntegerField()

    class Meta:
        ordering = ["assignment_rule", "idx"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment_rule", "user"], name="assignment_rule_user_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_rule_id} #{self.idx}: {self.user_id}"


# Tables whose rows each process keeps (core.master_cache), with the columns whose change alone is
# none: the turn a create takes moves the rule's mirrored ``turns`` and ``last_user``; a user's
# sign-in moves ``last_login``. Their triggers are added by a migration (0005): a table added
# here needs one too.
KEPT_TABLES: dict[str, tuple[str, ...]] = {
    "automation_assignmentrule": ("last_user_id", "turns"),
    "automation_assignmentruleuser": (),
    "auth_user": ("last_login",),
}
