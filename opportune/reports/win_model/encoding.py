"""The features as the model's inputs, and the prediction with its factors, from the stored
encoding alone (numpy; no machine-learning library in the web workers).

Inputs: each category (sales stage, source, type, owner) one-hot over the values seen at least
``MIN_LEVEL`` times in training (rarer ones and new ones add nothing); each number transformed
(logarithms of counts and amounts, clipped days) and standardised with the training mean and
spread. The model is linear in these, so its logit is the intercept plus one contribution per
feature.

Factors (decision 0033): a feature's points are the change in the predicted probability when
that feature alone is replaced by its baseline, the training average of its contribution (for a
number, its mean value; for a category, the mix of values seen). ``+18`` says the prediction is
18 points higher than it would be for an average value of that feature, the others unchanged.
The three with the largest absolute points are shown, in words."""

from __future__ import annotations

from typing import Any

import numpy as np

from opportune.reports.win_model.features import Features

CATEGORIES = {"stage": "stage", "source": "source", "type": "type", "owner": "owner"}
NUMBERS = ("age_in_stage", "days_to_close", "amount", "touches", "slips")
MIN_LEVEL = 5
Z_LIMIT = 4.0
MIN_SCALE = 0.25  # in transformed units (log days, log amount, months to closing)


def transformed(f: Features, name: str) -> np.ndarray:
    values = getattr(f, name).astype(float)
    if name == "days_to_close":
        return np.clip(np.nan_to_num(values, nan=0.0), -365, 365) / 30.0
    if name == "slips":
        return np.clip(values, 0, 10)
    return np.log1p(np.clip(values, 0, None))


def learn_encoding(f: Features) -> dict[str, Any]:
    """Levels and scaling from the training rows (no coefficients yet)."""
    levels = {}
    for name in CATEGORIES:
        values, counts = np.unique(getattr(f, name).astype(str), return_counts=True)
        levels[name] = sorted(str(v) for v, c in zip(values, counts, strict=True) if c >= MIN_LEVEL)
    mean, scale = {}, {}
    for name in NUMBERS:
        x = transformed(f, name)
        mean[name] = float(x.mean()) if len(x) else 0.0
        spread = float(x.std()) if len(x) else 0.0
        # a feature (nearly) constant in training: no spread to divide by, so a small
        # difference from it later is not taken for many standard deviations
        scale[name] = max(spread, MIN_SCALE)
    return {"levels": levels, "mean": mean, "scale": scale}


def columns(encoding: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The design matrix's columns: (feature, level) for categories, (feature, None)."""
    out: list[tuple[str, str | None]] = []
    for name in CATEGORIES:
        out += [(name, level) for level in encoding["levels"][name]]
    out += [(name, None) for name in NUMBERS]
    return out


def design(f: Features, encoding: dict[str, Any]) -> np.ndarray:
    blocks = []
    for name in CATEGORIES:
        values = getattr(f, name).astype(str)
        levels = np.array(encoding["levels"][name], dtype=str)
        blocks.append(
            (values[:, None] == levels[None, :]).astype(float)
            if len(levels)
            else np.zeros((len(values), 0))
        )
    for name in NUMBERS:
        z = (transformed(f, name) - encoding["mean"][name]) / encoding["scale"][name]
        z = np.clip(z, -Z_LIMIT, Z_LIMIT)  # a value far outside training moves it no further
        blocks.append(z[:, None])
    return np.hstack(blocks) if blocks else np.zeros((len(f.names), 0))


def with_coefficients(
    encoding: dict[str, Any], weights: np.ndarray, intercept: float, x_train: np.ndarray
) -> dict[str, Any]:
    """The encoding with the model: its weights by feature and the baselines of the factors."""
    coef: dict[str, Any] = {name: {} for name in CATEGORIES}
    for (name, level), w in zip(columns(encoding), weights, strict=True):
        if level is None:
            coef[name] = float(w)
        else:
            coef[name][level] = float(w)
    contributions = _contributions(x_train, encoding, weights)
    baseline = dict(zip(feature_names(), contributions.mean(axis=0).tolist(), strict=True))
    return {**encoding, "coef": coef, "intercept": float(intercept), "baseline": baseline}


def feature_names() -> list[str]:
    return [*CATEGORIES, *NUMBERS]


def _weights(encoding: dict[str, Any]) -> np.ndarray:
    out = []
    for name, level in columns(encoding):
        out.append(encoding["coef"][name] if level is None else encoding["coef"][name][level])
    return np.array(out, dtype=float)


def _contributions(x: np.ndarray, encoding: dict[str, Any], weights: np.ndarray) -> np.ndarray:
    """n x features: each feature's part of the logit."""
    cols = columns(encoding)
    out = np.zeros((x.shape[0], len(feature_names())))
    for j, name in enumerate(feature_names()):
        mask = np.array([c[0] == name for c in cols], dtype=bool)
        if mask.any():
            out[:, j] = x[:, mask] @ weights[mask]
    return out


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def predict(f: Features, encoding: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The probabilities (0-1) and the factors' points (n x features, in points of 0-100)."""
    contributions = _contributions(design(f, encoding), encoding, _weights(encoding))
    logit = encoding["intercept"] + contributions.sum(axis=1)
    p = sigmoid(logit)
    baseline = np.array([encoding["baseline"][n] for n in feature_names()])
    without = logit[:, None] - contributions + baseline[None, :]
    return p, 100.0 * (p[:, None] - sigmoid(without))


def _words(f: Features, i: int, name: str) -> str:
    value = getattr(f, name)[i]
    if name in CATEGORIES:
        label = {"stage": "stage", "source": "source", "type": "type", "owner": "owner"}[name]
        return f"{label} {value}" if value else f"no {label}"
    number = float(value)
    if name == "age_in_stage":
        return f"{int(number)} days in this stage"
    if name == "days_to_close":
        if np.isnan(number):
            return "no expected closing"
        days = int(round(number))
        return f"expected closing in {days} days" if days >= 0 else f"closing {-days} days overdue"
    if name == "amount":
        return f"amount {number:,.0f}"
    if name == "touches":
        return f"{int(number)} communications and events"
    return f"closing date moved later {int(number)} times" if number else "closing date never moved"


def explain(f: Features, points: np.ndarray, *, top: int = 3) -> list[list[dict[str, Any]]]:
    """For each row, its ``top`` factors by absolute points, in words."""
    names = feature_names()
    order = np.argsort(-np.abs(points), axis=1)[:, :top]
    return [
        [{"factor": _words(f, i, names[j]), "points": round(float(points[i, j]), 1)} for j in row]
        for i, row in enumerate(order)
    ]
