"""The kanban board: one column per sales stage (or status), totals summed by the database,
a capped number of cards per column, and moves that go through the update service."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportune.activities.todos import with_next_activity
from opportune.core.errors import DomainError
from opportune.core.pages import version_of
from opportune.core.saved_views_pages import default_view_redirect
from opportune.core.templatetags.opportune import money
from opportune.crm import access, services
from opportune.crm.models import Opportunity, SalesStage
from opportune.crm.stale import with_stale_days
from opportune.crm.views.common import company_currency
from opportune.crm.views.lists import filter_options, filtered_opportunities
from opportune.crm.win_probability import attach_win_predictions, win_prediction_of

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

CARDS_PER_COLUMN = 50
NO_STAGE = "__none__"
GROUPS = {"sales_stage": "Sales stage", "status": "Status"}
MONEY_FIELD: DecimalField[Any, Decimal] = DecimalField(max_digits=30, decimal_places=6)


def _columns(group_by: str) -> list[tuple[str, str]]:
    """(key, label) of each column, in pipeline order."""
    if group_by == "status":
        return [(s, s) for s in Opportunity.Status.values]
    stages = [(s, s) for s in SalesStage.objects.values_list("pk", flat=True)]
    return [*stages, (NO_STAGE, "No stage")]


def _column_field(group_by: str) -> str:
    return "status" if group_by == "status" else "sales_stage_id"


def column_totals(rows, group_by: str) -> dict[str, dict[str, Decimal | int]]:
    """Count, amount and weighted amount (amount x probability) per column, in base currency,
    in one GROUP BY query."""
    field = _column_field(group_by)
    weighted = ExpressionWrapper(
        F("base_opportunity_amount") * F("probability") / Value(100), output_field=MONEY_FIELD
    )
    zero = Value(Decimal(0), output_field=MONEY_FIELD)
    totals = (
        rows.order_by()
        .values(field)
        .annotate(
            count=Count("pk"),
            amount=Coalesce(Sum("base_opportunity_amount", output_field=MONEY_FIELD), zero),
            weighted=Coalesce(Sum(weighted), zero),
        )
    )
    return {(row[field] or NO_STAGE): row for row in totals}


def _board_group(request: SignedInRequest) -> str:
    group = request.GET.get("group_by", "sales_stage")
    return group if group in GROUPS else "sales_stage"


def _default_status(group_by: str) -> tuple[str, ...]:
    """By stage, the board shows the live pipeline unless the filters name other statuses."""
    return tuple(Opportunity.ACTIVE_STATUSES) if group_by == "sales_stage" else ()


@login_required
def opportunity_board(request: SignedInRequest) -> HttpResponse:
    if opened := default_view_redirect(request, "opportunity-board"):
        return opened
    group_by = _board_group(request)
    rows, errors, context = filtered_opportunities(
        request, default_status=_default_status(group_by)
    )
    field = _column_field(group_by)
    totals = column_totals(rows, group_by)
    now = timezone.now()
    _company, precision = company_currency()
    columns = []
    for key, label in _columns(group_by):
        total = totals.get(key, {"count": 0, "amount": Decimal(0), "weighted": Decimal(0)})
        if key == NO_STAGE and not total["count"]:
            continue
        # One LIMITed query per non-empty column: bounded by the number of stages (a short
        # master list), not by the data, and each uses the (status, modified) index; a single
        # ROW_NUMBER() query would have to number every live opportunity at a million rows.
        lookup: dict[str, Any] = {f"{field}__isnull": True} if key == NO_STAGE else {field: key}
        in_column = rows.filter(**lookup)
        cards = (
            list(
                with_next_activity(with_stale_days(in_column, now), Opportunity.doctype)
                .select_related("currency", "opportunity_owner")
                .order_by("-modified", "-name")[:CARDS_PER_COLUMN]
            )
            if total["count"]
            else []
        )
        columns.append(
            {
                "key": key,
                "label": label,
                "cards": cards,
                "total": total,
                "more": total["count"] - len(cards),
            }
        )
    # the model's win probability of every card shown, in one query (reports' win model)
    shown: list[Any] = [card for column in columns for card in column["cards"]]  # type: ignore[union-attr]
    attach_win_predictions(shown)
    for card in shown:
        card.win = win_prediction_of(card)
    return render(
        request,
        "crm/opportunity_board.html",
        {
            **context,
            **filter_options(),
            "columns": columns,
            "errors": errors,
            "group_by": group_by,
            "groups": GROUPS,
            "company_currency": _company,
            "company_precision": precision,
            "can_write": access.can_write_opportunities(request.user),
            "no_stage": NO_STAGE,
        },
    )


@login_required
@require_POST
def opportunity_board_move(request: SignedInRequest) -> JsonResponse:
    """Move a card to a column: through update_opportunity (stage) or the status transition
    table, with the version the card was drawn with. A refusal answers the reason and the
    board puts the card back."""
    group_by = _board_group(request)
    name, target = request.POST.get("name", ""), request.POST.get("to", "")
    try:
        opportunity = access.get_opportunity_for(request.user, name, write=True)
        if group_by == "status":
            saved = services.set_opportunity_status(
                opportunity, status=target, version=version_of(request), by=request.user
            )
        else:
            stage = None if target == NO_STAGE else target
            saved = services.update_opportunity(
                opportunity,
                data={"sales_stage": stage},
                version=version_of(request),
                by=request.user,
            )
    except DomainError as exc:
        # 200 with ok=false: the browser logs no error for a refusal the board expects.
        return JsonResponse({"ok": False, "code": exc.code, "message": exc.message})
    rows, _errors, _context = filtered_opportunities(
        request, default_status=_default_status(group_by)
    )
    _company, precision = company_currency()
    totals = column_totals(rows, group_by)
    return JsonResponse(
        {
            "ok": True,
            "name": saved.name,
            "version": saved.version,
            "probability": f"{saved.probability.normalize():f}",
            "message": f"{saved.name} moved to {target if target != NO_STAGE else 'no stage'}.",
            "columns": {
                key: {
                    "count": t["count"],
                    "amount": money(t["amount"], precision),
                    "weighted": money(t["weighted"], precision),
                }
                for key, t in totals.items()
            },
        }
    )
