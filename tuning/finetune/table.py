"""The new (and old) data checked against the base model: features, labels, the metric and its scoring."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tuning.errors import ConfigError, DataError
from tuning.evaluate import (
    CLASSIFICATION_BINARY,
    CLASSIFICATION_MULTI,
    REGRESSION,
    default_metric,
)
from tuning.finetune._common import MAX_ROWS
from tuning.finetune.base import BaseModel
from tuning.metrics import classification_metrics, regression_metrics


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
    if len(df) > MAX_ROWS:
        raise DataError(
            f"The {role} data has {len(df):,} rows; a fine-tune takes at most {MAX_ROWS:,}.",
            fix="Sample the rows (a comparison of the arms needs a few thousand) and run it again.",
        )
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
