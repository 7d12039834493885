"""Regularization compared by measurement: linear penalties, XGBoost's knobs, sparsity, attributions.

- :func:`linear_paths`: none vs L1 vs L2 vs elastic net on one "strength" axis: coefficient paths,
  how many coefficients stay non-zero, and the validation score they buy.
- :func:`xgboost_knobs`: small multiples, one per XGBoost regularizer, each with train/validation
  score, model size (leaves, features used) and fit time.
- :func:`sparsity`: L1 against L2 coefficients (digits: 8x8 images) and the accuracy cost.
- :func:`xgboost_attributions`: gain importance and mean |SHAP| per feature as a penalty grows.

Scores are cross-validated through the engine (same folds and preprocessing as a study);
coefficients and model sizes come from one refit on all rows.

Over 600 lines because the linear and XGBoost regularization lessons share their sweep and caching code; the next split is linear vs XGBoost.
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
from tuning.lessons._common import Progress, dummy_score, fold_scores, make_context, quiet, tick
from tuning.protocol import TrialState

PENALTIES = ("none", "l1", "l2", "elasticnet")
NONZERO_TOL = 1e-8
DEFAULT_STRENGTHS = tuple(float(s) for s in np.logspace(-3, 2, 11))
DART_MAX_ROUNDS = 50

DEFAULT_KNOBS: dict[str, tuple[Any, ...]] = {
    "reg_alpha": (0.0, 0.1, 1.0, 10.0, 100.0),
    "reg_lambda": (0.0, 0.1, 1.0, 10.0, 100.0),
    "gamma": (0.0, 0.1, 1.0, 5.0, 20.0),
    "min_child_weight": (0.1, 1.0, 5.0, 20.0, 50.0),
    "max_depth": (1, 2, 4, 6, 10),
    "subsample": (0.3, 0.5, 0.7, 1.0),
    "rate_drop": (0.0, 0.1, 0.3, 0.5),
}
"""Each knob's short grid; ``rate_drop`` runs with ``booster="dart"`` and at most 50 rounds."""


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
                        "train_mean": self.train_mean[p][i],
                        "train_std": self.train_std[p][i],
                        "val_mean": self.val_mean[p][i],
                        "val_std": self.val_std[p][i],
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


def image_shape(names: Sequence[str]) -> tuple[int, int] | None:
    """(rows, cols) when ``names`` are ``pixel_<r>_<c>`` in row-major order covering a full grid."""
    cells = [_PIXEL.match(n) for n in names]
    if not names or not all(cells):
        return None
    rc = [(int(m.group(1)), int(m.group(2))) for m in cells if m]
    rows, cols = max(r for r, _ in rc) + 1, max(c for _, c in rc) + 1
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
    cells = [_PIXEL.match(n) for n in names]
    if not names or not all(cells):
        return None
    rc = [(int(m.group(1)), int(m.group(2))) for m in cells if m]
    rows, cols = max(r for r, _ in rc) + 1, max(c for _, c in rc) + 1
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


# ----------------------------------------------------------------------------------------------
# XGBoost


@dataclass(frozen=True)
class TreeSize:
    n_leaves: int
    n_zero_leaves: int
    n_features_used: int


def _feature_index(booster: Any, key: str) -> int:
    names = booster.feature_names
    if names:
        return list(names).index(key)
    return int(key[1:])  # XGBoost names unnamed columns f0, f1, ...


def tree_size(booster: Any) -> TreeSize:
    """Leaves, leaves whose value is exactly 0 (reg_alpha's doing) and distinct split features."""
    df = booster.trees_to_dataframe()
    leaf = df["Feature"] == "Leaf"
    return TreeSize(
        n_leaves=int(leaf.sum()),
        n_zero_leaves=int((df.loc[leaf, "Gain"] == 0).sum()),
        n_features_used=int(df.loc[~leaf, "Feature"].nunique()),
    )


@dataclass(frozen=True)
class KnobCurve:
    """One XGBoost knob over its grid, other settings at ``fixed`` (XGBoost's defaults otherwise).

    Scores are CV means/stds (higher is better); ``n_leaves``, ``n_zero_leaves`` and
    ``n_features_used`` describe the booster refit on all rows; ``fit_time`` is mean seconds per
    fold fit. ``best_index`` has the highest validation mean.
    """

    param: str
    values: tuple[Any, ...]
    train_mean: np.ndarray
    train_std: np.ndarray
    val_mean: np.ndarray
    val_std: np.ndarray
    n_leaves: np.ndarray
    n_zero_leaves: np.ndarray
    n_features_used: np.ndarray
    fit_time: np.ndarray
    best_index: int
    fixed: dict[str, Any]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "param": self.param,
                "value": list(self.values),
                "train_mean": self.train_mean,
                "train_std": self.train_std,
                "val_mean": self.val_mean,
                "val_std": self.val_std,
                "n_leaves": self.n_leaves,
                "n_zero_leaves": self.n_zero_leaves,
                "n_features_used": self.n_features_used,
                "fit_time": self.fit_time,
            }
        )


@dataclass(frozen=True)
class XGBoostKnobs:
    knobs: tuple[KnobCurve, ...]
    metric: str
    dummy_score: float
    n_features: int

    def frame(self) -> pd.DataFrame:
        return pd.concat([k.frame() for k in self.knobs], ignore_index=True)

    def knob(self, param: str) -> KnobCurve:
        for k in self.knobs:
            if k.param == param:
                return k
        raise KeyError(param)


def _knob_params(param: str, value: Any, base: dict[str, Any], n_estimators: int) -> dict[str, Any]:
    params = {**base, "n_estimators": n_estimators, param: value}
    if param in ("rate_drop", "skip_drop"):
        params["booster"] = "dart"
        params["n_estimators"] = min(n_estimators, DART_MAX_ROUNDS)
    return params


def _require_trees(params: dict[str, Any]) -> None:
    if params.get("booster") == "gblinear":
        raise ConfigError(
            "Leaves, tree sizes and tree attributions need a tree booster, not gblinear.",
            fix="Use booster gbtree or dart here; the linear-model lesson covers L1/L2 on coefficients.",
        )


def _fit_booster(ctx: EvalContext, params: dict[str, Any]) -> tuple[Any, Any]:
    """The pipeline refit on all rows and its booster."""
    pipe = ctx.pipeline(params)
    pipe.fit(ctx.X, ctx.y)
    return pipe, pipe.named_steps["model"].get_booster()


def xgboost_knobs(
    X: Any,
    y: Any,
    *,
    task: str,
    knobs: dict[str, Sequence[Any]] | None = None,
    params: dict[str, Any] | None = None,
    metric: str | None = None,
    cv: int = 3,
    seed: int = 0,
    n_estimators: int = 100,
    progress: Progress | None = None,
) -> XGBoostKnobs:
    """Vary one knob at a time (grids from :data:`DEFAULT_KNOBS` unless ``knobs`` is given).

    ``params`` sets the other settings for every run; ``rate_drop`` runs with ``booster="dart"``
    and at most ``DART_MAX_ROUNDS`` rounds because DART re-weights every tree at each round.
    """
    grids = {k: tuple(v) for k, v in (knobs or DEFAULT_KNOBS).items()}
    base = dict(params or {})
    _require_trees(base)
    ctx = make_context(X, y, model="xgboost", task=task, metric=metric, cv=cv, seed=seed)
    total = sum(len(v) for v in grids.values())
    done = 0
    curves = []
    n_features = 0
    with quiet():
        for param, values in grids.items():
            cols: dict[str, list[float]] = {k: [] for k in ("tm", "ts", "vm", "vs", "leaves", "zero", "feats", "time")}
            fixed = {}
            for v in values:
                kp = _knob_params(param, v, base, n_estimators)
                fixed = {k: val for k, val in kp.items() if k != param}
                res = evaluate(ctx, kp)
                if res.state is not TrialState.COMPLETE:
                    raise ConfigError(f"XGBoost failed at {param}={v!r}: {res.error}")
                tr, va = fold_scores(res, ctx.metric)
                pipe, booster = _fit_booster(ctx, kp)
                n_features = len(pipe.named_steps["prep"].get_feature_names_out())
                size = tree_size(booster)
                for key, val in (
                    ("tm", tr.mean()),
                    ("ts", tr.std()),
                    ("vm", va.mean()),
                    ("vs", va.std()),
                    ("leaves", size.n_leaves),
                    ("zero", size.n_zero_leaves),
                    ("feats", size.n_features_used),
                    ("time", float(np.mean(res.fit_time))),
                ):
                    cols[key].append(val)
                done += 1
                tick(progress, done, total)
            vm = np.asarray(cols["vm"], dtype=float)
            curves.append(
                KnobCurve(
                    param=param,
                    values=values,
                    train_mean=np.asarray(cols["tm"], dtype=float),
                    train_std=np.asarray(cols["ts"], dtype=float),
                    val_mean=vm,
                    val_std=np.asarray(cols["vs"], dtype=float),
                    n_leaves=np.asarray(cols["leaves"], dtype=int),
                    n_zero_leaves=np.asarray(cols["zero"], dtype=int),
                    n_features_used=np.asarray(cols["feats"], dtype=int),
                    fit_time=np.asarray(cols["time"], dtype=float),
                    best_index=int(np.argmax(vm)),
                    fixed=fixed,
                )
            )
    return XGBoostKnobs(knobs=tuple(curves), metric=ctx.metric, dummy_score=dummy_score(ctx), n_features=n_features)


@dataclass(frozen=True)
class Attributions:
    """Per value of ``param`` (rows) and feature (columns): XGBoost's gain importance (average loss
    reduction per split on the feature; 0 when unused) and mean |SHAP| over all rows (summed over
    classes for multiclass), from a booster fitted on all rows. ``n_features_used`` counts features
    with at least one split."""

    param: str
    values: np.ndarray
    feature_names: tuple[str, ...]
    gain: np.ndarray
    shap: np.ndarray
    n_features_used: np.ndarray
    n_leaves: np.ndarray

    def frame(self) -> pd.DataFrame:
        v, f = np.meshgrid(np.arange(len(self.values)), np.arange(len(self.feature_names)), indexing="ij")
        return pd.DataFrame(
            {
                "value": self.values[v.ravel()],
                "feature": np.asarray(self.feature_names, dtype=object)[f.ravel()],
                "gain": self.gain.ravel(),
                "mean_abs_shap": self.shap.ravel(),
            }
        )


def xgboost_attributions(
    X: Any,
    y: Any,
    *,
    task: str,
    reg_values: Sequence[float] = (0.0, 1.0, 10.0, 100.0),
    param: str = "reg_lambda",
    params: dict[str, Any] | None = None,
    n_estimators: int = 100,
    seed: int = 0,
    progress: Progress | None = None,
) -> Attributions:
    """Refit XGBoost at each value of ``param`` and measure which features it relies on.

    Why: L1/L2 on leaf values shrink every tree's output (so SHAP magnitudes fall) but rarely remove
    features; ``gamma`` and ``min_child_weight`` prune splits and can.
    """
    import xgboost as xgb

    base = {**(params or {}), "n_estimators": n_estimators}
    _require_trees(base)
    ctx = make_context(X, y, model="xgboost", task=task, cv=2, seed=seed)  # folds unused: one refit per value
    vals = list(reg_values)
    gains, shaps, used, leaves = [], [], [], []
    names: tuple[str, ...] = ()
    with quiet():
        for i, v in enumerate(vals):
            pipe, booster = _fit_booster(ctx, _knob_params(param, v, base, n_estimators))
            prep = pipe.named_steps["prep"]
            names = tuple(str(n) for n in prep.get_feature_names_out())
            g = np.zeros(len(names))
            for key, val in booster.get_score(importance_type="gain").items():
                g[_feature_index(booster, key)] = val
            contrib = booster.predict(xgb.DMatrix(prep.transform(ctx.X)), pred_contribs=True)
            contrib = contrib[..., :-1]  # drop the bias column
            s = np.abs(contrib).mean(axis=0)
            gains.append(g)
            shaps.append(s.sum(axis=0) if s.ndim == 2 else s)
            size = tree_size(booster)
            used.append(size.n_features_used)
            leaves.append(size.n_leaves)
            tick(progress, i + 1, len(vals))
    return Attributions(
        param=param,
        values=np.asarray(vals, dtype=float),
        feature_names=names,
        gain=np.vstack(gains),
        shap=np.vstack(shaps),
        n_features_used=np.asarray(used, dtype=int),
        n_leaves=np.asarray(leaves, dtype=int),
    )
