"""Train the model, score the open opportunities, read the predictions. The weekly job
(reports.tasks) trains and rescores everything; a job every quarter of an hour rescores the open
opportunities changed since (a new stage is seen within minutes, not a week later)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import OuterRef, Subquery

from opportune.core.statements import fetch
from opportune.crm.models import Opportunity
from opportune.crm.win_probability import WinPrediction as Shown
from opportune.reports.models import WinModel, WinPrediction
from opportune.reports.win_model import encoding as enc
from opportune.reports.win_model.features import CLOSED, OPEN, Features, features_of
from opportune.reports.win_model.training import fit

MIN_CLOSED = 200
WRITE_CHUNK = 2000


def too_few_message(closed: int) -> str:
    return (
        f"The win probability needs at least {MIN_CLOSED} closed opportunities (won: Converted; "
        f"lost: Lost or Closed) to learn from; there are {closed}. It predicts nothing until then."
    )


def latest_model() -> WinModel | None:
    return WinModel.objects.order_by("-trained_at", "-pk").first()


def closed_count() -> int:
    return Opportunity.objects.filter(status__in=CLOSED).count()


def train_win_model(*, now: datetime) -> WinModel | None:
    """Learn from every closed opportunity and rescore every open one; None (and nothing
    changed) while there are fewer than MIN_CLOSED closed ones or they are all of one outcome."""
    closed = Features.concat(list(features_of(statuses=CLOSED, now=now)))
    won = int(closed.won.sum())
    if len(closed.names) < MIN_CLOSED or won < 2 or len(closed.names) - won < 2:
        return None
    result = fit(closed)
    with transaction.atomic():
        model = WinModel.objects.create(trained_at=now, n_closed=len(closed.names), **result)
    score_open_opportunities(model=model, now=now)
    WinPrediction.objects.exclude(model=model).delete()  # of those no longer open
    return model


def score_open_opportunities(
    *, model: WinModel, now: datetime, names: Sequence[str] | None = None
) -> int:
    """Predicts the open opportunities (or ``names`` among them) with ``model`` and stores the
    predictions (insert or replace, in chunks); those of ``names`` no longer open are dropped."""
    scored = 0
    for part in features_of(statuses=OPEN, now=now, names=names):
        if not part.names:
            continue
        p, points = enc.predict(part, model.encoding)
        factors = enc.explain(part, points)
        rows = [
            WinPrediction(
                opportunity_id=name,
                model=model,
                win_probability=round(100 * float(prob), 1),
                win_factors=why,
                scored_at=now,
            )
            for name, prob, why in zip(part.names, p, factors, strict=True)
        ]
        for start in range(0, len(rows), WRITE_CHUNK):
            WinPrediction.objects.bulk_create(
                rows[start : start + WRITE_CHUNK],
                update_conflicts=True,
                unique_fields=["opportunity"],
                update_fields=["model", "win_probability", "win_factors", "scored_at"],
            )
        scored += len(rows)
    if names is not None:
        WinPrediction.objects.filter(opportunity__in=list(names)).exclude(
            opportunity__status__in=OPEN
        ).delete()
    WinModel.objects.filter(pk=model.pk).update(scored_at=now)
    return scored


def score_changed_opportunities(*, now: datetime) -> int:
    """The open opportunities changed since the model last scored (or made since)."""
    model = latest_model()
    if model is None:
        return 0
    since = model.scored_at or model.trained_at
    changed = Opportunity.objects.filter(modified__gte=since).order_by()
    names = list(changed.values_list("name", flat=True)[:100_000])
    return score_open_opportunities(model=model, now=now, names=names)


def prediction_column(field: str) -> Subquery:
    """The stored prediction's ``field`` of the opportunity of the query's row (crm.win_
    probability's columns, read with a list's rows): NULL when it has none."""
    rows = WinPrediction.objects.filter(opportunity=OuterRef("pk")).order_by()
    return Subquery(rows.values(field)[:1])


def stored_predictions(names: list[str]) -> Mapping[str, Shown]:
    """The predictions of ``names`` (crm.win_probability's provider), in one query."""
    rows = fetch(
        "reports.win_predictions",
        lambda v: WinPrediction.objects.filter(opportunity__in=v.names).values_list(
            "opportunity_id", "win_probability", "win_factors"
        ),
        names=list(dict.fromkeys(names)),
    )
    return {name: Shown(probability, factors) for name, probability, factors in rows}
