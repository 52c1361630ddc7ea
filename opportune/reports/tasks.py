"""The reports' periodic jobs (core.schedule): the pipeline kept day by day (decision 0032) and
the win-probability model (decision 0033)."""

from __future__ import annotations

from django.utils import timezone

from opportune.core.schedule import scheduled
from opportune.reports.snapshots import keep_snapshots
from opportune.reports.win_model.services import score_changed_opportunities, train_win_model


@scheduled("reports.keep_pipeline_snapshots", cron="15 0 * * *", lease_seconds=3600)
def keep_pipeline_snapshots_job(*, scheduled_for: str) -> int:
    """Every night: yesterday's open pipeline (and any day missed since the last one built),
    from the history; answers the number of days built."""
    return keep_snapshots()


@scheduled("reports.train_win_model", cron="0 3 * * 1", lease_seconds=3600)
def train_win_model_job(*, scheduled_for: str) -> dict[str, int | None]:
    """Every Monday at 03:00: learn from the closed opportunities, rescore the open ones."""
    model = train_win_model(now=timezone.now())
    return {"model": model.pk if model else None, "closed": model.n_closed if model else None}


@scheduled("reports.score_changed_opportunities", cron="*/15 * * * *")
def score_changed_opportunities_job(*, scheduled_for: str) -> int:
    """Every quarter of an hour: rescore the open opportunities changed since the last time."""
    return score_changed_opportunities(now=timezone.now())
