"""Adapt a trained model to new data: continue, refresh, stack or retrain, and compare what each costs.

The base model is the refit best model of a study (kept in the store as an artifact: XGBoost JSON plus
what rebuilds its preprocessing) or an uploaded XGBoost file (``.json`` / ``.ubj``, never a pickle).
Every arm is scored on held-out rows of the new data and, when old data is given, on held-out old rows,
so what an arm forgets is measured next to what it learns. XGBoost arms use its native API
(``xgboost.train`` with ``xgb_model=``, the ``refresh`` updater, ``base_margin``). scikit-learn families
with ``warm_start`` offer "continue" in their own terms; the others retrain only.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

from tuning.errors import ConfigError, DataError
from tuning.evaluate import (
    CLASSIFICATION_BINARY,
    CLASSIFICATION_MULTI,
    REGRESSION,
    default_metric,
    early_stopping_split,
    holdout_split,
)
from tuning.metrics import classification_metrics, regression_metrics

MODEL_KIND = "model"  # the artifacts' kind for a refit model kept with its preprocessing
MODEL_FORMAT = "xgboost-json"
MAX_CURVE_POINTS = 60
SUPPORTED_METRICS = tuple(dict.fromkeys(CLASSIFICATION_BINARY + CLASSIFICATION_MULTI + REGRESSION))
_MODEL_SUFFIXES = (".json", ".ubj")

# What "continue" means for the scikit-learn families that can warm-start; the others retrain only. The linear
# models' warm_start (logistic regression, lasso, elastic net) only seeds the solver, which then converges to
# the new data's optimum: a faster retrain, not a continuation, so they are offered retrain.
SKLEARN_CONTINUE = {
    "random_forest": "Adds trees fitted on the new rows only (warm_start); the old trees stay as they were. "
    "scikit-learn's warm start means 'the same data, more capacity': here the extra capacity sees new data.",
    "mlp": "More epochs on the new rows (partial_fit), starting from the learned weights. scikit-learn's warm "
    "start means 'the same data, more training': on new data it slowly moves the weights, and forgets.",
}


class ArmKind(str, Enum):
    """The ways to adapt a model, plus the base model as it is."""

    BASE = "base"
    CONTINUE = "continue"
    REFRESH = "refresh"
    STACK = "stack"
    RETRAIN_NEW = "retrain_new"
    RETRAIN_ALL = "retrain_all"
    TUNED = "continue_tuned"


ARM_HELP = {
    ArmKind.BASE: "The base model as it is, untouched.",
    ArmKind.CONTINUE: "Adds trees on the new data (xgb_model=), early stopping on rows carved from the adaptation part.",
    ArmKind.REFRESH: "Keeps every split, recomputes the leaf values on the new data (updater=refresh): one pass "
    "per tree and no split search, but it cannot add a split the base model never made.",
    ArmKind.STACK: "New trees fitted on the base model's margin (base_margin): base + correction.",
    ArmKind.RETRAIN_NEW: "A new model from scratch on the new data only, with the base model's parameters.",
    ArmKind.RETRAIN_ALL: "A new model from scratch on the old and the new data together.",
    ArmKind.TUNED: "Continue, with its learning rate and rounds chosen by a short TPE search.",
}


# ----------------------------------------------------------------------------------------------
# The base model


@dataclass(frozen=True)
class BaseModel:
    """A trained model and what it needs to predict on a new table."""

    family: str  # "xgboost" or a scikit-learn family name (tuning.models)
    task: str
    source: str  # "study 3 (best trial #12)" / "model.json"
    features: tuple[str, ...]  # the input columns the new table must have
    tolerated: tuple[str, ...] = ()  # other columns of the study's table (dropped by its profile)
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    datetimes: tuple[str, ...] = ()
    feature_types: tuple[str, ...] | None = None  # an uploaded booster's own types ("float", "int", "c", ...)
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)  # an uploaded booster's category lists
    classes: tuple[str, ...] | None = None  # label names in index order; None for an uploaded booster
    n_classes: int | None = None
    objective: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # XGBoost training params read from the booster
    booster_json: bytes | None = None
    estimator: Any = None  # a fitted scikit-learn pipeline (not XGBoost), rebuilt, never unpickled
    preprocessor: Any = None  # the study's fitted preprocessing, refitted on its training rows
    metric: str | None = None
    target: str | None = None  # the study's target (a model file does not record it)
    study_id: int | None = None
    artifact_id: int | None = None
    params_known: bool = True  # False for an uploaded file: XGBoost's model file keeps trees, not eta or depth

    @property
    def is_xgboost(self) -> bool:
        return self.family == "xgboost"

    @property
    def learning_rate(self) -> float:
        return float(self.params.get("eta", 0.3))

    @property
    def rounds(self) -> int:
        return self.booster().num_boosted_rounds() if self.is_xgboost else 0

    def booster(self) -> Any:
        import xgboost as xgb

        b = xgb.Booster()
        b.load_model(bytearray(self.booster_json or b""))
        return b

    def arms(self) -> tuple[ArmKind, ...]:
        """The arms this model can take."""
        if self.is_xgboost:
            return tuple(ArmKind)
        base = (ArmKind.BASE, ArmKind.RETRAIN_NEW, ArmKind.RETRAIN_ALL)
        return base[:1] + (ArmKind.CONTINUE,) + base[1:] if self.family in SKLEARN_CONTINUE else base


def _booster_params(booster: Any) -> tuple[str, dict[str, Any], int | None]:
    """(objective, training params, number of classes) from the booster's saved configuration."""
    cfg = json.loads(booster.save_config())["learner"]
    objective = cfg["objective"]["name"]
    gb = cfg.get("gradient_booster", {})
    if gb.get("name") != "gbtree":
        raise DataError(
            f"The model uses the {gb.get('name')!r} booster; fine-tuning here needs trees (gbtree).",
            fix="Upload a gbtree model.",
        )
    tree = gb.get("tree_train_param", {})
    params: dict[str, Any] = {"objective": objective}
    for k in ("eta", "max_depth", "min_child_weight", "lambda", "alpha", "gamma", "subsample", "colsample_bytree"):
        if k in tree:
            params[k] = float(tree[k]) if k != "max_depth" else int(float(tree[k]))
    params["eta"] = round(params.get("eta", 0.3), 6)
    n_class = int(cfg["learner_model_param"].get("num_class", "0") or 0)
    if n_class > 1:
        params["num_class"] = n_class
    return objective, params, (n_class if n_class > 1 else (2 if objective.startswith("binary:") else None))


def _train_params(xgb_params: dict[str, Any]) -> dict[str, Any]:
    """The scikit-learn wrapper's XGBoost params as xgboost.train takes them (eta, not learning_rate)."""
    skip = {"n_jobs", "nthread", "verbosity", "random_state", "seed", "missing", "device", "eval_metric"}
    out = {k: v for k, v in xgb_params.items() if v is not None and k not in skip}
    if "learning_rate" in out:
        out["eta"] = float(out.pop("learning_rate"))
    return out


def _task_of(objective: str) -> str:
    if objective.startswith(("binary:", "multi:")):
        return "classification"
    if objective.startswith(("reg:", "count:", "survival:")):
        return "regression"
    raise DataError(
        f"The model's objective {objective!r} is neither a classifier nor a regressor.",
        fix="Use a model trained with a binary:, multi: or reg: objective.",
    )


def load_base_file(content: bytes, name: str) -> BaseModel:
    """An uploaded XGBoost model (``.json`` or ``.ubj``), read by XGBoost itself: nothing is unpickled."""
    import xgboost as xgb

    label = name or "the uploaded file"
    if not label.lower().endswith(_MODEL_SUFFIXES):
        raise DataError(
            f"{label} is not an XGBoost model file: only .json and .ubj are read (a pickle is never loaded).",
            fix="Save the model with booster.save_model('model.json') and upload that.",
        )
    if not content:
        raise DataError(f"{label} is empty.", fix="Upload the file XGBoost's save_model wrote.")
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(content))
    except xgb.core.XGBoostError:
        if content[:1] == b"\x80" or content[:2] in (b"PK", b"\x1f\x8b"):
            why = "it looks like a pickle or joblib file, which is never loaded here"
        elif label.lower().endswith(".json"):
            why = "it is not JSON, or it is truncated" if content.lstrip()[:1] != b"{" else "it is truncated or damaged"
        else:
            why = "it is not UBJSON, or it is truncated"
        raise DataError(
            f"{label} is not a model XGBoost can read: {why}.",
            fix="Upload the file booster.save_model('model.json') or ('model.ubj') wrote, complete.",
        ) from None
    if booster.num_boosted_rounds() == 0:
        raise DataError(f"{label} holds no trees.", fix="Upload a trained model.")
    objective, params, n_classes = _booster_params(booster)
    # The file keeps trees, not training params: the depth shows in the trees; the learning rate does not.
    params["max_depth"] = max(line.count("\t") for tree in booster.get_dump() for line in tree.splitlines())
    names = booster.feature_names
    if not names:
        raise DataError(
            f"{label} does not record its feature names, so its columns cannot be matched to a table.",
            fix="Train it on a pandas DataFrame (or set booster.feature_names) and save it again.",
        )
    types = tuple(booster.feature_types or ("float",) * len(names))
    numeric = tuple(n for n, t in zip(names, types, strict=True) if t != "c")
    categorical = tuple(n for n, t in zip(names, types, strict=True) if t == "c")
    categories: dict[str, tuple[str, ...]] = {}
    if categorical:
        # The booster keeps its categories in their training order; the new table is coded the same way.
        for name_, arr in booster.get_categories(export_to_arrow=True).to_arrow():
            if arr is not None:
                categories[name_] = tuple(str(v) for v in arr.to_pylist())
    return BaseModel(
        family="xgboost",
        task=_task_of(objective),
        source=label,
        features=tuple(names),
        numeric=numeric,
        categorical=categorical,
        feature_types=types,
        categories=categories,
        n_classes=n_classes,
        objective=objective,
        params=params,
        booster_json=bytes(booster.save_raw(raw_format="json")),
        params_known=False,
    )


def load_base_study(store: Any, study_id: int) -> BaseModel:
    """The refit best model of a study. XGBoost's is kept in the store (an artifact) after the first refit."""
    from tuning.data import ColumnKind, build_preprocessor, parse_table, profile_table
    from tuning.models import get_model
    from tuning.study import open_study

    study = open_study(store, study_id)
    cfg = study.config
    name, content = store.dataset_content(cfg.dataset_id)
    df = parse_table(content, name=name)
    profile = profile_table(df, target=cfg.target, task=cfg.task)
    datetimes = tuple(f for f in profile.features if profile.column(f).kind == ColumnKind.DATETIME)
    common: dict[str, Any] = dict(
        family=cfg.model,
        task=cfg.task or profile.task or "",
        source=f"study {study_id} ({study.name})",
        features=tuple(profile.features),
        tolerated=tuple(c for c in df.columns if c not in profile.features and c != cfg.target),
        datetimes=datetimes,
        metric=cfg.metric,
        target=cfg.target,
        study_id=study_id,
    )
    data = study.data
    prepared = data.prepared
    common.update(numeric=prepared.numeric, categorical=prepared.categorical, classes=prepared.classes)
    common["n_classes"] = len(prepared.classes) if prepared.classes else None
    if cfg.model != "xgboost":
        pipe = study.refit_best()
        return BaseModel(**common, estimator=pipe)
    family = get_model(cfg.model)
    # The preprocessing (median imputation, one-hot) is refitted on the study's training rows: deterministic,
    # so it equals the one the booster was trained behind, and nothing has to be unpickled.
    prep = build_preprocessor(prepared.numeric, prepared.categorical, scale=family.scale, impute=family.impute)
    prep.fit(prepared.X.iloc[data.train_idx].reset_index(drop=True))
    best = store.best_trial(study_id)
    best_number = best.number if best else None
    # A resumed study may have a new best trial: only the artifact of the current best one is reused.
    kept = [
        a
        for a in store.list_artifacts(study_id=study_id, kind=MODEL_KIND)
        if a["meta"].get("format") == MODEL_FORMAT and a["meta"].get("trial") == best_number
    ]
    if kept:
        info, raw = store.load_artifact(kept[-1]["id"])
        artifact_id, meta = int(info["id"]), info["meta"]
    else:
        pipe = study.refit_best()
        model = pipe.named_steps["model"]
        raw = bytes(model.get_booster().save_raw(raw_format="json"))
        meta = {
            "format": MODEL_FORMAT,
            "family": cfg.model,
            "task": common["task"],
            "dataset_id": cfg.dataset_id,
            "target": cfg.target,
            "features": list(profile.features),
            "numeric": list(prepared.numeric),
            "categorical": list(prepared.categorical),
            "classes": list(prepared.classes) if prepared.classes else None,
            "preprocessing": "refit build_preprocessor(numeric, categorical) on the study's training rows",
            "trial": best_number,
            "metric": cfg.metric,
            "params": _train_params(model.get_xgb_params()),
        }
        artifact_id = store.save_artifact(
            kind=MODEL_KIND, name=f"study_{study_id}_best.json", content=raw, meta=meta, study_id=study_id
        )
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    objective, params, _ = _booster_params(booster)
    params = {**params, **meta.get("params", {})}
    return BaseModel(
        **common,
        objective=objective,
        params=params,
        booster_json=raw,
        preprocessor=prep,
        artifact_id=artifact_id,
    )


# ----------------------------------------------------------------------------------------------
# A table checked against the base model


@dataclass(frozen=True)
class Table:
    """Rows of a table in the base model's terms: its input frame and encoded labels."""

    X: pd.DataFrame
    y: np.ndarray


def _label_strings(labels: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(labels):
        return np.array([str(int(v)) if float(v).is_integer() else str(v) for v in labels.to_numpy()])
    return labels.astype(str).to_numpy()


def _encode_labels(base: BaseModel, labels: pd.Series, target: str, role: str) -> np.ndarray:
    if base.task == "regression":
        y = pd.to_numeric(labels, errors="coerce")
        bad = labels[y.isna()]
        if len(bad):
            raise DataError(
                f"The base model is a regressor ({base.objective or base.family}), but {role} target {target!r} "
                f"holds labels such as {str(bad.iloc[0])!r}.",
                fix="Pick a numeric target, or a classifier as the base model.",
            )
        return y.to_numpy(dtype=float)
    as_str = _label_strings(labels)
    uniq = sorted(set(as_str))
    if base.classes is not None:
        unseen = [c for c in uniq if c not in base.classes]
        if unseen:
            raise DataError(
                f"The {role} target {target!r} has classes the base model has never seen: "
                f"{', '.join(map(repr, unseen[:5]))} (it knows {', '.join(map(repr, base.classes))}).",
                fix="Drop those rows, or retrain a model that knows every class.",
            )
        index = {c: i for i, c in enumerate(base.classes)}
        return np.array([index[c] for c in as_str], dtype=np.int64)
    k = base.n_classes or 2
    numeric = pd.api.types.is_numeric_dtype(labels)
    if numeric and len(uniq) > max(20, k) and not all(float(v).is_integer() for v in labels):
        raise DataError(
            f"The base model is a classifier ({base.objective}), but the {role} target {target!r} has "
            f"{len(uniq)} distinct numbers: it looks like a regression target.",
            fix="Pick the class column, or a regressor as the base model.",
        )
    if numeric and all(float(v).is_integer() and 0 <= float(v) < k for v in labels):
        return labels.to_numpy().astype(np.int64)
    if len(uniq) > k:
        raise DataError(
            f"The {role} target {target!r} has {len(uniq)} classes but the base model was trained for {k}: "
            "there are classes it has never seen.",
            fix="Drop the rows of the new classes, or retrain a model that knows every class.",
        )
    index = {c: i for i, c in enumerate(uniq)}
    return np.array([index[c] for c in as_str], dtype=np.int64)


def check_table(base: BaseModel, df: pd.DataFrame, target: str, *, role: str = "new") -> Table:
    """The table's rows in the base model's terms, or a plain error naming what does not match."""
    if target not in df.columns:
        raise DataError(f"The {role} data has no column {target!r}.", fix="Pick the target the base model predicts.")
    cols = [c for c in df.columns if c != target]
    missing = [c for c in base.features if c not in cols]
    extra = [c for c in cols if c not in base.features and c not in base.tolerated]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(map(repr, missing[:8]))}{' ...' if len(missing) > 8 else ''}")
        if extra:
            parts.append(f"not known to the model {', '.join(map(repr, extra[:8]))}{' ...' if len(extra) > 8 else ''}")
        raise DataError(
            f"The {role} data's columns do not match the base model's features: {'; '.join(parts)}.",
            fix="Use a table with the same feature columns the model was trained on (extra columns: drop them).",
        )
    rows = df[df[target].notna()]
    if rows.empty:
        raise DataError(f"The {role} data has no row with a value in {target!r}.")
    y = _encode_labels(base, rows[target], target, role)
    X = pd.DataFrame(index=rows.index)
    for c in base.datetimes:
        t = pd.to_datetime(rows[c], errors="coerce", format="mixed")
        X[f"{c}__days"] = (t - pd.Timestamp("1970-01-01")).dt.days.astype(float)
        X[f"{c}__month"] = t.dt.month.astype(float)
        X[f"{c}__weekday"] = t.dt.day_of_week.astype(float)
    for c in base.numeric:
        if c in X.columns:
            continue
        s = rows[c]
        v = pd.to_numeric(s, errors="coerce").astype(float)
        if v.isna().all() and s.notna().any():
            raise DataError(
                f"Column {c!r} was numeric for the base model but holds text in the {role} data "
                f"(e.g. {str(s.dropna().iloc[0])!r}).",
                fix="Fix or drop that column's values.",
            )
        X[c] = v
    for c in base.categorical:
        vals = [np.nan if pd.isna(v) else str(v) for v in rows[c]]
        if base.feature_types is None:
            X[c] = np.array(vals, dtype=object)
        else:  # a category the model never saw becomes missing, as XGBoost treats it
            X[c] = pd.Categorical(vals, categories=list(base.categories.get(c, sorted({v for v in vals if v == v}))))
    if base.feature_types is None:
        X = X[list(base.numeric) + list(base.categorical)]
    else:
        X = X[list(base.features)]
    return Table(X.reset_index(drop=True), y)


# ----------------------------------------------------------------------------------------------
# Scores


def resolve_metric(base: BaseModel, metric: str | None) -> str:
    """The study's metric, or the task's default; one computed from predictions (tuning.metrics)."""
    m = metric or base.metric or default_metric(base.task, base.n_classes)
    allowed = (
        REGRESSION
        if base.task == "regression"
        else (CLASSIFICATION_BINARY if (base.n_classes or 2) <= 2 else CLASSIFICATION_MULTI)
    )
    if m not in allowed:
        if metric:
            raise ConfigError(
                f"Fine-tuning cannot score {m!r} for this model.", fix=f"Use one of {', '.join(allowed)}."
            )
        m = default_metric(base.task, base.n_classes)
    return m


def score_output(out: np.ndarray, y: np.ndarray, *, task: str, n_classes: int | None, metric: str) -> float:
    """The metric (higher is better) from a model's predictions: probabilities for a classifier."""
    if task == "regression":
        return regression_metrics(y, out, names=(metric,))[metric]
    out = np.asarray(out, dtype=float)
    if out.ndim == 1:  # binary:logistic gives P(class 1)
        out = np.column_stack([1 - out, out])
    pred = out.argmax(axis=1).astype(np.int64)
    return classification_metrics(y, pred, out, n_classes=max(n_classes or 2, out.shape[1]), names=(metric,))[metric]


# ----------------------------------------------------------------------------------------------
# The arms


@dataclass(frozen=True)
class FinetuneSettings:
    """What to compare and how; all defaults are sensible for a few thousand rows."""

    holdout: float = 0.3  # fraction of the new (and old) rows held out for scoring
    seed: int = 0
    learning_rates: tuple[float, ...] | None = None  # continue's; None: 0.1x, 0.3x and 1x the base's
    max_rounds: int = 200  # rounds the continue / stack / retrain arms may add
    patience: int = 20  # early-stopping patience in rounds
    stack_params: dict[str, Any] = field(default_factory=lambda: {"eta": 0.1, "max_depth": 3})
    tpe_trials: int = 0  # a short TPE search over continue's learning rate and rounds (0: none)
    metric: str | None = None
    arms: tuple[ArmKind, ...] | None = None  # None: every arm the model can take
    n_jobs: int = 1  # XGBoost threads: one is fastest on a few thousand rows on a shared machine
    base_learning_rate: float | None = None  # an uploaded file does not record its learning rate (0.3 assumed)

    def rates(self, base_lr: float) -> tuple[float, ...]:
        if self.learning_rates:
            return tuple(float(r) for r in self.learning_rates)
        return tuple(round(base_lr * f, 6) for f in (0.1, 0.3, 1.0))


@dataclass(frozen=True)
class Curve:
    """Scores against trees (rounds) added: on new held-out rows and, when given, old held-out rows."""

    rounds: tuple[int, ...]
    new: tuple[float, ...]
    old: tuple[float, ...] | None
    best_round: int | None  # rounds added at the early-stopping point


@dataclass(frozen=True)
class ArmResult:
    kind: ArmKind
    label: str
    new_score: float
    old_score: float | None
    fit_time_s: float  # seconds of CPU or wall time: FinetuneResult.time_kind says which
    rounds_added: int
    trees: int  # trees in the final model (base + added, for continue / stack)
    leaves: int
    params: dict[str, Any] = field(default_factory=dict)
    curve: Curve | None = None
    note: str = ""

    def to_summary(self) -> dict[str, Any]:
        return {
            "arm": self.kind.value,
            "label": self.label,
            "new_score": _finite(self.new_score),
            "old_score": _finite(self.old_score),
            "trees_added": self.rounds_added,
            "trees": self.trees,
            "leaves": self.leaves,
            "fit_time_s": round(self.fit_time_s, 4),
            "params": self.params,
        }


@dataclass(frozen=True)
class SplitInfo:
    seed: int
    holdout: float
    stratified: bool
    n_adapt: int
    n_early_stop: int
    n_new_holdout: int
    n_old_train: int = 0
    n_old_holdout: int = 0


@dataclass(frozen=True)
class FinetuneResult:
    base_source: str
    family: str
    task: str
    metric: str
    split: SplitInfo
    arms: tuple[ArmResult, ...]
    verdict: str
    models: dict[str, bytes] = field(default_factory=dict, repr=False)  # arm label -> XGBoost JSON
    base_margin_label: str | None = None  # the stack arm's label: its JSON needs the base model's margin
    notes: tuple[str, ...] = ()
    time_kind: str = "wall"  # "cpu": the fitting thread's CPU seconds (one XGBoost thread); "wall": elapsed

    def arm(self, kind: ArmKind) -> ArmResult | None:
        return next((a for a in self.arms if a.kind == kind), None)

    def to_summary(self) -> dict[str, Any]:
        return {
            "base": self.base_source,
            "family": self.family,
            "task": self.task,
            "metric": self.metric,
            "split": self.split.__dict__,
            "arms": [a.to_summary() for a in self.arms],
            "verdict": self.verdict,
            "notes": list(self.notes),
            "time_kind": self.time_kind,
        }


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), 6)


@dataclass(frozen=True)
class _Parts:
    """Row positions of each part: new rows to fit on, to watch early stopping on, held out; old rows."""

    fit: np.ndarray
    es: np.ndarray
    hold: np.ndarray
    old_train: np.ndarray | None = None
    old_hold: np.ndarray | None = None

    @property
    def adapt(self) -> np.ndarray:
        return np.sort(np.concatenate([self.fit, self.es]))


def _xgb_reason(exc: Exception) -> str:
    """XGBoost's own sentence from its error, without the timestamp, source path and failed check."""
    line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    line = re.sub(r"^\[[^\]]*\]\s*\S+:\d+:\s*", "", line)
    if " : " in line:
        line = line.rsplit(" : ", 1)[1]
    return line.replace("Check failed: ", "").strip()[:200]


def fit_clock(settings: FinetuneSettings) -> Callable[[], float]:
    """What fit times are measured with. One XGBoost thread runs in the calling thread, so its CPU time is the
    fit's cost whatever else the machine runs (on a shared machine, wall time swings tenfold); with more
    threads, wall time."""
    return time.thread_time if _threads(settings) == 1 else time.perf_counter


def _stratifiable(task: str, y: np.ndarray) -> bool:
    """Stratify a classification split when every class has a few rows (3: held-out, early-stop, fit)."""
    if task != "classification":
        return False
    counts = np.bincount(y)
    return bool(counts[counts > 0].min() >= 3)


def _threads(settings: FinetuneSettings) -> int:
    return settings.n_jobs if settings.n_jobs > 0 else max(1, os.cpu_count() or 1)


def _model_size(booster: Any) -> tuple[int, int]:
    dump = booster.get_dump()
    return len(dump), sum(t.count("leaf=") for t in dump)


def finetune(
    base: BaseModel,
    new: pd.DataFrame,
    *,
    target: str,
    old: pd.DataFrame | None = None,
    settings: FinetuneSettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> FinetuneResult:
    """Run every requested arm on ``new`` (and score forgetting on ``old``); raises DataError/ConfigError."""
    settings = settings or FinetuneSettings()
    say = progress or (lambda _msg: None)
    if settings.base_learning_rate is not None:
        if not 0 < settings.base_learning_rate <= 1:
            raise ConfigError(f"The base learning rate must be in (0, 1], got {settings.base_learning_rate}.")
        base = replace(base, params={**base.params, "eta": float(settings.base_learning_rate)}, params_known=True)
    if not 0.05 <= settings.holdout <= 0.8:
        raise ConfigError(f"The held-out fraction must be between 0.05 and 0.8, got {settings.holdout}.")
    if settings.max_rounds < 1 or settings.patience < 1:
        raise ConfigError("Rounds and early-stopping patience must be at least 1.")
    if any(not (0 < r <= 1) for r in settings.rates(base.learning_rate)):
        raise ConfigError("Learning rates must be in (0, 1].", fix="Use e.g. 0.01, 0.03, 0.1.")
    if settings.tpe_trials < 0 or settings.tpe_trials > 200:
        raise ConfigError("The TPE search takes between 0 and 200 trials.")
    metric = resolve_metric(base, settings.metric)
    new_t = check_table(base, new, target, role="new")
    old_t = check_table(base, old, target, role="old") if old is not None else None
    arms = settings.arms or base.arms()
    unknown = [a for a in arms if a not in base.arms()]
    if unknown:
        raise ConfigError(
            f"A {base.family} model cannot take the arm(s) {', '.join(a.value for a in unknown)}.",
            fix=f"Choose among {', '.join(a.value for a in base.arms())}.",
        )
    n_min = 20
    if len(new_t.y) < n_min:
        raise DataError(f"The new data has only {len(new_t.y)} rows with a target.", fix=f"Give at least {n_min}.")
    strat_ok = _stratifiable(base.task, new_t.y)
    adapt_idx, hold_idx = holdout_split(
        len(new_t.y),
        new_t.y,
        task=base.task if strat_ok else "regression",
        test_size=settings.holdout,
        seed=settings.seed,
    )
    fit_rel, es_rel = early_stopping_split(
        new_t.y[adapt_idx], task=base.task if strat_ok else "regression", seed=settings.seed
    )
    fit_idx, es_idx = adapt_idx[fit_rel], adapt_idx[es_rel]
    old_train_idx = old_hold_idx = None
    if old_t is not None:
        old_ok = _stratifiable(base.task, old_t.y)
        old_train_idx, old_hold_idx = holdout_split(
            len(old_t.y),
            old_t.y,
            task=base.task if old_ok else "regression",
            test_size=settings.holdout,
            seed=settings.seed,
        )
    split = SplitInfo(
        seed=settings.seed,
        holdout=settings.holdout,
        stratified=strat_ok,
        n_adapt=len(fit_idx),
        n_early_stop=len(es_idx),
        n_new_holdout=len(hold_idx),
        n_old_train=0 if old_train_idx is None else len(old_train_idx),
        n_old_holdout=0 if old_hold_idx is None else len(old_hold_idx),
    )
    parts = _Parts(fit_idx, es_idx, hold_idx, old_train_idx, old_hold_idx)
    if base.is_xgboost:
        import xgboost as xgb

        try:
            results, models = _xgb_arms(base, new_t, old_t, parts, arms, metric, settings, say)
        except xgb.core.XGBoostError as exc:
            why = _xgb_reason(exc)
            raise DataError(
                f"XGBoost could not adapt this model to the table: {why}",
                fix="Check that the table's columns and their types are the ones the model was trained on.",
            ) from None
    else:
        results, models = _sklearn_arms(base, new_t, old_t, parts, arms, metric, settings, say)
    stack = next((a for a in results if a.kind == ArmKind.STACK), None)
    notes = []
    if base.is_xgboost and not base.params_known:
        notes.append(
            f"The model file does not record its learning rate: {base.learning_rate:g} (XGBoost's default) is assumed "
            "for refresh, retrain and continue's default rates. Give the real one if you know it."
        )
    if base.study_id is not None and old_t is not None:
        notes.append(
            "The base model was refit on all its study's training rows: if the old data is that table, the base "
            "model's old-data score is partly a training score."
        )
    return FinetuneResult(
        base_source=base.source,
        family=base.family,
        task=base.task,
        metric=metric,
        split=split,
        arms=tuple(results),
        verdict=verdict(results, metric),
        models=models,
        base_margin_label=stack.label if stack else None,
        notes=tuple(notes),
        time_kind="cpu" if base.is_xgboost and fit_clock(settings) is time.thread_time else "wall",
    )


def _xgb_arms(
    base: BaseModel,
    new_t: Table,
    old_t: Table | None,
    parts: _Parts,
    arms: Sequence[ArmKind],
    metric: str,
    settings: FinetuneSettings,
    say: Callable[[str], None],
) -> tuple[list[ArmResult], dict[str, bytes]]:
    import xgboost as xgb

    def matrix(t: Table, idx: np.ndarray, margin: bool = False) -> xgb.DMatrix:
        X = t.X.iloc[idx]
        if base.preprocessor is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                X = base.preprocessor.transform(X)
        dm = xgb.DMatrix(X, label=t.y[idx], enable_categorical=True, nthread=_threads(settings))
        if margin:
            dm.set_base_margin(base_booster.predict(dm, output_margin=True))
        return dm

    base_booster = base.booster()
    base_rounds = base_booster.num_boosted_rounds()
    trees_per_round = max(1, len(base_booster.get_dump()) // max(base_rounds, 1))
    n_classes = base.n_classes
    has_old = old_t is not None and parts.old_hold is not None
    d_fit, d_es = matrix(new_t, parts.fit), matrix(new_t, parts.es)
    d_adapt = matrix(new_t, parts.adapt)
    d_hold = matrix(new_t, parts.hold)
    d_old = matrix(old_t, parts.old_hold) if has_old else None  # type: ignore[arg-type]
    y_hold, y_old = new_t.y[parts.hold], (old_t.y[parts.old_hold] if has_old else None)  # type: ignore[union-attr,index]

    def score(b: Any, dm: Any, y: np.ndarray, upto: int | None = None) -> float:
        out = b.predict(dm, iteration_range=(0, upto)) if upto else b.predict(dm)
        return score_output(out, y, task=base.task, n_classes=n_classes, metric=metric)

    def curve(b: Any, kind: ArmKind, start: int, end: int, best: int, dms: tuple[Any, Any | None]) -> Curve:
        """Staged scores from ``start`` rounds (the base's, or 0) to ``end``, at most MAX_CURVE_POINTS points.
        Continue and stack start from the base model (0 trees added); a retrain from its first tree."""
        added = end - start
        steps = np.unique(np.append(np.linspace(0, added, min(MAX_CURVE_POINTS, added + 1)).round().astype(int), best))
        if kind in (ArmKind.RETRAIN_NEW, ArmKind.RETRAIN_ALL):
            steps = steps[steps > 0]
        new_s, old_s = [], []
        for k in steps:
            upto = start + int(k)
            if upto == 0:  # stacked trees only: at 0 added it is the base model
                new_s.append(base_new)
                if base_old is not None:
                    old_s.append(base_old)
                continue
            new_s.append(score(b, dms[0], y_hold, upto))
            if dms[1] is not None:
                old_s.append(score(b, dms[1], y_old, upto))  # type: ignore[arg-type]
        return Curve(tuple(int(k) for k in steps), tuple(new_s), tuple(old_s) if has_old else None, best)

    base_params = {**base.params, "nthread": _threads(settings), "verbosity": 0, "seed": settings.seed}
    results: list[ArmResult] = []
    models: dict[str, bytes] = {}
    base_new = score(base_booster, d_hold, y_hold)
    base_old = score(base_booster, d_old, y_old) if has_old else None  # type: ignore[arg-type]
    if ArmKind.BASE in arms:
        t, lv = _model_size(base_booster)
        results.append(ArmResult(ArmKind.BASE, "base", base_new, base_old, 0.0, 0, t, lv, dict(base.params)))

    clock = fit_clock(settings)

    def train(params: dict[str, Any], dtrain: Any, rounds: int, **kw: Any) -> tuple[Any, float]:
        t0 = clock()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = xgb.train(params, dtrain, rounds, verbose_eval=False, **kw)
        return b, clock() - t0

    def boosted(
        kind: ArmKind, label: str, params: dict[str, Any], dtrain: Any, d_es_: Any, start: int, **kw: Any
    ) -> ArmResult:
        # A retrain may take as many rounds as the base model had: it starts from nothing.
        rounds = settings.max_rounds if start or kind == ArmKind.STACK else max(settings.max_rounds, base_rounds)
        b, dt = train(params, dtrain, rounds, evals=[(d_es_, "es")], early_stopping_rounds=settings.patience, **kw)
        end = b.num_boosted_rounds()
        best = int(getattr(b, "best_iteration", end - 1)) + 1  # rounds in total at the best point
        c = curve(b, kind, start, end, best - start, dms_for(kind))
        kept = b[:best]
        models[label] = bytes(kept.save_raw(raw_format="json"))
        t, lv = _model_size(kept)
        new_s = score(kept, dms_for(kind)[0], y_hold)
        old_s = score(kept, dms_for(kind)[1], y_old) if has_old else None  # type: ignore[arg-type]
        return ArmResult(kind, label, new_s, old_s, dt, (best - start) * trees_per_round, t, lv, _public(params), c)

    stack_dms: dict[str, Any] = {}

    def dms_for(kind: ArmKind) -> tuple[Any, Any | None]:
        if kind == ArmKind.STACK:
            return stack_dms["hold"], stack_dms.get("old")
        return d_hold, d_old

    for lr in settings.rates(base.learning_rate) if ArmKind.CONTINUE in arms else ():
        say(f"continue at learning rate {lr:g}")
        params = {**base_params, "eta": lr}
        arm = boosted(
            ArmKind.CONTINUE, f"continue (lr {lr:g})", params, d_fit, d_es, base_rounds, xgb_model=base_booster
        )
        results.append(
            replace(arm, note=f"{arm.rounds_added} trees added; early stopping after {settings.patience} rounds")
        )

    if ArmKind.REFRESH in arms:
        say("refresh")
        params = {**base_params, "process_type": "update", "updater": "refresh", "refresh_leaf": True}
        b, dt = train(params, d_adapt, base_rounds, xgb_model=base_booster)
        models["refresh"] = bytes(b.save_raw(raw_format="json"))
        t, lv = _model_size(b)
        old_s = score(b, d_old, y_old) if has_old else None  # type: ignore[arg-type]
        note = (
            f"Same {base_rounds} rounds and learning rate {base.learning_rate:g} as the base; only leaf values change. "
            "Fitted on the whole adaptation part (it has no rounds to stop early)."
        )
        results.append(
            ArmResult(
                ArmKind.REFRESH, "refresh", score(b, d_hold, y_hold), old_s, dt, 0, t, lv, _public(params), note=note
            )
        )

    if ArmKind.STACK in arms:
        say("stack")
        s_fit, s_es = matrix(new_t, parts.fit, True), matrix(new_t, parts.es, True)
        stack_dms["hold"] = matrix(new_t, parts.hold, True)
        if has_old:
            stack_dms["old"] = matrix(old_t, parts.old_hold, True)  # type: ignore[arg-type]
        params = {**base_params, **settings.stack_params}
        arm = boosted(ArmKind.STACK, "stack", params, s_fit, s_es, 0)
        total_t, total_lv = _model_size(base_booster)
        results.append(
            replace(
                arm,
                trees=arm.trees + total_t,
                leaves=arm.leaves + total_lv,
                note="Predict with the base model's margin as base_margin: margin = base + these trees.",
            )
        )

    if ArmKind.RETRAIN_NEW in arms:
        say("retrain on the new data")
        results.append(boosted(ArmKind.RETRAIN_NEW, "retrain (new)", base_params, d_fit, d_es, 0))

    if ArmKind.RETRAIN_ALL in arms and has_old:
        say("retrain on old + new data")
        X_all = pd.concat([old_t.X.iloc[parts.old_train], new_t.X.iloc[parts.fit]], ignore_index=True)  # type: ignore[union-attr]
        y_all = np.concatenate([old_t.y[parts.old_train], new_t.y[parts.fit]])  # type: ignore[union-attr,index]
        d_all = matrix(Table(X_all, y_all), np.arange(len(y_all)))
        results.append(boosted(ArmKind.RETRAIN_ALL, "retrain (old + new)", base_params, d_all, d_es, 0))

    if ArmKind.TUNED in arms and settings.tpe_trials > 0:
        say(f"TPE search over continue ({settings.tpe_trials} trials)")
        tuned, raw, spent = _tuned_continue(
            base, base_booster, base_params, d_fit, d_es, settings, train, score, new_t, parts.es
        )
        b = xgb.Booster()
        b.load_model(bytearray(raw))
        label = "continue (TPE)"
        models[label] = raw
        t, lv = _model_size(b)
        old_s = score(b, d_old, y_old) if has_old else None  # type: ignore[arg-type]
        results.append(
            ArmResult(
                ArmKind.TUNED,
                label,
                score(b, d_hold, y_hold),
                old_s,
                spent,
                int(tuned["rounds"]) * trees_per_round,
                t,
                lv,
                {"eta": tuned["learning_rate"], "rounds": tuned["rounds"]},
                note=f"best of {settings.tpe_trials} TPE trials scored on the early-stopping rows; time = all trials",
            )
        )
    return results, models


def _tuned_continue(
    base: BaseModel,
    base_booster: Any,
    base_params: dict[str, Any],
    d_fit: Any,
    d_es: Any,
    settings: FinetuneSettings,
    train: Callable[..., tuple[Any, float]],
    score: Callable[..., float],
    new_t: Table,
    es_idx: np.ndarray,
) -> tuple[dict[str, Any], bytes, float]:
    """A short TPE search (the engine's strategy) over continue's learning rate and rounds, scored on the
    early-stopping rows, never on the held-out ones."""
    from tuning.space import SearchSpace
    from tuning.strategies import make_strategy

    lr = base.learning_rate
    space = SearchSpace.from_dict(
        {
            "learning_rate": {"type": "float", "low": max(1e-4, lr * 0.02), "high": min(1.0, lr * 2), "log": True},
            "rounds": {"type": "int", "low": 1, "high": settings.max_rounds},
        }
    )
    strategy = make_strategy("tpe", space, seed=settings.seed)
    y_es = new_t.y[es_idx]
    best: tuple[float, dict[str, Any], Any] | None = None
    total = 0.0
    for _ in range(settings.tpe_trials):
        params = strategy.ask()
        if params is None:
            break
        b, dt = train(
            {**base_params, "eta": params["learning_rate"]}, d_fit, int(params["rounds"]), xgb_model=base_booster
        )
        total += dt
        s = score(b, d_es, y_es)
        strategy.tell(params, s)
        if best is None or s > best[0]:
            best = (s, params, b)
    assert best is not None
    return best[1], bytes(best[2].save_raw(raw_format="json")), total


def _public(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in ("nthread", "verbosity", "seed")}


def _sklearn_arms(
    base: BaseModel,
    new_t: Table,
    old_t: Table | None,
    parts: _Parts,
    arms: Sequence[ArmKind],
    metric: str,
    settings: FinetuneSettings,
    say: Callable[[str], None],
) -> tuple[list[ArmResult], dict[str, bytes]]:
    """scikit-learn families: base, continue where warm_start exists, retrain."""
    from sklearn.base import clone

    adapt_idx = parts.adapt
    has_old = old_t is not None and parts.old_hold is not None

    def out(est: Any, X: pd.DataFrame) -> np.ndarray:
        if base.task == "regression":
            return est.predict(X)
        if hasattr(est, "predict_proba"):
            return est.predict_proba(X)
        pred = est.predict(X).astype(int)
        return np.eye(max(base.n_classes or 2, 2))[pred]

    def scores(est: Any) -> tuple[float, float | None]:
        new_s = score_output(
            out(est, new_t.X.iloc[parts.hold]),
            new_t.y[parts.hold],
            task=base.task,
            n_classes=base.n_classes,
            metric=metric,
        )
        if not has_old or old_t is None or parts.old_hold is None:
            return new_s, None
        o = score_output(
            out(est, old_t.X.iloc[parts.old_hold]),
            old_t.y[parts.old_hold],
            task=base.task,
            n_classes=base.n_classes,
            metric=metric,
        )  # type: ignore[union-attr,index]
        return new_s, o

    def size(est: Any) -> tuple[int, int]:
        m = est.named_steps["model"] if hasattr(est, "named_steps") else est
        trees = getattr(m, "estimators_", None)
        if trees is None:
            return 0, 0
        return len(trees), int(sum(t.get_n_leaves() for t in trees))

    results: list[ArmResult] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if ArmKind.BASE in arms:
            n, o = scores(base.estimator)
            t, lv = size(base.estimator)
            results.append(ArmResult(ArmKind.BASE, "base", n, o, 0.0, 0, t, lv))
        if ArmKind.CONTINUE in arms and base.family in SKLEARN_CONTINUE:
            say("continue (warm start)")
            import copy

            est = copy.deepcopy(base.estimator)  # the base stays as it was
            model = est.named_steps["model"]
            X_a, y_a = est.named_steps["prep"].transform(new_t.X.iloc[adapt_idx]), new_t.y[adapt_idx]
            t0 = time.perf_counter()
            if base.family == "random_forest":
                added = max(1, model.n_estimators // 2)
                model.set_params(warm_start=True, n_estimators=model.n_estimators + added)
                model.fit(X_a, y_a)
            else:
                added = 20
                for _ in range(added):
                    if base.task == "classification":
                        model.partial_fit(X_a, y_a, classes=np.arange(base.n_classes or 2))
                    else:
                        model.partial_fit(X_a, y_a)
            dt = time.perf_counter() - t0
            n, o = scores(est)
            t, lv = size(est)
            unit = "trees" if base.family == "random_forest" else "epochs"
            results.append(
                ArmResult(
                    ArmKind.CONTINUE,
                    "continue (warm start)",
                    n,
                    o,
                    dt,
                    added,
                    t,
                    lv,
                    {unit: added},
                    note=SKLEARN_CONTINUE[base.family],
                )
            )
        for kind, label, rows in (
            (ArmKind.RETRAIN_NEW, "retrain (new)", None),
            (ArmKind.RETRAIN_ALL, "retrain (old + new)", "all"),
        ):
            if kind not in arms or (rows == "all" and not has_old):
                continue
            say(label)
            X = new_t.X.iloc[adapt_idx]
            y = new_t.y[adapt_idx]
            if rows == "all":
                X = pd.concat([old_t.X.iloc[parts.old_train], X], ignore_index=True)  # type: ignore[union-attr]
                y = np.concatenate([old_t.y[parts.old_train], y])  # type: ignore[union-attr,index]
            est = clone(base.estimator)
            t0 = time.perf_counter()
            est.fit(X, y)
            dt = time.perf_counter() - t0
            n, o = scores(est)
            t, lv = size(est)
            results.append(ArmResult(kind, label, n, o, dt, 0, t, lv))
    return results, {}


# ----------------------------------------------------------------------------------------------
# The verdict and what to save


def _shown(metric: str, score: float, *, name: bool = True) -> str:
    """``"RMSE 32.6"`` for a stored ``neg_root_mean_squared_error`` of -32.6: the metric as users read it."""
    from tuning.analysis import display_metric_name, display_score

    value = f"{display_score(metric, score):.4g}"
    return f"{display_metric_name(metric)} {value}" if name else value


def verdict(arms: Sequence[ArmResult], metric: str) -> str:
    """One or two plain sentences: how much of the gap to retraining each cheap arm recovers, at what cost."""
    by = {a.kind: a for a in arms}
    base, retrain = by.get(ArmKind.BASE), by.get(ArmKind.RETRAIN_NEW)
    if base is None or retrain is None:
        return "Run the base and the retrain arms to get a verdict."
    gap = retrain.new_score - base.new_score
    if not gap > 0:
        return (
            f"The base model already scores as well on the new data as retraining from scratch "
            f"({_shown(metric, base.new_score)} vs {_shown(metric, retrain.new_score)}): there is little to adapt."
        )
    cont = [a for a in arms if a.kind in (ArmKind.CONTINUE, ArmKind.TUNED)]
    parts = []
    t_ref = max(retrain.fit_time_s, 1e-9)
    if cont:
        best = max(cont, key=lambda a: a.new_score)
        rec = (best.new_score - base.new_score) / gap
        parts.append(
            f"{best.label} recovers {rec:.0%} of the gap to retraining for {best.fit_time_s / t_ref:.0%} of its "
            "training time"
        )
    ref = by.get(ArmKind.REFRESH)
    if ref is not None:
        rec = (ref.new_score - base.new_score) / gap
        parts.append(
            f"refresh recovers {rec:.0%} for {ref.fit_time_s / t_ref:.0%} of the time but cannot add new splits"
        )
    stack = by.get(ArmKind.STACK)
    if stack is not None:
        parts.append(f"stack recovers {(stack.new_score - base.new_score) / gap:.0%}")
    text = "; ".join(parts) + "." if parts else ""
    forgot = [a for a in arms if a.old_score is not None and base.old_score is not None]
    if forgot:
        worst = min(forgot, key=lambda a: a.old_score or 0.0)
        if worst.old_score is not None and base.old_score is not None and worst.old_score < base.old_score:
            text += (
                f" Forgetting: {worst.label} takes the old-data {_shown(metric, base.old_score)} to "
                f"{_shown(metric, worst.old_score, name=False)}."
            )
    return text[0].upper() + text[1:] if text else text


def adaptation_script(result: FinetuneResult, label: str, *, base_file: str = "base_model.json") -> str:
    """A short script that repeats one arm's adaptation with XGBoost alone."""
    arm = next((a for a in result.arms if a.label == label), None)
    if arm is None:
        raise ConfigError(f"There is no arm {label!r} in this result.")
    p = {k: v for k, v in arm.params.items() if k not in ("objective",)}
    obj = arm.params.get("objective", "")
    s = result.split
    from tuning.export.script import python_literal as lit

    # Every user string (study, file and arm names) and number enters as a literal constant under a static
    # docstring, as in the refit script: a name cannot close a string and run code when the script runs.
    params = {**p, "objective": obj} if obj else p
    head = f'''"""Repeat an adaptation of a trained XGBoost model (made by the tuning workbench).

Usage: python adapt.py NEW_DATA.csv TARGET   (the base model: BASE_FILE below)
The new table must already be in the model's feature columns (numbers; apply the study's preprocessing first).
Held-out rows: HOLDOUT of the new data (seed SEED); early-stopping rows: 15% of the rest.
"""

import sys

import pandas as pd
import xgboost as xgb
from sklearn.model_selection import train_test_split

ADAPTATION = {lit(str(label))}
BASE_SOURCE = {lit(str(result.base_source))}
BASE_FILE = {lit(str(base_file))}
HOLDOUT = {lit(float(s.holdout))}
SEED = {lit(int(s.seed))}
CLASSIFICATION = {lit(result.task == "classification")}

print(f"repeating {{ADAPTATION!r}} of {{BASE_SOURCE!r}}")
path, target = sys.argv[1], sys.argv[2]
df = pd.read_csv(path)
y = df.pop(target).to_numpy()
strat = y if CLASSIFICATION else None
X_adapt, X_hold, y_adapt, y_hold = train_test_split(df, y, test_size=HOLDOUT, random_state=SEED, stratify=strat)
X_fit, X_es, y_fit, y_es = train_test_split(
    X_adapt, y_adapt, test_size=0.15, random_state=SEED, stratify=y_adapt if strat is not None else None
)
base = xgb.Booster(model_file=BASE_FILE)
params = {lit(_plain(params))}
'''
    if arm.kind == ArmKind.CONTINUE:
        body = f"""d_fit, d_es = xgb.DMatrix(X_fit, label=y_fit), xgb.DMatrix(X_es, label=y_es)
model = xgb.train(params, d_fit, {lit(int(arm.curve.rounds[-1]) if arm.curve else 200)}, xgb_model=base, evals=[(d_es, "es")],
                  early_stopping_rounds=20)
model = model[: model.best_iteration + 1]
"""
    elif arm.kind == ArmKind.REFRESH:
        body = """params.update(process_type="update", updater="refresh", refresh_leaf=True)
model = xgb.train(params, xgb.DMatrix(X_adapt, label=y_adapt), base.num_boosted_rounds(), xgb_model=base)
"""
    elif arm.kind == ArmKind.STACK:
        body = """def with_margin(X, y=None):
    d = xgb.DMatrix(X, label=y)
    d.set_base_margin(base.predict(d, output_margin=True))
    return d

d_fit, d_es = with_margin(X_fit, y_fit), with_margin(X_es, y_es)
model = xgb.train(params, d_fit, 200, evals=[(d_es, "es")], early_stopping_rounds=20)
model = model[: model.best_iteration + 1]  # predict with with_margin(X): base margin + these trees
"""
    elif arm.kind in (ArmKind.RETRAIN_NEW, ArmKind.RETRAIN_ALL):
        body = """d_fit, d_es = xgb.DMatrix(X_fit, label=y_fit), xgb.DMatrix(X_es, label=y_es)
model = xgb.train(params, d_fit, 200, evals=[(d_es, "es")], early_stopping_rounds=20)
model = model[: model.best_iteration + 1]
"""
    elif arm.kind == ArmKind.TUNED:
        rounds = int(arm.params.get("rounds", 100))
        body = f"""params["eta"] = {lit(_plain(arm.params.get("eta")))}
model = xgb.train(params, xgb.DMatrix(X_fit, label=y_fit), {lit(rounds)}, xgb_model=base)
"""
    else:
        body = "model = base\n"
    tail = f"""model.save_model("adapted_{arm.kind.value}.json")
print("saved adapted_{arm.kind.value}.json")
"""
    return head + body + tail


def _plain(value: Any) -> Any:
    """JSON-like plain values (numpy scalars as Python numbers) for ``python_literal``."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def ratios_to_retrain(result: FinetuneResult) -> dict[str, dict[str, float | None]]:
    """Each arm's new-data score, old-data score and fit time as ratios to retraining on the new data."""
    ref = result.arm(ArmKind.RETRAIN_NEW)
    if ref is None:
        return {}

    def ratio(a: float | None, b: float | None) -> float | None:
        if a is None or b is None or not math.isfinite(a) or not math.isfinite(b) or b == 0:
            return None
        return round(a / b, 4)

    return {
        a.label: {
            "new_score": ratio(a.new_score, ref.new_score),
            "old_score": ratio(a.old_score, ref.old_score),
            "fit_time": ratio(a.fit_time_s, ref.fit_time_s),
        }
        for a in result.arms
    }


def save_adapted(store: Any, result: FinetuneResult, label: str, *, study_id: int | None = None) -> int:
    """Keep one arm's adapted booster in the store (kind "model", XGBoost JSON); returns the artifact id."""
    if label not in result.models:
        raise ConfigError(
            f"There is no saved model for the arm {label!r}.", fix=f"Pick one of {', '.join(result.models)}."
        )
    arm = next(a for a in result.arms if a.label == label)
    meta = {
        "format": "xgboost-json-adapted",
        "arm": arm.kind.value,
        "adapted_from": result.base_source,
        "metric": result.metric,
        "new_score": _finite(arm.new_score),
        "old_score": _finite(arm.old_score),
        "needs_base_margin": label == result.base_margin_label,
    }
    safe = "".join(ch if ch.isalnum() else "_" for ch in label).strip("_")
    return store.save_artifact(
        kind="adapted_model", name=f"{safe}.json", content=result.models[label], meta=meta, study_id=study_id
    )
