"""``reports/win-model`` and its page (managers): how many closed opportunities the model
learned from and when, its Brier score on the held-out ones and the reliability chart (predicted
against observed win rate per bin); a clear message instead while it cannot predict."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils import timezone

from opportune.accounts.roles import is_manager
from opportune.reports.filters import ReportFilters
from opportune.reports.queries.base import Chart, Column, Report, summary_item
from opportune.reports.win_model.services import closed_count, latest_model, too_few_message

COLUMNS = [
    Column("predicted", "Predicted win rate %", "Percent"),
    Column("observed", "Observed win rate %", "Percent"),
    Column("count", "Held-out opportunities", "Int"),
]


class WinModelFilters(ReportFilters):
    """The model has no filters: it is one for the whole company (the dates every report
    takes are accepted and ignored, and the page shows no filter)."""

    dates_optional: ClassVar[bool] = True
    page_fields: ClassVar[tuple[str, ...]] = ()


def win_model_report(user: Any, f: WinModelFilters) -> Report:
    if not is_manager(user):
        return Report(COLUMNS, [], message="The win-probability model is shown to sales managers.")
    model = latest_model()
    if model is None:
        return Report(COLUMNS, [], message=too_few_message(closed_count()))
    rows = [dict(b) for b in model.reliability]
    chart = Chart(
        "line",
        [f"{r['predicted']:.0f}%" for r in rows],
        [
            {"name": "Predicted", "values": [r["predicted"] for r in rows]},
            {"name": "Observed", "values": [r["observed"] for r in rows]},
        ],
    )
    trained = timezone.localtime(model.trained_at).strftime("%Y-%m-%d %H:%M")
    summary = [
        summary_item("Trained on (closed opportunities)", model.n_closed, "Int"),
        summary_item("Trained at", trained, "Data"),
        summary_item("Held out", model.n_held_out, "Int"),
        summary_item("Brier score (held out; lower is better)", round(model.brier, 4), "Float"),
        summary_item("Won among the closed %", round(100 * model.won_rate, 1), "Percent"),
    ]
    message = ""
    closed = closed_count()
    if closed < 200:
        message = too_few_message(closed) + " The last model trained is shown."
    return Report(COLUMNS, rows, chart, summary, message)
