"""Regularization compared by measurement: linear penalties, XGBoost's knobs, sparsity, attributions.

- :func:`linear_paths`: none vs L1 vs L2 vs elastic net on one "strength" axis: coefficient paths,
  how many coefficients stay non-zero, and the validation score they buy.
- :func:`xgboost_knobs`: small multiples, one per XGBoost regularizer, each with train/validation
  score, model size (leaves, features used) and fit time.
- :func:`sparsity`: L1 against L2 coefficients (digits: 8x8 images) and the accuracy cost.
- :func:`xgboost_attributions`: gain importance and mean |SHAP| per feature as a penalty grows.

Scores are cross-validated through the engine (same folds and preprocessing as a study);
coefficients and model sizes come from one refit on all rows. The linear lessons live here; the
XGBoost ones in :mod:`tuning.lessons.xgb_regularization`, re-exported here so both import from one place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from tuning.errors import ConfigError
from tuning.evaluate import EvalContext, evaluate
from tuning.lessons._common import Progress, dummy_score, fold_scores, make_context, quiet, score_columns, tick
from tuning.lessons.xgb_regularization import (
    DART_MAX_ROUNDS,
    DEFAULT_KNOBS,
    Attributions,
    KnobCurve,
    TreeSize,
    XGBoostKnobs,
    tree_size,
    xgboost_attributions,
    xgboost_knobs,
)
from tuning.protocol import TrialState

PENALTIES = ("none", "l1", "l2", "elasticnet")
NONZERO_TOL = 1e-8
DEFAULT_STRENGTHS = tuple(float(s) for s in np.logspace(-3, 2, 11))


# ----------------------------------------------------------------------------------------------
# Linear models


@dataclass(frozen=True)
class LinearPaths:
    """Per penalty (``none``, ``l1``, ``l2``, ``elasticnet``), arrays over ``strengths``.

    ``coefs[p]`` is (n_strengths, n_outputs, n_features): one output for regression and binary
    classification, one per class otherwise; numeric features are standardized (one-hot columns stay
    0/1), so coefficient sizes compare.
    ``n_nonzero[p]`` counts coefficients with ``|c| > 1e-8``; ``n_features_used[p]`` counts
    features with any such coefficient. Scores are CV means/stds (higher is better). ``none`` has no
    strength: its single fit is repeated across the axis so it draws as a flat reference line.
    """

    task: str
    strengths: np.ndarray
    penalties: tuple[str, ...]
    feature_names: tuple[str, ...]
    coefs: dict[str, np.ndarray]
    n_nonzero: dict[str, np.ndarray]
    n_features_used: dict[str, np.ndarray]
    train_mean: dict[str, np.ndarray]
    train_std: dict[str, np.ndarray]
    val_mean: dict[str, np.ndarray]
    val_std: dict[str, np.ndarray]
    metric: str
    dummy_score: float
    strength_note: str
    l1_ratio: float

    def frame(self) -> pd.DataFrame:
        """One row per penalty and strength: sizes and scores."""
        rows = []
        for p in self.penalties:
            for i, s in enumerate(self.strengths):
                rows.append(
                    {
                        "penalty": p,
                        "strength": s,
                        "n_nonzero": int(self.n_nonzero[p][i]),
                        "n_features_used": int(self.n_features_used[p][i]),
                        **{k: v[p][i] for k, v in score_columns(self).items()},
                    }
                )
        return pd.DataFrame(rows)

    def coef_frame(self, penalty: str) -> pd.DataFrame:
        """Long form of one penalty's path: strength, output, feature, coef."""
        c = self.coefs[penalty]
        s, o, f = np.meshgrid(self.strengths, np.arange(c.shape[1]), np.arange(c.shape[2]), indexing="ij")
        return pd.DataFrame(
            {
                "strength": s.ravel(),
                "output": o.ravel(),
                "feature": np.asarray(self.feature_names, dtype=object)[f.ravel()],
                "coef": c.ravel(),
            }
        )


STRENGTH_NOTE = {
    "classification": (
        "strength = 1/C of LogisticRegression (penalty = l1_ratio*|w|_1 + (1-l1_ratio)/2*|w|_2^2, "
        "loss weighted by C); none is C=inf."
    ),
    "regression": (
        "strength = alpha of Lasso/ElasticNet (loss = squared error / (2 n_rows)); Ridge gets "
        "alpha = strength * n_rows, the same objective as ElasticNet with l1_ratio=0; none is Ridge(alpha=0)."
    ),
}


def _linear_candidate(
    task: str, penalty: str, strength: float, n_rows: int, *, l1_ratio: float, tol: float, max_iter: int
) -> tuple[str, dict[str, Any]]:
    """(registry model, params) for one penalty at one strength.

    For classification, L2 and no penalty use lbfgs (the same optimum as saga, many times faster);
    L1 and elastic net need saga.
    """
    if penalty not in PENALTIES:
        raise ConfigError(f"Unknown penalty {penalty!r}.", fix=f"Choose from {', '.join(PENALTIES)}.")
    if task == "classification":
        C = np.inf if penalty == "none" else 1.0 / strength
        ratio = {"none": 0.0, "l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio}[penalty]
        solver = "lbfgs" if penalty in ("none", "l2") else "saga"
        return "logistic_regression", {"C": C, "l1_ratio": ratio, "solver": solver, "tol": tol, "max_iter": max_iter}
    if penalty == "none":
        return "ridge", {"alpha": 0.0}
    if penalty == "l2":
        return "ridge", {"alpha": strength * n_rows}
    if penalty == "l1":
        return "lasso", {"alpha": strength, "tol": tol, "max_iter": max_iter}
    return "elastic_net", {"alpha": strength, "l1_ratio": l1_ratio, "tol": tol, "max_iter": max_iter}


def _with_model(ctx: EvalContext, model: str) -> EvalContext:
    return replace(ctx, model=model)


def _refit_coefs(ctx: EvalContext, params: dict[str, Any]) -> tuple[np.ndarray, tuple[str, ...]]:
    pipe = ctx.pipeline(params)
    pipe.fit(ctx.X, ctx.y)
    names = tuple(str(n) for n in pipe.named_steps["prep"].get_feature_names_out())
    coef = np.asarray(pipe.named_steps["model"].coef_, dtype=float)
    return coef.reshape(-1, len(names)) if coef.ndim == 1 else coef, names


def linear_paths(
    X: Any,
    y: Any,
    *,
    task: str,
    penalties: Sequence[str] = PENALTIES,
    strengths: Sequence[float] = DEFAULT_STRENGTHS,
    l1_ratio: float = 0.5,
    metric: str | None = None,
    cv: int = 3,
    seed: int = 0,
    tol: float = 1e-3,
    max_iter: int = 1000,
    progress: Progress | None = None,
) -> LinearPaths:
    """Cross-validate and refit a penalized linear model at each strength, for each penalty.

    Classification uses LogisticRegression (strength = 1/C); regression uses Lasso, Ridge and
    ElasticNet on the per-row alpha scale (see :data:`STRENGTH_NOTE`). ``tol`` is looser than
    scikit-learn's default (1e-4) to keep saga fast; the zero pattern barely moves with it.
    """
    strengths_arr = np.asarray(sorted(float(s) for s in strengths))
    if strengths_arr.size == 0 or strengths_arr[0] <= 0:
        raise ConfigError("Strengths must be positive.", fix="Use e.g. np.logspace(-3, 2, 11).")
    penalties = tuple(penalties)
    base_model = "logistic_regression" if task == "classification" else "ridge"
    ctx = make_context(X, y, model=base_model, task=task, metric=metric, cv=cv, seed=seed)
    n_fold = int(round(np.mean([len(tr) for tr, _ in ctx.folds])))
    n_all = len(ctx.y)
    S = len(strengths_arr)
    total = sum(1 if p == "none" else S for p in penalties)
    done = 0
    out: dict[str, dict[str, np.ndarray]] = {}
    names: tuple[str, ...] = ()
    with quiet():
        for p in penalties:
            grid = strengths_arr[:1] if p == "none" else strengths_arr
            coefs, tr_m, tr_s, va_m, va_s = [], [], [], [], []
            for s in grid:
                model, params = _linear_candidate(task, p, s, n_fold, l1_ratio=l1_ratio, tol=tol, max_iter=max_iter)
                c = _with_model(ctx, model)
                res = evaluate(c, params)
                if res.state is not TrialState.COMPLETE:
                    raise ConfigError(f"The {p} model failed at strength {s:g}: {res.error}")
                tr, va = fold_scores(res, ctx.metric)
                tr_m.append(tr.mean())
                tr_s.append(tr.std())
                va_m.append(va.mean())
                va_s.append(va.std())
                _, refit_params = _linear_candidate(task, p, s, n_all, l1_ratio=l1_ratio, tol=tol, max_iter=max_iter)
                coef, names = _refit_coefs(c, refit_params)
                coefs.append(coef)
                done += 1
                tick(progress, done, total)
            reps = S if p == "none" else 1
            arr = np.repeat(np.stack(coefs), reps, axis=0)
            nz = np.abs(arr) > NONZERO_TOL
            out[p] = {
                "coefs": arr,
                "n_nonzero": nz.sum(axis=(1, 2)),
                "n_features_used": nz.any(axis=1).sum(axis=1),
                "train_mean": np.repeat(tr_m, reps),
                "train_std": np.repeat(tr_s, reps),
                "val_mean": np.repeat(va_m, reps),
                "val_std": np.repeat(va_s, reps),
            }
    return LinearPaths(
        task=task,
        strengths=strengths_arr,
        penalties=penalties,
        feature_names=names,
        coefs={p: out[p]["coefs"] for p in penalties},
        n_nonzero={p: out[p]["n_nonzero"] for p in penalties},
        n_features_used={p: out[p]["n_features_used"] for p in penalties},
        train_mean={p: out[p]["train_mean"] for p in penalties},
        train_std={p: out[p]["train_std"] for p in penalties},
        val_mean={p: out[p]["val_mean"] for p in penalties},
        val_std={p: out[p]["val_std"] for p in penalties},
        metric=ctx.metric,
        dummy_score=dummy_score(ctx),
        strength_note=STRENGTH_NOTE[task],
        l1_ratio=float(l1_ratio),
    )


@dataclass(frozen=True)
class Sparsity:
    """L1 against L2 at each strength: coefficients (n_strengths, n_outputs, n_features), the
    fraction of coefficients that are exactly zero, and CV scores. ``image_shape`` is (rows, cols)
    when the features are pixels named ``pixel_<row>_<col>`` (digits: 8x8), so a page can reshape."""

    strengths: np.ndarray
    feature_names: tuple[str, ...]
    l1_coefs: np.ndarray
    l2_coefs: np.ndarray
    l1_zero_fraction: np.ndarray
    l2_zero_fraction: np.ndarray
    l1_val_mean: np.ndarray
    l1_val_std: np.ndarray
    l2_val_mean: np.ndarray
    l2_val_std: np.ndarray
    metric: str
    dummy_score: float
    strength_note: str
    image_shape: tuple[int, int] | None


_PIXEL = re.compile(r"^pixel_(\d+)_(\d+)$")


def _pixel_cells(names: Sequence[str]) -> tuple[list[tuple[int, int]], int, int] | None:
    """The (row, col) of every ``pixel_<r>_<c>`` name and the grid's rows and cols; None unless all are pixels."""
    cells = [_PIXEL.match(n) for n in names]
    if not names or not all(cells):
        return None
    rc = [(int(m.group(1)), int(m.group(2))) for m in cells if m]
    return rc, max(r for r, _ in rc) + 1, max(c for _, c in rc) + 1


def image_shape(names: Sequence[str]) -> tuple[int, int] | None:
    """(rows, cols) when ``names`` are ``pixel_<r>_<c>`` in row-major order covering a full grid."""
    found = _pixel_cells(names)
    if found is None:
        return None
    rc, rows, cols = found
    expected = [(r, c) for r in range(rows) for c in range(cols)]
    return (rows, cols) if rc == expected else None


@dataclass(frozen=True)
class PixelGrid:
    """Pixel features ``pixel_<r>_<c>`` with some cells missing, placed back on their full row-major grid."""

    shape: tuple[int, int]
    names: tuple[str, ...]  # every cell of the grid, row-major
    positions: np.ndarray  # the grid cell of each present feature, in the features' order

    def expand(self, coefs: np.ndarray) -> np.ndarray:
        """Coefficients over the present features -> over the whole grid (absent cells weigh exactly 0)."""
        full = np.zeros((*coefs.shape[:-1], len(self.names)), dtype=float)
        full[..., self.positions] = coefs
        return full


def pixel_grid(names: Sequence[str], *, min_filled: float = 0.5) -> PixelGrid | None:
    """The full grid of ``pixel_<r>_<c>`` features when some cells were dropped (constant pixels); None when
    the names are not pixels, repeat a cell, already fill the grid, or fill less than ``min_filled`` of it."""
    found = _pixel_cells(names)
    if found is None:
        return None
    rc, rows, cols = found
    if len(set(rc)) != len(rc) or len(rc) == rows * cols or len(rc) < min_filled * rows * cols:
        return None
    full = tuple(f"pixel_{r}_{c}" for r in range(rows) for c in range(cols))
    return PixelGrid((rows, cols), full, np.array([r * cols + c for r, c in rc], dtype=np.int64))


def sparsity(
    X: Any,
    y: Any,
    *,
    task: str,
    strengths: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
    metric: str | None = None,
    cv: int = 3,
    seed: int = 0,
    progress: Progress | None = None,
) -> Sparsity:
    """L1 and L2 paths side by side (see :func:`linear_paths` for the strength axis)."""
    paths = linear_paths(
        X,
        y,
        task=task,
        penalties=("l1", "l2"),
        strengths=strengths,
        metric=metric,
        cv=cv,
        seed=seed,
        progress=progress,
    )
    n = paths.coefs["l1"][0].size
    names, l1, l2 = paths.feature_names, paths.coefs["l1"], paths.coefs["l2"]
    grid = pixel_grid(names)
    if grid is not None:
        # The profile drops constant pixels (digits' corners): put them back as zero weights, which is what
        # they are, so the coefficients keep the lesson's own 8x8 layout and draw as images.
        names, l1, l2 = grid.names, grid.expand(l1), grid.expand(l2)
    return Sparsity(
        strengths=paths.strengths,
        feature_names=names,
        l1_coefs=l1,
        l2_coefs=l2,
        l1_zero_fraction=1.0 - paths.n_nonzero["l1"] / n,
        l2_zero_fraction=1.0 - paths.n_nonzero["l2"] / n,
        l1_val_mean=paths.val_mean["l1"],
        l1_val_std=paths.val_std["l1"],
        l2_val_mean=paths.val_mean["l2"],
        l2_val_std=paths.val_std["l2"],
        metric=paths.metric,
        dummy_score=paths.dummy_score,
        strength_note=paths.strength_note,
        image_shape=image_shape(names),
    )


__all__ = [
    "DART_MAX_ROUNDS",
    "DEFAULT_KNOBS",
    "DEFAULT_STRENGTHS",
    "NONZERO_TOL",
    "PENALTIES",
    "STRENGTH_NOTE",
    "Attributions",
    "KnobCurve",
    "LinearPaths",
    "PixelGrid",
    "Sparsity",
    "TreeSize",
    "XGBoostKnobs",
    "image_shape",
    "linear_paths",
    "pixel_grid",
    "sparsity",
    "tree_size",
    "xgboost_attributions",
    "xgboost_knobs",
]
