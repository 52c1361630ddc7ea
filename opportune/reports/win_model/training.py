"""The fit: scikit-learn's logistic regression, calibrated (Platt's sigmoid on out-of-fold
scores, ``CalibratedClassifierCV(ensemble=False)``), on 80% of the closed opportunities; the
Brier score and the reliability bins on the 20% held out. The sigmoid of a linear score is
linear again, so the calibrated model is stored as one set of coefficients. scikit-learn is
imported here only: the web workers, which only predict, never load it."""

from __future__ import annotations

from typing import Any

import numpy as np

from opportune.reports.win_model import encoding as enc
from opportune.reports.win_model.features import Features

SEED = 15
BINS = 10


def fit(f: Features) -> dict[str, Any]:
    """The stored encoding, Brier score, reliability bins and counts of a fit on ``f``."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    y = f.won.astype(int)
    index = np.arange(len(y))
    train, held = train_test_split(index, test_size=0.2, stratify=y, random_state=SEED)
    part = _rows(f, train)
    encoding = enc.learn_encoding(part)
    x = enc.design(part, encoding)
    folds = int(max(2, min(5, np.bincount(y[train], minlength=2).min())))
    model = CalibratedClassifierCV(
        LogisticRegression(C=1.0, max_iter=2000), method="sigmoid", cv=folds, ensemble=False
    ).fit(x, y[train])
    calibrated = model.calibrated_classifiers_[0]
    lr, sig = calibrated.estimator, calibrated.calibrators[0]
    # Platt: p = 1 / (1 + exp(a * s + b)), s = w.x + c  ->  logit = -a * w.x - (a * c + b)
    weights = -sig.a_ * lr.coef_[0]
    intercept = -(sig.a_ * lr.intercept_[0] + sig.b_)
    stored = enc.with_coefficients(encoding, weights, float(intercept), x)
    held_rows = _rows(f, held)
    p, _ = enc.predict(held_rows, stored)
    outcome = y[held]
    return {
        "encoding": stored,
        "brier": float(np.mean((p - outcome) ** 2)),
        "reliability": reliability(p, outcome),
        "n_held_out": len(held),
        "won_rate": float(y.mean()),
    }


def reliability(p: np.ndarray, outcome: np.ndarray) -> list[dict[str, Any]]:
    """Equal-width bins of the predicted probability: mean predicted and observed win rate (in
    percent) and how many held-out opportunities fell in each (empty bins left out)."""
    which = np.minimum((p * BINS).astype(int), BINS - 1)
    out = []
    for b in range(BINS):
        mask = which == b
        if mask.any():
            out.append(
                {
                    "predicted": round(100 * float(p[mask].mean()), 1),
                    "observed": round(100 * float(outcome[mask].mean()), 1),
                    "count": int(mask.sum()),
                }
            )
    return out


def _rows(f: Features, index: np.ndarray) -> Features:
    fields = [n for n in Features.__dataclass_fields__ if n != "names"]
    return Features(names=[f.names[i] for i in index], **{n: getattr(f, n)[index] for n in fields})
