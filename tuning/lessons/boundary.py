"""Decision-boundary lab (2-D classification) and 1-D fit explorer (noisy sine).

One model fitted on a train split, drawn over the whole input range next to the train and
validation points, with both scores and their gap. "Resample" is a new ``seed``: it redraws the
synthetic data (and the split), so the page can show how much the fit moves with the sample.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from tuning.errors import ConfigError
from tuning.lessons import synthetic
from tuning.lessons._common import as_frame, encode_target, quiet, split_columns
from tuning.models import build_pipeline

POLY_RIDGE = "poly_ridge"
"""1-D only: PolynomialFeatures(degree) -> StandardScaler -> Ridge(alpha); params ``degree``, ``alpha``."""


@dataclass(frozen=True)
class DecisionBoundary:
    """A fitted classifier over a mesh covering the data (plus a 10% margin).

    ``grid_x`` (grid_size,) and ``grid_y`` (grid_size,) are the mesh axes; ``proba`` is
    (grid_size, grid_size), indexed [y, x] like an image: for two classes the probability of class 1
    (``proba_kind="probability"``), or a sigmoid of the decision function for models without
    probabilities (``"decision"``); for more classes the probability of the predicted class.
    ``pred`` is the predicted class index on the mesh. Accuracies are on the train and validation
    splits; ``gap`` is train minus validation accuracy.
    """

    grid_x: np.ndarray
    grid_y: np.ndarray
    proba: np.ndarray
    pred: np.ndarray
    proba_kind: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    train_accuracy: float
    val_accuracy: float
    gap: float
    classes: tuple[str, ...]
    feature_names: tuple[str, str]
    model: str
    params: dict[str, Any]
    seed: int


def _split(n: int, y: np.ndarray | None, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"The validation fraction must be between 0 and 1, got {test_fraction}.")
    idx = np.arange(n)
    strat = y
    if y is not None and np.bincount(y).min() < 2:
        strat = None
    tr, va = train_test_split(idx, test_size=test_fraction, random_state=seed, stratify=strat)
    return np.sort(tr), np.sort(va)


def _probabilities(est: Any, Z: pd.DataFrame, n_classes: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(score for the picture, predicted class, kind) for every mesh point."""
    pred = np.asarray(est.predict(Z)).astype(int)
    if hasattr(est, "predict_proba"):
        try:
            P = est.predict_proba(Z)
        except AttributeError:  # e.g. SVC without probability=True advertises the method but refuses
            P = None
        if P is not None:
            return (P[:, 1] if n_classes == 2 else P.max(axis=1)), pred, "probability"
    if n_classes == 2 and hasattr(est, "decision_function"):
        d = np.asarray(est.decision_function(Z), dtype=float)
        return 1.0 / (1.0 + np.exp(-d)), pred, "decision"
    return pred.astype(float) / max(n_classes - 1, 1), pred, "label"


def decision_boundary(
    data: str | Any,
    y: Any = None,
    *,
    model: str,
    params: dict[str, Any] | None = None,
    n: int = 200,
    noise: float = 0.2,
    grid_size: int = 100,
    test_fraction: float = 0.3,
    seed: int = 0,
) -> DecisionBoundary:
    """Fit ``model`` (a registry name) on a train split and evaluate it on a mesh.

    ``data`` is a dataset name from :data:`synthetic.DATASETS_2D` (then ``n``, ``noise`` and ``seed``
    draw it) or a two-column X with labels ``y``. The seed also fixes the split and the model's
    ``random_state``.
    """
    if isinstance(data, str):
        ds = synthetic.make_2d(data, n, noise=noise, seed=seed)
        X, yy, classes = ds.X, ds.y, ("0", "1")
    else:
        if y is None:
            raise ConfigError("Pass the labels y with X.")
        X = as_frame(data)
        yy, cls = encode_target(y, "classification")
        classes = cls or ()  # type: ignore[assignment]
    if X.shape[1] != 2:
        raise ConfigError(f"The decision-boundary lab needs exactly 2 features, got {X.shape[1]}.")
    if grid_size < 2:
        raise ConfigError(f"The grid needs at least 2 points per side, got {grid_size}.")
    X, numeric, categorical = split_columns(X)
    if categorical:
        raise ConfigError("The decision-boundary lab needs two numeric features.")
    params = dict(params or {})
    tr, va = _split(len(yy), yy, test_fraction, seed)
    pipe = build_pipeline(model, "classification", params, numeric=numeric, categorical=(), seed=seed)
    with quiet():
        pipe.fit(X.iloc[tr], yy[tr])
    A = X.to_numpy(dtype=float)
    lo, hi = A.min(axis=0), A.max(axis=0)
    margin = 0.1 * np.where(hi > lo, hi - lo, 1.0)
    gx = np.linspace(lo[0] - margin[0], hi[0] + margin[0], grid_size)
    gy = np.linspace(lo[1] - margin[1], hi[1] + margin[1], grid_size)
    mx, my = np.meshgrid(gx, gy)
    Z = pd.DataFrame({numeric[0]: mx.ravel(), numeric[1]: my.ravel()})
    with quiet():
        score, pred, kind = _probabilities(pipe, Z, len(classes))
        acc_tr = float(np.mean(pipe.predict(X.iloc[tr]) == yy[tr]))
        acc_va = float(np.mean(pipe.predict(X.iloc[va]) == yy[va]))
    return DecisionBoundary(
        grid_x=gx,
        grid_y=gy,
        proba=score.reshape(grid_size, grid_size),
        pred=pred.reshape(grid_size, grid_size),
        proba_kind=kind,
        X_train=A[tr],
        y_train=yy[tr],
        X_val=A[va],
        y_val=yy[va],
        train_accuracy=acc_tr,
        val_accuracy=acc_va,
        gap=acc_tr - acc_va,
        classes=tuple(classes),
        feature_names=(numeric[0], numeric[1]),
        model=model,
        params=params,
        seed=seed,
    )


@dataclass(frozen=True)
class Fit1D:
    """A fitted 1-D regressor: ``pred`` on ``grid`` (and ``truth`` there when known), the
    train/validation points, their RMSE and ``gap`` (validation minus train RMSE, so positive
    means worse on unseen rows)."""

    grid: np.ndarray
    pred: np.ndarray
    truth: np.ndarray | None
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    train_rmse: float
    val_rmse: float
    gap: float
    model: str
    params: dict[str, Any]
    seed: int
    noise: float | None


def make_1d_model(model: str, params: dict[str, Any] | None = None, *, seed: int = 0) -> Any:
    """An unfitted 1-D regressor: ``poly_ridge`` or any registry model (input: :func:`model_input`).

    ``poly_ridge`` params: ``degree`` (default 3) and ``alpha`` (default 1e-8: almost no penalty,
    so high degrees overfit visibly); features are standardized after the expansion so that alpha
    acts evenly on every power.
    """
    params = dict(params or {})
    if model == POLY_RIDGE:
        unknown = set(params) - {"degree", "alpha"}
        if unknown:
            raise ConfigError(f"{POLY_RIDGE} takes degree and alpha, not {sorted(unknown)}.")
        degree = int(params.get("degree", 3))
        if degree < 0:
            raise ConfigError(f"The polynomial degree must be 0 or more, got {degree}.")
        return Pipeline(
            [
                ("poly", PolynomialFeatures(degree=degree, include_bias=False)),
                ("scale", StandardScaler()),
                ("ridge", Ridge(alpha=float(params.get("alpha", 1e-8)))),
            ]
        )
    return build_pipeline(model, "regression", params, numeric=("x",), categorical=(), seed=seed)


def model_input(model: str, x: np.ndarray) -> np.ndarray | pd.DataFrame:
    """What ``make_1d_model(model)`` fits on: a plain column for ``poly_ridge`` (3x faster than a
    frame through scikit-learn's checks), a one-column frame ``x`` for registry pipelines."""
    x = np.asarray(x, dtype=float).ravel()
    return x.reshape(-1, 1) if model == POLY_RIDGE else pd.DataFrame({"x": x})


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def fit_1d(
    x: Any = None,
    y: Any = None,
    *,
    model: str,
    params: dict[str, Any] | None = None,
    n: int = 60,
    noise: float = 0.3,
    truth: Callable[[np.ndarray], np.ndarray] | None = None,
    grid_size: int = 200,
    test_fraction: float = 0.3,
    seed: int = 0,
) -> Fit1D:
    """Fit ``model`` on a train split of 1-D data and predict over a grid.

    Without ``x``/``y`` the data is the noisy sine (``n`` points, ``noise``, ``seed``) and the
    truth is sin(2 pi x) on a grid over [0, 1]; with user data the grid spans its x range and
    ``truth`` is drawn only when given.
    """
    if x is None:
        d = synthetic.noisy_sine(n, noise=noise, seed=seed)
        xs, ys, truth, used_noise = d.x, d.y, truth or synthetic.truth, float(noise)
        lo, hi = 0.0, 1.0
    else:
        if y is None:
            raise ConfigError("Pass the targets y with x.")
        xs, ys = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
        if len(xs) != len(ys):
            raise ConfigError(f"x has {len(xs)} points but y has {len(ys)}.")
        lo, hi, used_noise = float(xs.min()), float(xs.max()), None
    params = dict(params or {})
    tr, va = _split(len(xs), None, test_fraction, seed)
    est = make_1d_model(model, params, seed=seed)
    grid = np.linspace(lo, hi, grid_size)
    with quiet():
        est.fit(model_input(model, xs[tr]), ys[tr])
        pred = np.asarray(est.predict(model_input(model, grid)), dtype=float)
        p_tr = est.predict(model_input(model, xs[tr]))
        p_va = est.predict(model_input(model, xs[va]))
    rmse_tr, rmse_va = _rmse(p_tr, ys[tr]), _rmse(p_va, ys[va])
    return Fit1D(
        grid=grid,
        pred=pred,
        truth=None if truth is None else np.asarray(truth(grid), dtype=float),
        x_train=xs[tr],
        y_train=ys[tr],
        x_val=xs[va],
        y_val=ys[va],
        train_rmse=rmse_tr,
        val_rmse=rmse_va,
        gap=rmse_va - rmse_tr,
        model=model,
        params=params,
        seed=seed,
        noise=used_noise,
    )
