"""The reports: one query module each (opportune.reports.queries) (SQL aggregation over the rows the user may see), used by
the report pages, the API (``reports/<slug>``) and the home dashboard."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from opportune.reports import filters
from opportune.reports.queries.accuracy import accuracy_report
from opportune.reports.queries.base import Report
from opportune.reports.queries.changes import changes_report
from opportune.reports.queries.first_response import first_response_report
from opportune.reports.queries.forecast import forecast_report
from opportune.reports.queries.funnel import funnel_report
from opportune.reports.queries.lost import QUOTATION, lost_report
from opportune.reports.queries.pipeline import pipeline_report
from opportune.reports.queries.summary import summary_report
from opportune.reports.snapshots import unkept_days
from opportune.reports.win_model.report import WinModelFilters, win_model_report


@dataclass(frozen=True)
class ReportSpec:
    slug: str  # its URL: /reports/<slug>/ and /api/v1/reports/<slug>
    title: str
    description: str
    filters: type[filters.ReportFilters]
    run: Callable[..., Report]  # (user, filters, *, limit=...) for the detail reports
    detail: bool = False  # lists documents: the page and API show MAX_ROWS, exports all

    @property
    def url_name(self) -> str:
        return "reports:" + self.slug.replace("-", "_")

    @property
    def operation(self) -> str:
        return "report_" + self.slug.replace("-", "_")


def _lost_quotations(user: Any, f: filters.LostFilters, **kw: Any) -> Report:
    return lost_report(user, f, spec=QUOTATION, **kw)


REPORTS: dict[str, ReportSpec] = {
    spec.slug: spec
    for spec in (
        ReportSpec(
            "lost-opportunities",
            "Lost Opportunities",
            "Every lost opportunity with its reasons and competitors; grouped, shared and "
            "trended by reason.",
            filters.LostFilters,
            lost_report,
            detail=True,
        ),
        ReportSpec(
            "lost-quotations",
            "Lost Quotations",
            "Every lost quotation with its reasons and competitors (they reach the "
            "opportunity too).",
            filters.LostFilters,
            _lost_quotations,
            detail=True,
        ),
        ReportSpec(
            "sales-pipeline",
            "Sales Pipeline Analytics",
            "Count or amount by sales stage, owner or source, per month or quarter of the "
            "expected closing.",
            filters.PipelineFilters,
            pipeline_report,
        ),
        ReportSpec(
            "opportunity-summary",
            "Opportunity Summary by Sales Stage",
            "Opportunities per owner, source or type and sales stage, with the status split.",
            filters.SummaryFilters,
            summary_report,
        ),
        ReportSpec(
            "sales-funnel",
            "Sales Funnel",
            "Leads, opportunities, quotations and converted customers of a period: conversion "
            "rates and median days per step.",
            filters.FunnelFilters,
            funnel_report,
        ),
        ReportSpec(
            "forecast",
            "Forecast",
            "Weighted pipeline by expected closing month and owner, beside what was won and "
            "the targets.",
            filters.ForecastFilters,
            forecast_report,
        ),
        ReportSpec(
            "minutes-to-first-response",
            "Minutes to First Response for Opportunity",
            "Mean per day (as ERPNext), median and 90th percentile in wall-clock and business "
            "minutes, overall and per owner.",
            filters.FirstResponseFilters,
            first_response_report,
        ),
        ReportSpec(
            "pipeline-changes",
            "Pipeline Changes",
            "What moved between two days: new, won, lost, reopened, stage moves, amount "
            "changes and slips, as a walk from the first day's weighted pipeline to the "
            "second's; each change lists its opportunities.",
            filters.PipelineChangesFilters,
            changes_report,
            detail=True,
        ),
        ReportSpec(
            "forecast-accuracy",
            "Forecast Accuracy",
            "For each past month, the weighted forecast at its start and 30, 60 and 90 days "
            "before against what was won in it, per owner and for the team; the mean absolute "
            "error per horizon.",
            filters.ForecastAccuracyFilters,
            accuracy_report,
        ),
        ReportSpec(
            "win-model",
            "Win Probability Model",
            "How well the model's win probability of open opportunities is calibrated: "
            "reliability and Brier score on held-out closed opportunities (managers).",
            WinModelFilters,
            win_model_report,
        ),
    )
}


def run_report(spec: ReportSpec, user: Any, f: Any, *, everything: bool = False) -> Report:
    """The report for ``user``; ``everything``: every row of a detail report (the exports)."""
    with _report_memory():
        if spec.detail:
            report = spec.run(user, f, limit=None if everything else 1000)
        else:
            report = spec.run(user, f)
    unkept = unkept_days(f.snapshot_days())
    if unkept:
        days = ", ".join(d.isoformat() for d in unkept)
        report.message = " ".join(
            m
            for m in (
                report.message,
                f"The pipeline of {days} was not kept: it reads as empty "
                "(manage.py backfill_pipeline_snapshots builds past days from the history).",
            )
            if m
        )
    return report


@contextmanager
def _report_memory() -> Iterator[None]:
    """On PostgreSQL, a report's sorts (the percentiles, a grouping by owner and day over a
    year of a million deals) may use settings.REPORT_WORK_MEM each instead of the server's
    default 4 MB, which sent them to disk: for the report's own transaction only (SET LOCAL).
    And no JIT compilation: a report's aggregate over a month of the kept pipeline costs enough
    to trigger it, and compiling took 240 ms of a 960 ms query at 1M (docs/performance.md)."""
    if connection.vendor != "postgresql" or not settings.REPORT_WORK_MEM:
        yield
        return
    nested = connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('work_mem'), current_setting('jit'), "
                "set_config('work_mem', %s, true), set_config('jit', 'off', true)",
                [settings.REPORT_WORK_MEM],
            )
            previous, jit = cursor.fetchone()[:2]
        yield
        if nested:  # SET LOCAL would outlive this block in the caller's transaction (a
            # failure rolls back to the block's savepoint, which undoes it); alone, the
            # transaction's end does
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)",
                    [previous, jit],
                )
