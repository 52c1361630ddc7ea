"""The reports' periodic job (core.schedule): the pipeline's daily snapshot (decision 0032)."""

from __future__ import annotations

from opportune.core.schedule import scheduled
from opportune.reports.snapshots import keep_snapshots


@scheduled("reports.keep_pipeline_snapshots", cron="15 0 * * *", lease_seconds=3600)
def keep_pipeline_snapshots_job(*, scheduled_for: str) -> int:
    """Every night: yesterday's open pipeline (and any day missed since the last one built),
    from the history; answers the number of days built."""
    return keep_snapshots()
