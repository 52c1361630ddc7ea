"""What the reports keep of their own: the sales targets managers set per owner and month."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class SalesTarget(models.Model):
    """The amount (company currency) a sales user is expected to win in one month; the
    forecast report sets what was won beside it (attainment)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month.")
    amount = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(0))
    version = models.PositiveIntegerField(default=1)
    modified = models.DateTimeField(default=timezone.now)
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["month", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="sales_target_user_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="sales_target_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.month:%Y-%m}: {self.amount}"


class PipelineState(models.Model):
    """One state of an open opportunity (Open, Replied, Quotation) over a run of days inside one
    month (decision 0032): it stood so at the end of every day from ``valid_from`` (inclusive)
    to ``valid_to`` (exclusive; at most the next month's first day), both in ``month``. A state
    that lasts over a month end is cut there: each month holds the whole open pipeline at its
    start (a key frame) and that month's changes, so the pipeline at the end of a day reads
    that month's rows only. What ``?as_of=`` and the pipeline-changes and forecast-accuracy
    reports read; the columns carry the opportunity's own names, so a report's query runs on
    either table. Kept by the nightly job (``reports.tasks``) and built from the history by
    ``manage.py backfill_pipeline_snapshots``; never edited by hand."""

    name = models.CharField(max_length=140)  # the opportunity (kept if it is deleted later)
    month = models.DateField(help_text="The first day of the month.")
    valid_from = models.DateField()
    valid_to = models.DateField()
    status = models.CharField(max_length=10)
    sales_stage_id = models.CharField(max_length=140, null=True)
    base_opportunity_amount = models.DecimalField(max_digits=20, decimal_places=4)
    probability = models.DecimalField(max_digits=5, decimal_places=2)
    expected_closing = models.DateField(null=True)
    transaction_date = models.DateField()
    opportunity_owner_id = models.IntegerField(null=True)
    territory_id = models.CharField(max_length=140, null=True)
    source_id = models.CharField(max_length=140, null=True)
    opportunity_type_id = models.CharField(max_length=140, null=True)

    class Meta:
        constraints = [
            # one opportunity's states (pipeline changes read one by name, the build closes them)
            models.UniqueConstraint(
                fields=["name", "month", "valid_from"], name="pipeline_state_name_month_from"
            )
        ]
        # the pipeline at the end of a day: that month's rows begun by then
        indexes = [
            models.Index(fields=["month", "valid_from"], name="pipeline_state_month_from"),
            # forecast accuracy (reports/queries/accuracy.py): a forecast day's states closing
            # in one month, from the index alone (docs/performance.md, "Reports at 1M,
            # seventh pass"); the rest of the month's rows are not read. Partial on a condition
            # every state that held at a day's end meets and only that report states: the
            # as-of reports, which read most of a month's rows and more columns, keep
            # pipeline_state_month_from (through this one, with heap fetches, they took 3x as
            # long at 1M)
            models.Index(
                condition=Q(valid_to__gt=F("valid_from")),
                fields=["month", "expected_closing"],
                include=[
                    "valid_from",
                    "valid_to",
                    "opportunity_owner_id",
                    "base_opportunity_amount",
                    "probability",
                    "name",
                ],
                name="pipeline_state_closing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.valid_from} to {self.valid_to}"


class PipelineSnapshotDay(models.Model):
    """A day whose pipeline is built (an empty pipeline is a day too), and how many
    opportunities were open at its end. The built days are one unbroken run."""

    date = models.DateField(primary_key=True)
    rows = models.PositiveIntegerField(default=0)
    built = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.date} ({self.rows})"


class WinModel(models.Model):
    """One training of the win-probability model (reports.win_model, decision 0033): what it
    learned, as plain numbers (the feature encoding and the calibrated logistic regression's
    coefficients), and how well it did on the closed opportunities held out from training.
    The newest row is the model in use; predicting needs no machine-learning library."""

    trained_at = models.DateTimeField()
    n_closed = models.PositiveIntegerField(help_text="Closed opportunities it learned from.")
    n_held_out = models.PositiveIntegerField(default=0)
    won_rate = models.FloatField(default=0)
    brier = models.FloatField(help_text="Brier score on the held-out opportunities.")
    reliability = models.JSONField(default=list)  # [{predicted, observed, count}]
    encoding = models.JSONField(default=dict)  # features, levels, scaling, coefficients
    scored_at = models.DateTimeField(null=True, blank=True)  # open ones scored up to then

    class Meta:
        ordering = ["-trained_at", "-pk"]
        get_latest_by = ["trained_at", "pk"]

    def __str__(self) -> str:
        return f"win model of {self.trained_at:%Y-%m-%d %H:%M} ({self.n_closed} closed)"


class WinPrediction(models.Model):
    """The model's chance that an open opportunity is won (0-100), beside, never instead of,
    the user's own ``probability``; with the three factors that moved it most."""

    opportunity = models.OneToOneField(
        "crm.Opportunity", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    model = models.ForeignKey(WinModel, on_delete=models.CASCADE, related_name="+")
    win_probability = models.FloatField()
    win_factors = models.JSONField(default=list)  # [{"factor": "...", "points": 18.0}]
    scored_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["model"], name="win_prediction_model")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.win_probability:.1f}%"
