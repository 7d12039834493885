"""XGBoost's regularization measured: one knob at a time, and the features the booster relies on.

- :func:`xgboost_knobs`: small multiples, one per XGBoost regularizer, each with train/validation
  score, model size (leaves, features used) and fit time.
- :func:`xgboost_attributions`: gain importance and mean |SHAP| per feature as a penalty grows.

Scores are cross-validated through the engine (same folds and preprocessing as a study); model
sizes come from one refit on all rows. :mod:`tuning.lessons.regularization` re-exports all of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tuning.errors import ConfigError
from tuning.evaluate import EvalContext, evaluate
from tuning.lessons._common import Progress, Sweep, dummy_score, fold_scores, make_context, quiet, score_columns, tick
from tuning.protocol import TrialState

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
class KnobCurve(Sweep):
    """One XGBoost knob over its grid, other settings at ``fixed`` (XGBoost's defaults otherwise).

    Scores are CV means/stds (higher is better); ``n_leaves``, ``n_zero_leaves`` and
    ``n_features_used`` describe the booster refit on all rows; ``fit_time`` is mean seconds per
    fold fit. ``best_index`` has the highest validation mean.
    """

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
                **score_columns(self, "n_leaves", "n_zero_leaves", "n_features_used", "fit_time"),
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
