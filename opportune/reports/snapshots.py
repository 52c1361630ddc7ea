"""The pipeline as it stood at the end of a day (decision 0032): daily snapshots of the open
opportunities, built from the recorded history (django-simple-history's HistoricalOpportunity),
and the rows every report reads ``as_of`` a day.

A day's snapshot is the day before's, less the opportunities changed that day, plus the last
state of each of them that day when it is still open: two INSERT ... SELECT, no row through
Python. Without the day before, the whole history up to the end of the day is read once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import DateField as DateValue
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from opportune.core.schedule import company_zone
from opportune.crm.access import opportunities_visible_to, sees_all_sales_records
from opportune.crm.models import Opportunity
from opportune.reports.models import PipelineSnapshot, PipelineSnapshotDay

History: Any = Opportunity.history.model

# the columns a snapshot copies (the opportunity's and its history's own names)
COLUMNS = [
    "name",
    "status",
    "sales_stage_id",
    "base_opportunity_amount",
    "probability",
    "expected_closing",
    "transaction_date",
    "opportunity_owner_id",
    "territory_id",
    "source_id",
    "opportunity_type_id",
]
OPEN = [str(s) for s in Opportunity.ACTIVE_STATUSES]


def end_of(day: date) -> datetime:
    """The first instant after ``day`` in the company's time zone (CRM Settings)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=company_zone())


def company_today() -> date:
    return timezone.localdate(timezone=company_zone())


def state_at(moment: datetime, *, since: datetime | None = None) -> QuerySet[Any]:
    """The last history record of each opportunity before ``moment`` (only those recorded
    from ``since`` on, when given): one row per opportunity, its state at that moment."""
    rows = History.objects.filter(history_date__lt=moment)
    later = History.objects.filter(name=OuterRef("name"), history_date__lt=moment).filter(
        Q(history_date__gt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__gt=OuterRef("history_id"))
    )
    if since is not None:
        rows = rows.filter(history_date__gte=since)
        later = later.filter(history_date__gte=since)
    return rows.exclude(Exists(later)).order_by()


def _insert(select: QuerySet[Any]) -> int:
    """INSERT ... SELECT: the columns, then the day (an annotation: SQL puts it last)."""
    sql, params = select.query.sql_with_params()
    table = PipelineSnapshot._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in [*COLUMNS, "date"])
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({quoted}) {sql}", params)
        return max(cursor.rowcount, 0)


def build_day(day: date) -> int:
    """Build (or rebuild) the snapshot of ``day``; answers its number of rows."""
    day_value = Value(day, output_field=DateValue())
    with transaction.atomic():
        PipelineSnapshot.objects.filter(date=day).delete()
        previous = day - timedelta(days=1)
        start, end = end_of(previous), end_of(day)
        if PipelineSnapshotDay.objects.filter(date=previous).exists():
            changed = History.objects.filter(history_date__gte=start, history_date__lt=end)
            kept = (
                PipelineSnapshot.objects.filter(date=previous)
                .exclude(name__in=changed.values("name"))
                .annotate(_day=day_value)
                .values_list(*COLUMNS, "_day")
            )
            count = _insert(kept)
            last = state_at(end, since=start)
        else:
            count = 0
            last = state_at(end)
        fresh = (
            last.filter(status__in=OPEN)
            .exclude(history_type="-")
            .annotate(_day=day_value)
            .values_list(*COLUMNS, "_day")
        )
        count += _insert(fresh)
        count = PipelineSnapshot.objects.filter(date=day).count()
        PipelineSnapshotDay.objects.update_or_create(
            date=day, defaults={"rows": count, "built": timezone.now()}
        )
    return count


def first_history_day() -> date | None:
    first = History.objects.order_by("history_date").values_list("history_date", flat=True)[:1]
    return timezone.localdate(first[0], timezone=company_zone()) if first else None


def build_days(start: date, end: date) -> int:
    """Build every day from ``start`` to ``end`` in order (each from the day before)."""
    days = 0
    day = start
    while day <= end:
        build_day(day)
        days += 1
        day += timedelta(days=1)
    return days


def keep_snapshots(*, today: date | None = None) -> int:
    """The nightly job's work: every day not built yet up to yesterday (from the last built day,
    else from the first recorded history); answers how many days were built."""
    yesterday = (today or company_today()) - timedelta(days=1)
    last = PipelineSnapshotDay.objects.order_by("-date").values_list("date", flat=True).first()
    start = last + timedelta(days=1) if last else first_history_day()
    if start is None or start > yesterday:
        return 0
    return build_days(start, yesterday)


# --- what the reports read ------------------------------------------------------------------
def is_past(day: date | None) -> bool:
    return day is not None and day < company_today()


def unkept_days(days: list[date]) -> list[date]:
    """Those of ``days`` before today whose snapshot is not built (one query, none if no past
    day is asked)."""
    past = {d for d in days if is_past(d)}
    if not past:
        return []
    built = set(PipelineSnapshotDay.objects.filter(date__in=past).values_list("date", flat=True))
    return sorted(past - built)


def opportunity_rows(user: Any, as_of: date | None) -> QuerySet[Any]:
    """The opportunities a report reads, with the opportunity's column names: today's (every
    status) or, ``as_of`` a past day, the open ones as they stood at its end (the user sees
    those they may see today: decision 0008's rules, read now)."""
    if as_of is None or not is_past(as_of):
        return opportunities_visible_to(user)
    rows = PipelineSnapshot.objects.filter(date=as_of)
    if not sees_all_sales_records(user):
        rows = rows.filter(name__in=opportunities_visible_to(user).order_by().values("name"))
    return rows


def pipeline_at(user: Any, day: date) -> QuerySet[Any]:
    """The open pipeline at the end of ``day`` (today: as it is now)."""
    rows = opportunity_rows(user, day)
    if not is_past(day):
        rows = rows.filter(status__in=OPEN)
    return rows.order_by()


def weighted(prefix: str = "") -> Any:
    return F(prefix + "base_opportunity_amount") * F(prefix + "probability") / 100
