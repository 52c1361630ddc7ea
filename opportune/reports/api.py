"""JSON API of the reports (API.md ``reports/...``: columns, rows, chart, summary; ``?format=csv``
or ``xlsx`` for a file) and of the sales targets (managers set them; a sales user reads their
own)."""

from typing import Any, Literal

from ninja import Query, Router, Status

from opportune.core.api import ApiRequest
from opportune.core.export import XLSX
from opportune.core.schemas import ERRORS
from opportune.crm.access import sees_all_sales_records
from opportune.reports import services
from opportune.reports.export import export
from opportune.reports.models import SalesTarget
from opportune.reports.registry import REPORTS, ReportSpec, run_report
from opportune.reports.schemas import ReportOut, SalesTargetIn, SalesTargetOut

router = Router(tags=["reports"])

Format = Literal["json", "csv", "xlsx"]


# ``?format=csv`` and ``?format=xlsx`` answer the same columns and rows as a file
FILE_RESPONSES = {
    "responses": {
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    }
}


def _add_report(spec: ReportSpec) -> None:
    schema = spec.filters

    # (no "from __future__ import annotations" here: ninja reads this local schema at def time)
    def report(request: ApiRequest, filters: Query[schema], format: Format = "json"):  # type: ignore[valid-type]
        result = run_report(spec, request.auth, filters, everything=format != "json")
        if format != "json":
            return export(result, format, slug=spec.slug, title=spec.title)
        return result.as_dict()

    report.__name__ = spec.operation
    report.__doc__ = f"{spec.title}: {spec.description}"
    router.get(
        f"/reports/{spec.slug}",
        response={200: ReportOut, **ERRORS},
        operation_id=spec.operation,
        summary=spec.title,
        openapi_extra=FILE_RESPONSES,
    )(report)


for _spec in REPORTS.values():
    _add_report(_spec)


def _targets_for(user: Any):
    rows = SalesTarget.objects.select_related("user").order_by("month", "user__username")
    return rows if sees_all_sales_records(user) else rows.filter(user=user.pk)


@router.get("/sales-targets", response={200: list[SalesTargetOut], **ERRORS})
def list_sales_targets(request: ApiRequest, year: int | None = Query(None, ge=1, le=9999)):
    """The targets (managers: everyone's; a sales user: their own), by month."""
    rows = _targets_for(request.auth)
    if year:
        rows = rows.filter(month__year=year)
    return list(rows[:5000])


@router.post("/sales-targets", response={200: SalesTargetOut, **ERRORS})
def set_sales_target(request: ApiRequest, payload: SalesTargetIn):
    """Set the target of a sales user for a month (managers): made, or replaced when there is
    one (``version``, when given, must be the stored one)."""
    target = services.set_sales_target(
        user=payload.user,
        month=payload.month,
        amount=payload.amount,
        version=payload.version,
        by=request.auth,
    )
    return SalesTarget.objects.select_related("user").get(pk=target.pk)


@router.delete("/sales-targets/{id}", response={204: None, **ERRORS})
def delete_sales_target(request: ApiRequest, id: int):
    services.delete_sales_target(id, by=request.auth)
    return Status(204, None)
