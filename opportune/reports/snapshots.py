"""The pipeline as it stood at the end of a day (decision 0032), built from the recorded
history (django-simple-history's HistoricalOpportunity), and the rows every report reads
``as_of`` a day.

The open opportunities are kept as states over runs of days (``PipelineState``: valid from a
day, to a later one), each cut at the month's end: a month's rows are its open pipeline at its
start (a key frame, copied from the month before) and the states its changes made. The
pipeline at the end of day D is ``month = D's month AND valid_from <= D AND valid_to > D``:
that one month's rows, however long the history.

A day is built from the day before: the states of the opportunities changed that day are
closed (ended on that day) when their last state of the day differs, and that state is added
when it is open; on a month's first day the month before's states still open are copied first.
Some INSERT/UPDATE ... SELECT a day, no row through Python. Without the day before, the whole
history up to the end of the day is read once. The built days are one unbroken run: building
from a day (again) cuts the states there and drops the days after it, which are built again."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.lookups import IsNull
from django.utils import timezone

from opportune.core.schedule import company_zone
from opportune.crm.access import opportunities_visible_to, sees_all_sales_records
from opportune.crm.models import Opportunity
from opportune.reports.models import PipelineSnapshotDay, PipelineState

History: Any = Opportunity.history.model

# the columns a state copies (the opportunity's and its history's own names)
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


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def on_day(day: date) -> Q:
    """The states that held at the end of ``day``: that month's rows begun by then, not ended."""
    return Q(month=month_of(day), valid_from__lte=day, valid_to__gt=day)


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


def _insert(select: QuerySet[Any], month: date, valid_from: date, valid_to: date) -> int:
    """INSERT ... SELECT: the columns of ``select``'s rows as a state of ``month`` from
    ``valid_from`` to ``valid_to`` (parameters: SQL puts annotations last, so none is used)."""
    sql, params = select.values_list(*COLUMNS).query.sql_with_params()
    table = PipelineState._meta.db_table
    quoted = ", ".join(
        connection.ops.quote_name(c) for c in ["month", "valid_from", "valid_to", *COLUMNS]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) SELECT %s, %s, %s, picked.* FROM ({sql}) picked",
            [
                connection.ops.adapt_datefield_value(month),
                connection.ops.adapt_datefield_value(valid_from),
                connection.ops.adapt_datefield_value(valid_to),
                *params,
            ],
        )
        return max(cursor.rowcount, 0)


def _same_as_outer(rows: QuerySet[Any]) -> QuerySet[Any]:
    """``rows`` whose every column equals the outer state's (NULL equal to NULL)."""
    for column in COLUMNS:
        rows = rows.filter(
            Q(**{column: OuterRef(column)})
            | (Q(**{f"{column}__isnull": True}) & IsNull(OuterRef(column), True))
        )
    return rows


def _build(day: date, *, after_built: bool, rows_before: int) -> int:
    """Add ``day`` (the day before is built when ``after_built``); answers the number of
    opportunities open at its end."""
    month, following = month_of(day), next_month(day)
    start, end = end_of(day - timedelta(days=1)), end_of(day)
    last = state_at(end, since=start if after_built else None)
    still_open = last.filter(status__in=OPEN).exclude(history_type="-")
    count = 0
    if after_built:
        count = rows_before
        if day == month:  # a key frame: the month before's states still open at its end
            kept = PipelineState.objects.filter(month=month_of(day - timedelta(days=1)))
            count = _insert(kept.filter(valid_to=day), month, day, following)
            _analyze()  # the month's rows: the statistics of the day's statements below
        changed = History.objects.filter(history_date__gte=start, history_date__lt=end)
        current = PipelineState.objects.filter(month=month, valid_to=following)
        # a state ends when the day's last record of it differs (closed, deleted or changed)
        ended = (
            current.filter(name__in=changed.values("name"))
            .exclude(Exists(_same_as_outer(still_open.filter(name=OuterRef("name")))))
            .update(valid_to=day)
        )
        count -= ended
        # a state begun and ended on the same day held at no day's end
        PipelineState.objects.filter(month=month, valid_from=day, valid_to=day).delete()
        fresh = still_open.exclude(
            Exists(
                PipelineState.objects.filter(month=month, valid_to=following, name=OuterRef("name"))
            )
        )
    else:
        fresh = still_open
    count += _insert(fresh, month, day, following)
    PipelineSnapshotDay.objects.update_or_create(
        date=day, defaults={"rows": count, "built": timezone.now()}
    )
    return count


def _cut(start: date) -> None:
    """Forget ``start`` and the days after it, keeping the ones before: the states begun from
    then are removed and those holding at the end of the day before are open-ended again."""
    before = start - timedelta(days=1)
    PipelineState.objects.filter(month__gte=month_of(start), valid_from__gte=start).delete()
    PipelineState.objects.filter(on_day(before)).update(valid_to=next_month(before))
    PipelineSnapshotDay.objects.filter(date__gte=start).delete()


def build_days(start: date, end: date) -> int:
    """(Re)build every day from ``start`` to ``end`` in order, each from the day before; the
    days after ``end`` are dropped (the built days stay one run: the nightly job builds them
    again). Starting after the last built day starts from the day after it; starting where the
    day before is not built starts afresh from the whole history. Answers the days built."""
    last = PipelineSnapshotDay.objects.order_by("-date").values_list("date", flat=True).first()
    if last is not None and start > last + timedelta(days=1):
        start = last + timedelta(days=1)
    if start > end:
        return 0
    before = PipelineSnapshotDay.objects.filter(date=start - timedelta(days=1)).first()
    with transaction.atomic():
        if before is None:
            PipelineState.objects.all().delete()
            PipelineSnapshotDay.objects.all().delete()
        else:
            _cut(start)
    rows = before.rows if before else 0
    days = 0
    day = start
    while day <= end:
        with transaction.atomic():
            rows = _build(day, after_built=days > 0 or before is not None, rows_before=rows)
        days += 1
        if days == 1:
            _analyze()
        day += timedelta(days=1)
    return days


def _analyze() -> None:
    """PostgreSQL: fresh statistics of the states while a long build fills them (after its
    first day and each month's key frame), so a day's anti-joins are hashed, not looped as
    over a month the statistics think empty (measured at 1M: 4.6 s instead of 40 ms a day,
    and 70 s on a month's first day)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {PipelineState._meta.db_table}")


def build_day(day: date) -> int:
    """Build (or rebuild) ``day`` (the days after it are dropped); answers its open ones."""
    build_days(day, day)
    return PipelineSnapshotDay.objects.get(date=day).rows


def first_history_day() -> date | None:
    first = History.objects.order_by("history_date").values_list("history_date", flat=True)[:1]
    return timezone.localdate(first[0], timezone=company_zone()) if first else None


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
    rows = PipelineState.objects.filter(on_day(as_of))
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
