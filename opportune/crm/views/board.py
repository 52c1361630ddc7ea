"""The kanban board: one column per sales stage (or status), totals summed by the database,
a capped number of cards per column, and moves that go through the update service."""

from __future__ import annotations

import functools
import html
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import CharField, Count, DecimalField, ExpressionWrapper, F, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.defaultfilters import floatformat, pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from opportune.activities import todos
from opportune.activities.templatetags.activity_tags import (
    quick_plan_form_html,
    quick_plan_summary_html,
    state_badge_html,
)
from opportune.activities.todos import with_next_activity
from opportune.core.errors import DomainError
from opportune.core.pages import read_filters, version_of
from opportune.core.saved_views_pages import default_view_redirect
from opportune.core.templatetags.opportune import money, percent, tone
from opportune.crm import access, services
from opportune.crm.filters import OpportunityFilters
from opportune.crm.models import Opportunity, SalesStage
from opportune.crm.stage_totals import stage_totals
from opportune.crm.stale import with_stale_days
from opportune.crm.views.common import company_currency
from opportune.crm.views.lists import filter_options, filtered_opportunities
from opportune.crm.win_probability import attach_win_predictions, win_prediction_of

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

CARDS_PER_COLUMN = 50
URL_SAFE = "!$&'()*+,;=/~:@"  # what reverse() leaves unquoted in a path argument
NO_STAGE = "__none__"
GROUPS = {"sales_stage": "Sales stage", "status": "Status"}
MONEY_FIELD: DecimalField[Any, Decimal] = DecimalField(max_digits=30, decimal_places=6)


def _columns(group_by: str, stages: list[str] | None = None) -> list[tuple[str, str]]:
    """(key, label) of each column, in pipeline order (``stages``: the stages' names, when the
    caller read them already)."""
    if group_by == "status":
        return [(s, s) for s in Opportunity.Status.values]
    if stages is None:
        stages = list(SalesStage.objects.values_list("pk", flat=True))
    return [*((s, s) for s in stages), (NO_STAGE, "No stage")]


def _column_field(group_by: str) -> str:
    return "status" if group_by == "status" else "sales_stage_id"


def column_totals(rows, group_by: str) -> dict[str, dict[str, Decimal | int]]:
    """Count, amount and weighted amount (amount x probability) per column, in base currency,
    in one GROUP BY query."""
    field = _column_field(group_by)
    # x 0.01, not / 100: on SQLite two whole numbers divide as integers (999 x 33 / 100 = 329)
    weighted = ExpressionWrapper(
        F("base_opportunity_amount") * F("probability") * Value(Decimal("0.01")),
        output_field=MONEY_FIELD,
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


def summary_statuses(request: SignedInRequest, group_by: str) -> list[str] | None:
    """The statuses the board shows when the summary (crm.stage_totals, decision 0034) can
    answer its column totals: the user sees every opportunity and filters on nothing but the
    status. None: the totals are summed over the filtered, visible rows (a rep's board, a board
    filtered by owner, a search)."""
    if not access.sees_every_opportunity(request.user) or request.GET.get("q", "").strip():
        return None
    query = request.GET.copy()
    default = _default_status(group_by)
    if default and not any(v.strip() for v in query.getlist("status")):
        query.setlist("status", list(default))
    filters, errors = read_filters(OpportunityFilters, query)
    chosen = {key: value for key, value in filters.model_dump().items() if value is not None}
    statuses = chosen.pop("status", None)
    if chosen or errors:
        return None
    return list(statuses) if statuses else list(Opportunity.Status.values)


def board_totals(request: SignedInRequest, rows, group_by: str) -> dict[str, dict[str, Any]]:
    """The columns' count, amount and weighted amount: from the summary for a user who sees
    everything (the same figures, read from a few dozen rows), else summed over ``rows``."""
    statuses = summary_statuses(request, group_by)
    if statuses is None:
        return column_totals(rows, group_by)
    by = "status" if group_by == "status" else "sales_stage"
    return {(key or NO_STAGE): total for key, total in stage_totals(statuses, by).items()}


# what a card shows, read as plain values (no model instances: a board reads a few hundred)
CARD_VALUES = (
    "name",
    "version",
    "modified",
    "title",
    "status",
    "sales_stage_id",
    "probability",
    "currency_id",
    "opportunity_amount",
    "opportunity_owner_id",
    "stale_days",
    "next_activity_due",
    "currency_precision",
    "owner_username",
)


class Card:
    """One card's values, as attributes (``pk`` too, for the win predictions)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    @property
    def pk(self) -> str:
        return str(self.__dict__["name"])


def column_cards(rows, group_by: str, keys: list[str], now: Any) -> dict[str, list[Card]]:
    """The first CARDS_PER_COLUMN cards of each column in ``keys`` (in ``rows``: the filtered,
    visible opportunities), newest first, in one query. Each column is still read in index
    order (opp_board_cards by stage, opp_status_modified by status), never by numbering every
    live row: on PostgreSQL a LATERAL join runs the column's LIMITed query once per key (one
    plan for all); elsewhere a UNION ALL of the columns' LIMITed queries. Cards without a stage
    (IS NULL, not an equality) are one more branch of the UNION."""
    field = _column_field(group_by)
    cards = (
        with_next_activity(with_stale_days(rows, now), Opportunity.doctype)
        # joined columns as plain values
        .annotate(
            currency_precision=F("currency__precision"),
            owner_username=F("opportunity_owner__username"),
        )
        .order_by("-modified", "-name")
    )
    keyed = [key for key in keys if key != NO_STAGE]
    branches: list[tuple[str, list[Any]]] = []
    compiler = None
    try:
        if keyed and connection.vendor == "postgresql":
            column = RawSQL('"board_column"."key"', (), output_field=CharField())
            compiler, sql, params = _compiled(cards.filter(**{field: column}))
            values = ", ".join(["(%s, %s)"] * len(keyed))
            branches.append(
                (
                    f"SELECT board_column.n AS board_n, c.* FROM (VALUES {values})"
                    f" AS board_column(n, key) CROSS JOIN LATERAL ({sql}) AS c",
                    [*(v for n, key in enumerate(keyed) for v in (n, key)), *params],
                )
            )
        else:
            for n, key in enumerate(keyed):
                compiler, sql, params = _compiled(cards.filter(**{field: key}))
                branches.append((f"SELECT %s AS board_n, c.* FROM ({sql}) AS c", [n, *params]))
        if NO_STAGE in keys:
            compiler, sql, params = _compiled(cards.filter(**{f"{field}__isnull": True}))
            branches.append((f"SELECT %s AS board_n, c.* FROM ({sql}) AS c", [len(keyed), *params]))
    except EmptyResultSet:  # rows that can hold nothing (none())
        return {}
    if compiler is None:
        return {}
    union = " UNION ALL ".join(sql for sql, _params in branches)
    converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
    found: dict[str, list[Card]] = {key: [] for key in keys}
    order = [*keyed, NO_STAGE]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM ({union}) AS board ORDER BY board_n, modified DESC, name DESC",
            [param for _sql, params in branches for param in params],
        )
        rows_read = cursor.fetchall()
    for row in rows_read:
        values = row[1:]
        if converters:
            values = next(iter(compiler.apply_converters([values], converters)))
        found[order[row[0]]].append(Card(dict(zip(CARD_VALUES, values, strict=True))))
    return found


def _compiled(rows) -> tuple[Any, str, list[Any]]:
    """A card query's compiler (its converters read the values) and its SQL."""
    query = rows.values_list(*CARD_VALUES)[:CARDS_PER_COLUMN].query
    compiler = query.get_compiler(rows.db)
    sql, params = compiler.as_sql()
    return compiler, sql, list(params)


@login_required
def opportunity_board(request: SignedInRequest) -> HttpResponse:
    if opened := default_view_redirect(request, "opportunity-board"):
        return opened
    group_by = _board_group(request)
    rows, errors, context = filtered_opportunities(
        request, default_status=_default_status(group_by)
    )
    totals = board_totals(request, rows, group_by)
    now = timezone.now()
    _company, precision = company_currency()
    options = filter_options()  # the stages among them: read once for the filters and columns
    columns: list[dict[str, Any]] = []
    for key, label in _columns(group_by, options["stages"]):
        total = totals.get(key, {"count": 0, "amount": Decimal(0), "weighted": Decimal(0)})
        if key != NO_STAGE or total["count"]:
            columns.append({"key": key, "label": label, "total": total})
    # the cards of every non-empty column, in one query
    cards = column_cards(rows, group_by, [c["key"] for c in columns if c["total"]["count"]], now)
    for column in columns:
        column["cards"] = cards.get(column["key"], [])
        column["more"] = column["total"]["count"] - len(column["cards"])
    # the model's win probability of every card shown, in one query (reports' win model)
    attach_win_predictions([card for column in columns for card in column["cards"]])
    can_write = access.can_write_opportunities(request.user)
    draw = CardDrawer(request, group_by=group_by, can_write=can_write)
    for column in columns:
        column["cards_html"] = draw.cards(column["cards"])
    return render(
        request,
        "crm/opportunity_board.html",
        {
            **context,
            **options,
            "columns": columns,
            "errors": errors,
            "group_by": group_by,
            "groups": GROUPS,
            "company_currency": _company,
            "company_precision": precision,
            "can_write": can_write,
            "no_stage": NO_STAGE,
            "plan_form": draw.plan_form,
        },
    )


@functools.lru_cache(maxsize=4096)
def _escape(value: Any) -> str:
    """Django's escape (the same five characters, by html.escape) without its lazy-string
    wrapper, remembered: a board escapes the same statuses, currencies and owners 400 times."""
    return html.escape(str(value))


class CardDrawer:
    """The cards' HTML, built in Python: 50 cards a column, a few hundred a board, where a
    template per card cost more than every query of the page (docs/performance.md, "The board
    at 1M"). What each card shows is what the template showed; every value is escaped."""

    NAME = "__opportune_card_name__"  # where a card's name goes in the parts drawn once

    def __init__(self, request: SignedInRequest, *, group_by: str, can_write: bool) -> None:
        self.group_by = group_by
        self.can_write = can_write
        self.today = todos.today_for(request.user)
        self.detail_url = reverse("crm:opportunity_detail", args=[self.NAME])
        kind = "status" if group_by == "status" else "stage"
        self.badges: dict[Any, str] = {}  # the activity badge of each due date (most: none)
        self.move = (
            '<button type="button" class="kcard-move" data-move hidden'
            f' aria-label="Move {self.NAME} to another {kind}">Move</button>'
            if can_write
            else ""
        )
        # the quick plan menu is the same on every card but for the name: its opening drawn
        # once, its form once a page (the template's <template>, filled by board.js on opening)
        self.plan = (
            f"{quick_plan_summary_html(self.NAME, hidden=True)}</details>" if can_write else ""
        )
        self.plan_form = (
            quick_plan_form_html(
                Opportunity.doctype,
                "",
                request.get_full_path(),
                get_token(request),
                reverse("activities:activity_plan"),
            )
            if can_write
            else ""
        )

    def cards(self, cards: list[Any]) -> SafeString:
        return mark_safe("".join(self.card(card) for card in cards))  # each value escaped

    def badge(self, due: Any) -> str:
        if due not in self.badges:
            self.badges[due] = str(state_badge_html(due, self.today))
        return self.badges[due]

    def card(self, opp: Any) -> str:
        name = html.escape(opp.name)
        stale = ""
        if opp.stale_days is not None:
            days = int(opp.stale_days)
            stale = (
                f' <span class="badge badge-stale" title="Not changed for {days} day'
                f'{pluralize(days)}: longer than its stage allows">Stale {days} d</span>'
            )
        if self.group_by == "status":
            place = f"<span>{_escape(opp.sales_stage_id or 'no stage')}</span>"
        else:
            status = _escape(opp.status)
            place = f'<span class="badge badge-{_escape(tone(opp.status))}">{status}</span>'
        win = win_prediction_of(opp)
        model = ""
        if win:
            factors = "; ".join(
                f"{f['factor']}: {'+' if f['points'] >= 0 else ''}{f['points']} points"
                for f in win.factors
            )
            model = (
                f" · <span data-win-probability title=\"The model's win probability: "
                f'{html.escape(factors)}">model {floatformat(win.probability, 0)}%</span>'
            )
        owner = f" · {_escape(opp.owner_username)}" if opp.opportunity_owner_id else ""
        url = self.detail_url.replace(self.NAME, html.escape(quote(opp.name, safe=URL_SAFE)))
        amount = money(opp.opportunity_amount, opp.currency_precision)
        return (
            f'<li class="kcard" data-name="{name}" data-version="{int(opp.version)}">'
            f'<div class="kcard-head"><a class="kcard-title" href="{url}">'
            f"{html.escape(opp.title or opp.name)}</a>{self.move.replace(self.NAME, name)}</div>"
            f'<div class="kcard-meta"><span>{name}{stale}</span><span class="num">'
            f"{_escape(opp.currency_id)} {html.escape(amount)}</span></div>"
            f'<div class="kcard-meta">{place}<span><span data-probability>'
            f"{_escape(percent(opp.probability))}</span>{model}{owner}</span></div>"
            f'<div class="kcard-meta">{self.badge(opp.next_activity_due)}'
            f"{self.plan.replace(self.NAME, name)}</div></li>"
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
    totals = board_totals(request, rows, group_by)
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
