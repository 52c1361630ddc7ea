"""The model's win probability of an open opportunity, shown beside (never instead of) the
user's own ``probability``: on the API (``win_probability``, ``win_factors``), the opportunity
page and the board cards. crm does not know the model: reports registers the function that
answers the stored predictions of some opportunities (``register_win_predictions``, in its
``AppConfig.ready()``); without one, or without a model, nothing is shown (null)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from opportune.crm.models import Opportunity


class WinPrediction(NamedTuple):
    probability: float  # 0-100
    factors: list[dict[str, Any]]  # [{"factor": "stage Negotiation/Review", "points": 18.0}]


WinPredictions = Callable[[list[str]], Mapping[str, WinPrediction]]
_providers: list[WinPredictions] = []
CACHE = "_win_prediction"  # where a row keeps its prediction once read
# A lean list reads the prediction with its rows (core.schemas.selects): these columns, made
# by the registered ``columns(field)`` (a subquery on the row's key, for "win_probability"
# and "win_factors"); a row that has them needs no query of its own.
PROBABILITY_COLUMN = "lean_win_probability"
FACTORS_COLUMN = "lean_win_factors"
_columns: list[Callable[[str], Any]] = []


def register_win_predictions(
    provider: WinPredictions, columns: Callable[[str], Any] | None = None
) -> None:
    """``provider(names)``: the stored predictions of those opportunities, in one query.
    ``columns(field)``: an expression giving the stored prediction's ``field``
    ("win_probability", "win_factors") of the opportunity of the query's row, or NULL."""
    if provider not in _providers:
        _providers.append(provider)
    if columns is not None and columns not in _columns:
        _columns.append(columns)


def _column(field: str) -> Any:
    return _columns[0](field) if _columns else None


def probability_column() -> Any:
    """The prediction's probability, read with a list's rows (None: no model registered)."""
    return _column("win_probability")


def factors_column() -> Any:
    """The prediction's factors, read with a list's rows (None: no model registered)."""
    return _column("win_factors")


def attach_win_predictions(opportunities: Iterable[Any]) -> None:
    """Keeps on each of ``opportunities`` its prediction (None unless open), where
    ``win_prediction_of`` finds it: from the columns read with the row when it has them, else
    read for all the open ones in one query."""
    rows = list(opportunities)
    unread = [o for o in rows if PROBABILITY_COLUMN not in o.__dict__]
    wanted = [o.pk for o in unread if o.status in Opportunity.ACTIVE_STATUSES]
    found: dict[str, WinPrediction] = {}
    if wanted:
        for provider in _providers:
            found.update(provider(wanted))
    for row in unread:
        row.__dict__[CACHE] = found.get(row.pk)
    for row in rows:
        if CACHE not in row.__dict__:  # read with the row
            probability = row.__dict__[PROBABILITY_COLUMN]
            factors = row.__dict__.get(FACTORS_COLUMN) or []
            shown = probability is not None and row.status in Opportunity.ACTIVE_STATUSES
            row.__dict__[CACHE] = WinPrediction(probability, factors) if shown else None


def no_win_prediction(opportunity: Any) -> None:
    """An opportunity just created: nothing has scored it yet (no query)."""
    opportunity.__dict__[CACHE] = None


def win_prediction_of(opportunity: Any) -> WinPrediction | None:
    """The prediction of one opportunity (None: closed, not scored yet, or no model)."""
    if CACHE not in opportunity.__dict__:
        attach_win_predictions([opportunity])
    prediction: WinPrediction | None = opportunity.__dict__[CACHE]
    return prediction
