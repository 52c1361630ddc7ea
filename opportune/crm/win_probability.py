"""The model's win probability of an open opportunity, shown beside (never instead of) the
user's own ``probability``: on the API (``win_probability``, ``win_factors``), the opportunity
page and the board cards. crm does not know the model: reports registers the function that
answers the stored predictions of some opportunities (``register_win_predictions``, in its
``AppConfig.ready()``); without one, or without a model, nothing is shown (null)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple


class WinPrediction(NamedTuple):
    probability: float  # 0-100
    factors: list[dict[str, Any]]  # [{"factor": "stage Negotiation/Review", "points": 18.0}]


WinPredictions = Callable[[list[str]], Mapping[str, WinPrediction]]
_providers: list[WinPredictions] = []
CACHE = "_win_prediction"  # where a row keeps its prediction once read


def register_win_predictions(provider: WinPredictions) -> None:
    """``provider(names)``: the stored predictions of those opportunities, in one query."""
    if provider not in _providers:
        _providers.append(provider)


def attach_win_predictions(opportunities: Iterable[Any]) -> None:
    """Reads the predictions of the open ones among ``opportunities`` (one query for all) and
    keeps each on its row, where ``win_prediction_of`` finds it."""
    rows = list(opportunities)
    wanted = [o.pk for o in rows if o.status in ("Open", "Replied", "Quotation")]
    found: dict[str, WinPrediction] = {}
    if wanted:
        for provider in _providers:
            found.update(provider(wanted))
    for row in rows:
        row.__dict__[CACHE] = found.get(row.pk)


def no_win_prediction(opportunity: Any) -> None:
    """An opportunity just created: nothing has scored it yet (no query)."""
    opportunity.__dict__[CACHE] = None


def win_prediction_of(opportunity: Any) -> WinPrediction | None:
    """The prediction of one opportunity (None: closed, not scored yet, or no model)."""
    if CACHE not in opportunity.__dict__:
        attach_win_predictions([opportunity])
    prediction: WinPrediction | None = opportunity.__dict__[CACHE]
    return prediction
