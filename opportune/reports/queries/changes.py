"""What moved in the pipeline between two days (issue 15): the open opportunities at the end of
``from_date`` against those at the end of ``to_date`` (reports.snapshots: a past day's snapshot,
today as it is), each opportunity classified, and the weighted pipeline's walk from the first day
to the second as a waterfall.

- Came in: **new** (no record of it by the end of the first day), **reopened** (it existed,
  closed, and is open again).
- Went out: **won** (Converted at the end of the second day), **lost**, **closed** (closed by
  hand or deleted).
- Still open on both days: **moved forward** / **moved back** (a later or earlier sales stage),
  **probability changed** (same stage), **amount up** / **amount down**, and **slipped** (its
  expected closing was by the end of the period and is now after it). One opportunity may be in
  several of these.

The walk adds up: for an opportunity open on both days, weighted(B) - weighted(A) =
(amount B - amount A) x probability A (the amount bars) + amount B x (probability B -
probability A) (the stage and probability bars). Slipped changes no total: its row says how much
moved out of the period, it has no bar. Amounts are company currency; weighted = amount x
probability / 100. ``bucket=`` lists the opportunities behind one row (every bar links to it)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from opportune.crm.models import Opportunity, SalesStage
from opportune.reports.filters import PipelineChangesFilters
from opportune.reports.queries.base import (
    MONEY,
    Chart,
    Column,
    Report,
    currency,
    money,
    summary_item,
    usernames,
)
from opportune.reports.snapshots import History, end_of, is_past, pipeline_at

MAX_ROWS = 1000
PCT: DecimalField[Any, Any] = DecimalField(max_digits=5, decimal_places=2)
ZERO = Value(Decimal(0), output_field=MONEY)


def _money(expression: Any) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=MONEY)


A_W = _money(F("a_amount") * F("a_prob") / 100)
B_W = _money(F("b_amount") * F("b_prob") / 100)
MOVE = _money(F("b_amount") * (F("b_prob") - F("a_prob")) / 100)
AMOUNT = _money((F("b_amount") - F("a_amount")) * F("a_prob") / 100)


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    side: str  # "in" (open only on the second day), "out" (only on the first), "both"
    when: Q
    amount: Any  # the amount the row sums (company currency)
    change: Any  # its change to the weighted pipeline (None: no bar)


BUCKETS = [
    Bucket("new", "New", "in", Q(existed=False), F("b_amount"), B_W),
    Bucket("reopened", "Reopened", "in", Q(existed=True), F("b_amount"), B_W),
    Bucket("won", "Won", "out", Q(b_status="Converted"), F("a_amount"), -A_W),
    Bucket("lost", "Lost", "out", Q(b_status="Lost"), F("a_amount"), -A_W),
    Bucket(
        "closed",
        "Closed or deleted",
        "out",
        ~Q(b_status__in=["Converted", "Lost"]) | Q(b_status__isnull=True),
        F("a_amount"),
        -A_W,
    ),
    Bucket("moved_forward", "Moved forward", "both", Q(b_idx__gt=F("a_idx")), F("b_amount"), MOVE),
    Bucket("moved_back", "Moved back", "both", Q(b_idx__lt=F("a_idx")), F("b_amount"), MOVE),
    Bucket(
        "probability_changed",
        "Probability changed (same stage)",
        "both",
        Q(b_idx=F("a_idx")) & ~Q(b_prob=F("a_prob")),
        F("b_amount"),
        MOVE,
    ),
    Bucket(
        "amount_up",
        "Amount increased",
        "both",
        Q(b_amount__gt=F("a_amount")),
        _money(F("b_amount") - F("a_amount")),
        AMOUNT,
    ),
    Bucket(
        "amount_down",
        "Amount decreased",
        "both",
        Q(b_amount__lt=F("a_amount")),
        _money(F("b_amount") - F("a_amount")),
        AMOUNT,
    ),
    Bucket("slipped", "Slipped past the period", "both", Q(slipped=True), F("b_amount"), None),
]
BUCKET_KEYS = [b.key for b in BUCKETS]


def _stage_idx(column: str) -> Coalesce:
    return Coalesce(
        Subquery(SalesStage.objects.filter(name=OuterRef(column)).values("idx")[:1]),
        Value(-1),
        output_field=IntegerField(),
    )


def _nothing(field: Any) -> Value:
    return Value(None, output_field=field)


def sides(user: Any, f: PipelineChangesFilters) -> dict[str, QuerySet[Any]]:
    """The three sets, each row annotated alike (``a_*`` the first day, ``b_*`` the second)."""
    start, end = f.span()
    first, second = pipeline_at(user, start), pipeline_at(user, end)

    def of_first(column: str) -> Subquery:
        return Subquery(first.filter(name=OuterRef("name")).values(column)[:1])

    came_in = second.exclude(name__in=first.values("name")).annotate(
        a_stage=_nothing(CharField()),
        a_amount=_nothing(MONEY),
        a_prob=_nothing(PCT),
        a_closing=_nothing(DateField()),
        b_stage=F("sales_stage_id"),
        b_amount=F("base_opportunity_amount"),
        b_prob=F("probability"),
        b_closing=F("expected_closing"),
        b_status=F("status"),
        existed=Exists(
            History.objects.filter(name=OuterRef("name"), history_date__lt=end_of(start))
        ),
    )
    if is_past(end):
        later = History.objects.filter(
            name=OuterRef("name"), history_date__lt=end_of(end)
        ).order_by("-history_date", "-history_id")
        went_out = first.exclude(name__in=second.values("name")).annotate(
            _status=Subquery(later.values("status")[:1]),
            _type=Subquery(later.values("history_type")[:1]),
            b_status=Case(When(_type="-", then=Value(None)), default=F("_status")),
        )
    else:  # today: as it is (a deleted one has no row)
        now = Opportunity.objects.filter(name=OuterRef("name")).values("status")[:1]
        went_out = first.exclude(name__in=second.values("name")).annotate(b_status=Subquery(now))
    went_out = went_out.annotate(
        a_stage=F("sales_stage_id"),
        a_amount=F("base_opportunity_amount"),
        a_prob=F("probability"),
        a_closing=F("expected_closing"),
        b_stage=_nothing(CharField()),
        b_amount=_nothing(MONEY),
        b_prob=_nothing(PCT),
        b_closing=_nothing(DateField()),
    )
    stayed = second.filter(name__in=first.values("name")).annotate(
        a_stage=of_first("sales_stage_id"),
        a_amount=of_first("base_opportunity_amount"),
        a_prob=of_first("probability"),
        a_closing=of_first("expected_closing"),
        b_stage=F("sales_stage_id"),
        b_amount=F("base_opportunity_amount"),
        b_prob=F("probability"),
        b_closing=F("expected_closing"),
        b_status=F("status"),
    )
    stayed = stayed.annotate(
        a_idx=_stage_idx("a_stage"),
        b_idx=_stage_idx("b_stage"),
        slipped=ExpressionWrapper(
            Q(a_closing__lte=end, b_closing__gt=end), output_field=BooleanField()
        ),
    )
    return {"in": came_in, "out": went_out, "both": stayed}


def _totals(user: Any, f: PipelineChangesFilters) -> tuple[Decimal, Decimal]:
    start, end = f.span()
    w = _money(F("base_opportunity_amount") * F("probability") / 100)
    return tuple(
        pipeline_at(user, day).aggregate(w=Coalesce(Sum(w), ZERO))["w"] for day in (start, end)
    )


def bucket_figures(user: Any, f: PipelineChangesFilters) -> dict[str, dict[str, Any]]:
    """{bucket: {"count", "amount", "change"}}: one aggregate per side."""
    out: dict[str, dict[str, Any]] = {}
    for side, rows in sides(user, f).items():
        wanted: dict[str, Any] = {}
        for b in (b for b in BUCKETS if b.side == side):
            wanted[f"{b.key}__count"] = Count("name", filter=b.when)
            wanted[f"{b.key}__amount"] = Coalesce(Sum(b.amount, filter=b.when), ZERO)
            if b.change is not None:
                wanted[f"{b.key}__change"] = Coalesce(Sum(b.change, filter=b.when), ZERO)
        got = rows.aggregate(**wanted)
        for b in (b for b in BUCKETS if b.side == side):
            out[b.key] = {
                "count": got[f"{b.key}__count"],
                "amount": got[f"{b.key}__amount"],
                "change": got.get(f"{b.key}__change"),
            }
    return out


SUMMARY_COLUMNS = [
    Column("change_type", "Change", "Data"),
    Column("count", "Opportunities", "Int"),
    Column("amount", "Amount", "Currency"),
    Column("weighted_change", "Change to the weighted pipeline", "Currency"),
    Column("bucket", "Key", "Data"),
]
LIST_COLUMNS = [
    Column("name", "Opportunity", "Link"),
    Column("title", "Title", "Data"),
    Column("opportunity_owner", "Owner", "Link"),
    Column("stage_from", "Stage before", "Link"),
    Column("stage_to", "Stage after", "Link"),
    Column("status_to", "Status after", "Data"),
    Column("amount_from", "Amount before", "Currency"),
    Column("amount_to", "Amount after", "Currency"),
    Column("probability_from", "Probability before", "Percent"),
    Column("probability_to", "Probability after", "Percent"),
    Column("closing_from", "Expected closing before", "Date"),
    Column("closing_to", "Expected closing after", "Date"),
    Column("weighted_change", "Change to the weighted pipeline", "Currency"),
]


def _listing(
    user: Any, f: PipelineChangesFilters, bucket: Bucket, limit: int | None, precision: int
) -> list[dict[str, Any]]:
    rows = sides(user, f)[bucket.side].filter(bucket.when)
    change = bucket.change if bucket.change is not None else ZERO
    fields = ["name", "opportunity_owner_id", "a_stage", "a_amount", "a_prob", "a_closing"]
    fields += ["b_stage", "b_amount", "b_prob", "b_closing", "b_status", "_change"]
    title = Opportunity.objects.filter(name=OuterRef("name")).values("title")[:1]
    fields.append("_title")
    picked = rows.annotate(_change=change, _title=Subquery(title)).order_by("name").values(*fields)
    if limit is not None:
        picked = picked[:limit]
    found = list(picked)
    names = usernames(r["opportunity_owner_id"] for r in found)

    def cash(value: Any) -> Decimal | None:
        return None if value is None else money(value, precision)

    return [
        {
            "name": r["name"],
            "title": r["_title"] or "",
            "opportunity_owner": names.get(r["opportunity_owner_id"], ""),
            "stage_from": r["a_stage"] or "",
            "stage_to": r["b_stage"] or "",
            "status_to": r["b_status"] or ("Deleted" if bucket.side == "out" else ""),
            "amount_from": cash(r["a_amount"]),
            "amount_to": cash(r["b_amount"]),
            "probability_from": r["a_prob"],
            "probability_to": r["b_prob"],
            "closing_from": r["a_closing"],
            "closing_to": r["b_closing"],
            "weighted_change": cash(r["_change"]),
        }
        for r in found
    ]


def changes_report(user: Any, f: PipelineChangesFilters, *, limit: int | None = MAX_ROWS) -> Report:
    start, end = f.span()
    _, precision = currency()
    before, after = _totals(user, f)
    figures = bucket_figures(user, f)
    labels = [f"Weighted pipeline {start.isoformat()}"]
    values = [float(money(before, precision))]
    keys: list[str | None] = [None]
    rows = []
    for b in BUCKETS:
        got = figures[b.key]
        change = None if got["change"] is None else money(got["change"], precision)
        rows.append(
            {
                "change_type": b.label,
                "count": got["count"],
                "amount": money(got["amount"], precision),
                "weighted_change": change,
                "bucket": b.key,
            }
        )
        if change is not None:
            labels.append(b.label)
            values.append(float(change))
            keys.append(b.key)
    labels.append(f"Weighted pipeline {end.isoformat()}")
    values.append(float(money(after, precision)))
    keys.append(None)
    chart = Chart("waterfall", labels, [{"name": "Weighted pipeline", "values": values}])
    summary = [
        summary_item(
            f"Weighted pipeline {start.isoformat()}", money(before, precision), "Currency"
        ),
        summary_item(f"Weighted pipeline {end.isoformat()}", money(after, precision), "Currency"),
        summary_item("Change", money(after - before, precision), "Currency"),
    ]
    if f.bucket:
        bucket = next(b for b in BUCKETS if b.key == f.bucket)
        listed = _listing(user, f, bucket, limit, precision)
        return Report(LIST_COLUMNS, listed, chart, summary, drill="bucket", drill_keys=keys)
    return Report(SUMMARY_COLUMNS, rows, chart, summary, drill="bucket", drill_keys=keys)
